"""Sequences (with the column they feed), constraints not yet validated, buffer-cache counters."""

from __future__ import annotations

from typing import Any

from advisor.facts import provides
from advisor.window import Counters

_USER_SCHEMAS = """n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg_toast%%' AND n.nspname NOT LIKE 'pg_temp%%'"""


@provides("postgres", "pg.sequences")
def sequences(s, facts) -> dict[str, Any]:
    """Sequences with last value, bounds and the owning column (serial / identity via pg_depend).

    last_value is NULL when the sequence was never used or the advisor lacks
    SELECT/USAGE on it (pg_sequences hides it then). Bounded by options.sequence_limit.
    """
    limit = int(facts.options.get("sequence_limit", 20000))
    rows = s.query(f"""
        SELECT format('%%I.%%I', n.nspname, c.relname) AS sequence,
               format_type(sq.seqtypid, NULL) AS sequence_type,
               sq.seqmin AS min_value, sq.seqmax AS max_value, sq.seqincrement AS increment,
               sq.seqcycle AS cycle,
               CASE WHEN has_sequence_privilege(c.oid, 'SELECT,USAGE')
                    THEN pg_sequence_last_value(c.oid) END AS last_value,
               has_sequence_privilege(c.oid, 'SELECT,USAGE') AS readable,
               CASE WHEN t.oid IS NOT NULL THEN format('%%I.%%I', tn.nspname, t.relname) END
                   AS table_qualified,
               quote_ident(a.attname) AS column_name,
               format_type(a.atttypid, NULL) AS column_type,
               d.deptype::text AS dependency
        FROM pg_sequence sq
        JOIN pg_class c ON c.oid = sq.seqrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
                             AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0
                             AND d.deptype IN ('a', 'i')
        LEFT JOIN pg_class t ON t.oid = d.refobjid
        LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
        LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
        WHERE {_USER_SCHEMAS}
        ORDER BY c.oid
        LIMIT %s
    """, (limit + 1,))
    return {"rows": rows[:limit], "truncated": len(rows) > limit, "limit": limit}


@provides("postgres", "pg.invalid_constraints")
def invalid_constraints(s, facts) -> list[dict[str, Any]]:
    """Constraints added NOT VALID and never validated (existing rows are unchecked)."""
    limit = int(facts.options.get("constraint_limit", 1000))
    return s.query(f"""
        SELECT quote_ident(con.conname) AS name, con.contype::text AS type,
               format('%%I.%%I', n.nspname, t.relname) AS table_qualified,
               pg_get_constraintdef(con.oid) AS definition
        FROM pg_constraint con
        JOIN pg_class t ON t.oid = con.conrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE NOT con.convalidated AND {_USER_SCHEMAS}
        ORDER BY n.nspname, t.relname, con.conname
        LIMIT %s
    """, (limit,))


@provides("postgres", "pg.cache", counters=[
    Counters(("heap_hit", "heap_read", "idx_hit", "idx_read")),
    Counters(("heap_hit", "heap_read", "idx_hit", "idx_read"), key=("table_qualified",), path=("tables",),
             bounded=True),
    Counters(("hit", "read"), key=("database",), path=("databases",), bounded=True)])
def cache(s, facts) -> dict[str, Any]:
    """Shared-buffer hits vs reads: tables and indexes of this database, and every database.

    `tables` lists the tables with the most heap blocks read from outside
    shared_buffers (options.cache_table_limit, default 10).
    """
    limit = int(facts.options.get("cache_table_limit", 10))
    # the sums of pg_statio_user_tables / pg_statio_user_indexes, from the functions those
    # views are made of: one pass over the catalog instead of one per view and column
    totals = s.query("""
        WITH rel AS (
            SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 't', 'm')
              AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
        ), idx AS (
            SELECT x.indexrelid AS oid FROM pg_index x JOIN rel ON rel.oid = x.indrelid
        )
        SELECT coalesce(sum(pg_stat_get_blocks_hit(oid)), 0) AS heap_hit,
               coalesce(sum(pg_stat_get_blocks_fetched(oid) - pg_stat_get_blocks_hit(oid)), 0) AS heap_read,
               (SELECT coalesce(sum(pg_stat_get_blocks_hit(oid)), 0) FROM idx) AS idx_hit,
               (SELECT coalesce(sum(pg_stat_get_blocks_fetched(oid) - pg_stat_get_blocks_hit(oid)), 0)
                FROM idx) AS idx_read
        FROM rel
    """)[0]
    tables = s.query("""
        SELECT format('%%I.%%I', schemaname, relname) AS table_qualified,
               heap_blks_hit AS heap_hit, heap_blks_read AS heap_read,
               coalesce(idx_blks_hit, 0) AS idx_hit, coalesce(idx_blks_read, 0) AS idx_read
        FROM pg_statio_user_tables
        WHERE heap_blks_read > 0
        ORDER BY heap_blks_read DESC
        LIMIT %s
    """, (limit,))
    databases = s.query("""
        SELECT datname AS database, blks_hit AS hit, blks_read AS read, stats_reset
        FROM pg_stat_database
        WHERE datname IS NOT NULL AND datname NOT IN ('template0', 'template1')
        ORDER BY blks_read DESC
        LIMIT 100
    """)
    return {**totals, "tables": tables, "databases": databases}
