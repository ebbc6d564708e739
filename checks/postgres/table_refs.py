"""Which pg_stat_statements entries reference a given table (pure helpers, no checks here).

Statements are parsed with sqlglot (PostgreSQL dialect); a statement it cannot
parse falls back to a word match on the table name. Index advisors can build on
`statements_for_table` to get the statements, then look inside them for filters.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Iterable

_HIDDEN = (None, "<insufficient privilege>")


@functools.lru_cache(maxsize=8192)
def tables_in(query: str) -> frozenset[tuple[str | None, str]] | None:
    """{(schema or None, table)} named in a statement (CTE names excluded); None if unparsable."""
    import sqlglot
    from sqlglot import exp

    try:
        trees = [t for t in sqlglot.parse(query, read="postgres") if t is not None]
    except Exception:  # sqlglot raises several error types on odd SQL
        return None
    out: set[tuple[str | None, str]] = set()
    for tree in trees:
        ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
        for t in tree.find_all(exp.Table):
            if t.name and not (not t.db and t.name in ctes):
                out.add((t.db or None, t.name))
    return frozenset(out)


def references(query: str, schema: str, table: str) -> bool:
    """True if `query` reads or writes schema.table (an unqualified name matches any schema)."""
    found = tables_in(query)
    if found is None:
        return re.search(rf'(?<![\w$"]){re.escape(table)}(?![\w$"])', query, re.I) is not None \
            or f'"{table}"' in query
    return (schema, table) in found or (None, table) in found


def statements_for_table(statements: Iterable[dict[str, Any]], schema: str, table: str,
                         database: str | None = None, limit: int = 5) -> list[dict[str, Any]]:
    """The statements (pg.statements rows, biggest total time first) referencing schema.table,
    restricted to `database` when given (pg_stat_statements is cluster-wide)."""
    out = []
    for row in statements:
        if row.get("query") in _HIDDEN or (database and row.get("database") != database):
            continue
        if references(row["query"], schema, table):
            out.append(row)
            if len(out) >= limit:
                break
    return out


def brief(row: dict[str, Any], width: int = 200) -> dict[str, Any]:
    """A statement as evidence: id, calls, mean/total time, rows, text cut to `width`."""
    text = " ".join(str(row.get("query") or "").split())
    return {"queryid": row.get("queryid"), "calls": row.get("calls"),
            "mean_ms": round(float(row.get("mean_ms") or 0), 2),
            "total_ms": round(float(row.get("total_ms") or 0), 1), "rows": row.get("rows"),
            "query": text if len(text) <= width else text[: width - 1] + "…"}
