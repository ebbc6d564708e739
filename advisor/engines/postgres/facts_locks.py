"""Locks: who waits on whom (pg_locks + pg_blocking_pids), the lock table's fill, deadlocks."""

from __future__ import annotations

from typing import Any

from advisor.facts import provides
from advisor.window import Counters

from .facts_activity import redact

# pg_locks.waitstart exists from PostgreSQL 14; before, a lock wait started at the latest
# when the waiting statement did.
_WAITSTART = {True: "coalesce(l.waitstart, a.query_start)", False: "a.query_start"}


def shown_query(query: str | None) -> str | None:
    """Query text fit for a report: passwords masked; None where PostgreSQL hides it from
    this user (it reads '<insufficient privilege>' then)."""
    return None if query == "<insufficient privilege>" else redact(query)


@provides("postgres", "pg.locks")
def locks(s, facts) -> dict[str, Any]:
    """Sessions waiting for a heavyweight lock and every session they wait on.

    Waiters come from pg_locks (granted = false), readable by every role; their blockers
    from pg_blocking_pids(). pid 0 among the blockers is a prepared transaction. Session
    details (state, query, transaction age) come from pg_stat_activity: without
    pg_read_all_stats they read NULL for other roles' sessions (`hidden`). Bounded by
    options.lock_waiter_limit (default 1000) waiters."""
    text_len = int(facts.options.get("query_text_chars", 200))
    limit = int(facts.options.get("lock_waiter_limit", 1000))
    rows = s.query(f"""
        WITH waiting AS (
            SELECT DISTINCT ON (l.pid) l.pid, l.locktype, l.mode,
                   CASE WHEN l.relation IS NOT NULL AND l.database = (SELECT oid FROM pg_database
                             WHERE datname = current_database())
                        THEN l.relation::regclass::text
                        WHEN l.relation IS NOT NULL THEN 'oid ' || l.relation END AS relation,
                   extract(epoch FROM now() - {_WAITSTART[s.version_num >= 140000]})::float8 AS wait_s,
                   pg_blocking_pids(l.pid) AS blocked_by
            FROM pg_locks l
            LEFT JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE NOT l.granted AND l.pid <> pg_backend_pid()
            ORDER BY l.pid
            LIMIT %s
        ), involved AS (
            SELECT pid FROM waiting UNION SELECT unnest(blocked_by) FROM waiting
        )
        SELECT i.pid, w.locktype, w.mode, w.relation, w.wait_s, w.blocked_by,
               a.datname AS database, a.usename AS "user", a.application_name AS application,
               a.client_addr::text AS client, a.state, a.backend_start,
               extract(epoch FROM now() - a.xact_start)::float8 AS xact_s,
               extract(epoch FROM now() - a.state_change)::float8 AS state_s,
               left(a.query, %s) AS query
        FROM involved i
        LEFT JOIN waiting w ON w.pid = i.pid
        LEFT JOIN pg_stat_activity a ON a.pid = i.pid
    """, (limit + 1, text_len))
    for r in rows:
        r["query"] = shown_query(r["query"])
    return {"sessions": rows, "waiting": sum(1 for r in rows if r["blocked_by"] is not None),
            "limit": limit}


@provides("postgres", "pg.lock_table")
def lock_table(s, facts) -> dict[str, Any]:
    """Locks held now vs the shared lock table's size. Fast-path locks (weak relation locks
    of a backend's first 16 relations) live in the backend, not in the shared table."""
    return s.query("""
        SELECT count(*) FILTER (WHERE NOT fastpath)::int AS shared_locks,
               count(*)::int AS locks,
               current_setting('max_locks_per_transaction')::int AS max_locks_per_transaction,
               current_setting('max_connections')::int AS max_connections,
               current_setting('max_prepared_transactions')::int AS max_prepared_transactions
        FROM pg_locks
    """)[0]


@provides("postgres", "pg.deadlocks", counters=[Counters(("deadlocks",))])
def deadlocks(s, facts) -> dict[str, Any]:
    """Deadlocks detected in this database since its statistics were reset (or the server
    started), and over how long."""
    return s.query("""
        SELECT current_database() AS database, sd.deadlocks::bigint AS deadlocks,
               sd.stats_reset,
               extract(epoch FROM now() - coalesce(sd.stats_reset, pg_postmaster_start_time()))::float8
                   AS window_s,
               current_setting('deadlock_timeout') AS deadlock_timeout,
               current_setting('log_lock_waits') AS log_lock_waits
        FROM pg_stat_database sd WHERE sd.datname = current_database()
    """)[0]
