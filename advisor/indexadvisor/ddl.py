"""Index names and the exact DDL to create them (PostgreSQL, MySQL/MariaDB)."""

from __future__ import annotations

import re

_PLAIN = re.compile(r"^[a-z_][a-z0-9_]*$")
_PG_RESERVED = {"all", "and", "any", "array", "as", "asc", "case", "check", "column", "constraint",
                "create", "default", "desc", "distinct", "do", "else", "end", "for", "foreign", "from",
                "grant", "group", "having", "in", "into", "limit", "not", "null", "offset", "on", "only",
                "or", "order", "primary", "references", "select", "table", "then", "to", "union",
                "unique", "user", "using", "when", "where", "with"}


def pg_ident(name: str) -> str:
    if _PLAIN.match(name) and name not in _PG_RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def mysql_ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def index_name(table: str, columns: list[str], max_len: int = 63) -> str:
    """idx_<table>_<col>_<col>..., shortened to the server's identifier limit."""
    base = "idx_" + "_".join([table.split(".")[-1], *columns])
    base = re.sub(r"[^A-Za-z0-9_]+", "_", base).lower()
    if len(base) <= max_len:
        return base
    import hashlib
    digest = hashlib.sha1(base.encode()).hexdigest()[:8]
    return base[:max_len - 9] + "_" + digest


# PostgreSQL's locks, stated with every CREATE INDEX the advisor prints
PG_CONCURRENT_LOCK = ("  -- SHARE UPDATE EXCLUSIVE lock: reads and writes continue; not inside a transaction "
                      "block; if it fails, it leaves an INVALID index to drop")
PG_PARTITIONED_LOCK = ("  -- SHARE lock on the table and every partition: blocks INSERT/UPDATE/DELETE until "
                       "built (CONCURRENTLY is not supported on a partitioned table)")


def pg_create_index(table: str, columns: list[str], desc: list[bool] | None = None,
                    opclass: list[str | None] | None = None, expression: str | None = None,
                    using: str | None = None,
                    partitions: list[tuple[str, str, bool]] | None = None, lock_note: bool = True) -> str:
    """CREATE INDEX CONCURRENTLY ... (columns or one expression); table is schema.table.

    partitions (schema, name, is itself partitioned) marks a partitioned table, where
    CONCURRENTLY is rejected. With leaf partitions only, the documented way to build it
    without blocking writes (CREATE INDEX): CREATE INDEX ON ONLY the parent (catalog only,
    invalid), CREATE INDEX CONCURRENTLY on each partition, ALTER INDEX ... ATTACH PARTITION
    each (the parent index turns valid with the last one). Otherwise (no partitions known,
    sub-partitions) one plain CREATE INDEX with its lock stated. IF NOT EXISTS: checks that
    print the same index (pg.index.missing, pg.index.suggested, pg.index.fk_missing) name it
    alike, so running both fixes builds it once and does not fail. lock_note=False: the bare
    statement, without IF NOT EXISTS or comment (for HypoPG)."""
    schema, name = table.split(".", 1)
    target = f"{pg_ident(schema)}.{pg_ident(name)}"
    if expression is not None:
        words = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expression)[:4]
        body, method = f"(({expression}))", ""
    else:
        desc = desc or [False] * len(columns)
        opclass = opclass or [None] * len(columns)
        parts = [pg_ident(c) + (f" {o}" if o else "") + (" DESC" if d else "")
                 for c, d, o in zip(columns, desc, opclass)]
        words = columns + ([using] if using else [])
        body, method = f"({', '.join(parts)})", f"USING {using} " if using else ""
    ixname = pg_ident(index_name(table, words))
    if not lock_note:
        return f"CREATE INDEX CONCURRENTLY {ixname} ON {target} {method}{body};"
    if partitions is None:
        return f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {ixname} ON {target} {method}{body};{PG_CONCURRENT_LOCK}"
    if not partitions or any(sub for _, _, sub in partitions):
        return f"CREATE INDEX IF NOT EXISTS {ixname} ON {target} {method}{body};{PG_PARTITIONED_LOCK}"
    lines = [f"-- {target} is partitioned: CONCURRENTLY is rejected on it; built partition by partition "
             "instead (PostgreSQL docs 5.11.2.2 Partition Maintenance):",
             f"CREATE INDEX IF NOT EXISTS {ixname} ON ONLY {target} {method}{body};  -- catalog only: brief lock, "
             "INVALID until every partition's index is attached"]
    for pschema, pname, _ in partitions:
        child = pg_ident(index_name(f"{pschema}.{pname}", words))
        lines.append(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {child} ON {pg_ident(pschema)}.{pg_ident(pname)} "
                     f"{method}{body};{PG_CONCURRENT_LOCK}")
        lines.append(f"ALTER INDEX {pg_ident(schema)}.{ixname} ATTACH PARTITION {pg_ident(pschema)}.{child};")
    return "\n".join(lines)


def mysql_add_index(table: str, columns: list[str], desc: list[bool] | None = None) -> str:
    schema, name = table.split(".", 1)
    desc = desc or [False] * len(columns)
    parts = [mysql_ident(c) + (" DESC" if d else "") for c, d in zip(columns, desc)]
    return (f"ALTER TABLE {mysql_ident(schema)}.{mysql_ident(name)} ADD INDEX "
            f"{mysql_ident(index_name(table, columns, 64))} ({', '.join(parts)});")
