"""Which pg_stat_statements entries reference a given table (pure helpers, no checks here).

Statements are parsed with sqlglot (PostgreSQL dialect); a statement it cannot
parse falls back to a word match on the table name. Index advisors can build on
`statements_for_table` to get the statements, then look inside them for filters.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Iterable

from advisor.units import one_line

_HIDDEN = (None, "<insufficient privilege>")
_PARAM = re.compile(r"\$\d+")


@functools.lru_cache(maxsize=8192)
def tables_in(query: str, searched_only: bool = False) -> frozenset[tuple[str | None, str]] | None:
    """{(schema or None, table)} named in a statement (CTE names excluded); None if unparsable.

    searched_only: leave out DDL/utility statements and tables that are only the
    target of an INSERT (an index cannot speed those up; an INSERT's SELECT part counts).
    """
    import sqlglot
    from sqlglot import exp

    try:
        # $n placeholders confuse sqlglot's dollar-quote tokenizer ("$4,$5" reads as a quote):
        # any literal in their place names the same tables
        trees = [t for t in sqlglot.parse(_PARAM.sub("NULL", query), read="postgres") if t is not None]
    except Exception:  # sqlglot raises several error types on odd SQL
        return None
    out: set[tuple[str | None, str]] = set()
    for tree in trees:
        if searched_only and not isinstance(tree, (exp.Query, exp.Update, exp.Delete, exp.Insert, exp.Merge)):
            continue  # DDL and utility commands search no rows
        ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
        targets = {id(i.this.this if isinstance(i.this, exp.Schema) else i.this)
                   for i in tree.find_all(exp.Insert)} if searched_only else set()
        for t in tree.find_all(exp.Table):
            if t.name and not (not t.db and t.name in ctes) and id(t) not in targets:
                out.add((t.db or None, t.name))
    return frozenset(out)


def references(query: str, schema: str, table: str, searched_only: bool = False) -> bool:
    """True if `query` reads or writes schema.table (an unqualified name matches any schema);
    searched_only: not when the table is only an INSERT target."""
    found = tables_in(query, searched_only)
    if found is None:
        return re.search(rf'(?<![\w$"]){re.escape(table)}(?![\w$"])', query, re.I) is not None \
            or f'"{table}"' in query
    return (schema, table) in found or (None, table) in found


def statements_for_table(statements: Iterable[dict[str, Any]], schema: str, table: str,
                         database: str | None = None, limit: int = 5,
                         searched_only: bool = True) -> list[dict[str, Any]]:
    """The statements (pg.statements rows, biggest total time first) that search schema.table
    (searched_only=False: any that name it), restricted to `database` when given
    (pg_stat_statements is cluster-wide)."""
    out = []
    for row in statements:
        if row.get("query") in _HIDDEN or (database and row.get("database") != database):
            continue
        if references(row["query"], schema, table, searched_only):
            out.append(row)
            if len(out) >= limit:
                break
    return out


def brief(row: dict[str, Any], width: int = 200) -> dict[str, Any]:
    """A statement as evidence: id, calls, mean/total time, rows, text cut to `width`."""
    return {"queryid": row.get("queryid"), "calls": row.get("calls"),
            "mean_ms": round(float(row.get("mean_ms") or 0), 2),
            "total_ms": round(float(row.get("total_ms") or 0), 1), "rows": row.get("rows"),
            "query": one_line(row.get("query"), width)}
