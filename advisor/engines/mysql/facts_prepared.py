"""Statements the digest table does not show: server-side prepared statements.

Executed over the binary protocol (JDBC useServerPrepStmts, Go's database/sql, sysbench),
MariaDB leaves no statement text in events_statements_summary_by_digest: the executions
are `statement/com/Execute` events without text. Their texts live in
performance_schema.prepared_statements_instances (while the owning connection keeps them
prepared); their costs in the statement history tables, when those consumers are on. Both
are read-only here: no consumer is ever switched on.

Observed on MariaDB 10.11: prepared_statements_instances keeps COUNT_EXECUTE and its sums
at 0, so the executions are counted from the history (events of the owning thread); MySQL
8 fills the instance's own counters.
"""

from __future__ import annotations

from typing import Any

from advisor.errors import FactUnavailable
from advisor.facts import provides
from advisor.indexadvisor.digests import PREPARED_SUMS as _SUMS
from advisor.window import Counters

from .facts_server import PS_GRANT, SYSTEM_SCHEMAS, _one_schema, require_performance_schema

PS = 1e12
EXECUTE_EVENTS = ("statement/com/Execute", "statement/sql/execute_sql", "statement/com/Bulk_execute")

HISTORY_ENABLE = (
    "UPDATE performance_schema.setup_consumers SET ENABLED = 'YES' WHERE NAME IN "
    "('events_statements_current', 'events_statements_history')  -- dynamic; persist with "
    "performance-schema-consumer-events-statements-current = ON and "
    "performance-schema-consumer-events-statements-history = ON under [mysqld]. Adds: the last "
    "performance_schema_events_statements_history_size (10) statements of every thread, so the "
    "executions of server-side prepared statements (which the digest table shows without text) "
    "are judged by the statement checks. Costs: a few percent of CPU on a busy server (each "
    "statement event is timed and copied) and history_size x max threads rows of memory, "
    "allocated once")


@provides("mysql", "mysql.prepared_statements", counters=[Counters(
    ("calls", "total_s", "lock_s") + _SUMS, key=("thread", "statement_id"), path=("rows",))])
def prepared_statements(s, facts) -> dict[str, Any]:
    """Server-side prepared statements of other connections (text, owner thread and its
    default schema, counters), bounded by options.statement_limit (default 500)."""
    require_performance_schema(facts, "prepared statements")
    limit = int(facts.options.get("statement_limit", 500))
    rows = s.query("""
        SELECT p.OWNER_THREAD_ID AS thread, p.STATEMENT_ID AS statement_id, p.STATEMENT_NAME AS name,
               p.SQL_TEXT AS sql_text, t.PROCESSLIST_DB AS `schema`, p.COUNT_EXECUTE AS calls,
               p.SUM_TIMER_EXECUTE AS total, p.MAX_TIMER_EXECUTE AS max_t, p.SUM_LOCK_TIME AS lock_t,
               p.SUM_ROWS_EXAMINED AS rows_examined, p.SUM_ROWS_SENT AS rows_sent,
               p.SUM_ROWS_AFFECTED AS rows_affected, p.SUM_NO_INDEX_USED AS no_index_used,
               p.SUM_NO_GOOD_INDEX_USED AS no_good_index_used, p.SUM_CREATED_TMP_TABLES AS tmp_tables,
               p.SUM_CREATED_TMP_DISK_TABLES AS tmp_disk_tables, p.SUM_SORT_MERGE_PASSES AS sort_merge_passes
        FROM performance_schema.prepared_statements_instances p
        LEFT JOIN performance_schema.threads t ON t.THREAD_ID = p.OWNER_THREAD_ID
        WHERE t.PROCESSLIST_ID IS NULL OR t.PROCESSLIST_ID <> CONNECTION_ID()
        LIMIT %s
    """, (limit + 1,), enable=PS_GRANT)
    out = []
    for r in rows[:limit]:
        if not _in_scope(s, facts, r["schema"], r["sql_text"] or ""):
            continue
        out.append({"thread": int(r["thread"]), "statement_id": int(r["statement_id"]), "name": r["name"],
                    "schema": r["schema"], "sql_text": r["sql_text"] or "", "calls": int(r["calls"]),
                    "total_s": int(r["total"]) / PS, "max_s": int(r["max_t"]) / PS, "lock_s": int(r["lock_t"]) / PS,
                    **{k: int(r[k]) for k in _SUMS}})
    return {"rows": out, "truncated": len(rows) > limit, "limit": limit}


def _in_scope(s, facts, schema: str | None, text: str) -> bool:
    if schema in SYSTEM_SCHEMAS:
        return False
    if not _one_schema(s, facts):
        return True
    if schema is not None:
        return schema == s.database
    from advisor.indexadvisor.digests import names_schema
    return names_schema(text, s.database)


@provides("mysql", "mysql.statement_history", counters=[Counters((), path=("rows",), after="timer_start")])
def statement_history(s, facts) -> dict[str, Any]:
    """Executions of prepared statements in events_statements_history / _long (the digest
    table has them without their text), when those consumers are on; never turned on here."""
    require_performance_schema(facts, "the statement history")
    consumers = facts.get("mysql.performance_schema")["consumers"]
    tables = [c for c in ("events_statements_history", "events_statements_history_long") if consumers.get(c)]
    if not tables or not consumers.get("events_statements_current"):
        off = "events_statements_current" if tables else "events_statements_history"
        raise FactUnavailable(f"performance_schema consumer {off} is off (the history tables also need "
                              "events_statements_current): executions of server-side prepared statements "
                              "are not judged", HISTORY_ENABLE)
    events: dict[tuple[int, int], dict[str, Any]] = {}
    for table in tables:
        for r in s.query(f"""
            SELECT h.THREAD_ID AS thread, h.EVENT_ID AS event_id, h.EVENT_NAME AS event, h.CURRENT_SCHEMA AS `schema`,
                   h.TIMER_START AS timer_start, h.TIMER_WAIT AS timer_wait, h.LOCK_TIME AS lock_t,
                   h.ROWS_EXAMINED AS rows_examined, h.ROWS_SENT AS rows_sent, h.ROWS_AFFECTED AS rows_affected,
                   h.NO_INDEX_USED AS no_index_used, h.NO_GOOD_INDEX_USED AS no_good_index_used,
                   h.CREATED_TMP_TABLES AS tmp_tables, h.CREATED_TMP_DISK_TABLES AS tmp_disk_tables,
                   h.SORT_MERGE_PASSES AS sort_merge_passes
            FROM performance_schema.{table} h
            LEFT JOIN performance_schema.threads t ON t.THREAD_ID = h.THREAD_ID
            WHERE h.EVENT_NAME IN ({', '.join(['%s'] * len(EXECUTE_EVENTS))})
              AND (t.PROCESSLIST_ID IS NULL OR t.PROCESSLIST_ID <> CONNECTION_ID())
        """, EXECUTE_EVENTS, enable=PS_GRANT):
            events[(int(r["thread"]), int(r["event_id"]))] = {
                "thread": int(r["thread"]), "event_id": int(r["event_id"]), "event": r["event"],
                "schema": r["schema"], "timer_start": int(r["timer_start"] or 0),
                "time_s": int(r["timer_wait"] or 0) / PS, "lock_s": int(r["lock_t"] or 0) / PS,
                **{k: int(r[k] or 0) for k in _SUMS}}
    return {"rows": sorted(events.values(), key=lambda e: e["timer_start"]), "tables": tables}
