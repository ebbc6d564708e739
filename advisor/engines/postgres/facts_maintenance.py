"""Maintenance facts: database XID age, checkpoint counters (version-gated)."""

from __future__ import annotations

from typing import Any

from advisor.facts import provides


@provides("postgres", "pg.databases")
def databases(s, facts) -> list[dict[str, Any]]:
    """Every database: XID / multixact age of its oldest unfrozen row, temp files written."""
    return s.query("""
        SELECT d.datname AS name, d.datallowconn AS allow_connections,
               age(d.datfrozenxid)::bigint AS xid_age,
               mxid_age(d.datminmxid)::bigint AS mxid_age,
               sd.temp_files, sd.temp_bytes, sd.deadlocks, sd.xact_commit, sd.xact_rollback
        FROM pg_database d
        LEFT JOIN pg_stat_database sd ON sd.datid = d.oid
        ORDER BY age(d.datfrozenxid) DESC
    """)


@provides("postgres", "pg.checkpoints")
def checkpoints(s, facts) -> dict[str, Any]:
    """Timed vs requested checkpoints since the stats reset.

    PostgreSQL 17 moved these counters from pg_stat_bgwriter to
    pg_stat_checkpointer (num_timed / num_requested)."""
    if s.version_num >= 170000:
        row = s.query("""
            SELECT num_timed AS timed, num_requested AS requested,
                   write_time AS write_ms, sync_time AS sync_ms,
                   buffers_written, stats_reset,
                   extract(epoch FROM now() - stats_reset)::float8 AS stats_age_s
            FROM pg_stat_checkpointer
        """)[0]
        row["view"] = "pg_stat_checkpointer"
    else:
        row = s.query("""
            SELECT checkpoints_timed AS timed, checkpoints_req AS requested,
                   checkpoint_write_time AS write_ms, checkpoint_sync_time AS sync_ms,
                   buffers_checkpoint AS buffers_written, stats_reset,
                   extract(epoch FROM now() - stats_reset)::float8 AS stats_age_s
            FROM pg_stat_bgwriter
        """)[0]
        row["view"] = "pg_stat_bgwriter"
    return row
