"""Indexes, index builds in progress, and foreign keys of the current database.

Names come back already quoted by the server (quote_ident / format('%I')), so
checks can paste them into DDL without quoting rules of their own.
"""

from __future__ import annotations

from typing import Any

from advisor.facts import provides

from .facts_tables import ever_held_rows, relation_sizes

_USER_SCHEMAS = """n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg_toast%%' AND n.nspname NOT LIKE 'pg_temp%%'"""


@provides("postgres", "pg.indexes")
def indexes(s, facts) -> dict[str, Any]:
    """Every index on user tables, biggest first, bounded by options.index_limit (default 20000).

    Each row: names (plain and quoted), method, key attnums (0 = expression),
    number of key columns (the rest are INCLUDE columns), opclasses, collations,
    sort options, expressions, predicate, scan counters, validity, the
    constraint (p/u/x) it backs, if any, and whether it is a partition's index
    attached to a partitioned index (`attached`).

    pg_get_indexdef and pg_relation_size cost catalog lookups and a relcache build
    each (seconds on tens of thousands of indexes), so `definition` and the exact
    `bytes` are read only for indexes some check may report (see `_reportable` and
    `_DETAIL`); the others carry definition None and bytes estimated from relpages
    (`bytes_exact` false).
    """
    limit = int(facts.options.get("index_limit", 20000))
    # The biggest `limit` indexes are chosen on narrow rows; the wide rows are sorted in
    # Python (sorting them in SQL spills to disk under a small work_mem). Scan counters
    # come from the pg_stat_get_* functions pg_stat_user_indexes is made of (the view
    # joins pg_class and pg_index a second time): NULL for indexes of partitioned tables,
    # as in the view.
    rows = s.query(f"""
        SELECT n.nspname AS schema, t.relname AS table, c.relname AS name,
               format('%%I.%%I', n.nspname, t.relname) AS table_qualified,
               format('%%I.%%I', n.nspname, c.relname) AS qualified,
               c.oid::bigint AS indexrelid, t.oid::bigint AS relid, c.relkind::text AS kind,
               am.amname AS method,
               i.indisunique AS is_unique, i.indisprimary AS is_primary,
               i.indisexclusion AS is_exclusion, i.indisvalid AS is_valid, i.indisready AS is_ready,
               i.indkey::int2[]::int[] AS attnums, i.indnkeyatts::int AS n_key,
               i.indclass::oid[]::bigint[] AS opclasses, i.indcollation::oid[]::bigint[] AS collations,
               i.indoption::int2[]::int[] AS options,
               pg_get_expr(i.indexprs, i.indrelid) AS expressions,
               pg_get_expr(i.indpred, i.indrelid) AS predicate,
               top.relpages * current_setting('block_size')::bigint AS bytes,
               CASE WHEN t.relkind IN ('r', 't', 'm') THEN pg_stat_get_numscans(c.oid) END AS idx_scan,
               CASE WHEN t.relkind IN ('r', 't', 'm') THEN pg_stat_get_tuples_returned(c.oid) END
                   AS idx_tup_read,
               CASE WHEN t.relkind IN ('r', 't', 'm') THEN pg_stat_get_tuples_fetched(c.oid) END
                   AS idx_tup_fetch,
               con.conname AS constraint_name, con.contype::text AS constraint_type,
               c.relispartition AS attached
        FROM (SELECT ic.oid, ic.relpages::bigint AS relpages
              FROM pg_index x
              JOIN pg_class ic ON ic.oid = x.indexrelid
              JOIN pg_class xt ON xt.oid = x.indrelid
              JOIN pg_namespace n ON n.oid = xt.relnamespace
              WHERE {_USER_SCHEMAS}
              ORDER BY ic.relpages DESC, ic.oid
              LIMIT %s) top
        JOIN pg_index i ON i.indexrelid = top.oid
        JOIN pg_class c ON c.oid = i.indexrelid
        JOIN pg_class t ON t.oid = i.indrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        JOIN pg_am am ON am.oid = c.relam
        LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
                                   AND con.contype IN ('p', 'u', 'x')
    """, (limit + 1,))
    rows.sort(key=lambda r: (-r["bytes"], r["indexrelid"]))
    rows, truncated = rows[:limit], len(rows) > limit
    detail = index_details(s, _reportable(rows))
    for r in rows:
        d = detail.get(r["indexrelid"])
        r["definition"] = d["definition"] if d else None
        r["bytes"] = d["bytes"] if d and d["bytes"] is not None else r["bytes"]
        r["bytes_exact"] = d is not None and d["bytes"] is not None
    return {"rows": rows, "truncated": truncated, "limit": limit}


# Definition and size of the indexes some check may report. pg_get_indexdef costs ~40-70 us
# a call in catalog cache misses; an index on plain columns with default opclasses,
# collations and sort order, no predicate, expression, storage option or NULLS NOT
# DISTINCT gets the same text composed here from one pass over its columns (checked
# against pg_get_indexdef in tests/postgres/test_catalog_speed.py); the rest call it.
# pg_relation_size locks the index and builds its relcache entry (relation_sizes, in
# batches): it is skipped (`measure` false) for indexes of tables that never held a row
# (see ever_held_rows) whose last known size (relpages) is at most one page, their metapage.
_DETAIL = """
    SELECT c.oid::bigint AS indexrelid,
           CASE WHEN cols.simple AND c.relkind = 'i' AND i.indexprs IS NULL AND i.indpred IS NULL
                     AND c.reloptions IS NULL {nulls_distinct}
                THEN format('CREATE %%sINDEX %%I ON %%I.%%I USING %%I (%%s)',
                            CASE WHEN i.indisunique THEN 'UNIQUE ' ELSE '' END,
                            c.relname, n.nspname, t.relname, am.amname, cols.list)
                ELSE pg_get_indexdef(c.oid) END AS definition,
           c.relpages > 1 OR {held} AS measure
    FROM pg_class c
    JOIN pg_index i ON i.indexrelid = c.oid
    JOIN pg_class t ON t.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    JOIN pg_am am ON am.oid = c.relam
    CROSS JOIN LATERAL (
        SELECT string_agg(CASE WHEN k.ord = i.indnkeyatts + 1 THEN ') INCLUDE (' WHEN k.ord > 1 THEN ', '
                               ELSE '' END || quote_ident(a.attname), '' ORDER BY k.ord) AS list,
               bool_and(a.attnum IS NOT NULL AND (k.ord > i.indnkeyatts OR (
                   k.opt = 0 AND k.coll = a.attcollation
                   AND EXISTS (SELECT 1 FROM pg_opclass o WHERE o.oid = k.cls AND o.opcdefault
                               AND o.opcintype = a.atttypid)))) AS simple
        FROM unnest(i.indkey::int2[], i.indclass::oid[], i.indcollation::oid[], i.indoption::int2[])
             WITH ORDINALITY k(attnum, cls, coll, opt, ord)
        LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0
    ) cols
    WHERE c.oid = ANY(%s::oid[])
"""


def index_details(s, oids: list[int]) -> dict[int, dict[str, Any]]:
    """{indexrelid: {definition, bytes}} of these indexes (bytes None: not measured)."""
    sql = _DETAIL.format(nulls_distinct="AND NOT i.indnullsnotdistinct" if s.version_num >= 150000 else "",
                         held=ever_held_rows("t"))
    out = {}
    for chunk in range(0, len(oids), 5000):
        for r in s.query(sql, (oids[chunk:chunk + 5000],)):
            out[r["indexrelid"]] = r
    sizes = relation_sizes(s, [oid for oid, r in out.items() if r.pop("measure")])
    for oid, r in out.items():
        r["bytes"] = sizes.get(oid)
    return out


def _reportable(rows: list[dict[str, Any]]) -> list[int]:
    """Indexes a check may report, whatever its thresholds: invalid ones, never-scanned
    non-unique ones, those sharing table, method and first key column with another
    (duplicate candidates), and unique ones of tables without a primary key."""
    groups: dict[tuple, int] = {}
    with_pk = {r["relid"] for r in rows if r["is_primary"]}
    for r in rows:
        key = (r["relid"], r["method"], r["attnums"][0] if r["attnums"] else None)
        groups[key] = groups.get(key, 0) + 1
    out = []
    for r in rows:
        key = (r["relid"], r["method"], r["attnums"][0] if r["attnums"] else None)
        if (not r["is_valid"] or (not r["is_unique"] and not r["idx_scan"]) or groups[key] > 1
                or (r["is_unique"] and r["relid"] not in with_pk)):
            out.append(r["indexrelid"])
    return out


def partitions_of(s, relids: list[int]) -> dict[int, list[tuple[str, str, bool]]]:
    """{partitioned table oid: [(schema, partition, is itself partitioned), ...]}: the index
    DDL of a partitioned table is written partition by partition."""
    if not relids:
        return {}
    out: dict[int, list[tuple[str, str, bool]]] = {r: [] for r in relids}
    for r in s.query("""
        SELECT i.inhparent::bigint AS parent, n.nspname AS schema, c.relname AS name,
               c.relkind = 'p' AS sub
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE i.inhparent = ANY(%s::oid[])
        ORDER BY i.inhparent, n.nspname, c.relname
        LIMIT 100000
    """, (relids,)):
        out[r["parent"]].append((r["schema"], r["name"], r["sub"]))
    return out


@provides("postgres", "pg.partitioned_index_gaps")
def partitioned_index_gaps(s, facts) -> list[dict[str, Any]]:
    """Each INVALID index of a partitioned table (the state between CREATE INDEX ON ONLY and
    the last ALTER INDEX ... ATTACH PARTITION), one row per partition of its table: the index
    attached for that partition (and whether it is valid) or, when none is, a valid unattached
    index of the partition with the same definition (from USING on) that could be attached.
    `tail` is that definition part of the parent index."""
    # no parameters: psycopg passes the text as is (single %)
    return s.query(f"""
        SELECT pi.indexrelid::bigint AS indexrelid, format('%I.%I', n.nspname, pc.relname) AS qualified,
               pc.relname AS name, n.nspname AS schema, pi.indisunique AS is_unique,
               format('%I.%I', tn.nspname, t.relname) AS table_qualified, d.tail,
               pn.nspname AS part_schema, p.relname AS part_name,
               format('%I.%I', pn.nspname, p.relname) AS part_qualified, p.relkind = 'p' AS part_partitioned,
               att.qualified AS attached, att.valid AS attached_valid,
               CASE WHEN att.qualified IS NULL THEN (
                   SELECT format('%I.%I', cn.nspname, cc.relname)
                   FROM pg_index ci JOIN pg_class cc ON cc.oid = ci.indexrelid
                   JOIN pg_namespace cn ON cn.oid = cc.relnamespace
                   WHERE ci.indrelid = p.oid AND ci.indisvalid AND NOT cc.relispartition
                     AND substring(pg_get_indexdef(ci.indexrelid) from ' USING .*$') = d.tail
                   ORDER BY cc.oid LIMIT 1) END AS attachable
        FROM pg_index pi
        JOIN pg_class pc ON pc.oid = pi.indexrelid AND pc.relkind = 'I'
        JOIN pg_namespace n ON n.oid = pc.relnamespace
        JOIN pg_class t ON t.oid = pi.indrelid
        JOIN pg_namespace tn ON tn.oid = t.relnamespace
        CROSS JOIN LATERAL (SELECT substring(pg_get_indexdef(pi.indexrelid) from ' USING .*$') AS tail) d
        JOIN pg_inherits ti ON ti.inhparent = pi.indrelid
        JOIN pg_class p ON p.oid = ti.inhrelid
        JOIN pg_namespace pn ON pn.oid = p.relnamespace
        LEFT JOIN LATERAL (
            SELECT format('%I.%I', cn.nspname, c.relname) AS qualified, x.indisvalid AS valid
            FROM pg_inherits ii JOIN pg_class c ON c.oid = ii.inhrelid
            JOIN pg_index x ON x.indexrelid = c.oid
            JOIN pg_namespace cn ON cn.oid = c.relnamespace
            WHERE ii.inhparent = pi.indexrelid AND x.indrelid = p.oid) att ON true
        WHERE NOT pi.indisvalid AND {_USER_SCHEMAS}
        ORDER BY pi.indexrelid, pn.nspname, p.relname
        LIMIT 100000
    """)


@provides("postgres", "pg.index_builds")
def index_builds(s, facts) -> list[dict[str, Any]]:
    """CREATE INDEX / REINDEX running now in this database (OIDs are per database): their
    indexes are invalid until they finish. index_relid is 0 early in a concurrent build."""
    return s.query("""
        SELECT pid, datname AS database, relid::bigint AS relid, index_relid::bigint AS indexrelid,
               command, phase
        FROM pg_stat_progress_create_index
        WHERE datname = current_database()
    """)


@provides("postgres", "pg.foreign_keys")
def foreign_keys(s, facts) -> dict[str, Any]:
    """Foreign keys with their referencing columns and whether an index leads with them.
    A partitioned table's row carries its `partitions` (schema, name, is partitioned).

    `indexed` is true when some valid, non-partial btree index of the
    referencing table has exactly the FK columns as its leading key columns,
    in any order. table_bytes is exact for tables that ever held a row (as in pg.tables).
    Bounded by options.fk_limit (default 20000).
    """
    limit = int(facts.options.get("fk_limit", 20000))
    rows = s.query(f"""
        SELECT con.conname AS name, quote_ident(con.conname) AS name_quoted,
               n.nspname AS schema, t.relname AS table, t.oid::bigint AS relid,
               format('%%I.%%I', n.nspname, t.relname) AS table_qualified,
               format('%%I.%%I', rn.nspname, r.relname) AS referenced_table,
               t.relkind::text AS kind,
               con.conkey::int[] AS attnums,
               ARRAY(SELECT quote_ident(a.attname)
                     FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                     JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                     ORDER BY k.ord) AS columns,
               pg_get_constraintdef(con.oid) AS definition,
               greatest(t.reltuples, 0)::float8 AS reltuples,
               t.relpages::bigint * current_setting('block_size')::bigint AS table_bytes,
               {ever_held_rows("t")} AS table_held_rows,
               EXISTS (
                   SELECT 1 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                   JOIN pg_am am ON am.oid = ic.relam
                   WHERE i.indrelid = con.conrelid AND i.indisvalid AND i.indpred IS NULL
                     AND am.amname = 'btree'
                     AND i.indnkeyatts >= cardinality(con.conkey)
                     AND (SELECT array_agg(k.attnum ORDER BY k.attnum)
                          FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                          WHERE k.ord <= cardinality(con.conkey))
                       = (SELECT array_agg(x ORDER BY x) FROM unnest(con.conkey) x)
               ) AS indexed
        FROM pg_constraint con
        JOIN pg_class t ON t.oid = con.conrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        JOIN pg_class r ON r.oid = con.confrelid
        JOIN pg_namespace rn ON rn.oid = r.relnamespace
        WHERE con.contype = 'f' AND {_USER_SCHEMAS}
          AND NOT t.relispartition
        ORDER BY t.reltuples DESC, con.oid
        LIMIT %s
    """, (limit + 1,))
    rows, truncated = rows[:limit], len(rows) > limit
    sizes = relation_sizes(s, sorted({r["relid"] for r in rows if r["table_held_rows"]}))
    parts = partitions_of(s, sorted({r["relid"] for r in rows if r["kind"] == "p"}))
    for r in rows:
        if r.pop("table_held_rows") and sizes.get(r["relid"]) is not None:
            r["table_bytes"] = sizes[r["relid"]]
        if r["kind"] == "p":
            r["partitions"] = [list(p) for p in parts.get(r["relid"], [])]
    return {"rows": rows, "truncated": truncated, "limit": limit}
