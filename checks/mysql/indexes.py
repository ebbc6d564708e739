"""Indexes: missing (tables read by full scans), unused, duplicate / redundant."""

from advisor.errors import FactUnavailable
from advisor.model import Severity
from advisor.indexadvisor.columns import filter_columns
from advisor.indexadvisor.digests import digest_sql
from advisor.registry import Threshold, check
from advisor.units import human_bytes, human_duration

from ._common import qid, short, statement_rows
from ._dupkeys import find_redundant, group_by_table


def _optional(ctx, name, default):
    """A fact that improves a finding but is not needed to make it."""
    try:
        return ctx.fact(name)
    except FactUnavailable:
        return default


def _cols_sql(cols):
    return ", ".join(qid(c) if "(" not in c else f"{qid(c.split('(')[0])}({c.split('(')[1]}" for c in cols)


@check(
    id="mysql.index.missing",
    title="Tables read mostly by full scans (missing index)",
    category="indexes",
    severity=Severity.WARNING,
    facts=["mysql.index_usage", "mysql.tables", "mysql.indexes", "mysql.digests"],
    reference="sys.schema_tables_with_full_table_scans; PgHero index suggestions (skip tables < 500 rows)",
    thresholds={"min_full_scan_rows": Threshold(100000, "rows", "rows read by full scans since startup"),
                "min_full_scan_pct": Threshold(50.0, "%", "share of the table's reads done by full scans"),
                "min_table_rows": Threshold(500, "rows", "PgHero: no suggestion for tables < 500 rows")},
)
def missing(ctx):
    """A table whose rows are read mostly by full scans (performance_schema
    table_io_waits_summary_by_index_usage, index NULL) and which is not tiny is missing
    an index. The statements that scan it are taken from the digest table (no index used)
    and their WHERE / JOIN / ORDER BY columns name the index to add: equality columns
    first, then ranges and sort columns. Check the suggestion with EXPLAIN before creating
    it; ALTER TABLE ... ADD INDEX is online (ALGORITHM=INPLACE, LOCK=NONE) on InnoDB."""
    usage = ctx.fact("mysql.index_usage")["tables"]
    tables = {f"{t['schema']}.{t['table']}": t for t in ctx.fact("mysql.tables")["rows"]}
    existing = {}
    for ix in ctx.fact("mysql.indexes")["rows"]:
        existing.setdefault(f"{ix['schema']}.{ix['table']}", []).append([c.lower() for c in ix["columns"]])
    try:
        digests = [r for r in statement_rows(ctx) if r["no_index_used"] + r["no_good_index_used"] > 0]
    except FactUnavailable:
        digests = []
    for name, u in sorted(usage.items()):
        t = tables.get(name)
        scanned, via_index = u["full_scan_rows"], u["index_rows"]
        share = 100.0 * scanned / (scanned + via_index) if scanned + via_index else 0.0
        if (t is None or scanned < ctx.threshold("min_full_scan_rows")
                or share < ctx.threshold("min_full_scan_pct") or t["rows"] < ctx.threshold("min_table_rows")):
            continue
        statements, columns, suggestion = [], [], []
        schema, table = name.split(".", 1)
        for r in sorted(digests, key=lambda r: r["rows_examined"], reverse=True):
            sql = digest_sql(r["digest_text"]) if table in r["digest_text"] else None  # cheap test first
            cols = filter_columns([sql], schema, table, "mysql", default_schema=r["schema"]) if sql else []
            if not cols:
                continue
            statements.append(r)
            columns += [c for c in cols if c not in columns]
            # the index is built for the heaviest scanning statement with a usable filter
            suggestion = suggestion or cols[:3]
        covered = any(ix[: len(suggestion)] == [c.lower() for c in suggestion] for ix in existing.get(name, []))
        fix = None
        if suggestion and not covered:
            ix_name = "idx_" + "_".join([table] + suggestion)[:60]
            fix = (f"ALTER TABLE {qid(schema, table)} ADD INDEX {qid(ix_name)} ({_cols_sql(suggestion)}), "
                   f"ALGORITHM=INPLACE, LOCK=NONE;  -- verify with EXPLAIN first")
        yield ctx.finding(
            object=name,
            summary=f"{scanned:,} rows read by full scans ({share:.0f}% of reads) on a ~{t['rows']:,}-row table"
                    + (f"; filter columns: {', '.join(columns)}" if columns else ""),
            evidence={"full_scan_rows": scanned, "index_read_rows": via_index, "full_scan_pct": round(share, 1),
                      "advisor_sample_rows_left_out": u.get("own_sample_rows", 0),
                      "table_rows": t["rows"], "filter_columns": columns,
                      "statements": [{"digest": r["digest"], "calls": r["calls"],
                                      "rows_examined": r["rows_examined"], "statement": short(r["digest_text"], 200)}
                                     for r in statements[:5]],
                      "threshold_full_scan_rows": ctx.threshold("min_full_scan_rows"),
                      "threshold_full_scan_pct": ctx.threshold("min_full_scan_pct")},
            recommendation=(f"Index {name} on ({', '.join(suggestion)}) for the statements that scan it."
                            if fix else "Find the statements that scan this table (mysql.queries.full_scans) "
                                        "and index their filter columns."),
            fix=fix,
        )


@check(
    id="mysql.index.unused",
    title="Indexes not used since the server started",
    category="indexes",
    severity=Severity.WARNING,
    facts=["mysql.index_usage", "mysql.indexes", "mysql.status"],
    reference="sys.schema_unused_indexes (count_star = 0, not PRIMARY); Atlas: unused for >= 7 days",
    thresholds={"min_uptime_days": Threshold(7, "days", "Atlas Performance Advisor: no use for >= 7 days")},
)
def unused(ctx):
    """Every index slows writes and takes buffer pool memory; one that no statement has
    read since the server started may be dropped. The statistics live in
    performance_schema and start over at each restart (and when a table leaves the table
    definition cache, e.g. FLUSH TABLES), so the finding says since when they are
    collected, at most the uptime: on a server up for less than a week (or before a monthly
    job ran) treat it as a hint. PRIMARY and UNIQUE keys are never reported (they enforce
    constraints). Safer than DROP: make it invisible first (MySQL 8: ALTER TABLE ... ALTER
    INDEX ... INVISIBLE; MariaDB 10.6+: IGNORED), watch, then drop."""
    usage = ctx.fact("mysql.index_usage")["tables"]
    uptime = ctx.fact("mysql.status").get("uptime") or 0
    sizes = _optional(ctx, "mysql.index_sizes", {})
    mariadb = _optional(ctx, "mysql.server", {}).get("vendor") == "mariadb"
    young = uptime < ctx.threshold("min_uptime_days") * 86400
    for ix in ctx.fact("mysql.indexes")["rows"]:
        if ix["primary"] or ix["unique"]:
            continue
        name = f"{ix['schema']}.{ix['table']}"
        stats = usage.get(name, {}).get("indexes", {}).get(ix["index"])
        if stats is None or stats["count_star"] > 0:
            continue  # table not opened since startup, or the index was used
        size = sizes.get(f"{name}.{ix['index']}")
        hide = "IGNORED" if mariadb else "INVISIBLE"
        yield ctx.finding(
            object=f"{name}.{ix['index']}",
            severity=Severity.INFO if young else None,
            summary=f"index {ix['index']} on {name} ({', '.join(ix['columns'])}) not used in "
                    f"{human_duration(uptime)} of uptime" + (f", {human_bytes(size)}" if size else ""),
            evidence={"columns": ix["columns"], "reads_since_startup": 0, "uptime_s": uptime,
                      "stats_since": f"server start, {human_duration(uptime)} ago (or the table's last reopen)", "size_bytes": size,
                      "threshold_min_uptime_days": ctx.threshold("min_uptime_days")},
            recommendation="Make the index invisible/ignored, watch a full business cycle, then drop it."
                           + (" Uptime is short: statistics may not cover periodic jobs yet." if young else ""),
            fix=f"ALTER TABLE {qid(ix['schema'], ix['table'])} ALTER INDEX {qid(ix['index'])} {hide};\n"
                f"-- later, if nothing slowed down:\nALTER TABLE {qid(ix['schema'], ix['table'])} "
                f"DROP INDEX {qid(ix['index'])};",
        )


@check(
    id="mysql.index.duplicate",
    title="Duplicate and redundant indexes",
    category="indexes",
    severity=Severity.WARNING,
    facts=["mysql.indexes"],
    reference="pt-duplicate-key-checker (exact, left-prefix, InnoDB clustered-key suffix); "
              "sys.schema_redundant_indexes",
)
def duplicate(ctx):
    """An index that repeats another (same columns), or is a left prefix of a longer one
    (KEY(a) next to KEY(a, b)), costs writes and memory and gives the optimizer nothing
    the other cannot. On InnoDB every secondary index already ends with the primary key
    columns, so KEY(b, a) with PRIMARY KEY(a) is the same index as KEY(b), only bigger.
    Never dropped: PRIMARY, or a UNIQUE key unless an identical unique key stays. A foreign
    key keeps working, since the covering index has the same leading columns."""
    sizes = _optional(ctx, "mysql.index_sizes", {})
    for (schema, table), ixs in sorted(group_by_table(ctx.fact("mysql.indexes")["rows"]).items()):
        for r in find_redundant(ixs):
            ix, cover = r.index, r.covered_by
            size = sizes.get(f"{schema}.{table}.{ix['index']}")
            t = qid(schema, table)
            if r.kind == "clustered-suffix":
                summary = (f"{ix['index']}({', '.join(ix['columns'])}) ends with the primary key "
                           f"({', '.join(cover['columns'])}): same index as ({', '.join(r.keep_columns)})")
                fix = (f"ALTER TABLE {t} DROP INDEX {qid(ix['index'])}, "
                       f"ADD INDEX {qid(ix['index'])} ({_cols_sql(r.keep_columns)});")
                rec = "Redefine the index without the primary-key columns InnoDB appends anyway."
            else:
                summary = (f"{ix['index']}({', '.join(ix['columns'])}) is "
                           f"{'a duplicate of' if r.kind == 'duplicate' else 'a left prefix of'} "
                           f"{cover['index']}({', '.join(cover['columns'])})")
                fix = f"ALTER TABLE {t} DROP INDEX {qid(ix['index'])};"
                rec = f"Drop {ix['index']}; {cover['index']} serves the same lookups."
            yield ctx.finding(
                object=f"{schema}.{table}.{ix['index']}",
                summary=f"{schema}.{table}: {summary}",
                evidence={"kind": r.kind, "index": ix["index"], "columns": ix["columns"],
                          "unique": ix["unique"], "covered_by": cover["index"] if cover else None,
                          "covered_by_columns": cover["columns"] if cover else None,
                          "wasted_bytes": size},
                recommendation=rec, fix=fix,
            )
