"""Tables, indexes, index sizes and index usage (information_schema, mysql.innodb_index_stats,
performance_schema.table_io_waits_summary_by_index_usage). System schemas are left out."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from advisor.facts import provides

from .facts_server import PS_GRANT, SAMPLE_ALIAS, require_performance_schema, schema_scope

# the index advisor's row sample as the digest table shows it (facts_index_advisor._sample)
_OWN_SAMPLE = re.compile(r"^SELECT \? AS `%s` ,.* FROM `([^`]+)` \. `([^`]+)` LIMIT \?\s*$" % SAMPLE_ALIAS)

SHOW_VIEW = "GRANT SELECT, SHOW VIEW ON *.* TO <advisor user> (information_schema shows only tables you can access)"


@provides("mysql", "mysql.tables")
def tables(s, facts) -> dict[str, Any]:
    """Base tables, biggest first, bounded by options.table_limit (default 20000).

    Each row: schema, table, engine, rows (estimate), data_bytes, index_bytes, data_free,
    auto_increment (next value), has_pk, row_format, and the AUTO_INCREMENT column with its
    type (auto_increment_column, column_type) so checks can judge the type's headroom.
    altered_s_ago: seconds since CREATE_TIME, which every ALTER TABLE moves; per-table
    statistics (index usage) start over then.
    """
    scope = schema_scope(s, facts)
    limit = int(facts.options.get("table_limit", 20000))
    rows = s.query(f"""
        SELECT TABLE_SCHEMA AS `schema`, TABLE_NAME AS `table`, ENGINE AS engine,
               TABLE_ROWS AS `rows`, DATA_LENGTH AS data_bytes, INDEX_LENGTH AS index_bytes,
               DATA_FREE AS data_free, AUTO_INCREMENT AS auto_increment, ROW_FORMAT AS row_format,
               CREATE_OPTIONS AS create_options,
               TIMESTAMPDIFF(SECOND, CREATE_TIME, NOW()) AS altered_s_ago
        FROM information_schema.TABLES
        WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA {scope}
        ORDER BY DATA_LENGTH + INDEX_LENGTH DESC, TABLE_SCHEMA, TABLE_NAME
        LIMIT %s
    """, (limit + 1,), enable=SHOW_VIEW)
    pks = {(r["schema"], r["table"]) for r in s.query(f"""
        SELECT TABLE_SCHEMA AS `schema`, TABLE_NAME AS `table` FROM information_schema.TABLE_CONSTRAINTS
        WHERE CONSTRAINT_TYPE = 'PRIMARY KEY' AND TABLE_SCHEMA {scope}""")}
    auto = {(r["schema"], r["table"]): r for r in s.query(f"""
        SELECT TABLE_SCHEMA AS `schema`, TABLE_NAME AS `table`, COLUMN_NAME AS `column`,
               DATA_TYPE AS data_type, COLUMN_TYPE AS column_type
        FROM information_schema.COLUMNS
        WHERE EXTRA LIKE '%auto_increment%' AND TABLE_SCHEMA {scope}""")}
    out = []
    for r in rows[:limit]:
        key = (r["schema"], r["table"])
        a = auto.get(key, {})
        out.append({**r, "rows": int(r["rows"] or 0), "data_bytes": int(r["data_bytes"] or 0),
                    "index_bytes": int(r["index_bytes"] or 0), "data_free": int(r["data_free"] or 0),
                    "altered_s_ago": None if r["altered_s_ago"] is None else int(r["altered_s_ago"]),
                    "has_pk": key in pks, "auto_increment_column": a.get("column"),
                    "auto_increment_type": a.get("data_type"), "column_type": a.get("column_type")})
    return {"rows": out, "truncated": len(rows) > limit, "limit": limit}


@provides("mysql", "mysql.indexes")
def indexes(s, facts) -> dict[str, Any]:
    """Every index with its ordered columns and prefix lengths (information_schema.STATISTICS).

    MySQL 8.0.13+ functional key parts have no column: they appear as "(expression)" and
    carry `expressions`; MySQL invisible / MariaDB ignored indexes carry `visible` = false.
    """
    scope = schema_scope(s, facts)
    server = facts.get("mysql.server")
    ver = tuple(server["version_tuple"])
    mariadb = server["vendor"] == "mariadb"
    extra = ""
    if not mariadb and ver >= (8, 0, 13):
        extra = ", s.EXPRESSION AS expression, s.IS_VISIBLE AS visible"
    elif mariadb and ver >= (10, 6, 0):
        extra = ", NULL AS expression, IF(s.IGNORED = 'YES', 'NO', 'YES') AS visible"
    limit = int(facts.options.get("index_column_limit", 200000))
    rows = s.query(f"""
        SELECT s.TABLE_SCHEMA AS `schema`, s.TABLE_NAME AS `table`, s.INDEX_NAME AS `index`,
               s.NON_UNIQUE AS non_unique, s.SEQ_IN_INDEX AS seq, s.COLUMN_NAME AS `column`,
               s.SUB_PART AS sub_part, s.INDEX_TYPE AS type, s.NULLABLE AS nullable {extra}
        FROM information_schema.STATISTICS s
        WHERE s.TABLE_SCHEMA {scope}
        ORDER BY s.TABLE_SCHEMA, s.TABLE_NAME, s.INDEX_NAME, s.SEQ_IN_INDEX
        LIMIT %s
    """, (limit + 1,), enable=SHOW_VIEW)
    # engines in a second query: a join of two information_schema tables is a full join,
    # which would inflate the Select_full_join counter the advisor itself judges
    engines = {(r["schema"], r["table"]): r["engine"] for r in s.query(f"""
        SELECT TABLE_SCHEMA AS `schema`, TABLE_NAME AS `table`, ENGINE AS engine
        FROM information_schema.TABLES WHERE TABLE_SCHEMA {scope}""")}
    grouped: dict[tuple, dict[str, Any]] = {}
    for r in rows[:limit]:
        key = (r["schema"], r["table"], r["index"])
        ix = grouped.get(key)
        if ix is None:
            ix = grouped[key] = {
                "schema": r["schema"], "table": r["table"], "index": r["index"],
                "unique": int(r["non_unique"]) == 0, "primary": r["index"] == "PRIMARY",
                "columns": [], "sub_parts": [], "nullable": [], "type": r["type"],
                "engine": engines.get((r["schema"], r["table"])), "visible": r.get("visible", "YES") != "NO",
                "expressions": []}
        ix["columns"].append(r["column"] if r["column"] is not None else "(expression)")
        ix["sub_parts"].append(int(r["sub_part"]) if r["sub_part"] is not None else None)
        ix["nullable"].append(r["nullable"] == "YES")
        if r.get("expression"):
            ix["expressions"].append(r["expression"])
    return {"rows": list(grouped.values()), "truncated": len(rows) > limit}


@provides("mysql", "mysql.index_sizes")
def index_sizes(s, facts) -> dict[str, Any]:
    """InnoDB index sizes in bytes from mysql.innodb_index_stats ('size' pages * page size)."""
    scope = schema_scope(s, facts)
    page = int(facts.get("mysql.variables").get("innodb_page_size", 16384))
    rows = s.query(f"""
        SELECT database_name AS `schema`, table_name AS `table`, index_name AS `index`,
               stat_value AS pages
        FROM mysql.innodb_index_stats
        WHERE stat_name = 'size' AND database_name {scope}
    """, enable="GRANT SELECT ON mysql.innodb_index_stats TO <advisor user>")
    return {f"{r['schema']}.{r['table']}.{r['index']}": int(r["pages"]) * page for r in rows}


def _own_sample_rows(s) -> dict[str, int]:
    """Rows read by the index advisor's samples per table since the digest table was reset
    (best effort: a digest table reset later than the I/O waits undercounts them)."""
    rows = s.query(f"""
        SELECT DIGEST_TEXT AS digest_text, SUM_ROWS_EXAMINED AS rows_examined
        FROM performance_schema.events_statements_summary_by_digest
        WHERE DIGEST_TEXT LIKE '%%{SAMPLE_ALIAS}%%'
    """, enable=PS_GRANT)
    out: dict[str, int] = defaultdict(int)
    for r in rows:
        m = _OWN_SAMPLE.match(r["digest_text"] or "")
        if m:
            out[f"{m.group(1)}.{m.group(2)}"] += int(r["rows_examined"])
    return out


@provides("mysql", "mysql.index_usage")
def index_usage(s, facts) -> dict[str, Any]:
    """Rows read per table and index since startup (table_io_waits_summary_by_index_usage).

    A row with index NULL counts rows read without any index (full table scans).
    Per table: {"schema.table": {"indexes": {name: {reads, writes}}, "full_scan_rows": n}}.
    Only tables the server has opened since startup have rows here. The rows the index
    advisor's own samples read (their digests' rows_examined) are left out of full_scan_rows
    and given as own_sample_rows: the advisor's reads never make a table look scanned.
    """
    scope = schema_scope(s, facts)
    require_performance_schema(facts, "index usage")
    limit = int(facts.options.get("index_usage_limit", 100000))
    rows = s.query(f"""
        SELECT OBJECT_SCHEMA AS `schema`, OBJECT_NAME AS `table`, INDEX_NAME AS `index`,
               COUNT_STAR AS count_star, COUNT_READ AS count_read, COUNT_FETCH AS count_fetch,
               COUNT_INSERT + COUNT_UPDATE + COUNT_DELETE AS count_write
        FROM performance_schema.table_io_waits_summary_by_index_usage
        WHERE OBJECT_TYPE = 'TABLE' AND OBJECT_SCHEMA {scope}
        LIMIT %s
    """, (limit + 1,), enable=PS_GRANT)
    tables_: dict[str, dict[str, Any]] = defaultdict(lambda: {"indexes": {}, "full_scan_rows": 0,
                                                              "index_rows": 0})
    for r in rows[:limit]:
        t = tables_[f"{r['schema']}.{r['table']}"]
        if r["index"] is None:
            t["full_scan_rows"] = int(r["count_read"])
            t["writes"] = int(r["count_write"])
        else:
            t["indexes"][r["index"]] = {"reads": int(r["count_read"]), "count_star": int(r["count_star"])}
            t["index_rows"] += int(r["count_read"])
    for name, own in _own_sample_rows(s).items():
        t = tables_.get(name)
        if t is not None:
            t["own_sample_rows"] = min(own, t["full_scan_rows"])
            t["full_scan_rows"] -= t["own_sample_rows"]
    ps = facts.get("mysql.performance_schema")
    return {"tables": dict(tables_), "truncated": len(rows) > limit,
            "instrumented": ps["instruments"].get("wait/io/table/sql/handler", False)}
