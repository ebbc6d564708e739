"""Statement digests from performance_schema.events_statements_summary_by_digest.

The guide's SQL selects `sql_text` from this table: it has no such column
(the normalized statement is DIGEST_TEXT; MySQL 8 adds QUERY_SAMPLE_TEXT).
Timers are picoseconds; they are converted to seconds here.
"""

from __future__ import annotations

from typing import Any

from advisor.facts import provides
from advisor.window import Counters

from .facts_server import (
    PS_GRANT,
    in_scope,
    is_monitoring,
    require_performance_schema,
    schema_scope,
    schemaless_owner,
    schemaless_scope,
)

PS = 1e12  # picoseconds per second


def _window_mean(row: dict) -> dict:
    """A digest's mean over the window: its time increase over its calls increase."""
    return {**row, "mean_s": row["total_s"] / row["calls"] if row.get("calls") else 0.0}


# a digest absent at the window's start ran first during it, unless the read was cut at its
# limit ("truncated") and the server saw it first before the read ("now"); a digest whose
# calls did not move did not run in the window
DIGEST_COUNTERS = Counters(("calls", "total_s", "lock_s", "rows_examined", "rows_sent", "rows_affected",
                            "no_index_used", "no_good_index_used", "tmp_tables", "tmp_disk_tables",
                            "sort_merge_passes"), key=("schema", "digest"), path=("rows",),
                           derive=_window_mean, active="calls", born="first_seen")


@provides("mysql", "mysql.digests", counters=[DIGEST_COUNTERS])
def digests(s, facts) -> dict[str, Any]:
    """Top statement digests by total latency, bounded by options.statement_limit (default 500)."""
    require_performance_schema(facts, "statement digests")
    limit = int(facts.options.get("statement_limit", 500))
    # the scope in SQL (plus statements sent without a default schema, judged by the tables they
    # name): the server-wide top N would leave a quiet schema's statements out
    nameless, nameless_args = schemaless_scope(s, facts)
    rows = s.query(f"""
        SELECT SCHEMA_NAME AS `schema`, DIGEST AS digest, DIGEST_TEXT AS digest_text,
               COUNT_STAR AS calls, SUM_TIMER_WAIT AS total, AVG_TIMER_WAIT AS mean,
               MAX_TIMER_WAIT AS max, SUM_LOCK_TIME AS lock_t, SUM_ROWS_EXAMINED AS rows_examined,
               SUM_ROWS_SENT AS rows_sent, SUM_ROWS_AFFECTED AS rows_affected,
               SUM_NO_INDEX_USED AS no_index_used, SUM_NO_GOOD_INDEX_USED AS no_good_index_used,
               SUM_CREATED_TMP_TABLES AS tmp_tables, SUM_CREATED_TMP_DISK_TABLES AS tmp_disk_tables,
               SUM_SORT_MERGE_PASSES AS sort_merge_passes, FIRST_SEEN AS first_seen,
               LAST_SEEN AS last_seen, NOW() AS now
        FROM performance_schema.events_statements_summary_by_digest
        WHERE DIGEST IS NOT NULL
          AND ((SCHEMA_NAME IS NULL AND {nameless}) OR SCHEMA_NAME {schema_scope(s, facts)})
        ORDER BY SUM_TIMER_WAIT DESC
        LIMIT %s
    """, (*nameless_args, limit + 1), enable=PS_GRANT)
    out = []
    belongs = schemaless_owner(s, facts, [r["digest_text"] or "" for r in rows[:limit] if r["schema"] is None])
    for r in rows[:limit]:
        if r["schema"] is not None and not in_scope(s, facts, r["schema"]) \
                or is_monitoring(r["digest_text"] or "") \
                or r["schema"] is None and not belongs(r["digest_text"] or ""):
            continue
        out.append({
            "schema": r["schema"], "digest": r["digest"], "digest_text": r["digest_text"] or "",
            "calls": int(r["calls"]), "total_s": int(r["total"]) / PS, "mean_s": int(r["mean"]) / PS,
            "max_s": int(r["max"]) / PS, "lock_s": int(r["lock_t"]) / PS,
            **{k: int(r[k]) for k in ("rows_examined", "rows_sent", "rows_affected", "no_index_used",
                                      "no_good_index_used", "tmp_tables", "tmp_disk_tables",
                                      "sort_merge_passes")},
            "first_seen": r["first_seen"], "last_seen": r["last_seen"],
        })
    return {"rows": out, "truncated": len(rows) > limit, "limit": limit,
            "now": rows[0].get("now") if rows else None}   # the server's clock, as FIRST_SEEN is
