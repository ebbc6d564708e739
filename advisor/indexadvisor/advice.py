"""What to do about a predicate a plain btree index cannot serve (shared by the engines)."""

from __future__ import annotations

import re
from typing import Any

from .ddl import index_name, mysql_ident, pg_create_index

SUMMARY = {
    "or_across_columns": "OR across different columns: no single btree index serves it",
    "function_on_column": "function or cast on a column: an index on the bare column is not used",
    "leading_wildcard": "LIKE with a leading wildcard: a btree index cannot be used",
    "like_parameter": "LIKE with a parameter pattern: a btree helps only a constant prefix",
    "ilike": "ILIKE (case-insensitive match): a btree index on the column is not used",
}


def recommendation(issue: dict[str, Any], engine: str) -> tuple[str, str | None]:
    """(recommendation, exact fix or None) for one issue dict (see workload.issues_to_dicts)."""
    kind, table, expr = issue["kind"], issue.get("table"), issue.get("index_expression")
    cols = issue.get("columns") or []
    col = cols[0] if len(cols) == 1 else None
    if kind == "or_across_columns":
        return ("Rewrite the OR as UNION (ALL) of one query per column, each served by its own index; "
                "on PostgreSQL separate single-column indexes can also be combined by a BitmapOr, "
                "on MySQL by index_merge.", None)
    if kind == "function_on_column":
        if expr and re.search(r"\$\d+|\?", expr):
            # (id % $1): the value changes with every execution, so no index can hold it
            return ("The expression depends on a query parameter, so no index can precompute it: "
                    "rewrite the predicate to compare the bare column with a computed constant.", None)
        if engine == "postgres" and table and expr:
            return ("Compare the bare column (move the function to the constant side), or index the "
                    "expression itself.", pg_create_index(table, [], expression=expr, partitions=_parts(issue)))
        if engine == "mysql" and table and expr:
            schema, name = table.split(".", 1)
            return ("Compare the bare column, or index the expression (MySQL 8.0.13+ functional key "
                    "part; MariaDB: an indexed virtual column).",
                    f"ALTER TABLE {mysql_ident(schema)}.{mysql_ident(name)} ADD INDEX "
                    f"{mysql_ident(index_name(table, re.findall(r'[A-Za-z_][A-Za-z0-9_]*', expr)[:4], 64))} "
                    f"(({expr}));")
        return ("Compare the bare column (move the function or cast to the constant side).", None)
    if kind in ("leading_wildcard", "like_parameter", "ilike"):
        if engine == "postgres" and table and col:
            fix = ("CREATE EXTENSION IF NOT EXISTS pg_trgm;\n"
                   + pg_create_index(table, [col], opclass=["gin_trgm_ops"], using="gin", partitions=_parts(issue)))
            extra = ("If the pattern is always a constant prefix ('abc%'), a btree with text_pattern_ops "
                     "serves it instead. " if kind == "like_parameter" else "")
            return (extra + "A trigram GIN index (pg_trgm) serves LIKE/ILIKE '%x%' patterns.", fix)
        if engine == "mysql" and table and col:
            return ("A btree index serves only constant-prefix patterns ('abc%'); for substring search "
                    "use a FULLTEXT index with MATCH ... AGAINST.", None)
        return ("Only a constant-prefix pattern can use a btree index; for substring search use a "
                "trigram (PostgreSQL pg_trgm) or full-text index.", None)
    return ("Rewrite the predicate so that a bare column is compared with a constant.", None)


def _parts(issue: dict[str, Any]) -> list[tuple[str, str, bool]] | None:
    """The partitions of the issue's table when it is partitioned (PostgreSQL), else None."""
    parts = issue.get("partitions")
    return None if parts is None else [tuple(p) for p in parts]


def query_time(data: dict[str, Any]) -> float:
    """Time of the statements the advisor can judge (those it parsed), in ms."""
    failed = set(data.get("failed_statements") or [])
    return sum(s.get("total_ms") or 0 for s in data["statements"] if s["queryid"] not in failed)


def share_ok(stmt: dict[str, Any], total_ms: float, min_share: float) -> bool:
    """Is the statement at least `min_share` of the judged time (always, when nothing was timed)?"""
    return total_ms <= 0 or (stmt.get("total_ms") or 0) / total_ms >= min_share


def costly_issues(data: dict[str, Any], min_share: float) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(statements by id, unindexable issues of statements above min_share, costliest first)."""
    stmts = {s["queryid"]: s for s in data["statements"]}
    total = query_time(data)
    issues = [i for i in data["issues"] if i["statement"] in stmts
              and share_ok(stmts[i["statement"]], total, min_share)]
    issues.sort(key=lambda i: -(stmts[i["statement"]].get("total_ms") or 0))
    return stmts, issues
