"""MySQL/MariaDB statement digests (DIGEST_TEXT) made parsable SQL: `?` stands for each
literal already; a folded list `(?, ...)` / `(...)` becomes `(?)`. Shared by the index
advisor's facts and mysql.index.missing."""

from __future__ import annotations

import re

_FOLDED = re.compile(r"\(\s*(\?\s*,\s*)*\.\.\.\s*\)")


def digest_sql(text: str, max_len: int | None = None) -> str | None:
    """Digest text made parsable ((...) folded lists -> (?)); None when it was truncated
    (it ends in `...` or reached max_len, performance_schema_max_digest_length)."""
    t = text.rstrip()
    if t.endswith("...") and not t.endswith("(...)") or max_len is not None and len(text.encode()) >= max_len:
        return None
    return _FOLDED.sub("(?)", t)


_TABLE_REF = re.compile(r"\b(?:FROM|JOIN|UPDATE|INTO|TABLE)\s+(`[^`]+`|\w+)(?:\s*\.\s*(`[^`]+`|\w+))?"
                        r"|,\s*(`[^`]+`|\w+)\s*\.\s*(`[^`]+`|\w+)", re.I)


def tables_named(text: str) -> set[tuple[str | None, str]]:
    """The (schema, table) pairs a digest's text names, schema None when unqualified: parsed
    with sqlglot when the text parses, else read off FROM/JOIN/UPDATE/INTO by pattern (a
    truncated digest still names its first tables)."""
    sql = digest_sql(text)
    if sql is not None:
        try:
            import sqlglot
            from sqlglot import exp
            tree = sqlglot.parse_one(sql, read="mysql")
            ctes = {c.alias for c in tree.find_all(exp.CTE)}
            return {(t.db or None, t.name) for t in tree.find_all(exp.Table)
                    if t.name and not (not t.db and t.name in ctes)}
        except Exception:   # noqa: BLE001 - any parse failure falls back to the pattern
            pass
    out: set[tuple[str | None, str]] = set()
    for a, b, c, d in _TABLE_REF.findall(text):
        first, second = (a, b) if a else (c, d)
        unq = [x.strip("`") for x in (first, second) if x]
        out.add((unq[0], unq[1]) if len(unq) == 2 else (None, unq[0]))
    return out


def names_schema(text: str, schema: str, tables_of_schema: set[str] | None = None,
                 other_tables: set[str] | None = None) -> bool:
    """Does a digest sent without a default schema (SCHEMA_NAME NULL) belong to `schema`?
    Yes when it names one of its tables: `schema.t`, or an unqualified `t` that exists in
    `schema` and in no other schema in view."""
    for db, table in tables_named(text):
        if db is not None and db.lower() == schema.lower():
            return True
        if db is None and tables_of_schema is not None and table in tables_of_schema \
                and table not in (other_tables or set()):
            return True
    return False
