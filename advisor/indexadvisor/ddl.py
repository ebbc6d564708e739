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


def pg_create_index(table: str, columns: list[str], desc: list[bool] | None = None,
                    opclass: list[str | None] | None = None, expression: str | None = None,
                    using: str | None = None) -> str:
    """CREATE INDEX CONCURRENTLY ... (columns or one expression); table is schema.table."""
    schema, name = table.split(".", 1)
    target = f"{pg_ident(schema)}.{pg_ident(name)}"
    if expression is not None:
        ixname = index_name(table, re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expression)[:4])
        return f"CREATE INDEX CONCURRENTLY {pg_ident(ixname)} ON {target} (({expression}));"
    desc = desc or [False] * len(columns)
    opclass = opclass or [None] * len(columns)
    parts = [pg_ident(c) + (f" {o}" if o else "") + (" DESC" if d else "")
             for c, d, o in zip(columns, desc, opclass)]
    name = index_name(table, columns + ([using] if using else []))
    method = f"USING {using} " if using else ""
    return f"CREATE INDEX CONCURRENTLY {pg_ident(name)} ON {target} {method}({', '.join(parts)});"


def mysql_add_index(table: str, columns: list[str], desc: list[bool] | None = None) -> str:
    schema, name = table.split(".", 1)
    desc = desc or [False] * len(columns)
    parts = [mysql_ident(c) + (" DESC" if d else "") for c, d in zip(columns, desc)]
    return (f"ALTER TABLE {mysql_ident(schema)}.{mysql_ident(name)} ADD INDEX "
            f"{mysql_ident(index_name(table, columns, 64))} ({', '.join(parts)});")
