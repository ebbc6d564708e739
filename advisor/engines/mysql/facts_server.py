"""Server identity, global variables and status, performance_schema setup."""

from __future__ import annotations

import re
from typing import Any

from advisor.errors import FactUnavailable
from advisor.facts import provides
from advisor.window import Counters

SYSTEM_SCHEMAS = ("mysql", "information_schema", "performance_schema", "sys")


def schema_scope(s, facts) -> str:
    """SQL condition on a schema column: the URL's database when it names one (mysql://h/app
    inspects `app`), else every schema but the system ones. Option all_schemas = true widens a
    database URL to the whole server. Server-wide checks (variables, status) are not scoped."""
    if _one_schema(s, facts):
        return "= " + s.conn.escape(s.database)
    return "NOT IN (" + ", ".join(f"'{x}'" for x in SYSTEM_SCHEMAS) + ")"


def _one_schema(s, facts) -> bool:
    """The URL names a user database (a URL naming a system schema, e.g. the usual admin URL
    mysql://root@h/mysql, inspects the user schemas: nobody tunes mysql.* tables)."""
    db = getattr(s, "database", None)
    return bool(db) and db.lower() not in SYSTEM_SCHEMAS and not facts.options.get("all_schemas")


def schemaless_scope(s, facts) -> tuple[str, tuple]:
    """SQL condition (and its parameter) on DIGEST_TEXT for digests sent without a default schema:
    with a URL naming a database, only those whose text names it (qualified names are the only
    way such a statement reaches a table), so that a busy server's other schemas do not push
    this one's statements out of the top N; they are attributed by their tables later."""
    if _one_schema(s, facts):
        return "DIGEST_TEXT LIKE %s", ("%`" + s.database.replace("%", "\\%").replace("_", "\\_") + "`%",)
    return "TRUE", ()


def schemaless_owner(s, facts, texts: list[str]):
    """For a run scoped to one schema: does a digest sent without a default schema belong to
    it? By the tables its text names (`app.t`, or an unqualified `t` found only in `app`),
    never `other.orders`. Unscoped runs keep them all."""
    if not _one_schema(s, facts) or not texts:
        return lambda text: True
    from advisor.indexadvisor.digests import names_schema, tables_named
    bare = sorted({t for text in texts for db, t in tables_named(text) if db is None})
    mine: set[str] = set()
    others: set[str] = set()
    if bare:
        rows = s.query("SELECT TABLE_SCHEMA AS `schema`, TABLE_NAME AS name FROM information_schema.TABLES "
                       f"WHERE TABLE_NAME IN ({', '.join(['%s'] * len(bare))}) AND TABLE_SCHEMA NOT IN "
                       f"({', '.join(['%s'] * len(SYSTEM_SCHEMAS))})", (*bare, *SYSTEM_SCHEMAS))
        for r in rows:
            (mine if r["schema"] == s.database else others).add(r["name"])
    return lambda text: names_schema(text, s.database, mine, others)


def in_scope(s, facts, schema: str | None) -> bool:
    """The same rule as schema_scope, for rows filtered in Python."""
    if _one_schema(s, facts):
        return schema == s.database
    return schema not in SYSTEM_SCHEMAS


# The advisor's own statements show up in the digest table too: its catalog reads (system
# schemas only) and the index advisor's bounded column sample, tagged with this alias.
SAMPLE_ALIAS = "db_advisor_sample_rows"
_SYSTEM_REF = re.compile(r"`?(information_schema|performance_schema|mysql|sys)`?\s*\.", re.I)
_TABLE_REF = re.compile(r"\b(FROM|JOIN|UPDATE|INTO)\s+(`[^`]+`|\w+)(\s*\.\s*(`[^`]+`|\w+))?", re.I)


def is_monitoring(digest_text: str) -> bool:
    """True for the advisor's own statements and for statements that read only system schemas
    (monitoring, not application work): they are left out of the statement checks."""
    if SAMPLE_ALIAS in digest_text:
        return True
    refs = _TABLE_REF.findall(digest_text)
    return bool(refs) and all(_SYSTEM_REF.match(f"{r[1]}.") and r[2] for r in refs)


PS_ENABLE = ("set performance_schema = ON under [mysqld] in my.cnf and restart the server "
             "(not dynamic; OFF by default on MariaDB)")
PS_GRANT = "GRANT SELECT ON performance_schema.* TO <advisor user>"

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _value(text: Any) -> Any:
    """'134217728' -> int, '10.000000' -> float, anything else stays text."""
    if isinstance(text, (bytes, bytearray)):
        text = text.decode("utf-8", "replace")
    if isinstance(text, str) and _NUMBER.match(text):
        return float(text) if "." in text else int(text)
    return text


def _name_values(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {r["variable_name"].lower(): _value(r["value"]) for r in rows}


@provides("mysql", "mysql.server")
def server(s, facts) -> dict[str, Any]:
    """Vendor, version, current account, uptime and whether the sys schema exists."""
    row = s.query("SELECT VERSION() AS version_string, @@version_comment AS version_comment, "
                  "CURRENT_USER() AS current_user_, @@hostname AS hostname, NOW() AS now")[0]
    uptime = facts.get("mysql.status").get("uptime")
    sys_schema = bool(s.query("SELECT 1 AS x FROM information_schema.SCHEMATA "
                              "WHERE SCHEMA_NAME = 'sys'"))
    return {"vendor": s.vendor, "version": ".".join(map(str, s.version)),
            "version_tuple": list(s.version), "version_string": row["version_string"],
            "version_comment": row["version_comment"], "user": row["current_user_"],
            "hostname": row["hostname"], "now": row["now"], "uptime_s": uptime,
            "sys_schema": sys_schema}


@provides("mysql", "mysql.variables")
def variables(s, facts) -> dict[str, Any]:
    """SHOW GLOBAL VARIABLES, names lower-case, numbers as numbers."""
    return _name_values(s.query("SHOW GLOBAL VARIABLES"))


# The cumulative status counters the checks judge (names lower-case, as the fact holds them).
# Gauges (Threads_connected, Open_*, Max_used_connections) and Uptime keep their end value: a
# check divides by ctx.window_s in a window, by Uptime otherwise (checks/mysql/_common.span_s).
STATUS_COUNTERS = Counters((
    "com_*", "handler_*", "select_*", "created_tmp_*", "sort_*", "innodb_buffer_pool_read_requests",
    "innodb_buffer_pool_reads", "innodb_buffer_pool_wait_free", "innodb_rows_*", "innodb_os_log_written",
    "innodb_deadlocks", "aborted_*", "connections", "threads_created", "table_open_cache_hits",
    "table_open_cache_misses", "table_open_cache_overflows", "opened_tables", "opened_files",
    "slow_queries", "questions", "queries", "bytes_received", "bytes_sent"))


@provides("mysql", "mysql.status", counters=[STATUS_COUNTERS])
def status(s, facts) -> dict[str, Any]:
    """SHOW GLOBAL STATUS, names lower-case, numbers as numbers (counters since startup)."""
    return _name_values(s.query("SHOW GLOBAL STATUS"))


@provides("mysql", "mysql.performance_schema")
def performance_schema(s, facts) -> dict[str, Any]:
    """Is performance_schema on, and which consumers / instruments the checks rely on."""
    v = facts.get("mysql.variables")
    enabled = str(v.get("performance_schema", "OFF")).upper() in ("ON", "1")
    out: dict[str, Any] = {"enabled": enabled, "consumers": {}, "instruments": {},
                           "digests_size": v.get("performance_schema_digests_size"),
                           "digest_lost": facts.get("mysql.status").get("performance_schema_digest_lost"),
                           "readable": None, "error": None}
    if not enabled:
        return out
    try:
        out["consumers"] = {r["name"]: r["enabled"] == "YES" for r in s.query(
            "SELECT NAME AS name, ENABLED AS enabled FROM performance_schema.setup_consumers",
            enable=PS_GRANT)}
        out["instruments"] = {r["name"]: r["enabled"] == "YES" for r in s.query(
            "SELECT NAME AS name, ENABLED AS enabled FROM performance_schema.setup_instruments "
            "WHERE NAME IN ('wait/io/table/sql/handler', 'statement/sql/select')", enable=PS_GRANT)}
        out["readable"] = True
    except FactUnavailable as e:
        out["readable"], out["error"] = False, e.describe()
    return out


def require_performance_schema(facts, what: str) -> None:
    """Raise FactUnavailable unless performance_schema is on and readable."""
    ps = facts.get("mysql.performance_schema")
    if not ps["enabled"]:
        raise FactUnavailable(f"performance_schema is OFF, so {what} cannot be read", PS_ENABLE)
    if ps["readable"] is False:
        raise FactUnavailable(f"performance_schema is not readable ({ps['error']})", PS_GRANT)
