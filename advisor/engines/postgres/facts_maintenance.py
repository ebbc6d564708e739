"""Maintenance facts: database XID age, checkpoint counters (version-gated)."""

from __future__ import annotations

from typing import Any

from advisor.facts import provides
from advisor.window import Counters


@provides("postgres", "pg.databases", counters=[
    Counters(("temp_files", "temp_bytes", "deadlocks", "xact_commit", "xact_rollback"), key=("name",))])
def databases(s, facts) -> list[dict[str, Any]]:
    """Every database (oldest first, bounded by options.database_limit, default 5000): XID /
    multixact age of its oldest unfrozen row, temp files written."""
    return s.query("""
        SELECT d.datname AS name, d.datallowconn AS allow_connections,
               age(d.datfrozenxid)::bigint AS xid_age,
               mxid_age(d.datminmxid)::bigint AS mxid_age,
               sd.temp_files, sd.temp_bytes, sd.deadlocks, sd.xact_commit, sd.xact_rollback
        FROM pg_database d
        LEFT JOIN pg_stat_database sd ON sd.datid = d.oid
        ORDER BY age(d.datfrozenxid) DESC
        LIMIT %s
    """, (int(facts.options.get("database_limit", 5000)),))


@provides("postgres", "pg.checkpoints", counters=[
    Counters(("timed", "requested", "write_ms", "sync_ms", "buffers_written"))])
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


@provides("postgres", "pg.btree_sizes")
def btree_sizes(s, facts) -> dict[str, Any]:
    """Per btree index: its real size (relpages) and what pg_stats says its entries
    weigh (the data width of the key columns, whether any can be NULL), for a
    packed-size estimate. Expression keys and tables whose pg_stats the user
    cannot read (no SELECT on them) have no widths: counted as `unestimated`.
    Bounded by options.index_limit (default 20000), biggest first."""
    limit = int(facts.options.get("index_limit", 20000))
    min_pages = int(facts.options.get("bloat_min_index_pages", 10))  # tiny indexes cannot bloat much
    rows = s.query("""
        WITH idx AS (
            SELECT i.indexrelid, i.indrelid, i.indnatts, i.indkey, ic.relpages, ic.reltuples,
                   ic.reloptions, ic.relname AS index, n.nspname AS schema, tc.relname AS "table"
            FROM pg_index i
            JOIN pg_class ic ON ic.oid = i.indexrelid
            JOIN pg_am am ON am.oid = ic.relam AND am.amname = 'btree'
            JOIN pg_class tc ON tc.oid = i.indrelid
            JOIN pg_namespace n ON n.oid = tc.relnamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg_toast%%' AND ic.relpages >= %s
            ORDER BY ic.relpages DESC
            LIMIT %s
        )
        SELECT idx.schema, idx."table", idx.index, idx.relpages::bigint AS relpages,
               idx.reltuples::float8 AS reltuples,
               coalesce((SELECT substring(o FROM '=(.*)')::int FROM unnest(idx.reloptions) o
                         WHERE o LIKE 'fillfactor=%%'), 90) AS fillfactor,
               count(k.attnum) FILTER (WHERE k.attnum = 0) AS expression_keys,
               count(st.avg_width) AS widths_known, idx.indnatts AS columns,
               sum(st.avg_width)::int AS data_width,
               bool_or(st.null_frac > 0) AS nullable
        FROM idx
        CROSS JOIN LATERAL unnest(idx.indkey::int2[]) WITH ORDINALITY AS k(attnum, pos)
        LEFT JOIN pg_attribute a ON a.attrelid = idx.indrelid AND a.attnum = k.attnum
        LEFT JOIN pg_stats st ON st.schemaname = idx.schema AND st.tablename = idx."table"
                             AND st.attname = a.attname
        GROUP BY idx.schema, idx."table", idx.index, idx.relpages, idx.reltuples, idx.reloptions,
                 idx.indnatts
    """, (min_pages, limit))
    block = int(facts.get("pg.settings")["block_size"]["value"])
    return {"block_size": block, "rows": rows, "limit": limit}
