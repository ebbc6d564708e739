"""What holds the xmin horizon back: sessions' snapshots, prepared transactions, standbys'
hot_standby_feedback (replication slots' xmin come with pg.replication_slots)."""

from __future__ import annotations

from typing import Any

from advisor.facts import provides

from .facts_locks import shown_query

TOP = 10  # holders listed per kind, the oldest first


@provides("postgres", "pg.xmin_holders")
def xmin_holders(s, facts) -> dict[str, Any]:
    """The oldest snapshot holders of the whole server, by kind, with age(xmin) in XIDs
    (transactions started since) and how long they have held it.

    Sessions: pg_stat_activity.backend_xmin (or backend_xid when it has no snapshot), which
    every role can read; without pg_read_all_stats the state and query of other roles'
    sessions read NULL.
    Prepared transactions: pg_prepared_xacts (readable by every role). Standbys with
    hot_standby_feedback: pg_stat_replication.backend_xmin (a primary only)."""
    text_len = int(facts.options.get("query_text_chars", 200))
    sessions = s.query("""
        SELECT a.pid, a.datname AS database, a.usename AS "user", a.application_name AS application,
               a.client_addr::text AS client, a.state, a.backend_type, a.backend_start,
               greatest(age(a.backend_xmin), age(a.backend_xid))::bigint AS xmin_age,
               extract(epoch FROM now() - a.xact_start)::float8 AS xact_s,
               extract(epoch FROM now() - a.state_change)::float8 AS state_s,
               left(a.query, %s) AS query
        FROM pg_stat_activity a
        WHERE (a.backend_xmin IS NOT NULL OR a.backend_xid IS NOT NULL) AND a.pid <> pg_backend_pid()
          AND a.backend_type IS DISTINCT FROM 'walsender'
        ORDER BY greatest(age(a.backend_xmin), age(a.backend_xid)) DESC
        LIMIT %s
    """, (text_len, TOP))
    for r in sessions:
        r["query"] = shown_query(r["query"])
    prepared = s.query("""
        SELECT gid, owner, database, prepared, age(transaction)::bigint AS xmin_age,
               extract(epoch FROM now() - prepared)::float8 AS age_s
        FROM pg_prepared_xacts ORDER BY age(transaction) DESC LIMIT %s
    """, (TOP,))
    standbys = []
    if not facts.get("pg.server")["in_recovery"]:
        standbys = s.query("""
            SELECT pid, application_name AS name, client_addr::text AS client, state,
                   age(backend_xmin)::bigint AS xmin_age
            FROM pg_stat_replication WHERE backend_xmin IS NOT NULL
            ORDER BY age(backend_xmin) DESC LIMIT %s
        """, (TOP,))
    return {"sessions": sessions, "prepared": prepared,
            "standbys": standbys}
