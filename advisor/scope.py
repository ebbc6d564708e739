"""What a finding is about: the URL's database (schema) or the whole server.

A URL naming a database judges that database and the server's own settings and counters.
Findings of the second kind are marked server-wide in every format ("(server)"), so that a
run scoped to `app` never reads as if `app` had caused them. A check is server-wide when it
reads none of its engine's per-database facts below."""

from __future__ import annotations

from urllib.parse import urlsplit

SCOPED_FACTS = {
    "postgres": frozenset({
        "pg.tables", "pg.indexes", "pg.index_catalog", "pg.index_candidates", "pg.btree_sizes", "pg.table_bloat",
        "pg.statements", "pg.cache", "pg.public_schema", "pg.partitioned_index_gaps", "pg.index_builds",
        "pg.foreign_keys", "pg.partitioned_tables", "pg.sequences", "pg.invalid_constraints", "pg.extensions",
        "pg.lock_table"}),
    "mysql": frozenset({
        "mysql.digests", "mysql.scan_digests", "mysql.tables", "mysql.indexes", "mysql.index_sizes",
        "mysql.index_usage", "mysql.index_catalog", "mysql.index_candidates"}),
    "mongo": frozenset({"mongo.collections", "mongo.indexes", "mongo.profile"}),
    "redis": frozenset({"redis.key_sample"}),
}

SERVER = "server"
SERVER_LABEL = "(server)"

_SYSTEM = {"mysql": {"mysql", "information_schema", "performance_schema", "sys"}, "mongo": {"admin"}}
_WORD = {"postgres": "database", "mysql": "schema", "mongo": "database"}


def check_scope(engine: str, facts) -> str | None:
    """"server" for a check that reads no per-database fact of its engine, else None."""
    scoped = SCOPED_FACTS.get(engine)
    if scoped is None:
        return None
    return None if scoped.intersection(facts) else SERVER


def target_scope(engine: str, url: str | None) -> str:
    """How a report header names a target's scope: "schema app", "database app" or "server"."""
    word = _WORD.get(engine)
    if not word or not url:
        return SERVER
    try:
        name = urlsplit(url).path.strip("/").split("/")[0]
    except ValueError:
        return SERVER
    if not name or name.lower() in _SYSTEM.get(engine, set()):
        return SERVER
    return f"{word} {name}"


SERVER_MARK = "⌂"   # the TUI's compact mark in the Object column: every cell of it counts at 80 columns


def table_object(f) -> str:
    """A finding's object in the TUI's table: the server mark in one cell, then the object."""
    if getattr(f, "scope", None) == SERVER:
        return f"{SERVER_MARK} {f.object}" if f.object else SERVER_LABEL
    return f.object or ""


def shown_object(f) -> str:
    """A finding's object as the reports show it: "(server)" marks a server-wide one."""
    if getattr(f, "scope", None) == SERVER:
        return f"{SERVER_LABEL} {f.object}" if f.object else SERVER_LABEL
    return f.object or ""
