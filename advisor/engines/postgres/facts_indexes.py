"""Indexes, index builds in progress, and foreign keys of the current database.

Names come back already quoted by the server (quote_ident / format('%I')), so
checks can paste them into DDL without quoting rules of their own.
"""

from __future__ import annotations

from typing import Any

from advisor.facts import provides

_USER_SCHEMAS = """n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg_toast%%' AND n.nspname NOT LIKE 'pg_temp%%'"""


@provides("postgres", "pg.indexes")
def indexes(s, facts) -> dict[str, Any]:
    """Every index on user tables, biggest first, bounded by options.index_limit (default 20000).

    Each row: names (plain and quoted), method, key attnums (0 = expression),
    number of key columns (the rest are INCLUDE columns), opclasses, collations,
    sort options, expressions, predicate, definition, size, scan counters,
    validity, the constraint (p/u/x) it backs, if any, and whether it is a
    partition's index attached to a partitioned index (`attached`).
    """
    limit = int(facts.options.get("index_limit", 20000))
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
               ARRAY(SELECT coalesce(quote_ident(a.attname), '(expression)')
                     FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                     LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                     ORDER BY k.ord) AS columns,
               pg_get_expr(i.indexprs, i.indrelid) AS expressions,
               pg_get_expr(i.indpred, i.indrelid) AS predicate,
               pg_get_indexdef(c.oid) AS definition,
               pg_relation_size(c.oid) AS bytes,
               st.idx_scan, st.idx_tup_read, st.idx_tup_fetch,
               con.conname AS constraint_name, con.contype::text AS constraint_type,
               EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = c.oid) AS attached
        FROM pg_index i
        JOIN pg_class c ON c.oid = i.indexrelid
        JOIN pg_class t ON t.oid = i.indrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        JOIN pg_am am ON am.oid = c.relam
        LEFT JOIN pg_stat_user_indexes st ON st.indexrelid = i.indexrelid
        LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
                                   AND con.contype IN ('p', 'u', 'x')
        WHERE {_USER_SCHEMAS}
        ORDER BY pg_relation_size(c.oid) DESC, c.oid
        LIMIT %s
    """, (limit + 1,))
    return {"rows": rows[:limit], "truncated": len(rows) > limit, "limit": limit}


@provides("postgres", "pg.index_builds")
def index_builds(s, facts) -> list[dict[str, Any]]:
    """CREATE INDEX / REINDEX running now: their indexes are invalid until they finish."""
    return s.query("""
        SELECT pid, datname AS database, relid::bigint AS relid, index_relid::bigint AS indexrelid,
               command, phase
        FROM pg_stat_progress_create_index
    """)


@provides("postgres", "pg.foreign_keys")
def foreign_keys(s, facts) -> dict[str, Any]:
    """Foreign keys with their referencing columns and whether an index leads with them.

    `indexed` is true when some valid, non-partial btree index of the
    referencing table has exactly the FK columns as its leading key columns,
    in any order. Bounded by options.fk_limit (default 20000).
    """
    limit = int(facts.options.get("fk_limit", 20000))
    rows = s.query(f"""
        SELECT con.conname AS name, quote_ident(con.conname) AS name_quoted,
               n.nspname AS schema, t.relname AS table, t.oid::bigint AS relid,
               format('%%I.%%I', n.nspname, t.relname) AS table_qualified,
               format('%%I.%%I', rn.nspname, r.relname) AS referenced_table,
               con.conkey::int[] AS attnums,
               ARRAY(SELECT quote_ident(a.attname)
                     FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                     JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                     ORDER BY k.ord) AS columns,
               pg_get_constraintdef(con.oid) AS definition,
               greatest(t.reltuples, 0)::float8 AS reltuples,
               pg_relation_size(t.oid) AS table_bytes,
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
    return {"rows": rows[:limit], "truncated": len(rows) > limit, "limit": limit}
