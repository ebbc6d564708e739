"""Wasted space in table files: pgstattuple_approx when installed, else an estimate from the
catalog and pg_stats (the approach of check_postgres' bloat action and ioguix's table bloat query)."""

from __future__ import annotations

from typing import Any

from advisor.errors import FactUnavailable
from advisor.facts import provides

# Per table: its pages, rows, fillfactor and what pg_stats says a row weighs. Columns without
# statistics (never analyzed, or no SELECT on the table) leave the table unestimated.
_ESTIMATE = """
    WITH tab AS (
        SELECT c.oid, n.nspname AS schema, c.relname AS "table", c.relpages, c.reltuples,
               c.relnatts, coalesce((SELECT substring(o FROM '=(.*)')::int FROM unnest(c.reloptions) o
                                     WHERE o LIKE 'fillfactor=%%'), 100) AS fillfactor
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'm') AND c.relpages >= %s
          AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%%'
        ORDER BY c.relpages DESC LIMIT %s
    )
    SELECT tab.schema, tab."table", tab.relpages::bigint AS relpages, tab.reltuples::float8 AS reltuples,
           tab.fillfactor, count(a.attnum)::int AS columns, count(st.avg_width)::int AS widths_known,
           sum((1 - coalesce(st.null_frac, 0)) * coalesce(st.avg_width, 0))::float8 AS data_width,
           bool_or(coalesce(st.null_frac, 0) > 0) AS nullable
    FROM tab
    JOIN pg_attribute a ON a.attrelid = tab.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_stats st ON st.schemaname = tab.schema AND st.tablename = tab."table"
                         AND st.attname = a.attname AND NOT st.inherited
    GROUP BY tab.schema, tab."table", tab.relpages, tab.reltuples, tab.fillfactor
"""

_APPROX = """
    SELECT n.nspname AS schema, c.relname AS "table", c.relpages::bigint AS relpages,
           s.table_len::bigint AS table_len, s.approx_free_space::bigint AS free_bytes,
           s.dead_tuple_len::bigint AS dead_bytes, s.scanned_percent::float8 AS scanned_percent,
           coalesce((SELECT substring(o FROM '=(.*)')::int FROM unnest(c.reloptions) o
                     WHERE o LIKE 'fillfactor=%%'), 100) AS fillfactor
    FROM (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'm') AND c.relpages >= %s
            AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%%'
          ORDER BY c.relpages DESC LIMIT %s) top
    JOIN pg_class c ON c.oid = top.oid JOIN pg_namespace n ON n.oid = c.relnamespace
    CROSS JOIN LATERAL {schema}.pgstattuple_approx(c.oid) s
"""


@provides("postgres", "pg.table_bloat")
def table_bloat(s, facts) -> dict[str, Any]:
    """The largest tables (options.bloat_table_limit, default 20 with pgstattuple_approx, 5000
    for the estimate; at least options.bloat_min_table_pages, default 128 = 1 MB).

    With the extension pgstattuple installed in this database (and options.bloat_pgstattuple
    not false) pgstattuple_approx reads each table's pages that the visibility map does not
    mark all-visible (I/O on a big churned table; needs pg_stat_scan_tables). Otherwise the
    size a packed table would take is estimated from reltuples and pg_stats."""
    min_pages = int(facts.options.get("bloat_min_table_pages", 128))
    block = int(facts.get("pg.settings")["block_size"]["value"])
    schema = None
    if "pgstattuple" in facts.get("pg.extensions")["installed"]:
        schema = s.scalar("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                          "WHERE e.extname = 'pgstattuple'")
    if schema and facts.options.get("bloat_pgstattuple", True):
        limit = int(facts.options.get("bloat_pgstattuple_limit", 20))
        quoted = '"' + schema.replace('"', '""') + '"'
        try:
            rows = s.query(_APPROX.format(schema=quoted), (min_pages, limit))
            return {"method": "pgstattuple_approx", "block_size": block, "rows": rows, "limit": limit}
        except FactUnavailable:
            pass  # no pg_stat_scan_tables: fall back to the estimate
    limit = int(facts.options.get("bloat_table_limit", 5000))
    return {"method": "estimate", "block_size": block,
            "rows": s.query(_ESTIMATE, (min_pages, limit)), "limit": limit}
