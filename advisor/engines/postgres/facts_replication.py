"""Replication: lag on a replica or of each standby seen by a primary; replication slots."""

from __future__ import annotations

from typing import Any

from advisor.facts import provides


@provides("postgres", "pg.replication")
def replication(s, facts) -> dict[str, Any]:
    """On a replica: replay lag (0 when everything received has been replayed; None when no
    WAL is streamed: `no_stream`, archive recovery or a WAL receiver that never connected).
    On a primary: each standby's write/flush/replay lag and its byte distance.

    Without pg_read_all_stats (pg_monitor) pg_stat_replication shows the rows but
    NULL lag columns; they are counted as `hidden`."""
    if facts.get("pg.server")["in_recovery"]:
        row = s.query("""
            SELECT pg_last_xact_replay_timestamp() AS last_replay_at,
                   extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS last_replay_age_s,
                   CASE WHEN pg_last_wal_receive_lsn() IS NULL THEN NULL
                        WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                        ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())
                   END::float8 AS replay_lag_s,
                   pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::bigint
                       AS replay_lag_bytes,
                   pg_last_wal_receive_lsn() IS NULL AS no_stream
        """)[0]
        return {"role": "replica", **row, "standbys": []}
    standbys = s.query("""
        SELECT application_name AS name, client_addr::text AS client, state, sync_state,
               extract(epoch FROM write_lag)::float8 AS write_lag_s,
               extract(epoch FROM flush_lag)::float8 AS flush_lag_s,
               extract(epoch FROM replay_lag)::float8 AS replay_lag_s,
               pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint AS replay_lag_bytes
        FROM pg_stat_replication
        ORDER BY replay_lag DESC NULLS LAST
        LIMIT 100
    """)
    return {"role": "primary", "standbys": standbys,
            "hidden": sum(1 for r in standbys if r["state"] is None)}


@provides("postgres", "pg.replication_slots")
def replication_slots(s, facts) -> list[dict[str, Any]]:
    """Replication slots with the WAL each one holds back (bytes since restart_lsn).

    wal_status / safe_wal_size exist from PostgreSQL 13."""
    current = ("pg_last_wal_receive_lsn()" if facts.get("pg.server")["in_recovery"]
               else "pg_current_wal_lsn()")
    status = ("wal_status, safe_wal_size" if s.version_num >= 130000
              else "NULL::text AS wal_status, NULL::bigint AS safe_wal_size")
    return s.query(f"""
        SELECT slot_name AS name, slot_type AS type, plugin, database, active, temporary,
               {status},
               pg_wal_lsn_diff({current}, restart_lsn)::bigint AS retained_bytes,
               age(xmin)::bigint AS xmin_age, age(catalog_xmin)::bigint AS catalog_xmin_age
        FROM pg_replication_slots
        ORDER BY pg_wal_lsn_diff({current}, restart_lsn) DESC NULLS LAST
        LIMIT 1000
    """)
