"""Per-table statistics of the current database (pg_stat_user_tables + pg_class)."""

from __future__ import annotations

from typing import Any

from advisor.facts import provides


@provides("postgres", "pg.tables")
def tables(s, facts) -> dict[str, Any]:
    """User tables, biggest first, bounded by options.table_limit (default 20000).

    Each row: schema, name, qualified (quoted schema.name), relid, size bytes (heap exact;
    total = heap + TOAST and indexes from relpages, as of their last VACUUM/ANALYZE/CREATE
    INDEX: pg_total_relation_size would open every index, seconds on big catalogs), row estimate,
    scan counters, dead/live tuples, last (auto)vacuum/analyze, per-table
    reloptions, relfrozenxid age, whether it has a primary key, partitioning, and
    whether it belongs to an extension (`extension_member`: its schema is not the user's to change).
    """
    limit = int(facts.options.get("table_limit", 20000))
    rows = s.query("""
        SELECT n.nspname AS schema, c.relname AS name, c.oid::bigint AS relid, c.relkind::text AS kind,
               format('%%I.%%I', n.nspname, c.relname) AS qualified,
               c.relispartition AS is_partition,
               pg_relation_size(c.oid) AS heap_bytes,
               pg_relation_size(c.oid) + current_setting('block_size')::bigint * (
                   coalesce(t.relpages, 0) + (SELECT coalesce(sum(ic.relpages), 0) FROM pg_index x
                                              JOIN pg_class ic ON ic.oid = x.indexrelid
                                              WHERE x.indrelid = c.oid))::bigint AS total_bytes,
               c.reltuples::float8 AS reltuples, c.relpages::bigint AS relpages,
               st.seq_scan, st.seq_tup_read, st.idx_scan, st.idx_tup_fetch,
               st.n_tup_ins, st.n_tup_upd, st.n_tup_del, st.n_tup_hot_upd,
               st.n_live_tup, st.n_dead_tup, st.n_mod_since_analyze,
               st.last_vacuum, st.last_autovacuum, st.last_analyze, st.last_autoanalyze,
               st.vacuum_count, st.autovacuum_count, st.analyze_count, st.autoanalyze_count,
               age(c.relfrozenxid)::bigint AS xid_age,
               coalesce(age(t.relfrozenxid), 0)::bigint AS toast_xid_age,
               c.reloptions,
               EXISTS (SELECT 1 FROM pg_constraint p WHERE p.conrelid = c.oid AND p.contype = 'p')
                   AS has_pk,
               EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique)
                   AS has_unique,
               EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass
                       AND e.objid = c.oid AND e.deptype = 'e') AS extension_member
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_stat_user_tables st ON st.relid = c.oid
        LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
        WHERE c.relkind IN ('r', 'p', 'm')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg_toast%%' AND n.nspname NOT LIKE 'pg_temp%%'
        ORDER BY total_bytes DESC, c.oid
        LIMIT %s
    """, (limit + 1,))
    truncated = len(rows) > limit
    return {"rows": rows[:limit], "truncated": truncated, "limit": limit}
