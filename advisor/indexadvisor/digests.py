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


# the per-execution sums a prepared statement's row carries, like a digest's
PREPARED_SUMS = ("rows_examined", "rows_sent", "rows_affected", "no_index_used", "no_good_index_used",
         "tmp_tables", "tmp_disk_tables", "sort_merge_passes")


def prepared_digest_rows(ps: dict | None, hist: dict | None) -> list[dict]:
    """Server-side prepared statements (facts mysql.prepared_statements, mysql.statement_history)
    as digest-shaped rows, for the statement checks and the index advisor. Their counters come
    from the instance (MySQL 8) or, where it keeps them at 0 (MariaDB), from the history's
    execute events of the owning thread, when that thread holds just this one statement (else
    which statement an event ran is unknown, and it is not attributed)."""
    if not ps or not ps["rows"]:
        return []
    hist = hist or {"rows": []}
    per_thread: dict[int, list[dict]] = {}
    for p in ps["rows"]:
        per_thread.setdefault(p["thread"], []).append(p)
    events: dict[int, list[dict]] = {}
    for e in hist["rows"]:
        events.setdefault(e["thread"], []).append(e)
    out = []
    for p in ps["rows"]:
        row = {k: p[k] for k in ("calls", "total_s", "max_s", "lock_s", *PREPARED_SUMS)}
        own = events.get(p["thread"], []) if len(per_thread[p["thread"]]) == 1 else []
        if not row["calls"] and own:
            row.update(calls=len(own), total_s=sum(e["time_s"] for e in own),
                       max_s=max(e["time_s"] for e in own), lock_s=sum(e["lock_s"] for e in own),
                       **{k: sum(e[k] for e in own) for k in PREPARED_SUMS})
        if not row["calls"]:
            continue
        out.append({**row, "schema": p["schema"], "digest": f"prepared:{p['thread']}:{p['statement_id']}",
                    "digest_text": p["sql_text"], "mean_s": row["total_s"] / row["calls"],
                    "first_seen": None, "last_seen": None, "source": "prepared statement"})
    return out
