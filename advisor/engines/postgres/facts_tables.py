"""Per-table statistics of the current database (pg_stat_user_tables + pg_class)."""

from __future__ import annotations

from typing import Any

from advisor.facts import provides


def ever_held_rows(c: str) -> str:
    """SQL: true when the catalog or the statistics show that table `c` ever held a row.
    A false one has relpages and reltuples 0 and no row counted live, dead, inserted,
    updated, deleted or modified: its files are not opened to measure it (a blind spot:
    a table bulk-loaded since its last ANALYZE whose statistics were reset since)."""
    return f"""({c}.relpages > 0 OR {c}.reltuples > 0 OR pg_stat_get_live_tuples({c}.oid) > 0
                OR pg_stat_get_dead_tuples({c}.oid) > 0 OR pg_stat_get_tuples_inserted({c}.oid) > 0
                OR pg_stat_get_tuples_updated({c}.oid) > 0 OR pg_stat_get_tuples_deleted({c}.oid) > 0
                OR pg_stat_get_mod_since_analyze({c}.oid) > 0)"""


# pg_relation_size holds a lock on each relation it measures until its statement ends;
# the shared lock table is sized for max_locks_per_transaction * max_connections (~6,400
# by default) for every session: thousands at once eat the room others' locks need.
SIZE_BATCH = 1000


def relation_sizes(s, oids: list[int]) -> dict[int, int | None]:
    """{oid: pg_relation_size} of these relations (None: dropped since), SIZE_BATCH a statement."""
    out: dict[int, int | None] = {}
    for i in range(0, len(oids), SIZE_BATCH):
        for r in s.query("SELECT r::bigint AS oid, pg_relation_size(r) AS bytes FROM unnest(%s::oid[]) r",
                         (oids[i:i + SIZE_BATCH],)):
            out[r["oid"]] = r["bytes"]
    return out


@provides("postgres", "pg.tables")
def tables(s, facts) -> dict[str, Any]:
    """User tables, biggest first, bounded by options.table_limit (default 20000).

    Each row: schema, name, qualified (quoted schema.name), relid, size bytes, row estimate,
    scan counters, dead/live tuples, last (auto)vacuum/analyze, per-table
    reloptions, relfrozenxid age, whether it has a primary key, partitioning, and
    whether it belongs to an extension (`extension_member`: its schema is not the user's to change).

    Sizes: heap_bytes is exact (pg_relation_size, see relation_sizes) for every table that
    the catalog or the statistics show as ever holding a row (`heap_bytes_exact`, see
    ever_held_rows); the others carry relpages * block_size = 0 without opening their
    files: pg_relation_size locks and builds a relcache entry per table (150 ms on 5,000
    tables). total_bytes = heap_bytes + TOAST and indexes from relpages, as of their last
    VACUUM/ANALYZE/CREATE INDEX (pg_total_relation_size would open every index). The
    `limit` biggest are chosen by relpages.
    """
    limit = int(facts.options.get("table_limit", 20000))
    rows = s.query("""
        WITH tab AS (
            SELECT c.*, n.nspname, current_setting('block_size')::bigint AS block,
                   """ + ever_held_rows("c") + """ AS used
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'm')
              AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg_toast%%' AND n.nspname NOT LIKE 'pg_temp%%'
        ), index_pages AS (
            SELECT x.indrelid, sum(ic.relpages)::bigint AS pages
            FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid
            WHERE x.indrelid IN (SELECT oid FROM tab)
            GROUP BY x.indrelid
        )
        SELECT c.nspname AS schema, c.relname AS name, c.oid::bigint AS relid, c.relkind::text AS kind,
               format('%%I.%%I', c.nspname, c.relname) AS qualified,
               c.relispartition AS is_partition,
               c.relpages::bigint * c.block AS heap_bytes, c.used AS heap_bytes_exact,
               c.block * (coalesce(t.relpages, 0) + coalesce(ip.pages, 0)) AS other_bytes,
               c.reltuples::float8 AS reltuples, c.relpages::bigint AS relpages,
               st.seq_scan, st.seq_tup_read, st.idx_scan, st.idx_tup_fetch,
               st.n_tup_ins, st.n_tup_upd, st.n_tup_del, st.n_tup_hot_upd,
               st.n_live_tup, st.n_dead_tup, st.n_mod_since_analyze,
               st.last_vacuum, st.last_autovacuum, st.last_analyze, st.last_autoanalyze,
               st.vacuum_count, st.autovacuum_count, st.analyze_count, st.autoanalyze_count,
               age(c.relfrozenxid)::bigint AS xid_age,
               coalesce(age(t.relfrozenxid), 0)::bigint AS toast_xid_age,
               c.reloptions,
               c.oid IN (SELECT p.conrelid FROM pg_constraint p WHERE p.contype = 'p') AS has_pk,
               c.oid IN (SELECT i.indrelid FROM pg_index i WHERE i.indisunique) AS has_unique,
               c.oid IN (SELECT e.objid FROM pg_depend e WHERE e.classid = 'pg_class'::regclass
                         AND e.deptype = 'e') AS extension_member
        FROM tab c
        LEFT JOIN pg_stat_user_tables st ON st.relid = c.oid
        LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
        LEFT JOIN index_pages ip ON ip.indrelid = c.oid
        ORDER BY c.relpages::bigint * c.block + c.block * (coalesce(t.relpages, 0) + coalesce(ip.pages, 0)) DESC,
                 c.oid
        LIMIT %s
    """, (limit + 1,))
    truncated = len(rows) > limit
    rows = rows[:limit]
    sizes = relation_sizes(s, [r["relid"] for r in rows if r["heap_bytes_exact"]])
    for r in rows:
        if sizes.get(r["relid"]) is not None:
            r["heap_bytes"] = sizes[r["relid"]]
        else:
            r["heap_bytes_exact"] = False
        r["total_bytes"] = r["heap_bytes"] + r.pop("other_bytes")
    rows.sort(key=lambda r: (-r["total_bytes"], r["relid"]))
    return {"rows": rows, "truncated": truncated, "limit": limit}
