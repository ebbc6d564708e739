"""Temporary tables: on-disk share, tmp_table_size vs max_heap_table_size."""

from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_bytes

from ._common import (
    GUIDE,
    MYSQLTUNER,
    UPTIME_FLOOR,
    counters_age,
    num,
    set_global,
    young_note,
    young_severity,
)

NEW_SESSIONS = "sessions take the global value when they connect: existing connections keep the old one"


TMP_REF = GUIDE + " (tmp_table_size = max_heap_table_size = 256M); " + MYSQLTUNER + " (> 25% on disk)"


@check(
    id="mysql.tmp.disk_ratio", counters=True,
    title="Share of internal temporary tables created on disk",
    category="memory",
    severity=Severity.WARNING,
    facts=["mysql.status", "mysql.variables", "mysql.server"],
    reference=TMP_REF,
    thresholds={"max_pct": Threshold(25.0, "%", MYSQLTUNER + ": temporary tables on disk > 25%"),
                "min_tmp_tables": Threshold(1000, "tables", "too few temporary tables since startup to judge"),
                "min_uptime_s": UPTIME_FLOOR},
)
def tmp_disk_ratio(ctx):
    """Created_tmp_disk_tables / Created_tmp_tables: the share of internal temporary tables
    (GROUP BY, DISTINCT, UNION, derived tables) that did not fit in memory or had TEXT/BLOB
    columns. The in-memory limit is min(tmp_table_size, max_heap_table_size): raise both
    together (the guide: 256M each), and fix the statements that spill (see
    mysql.queries.tmp_disk). Both are per temporary table, per session: mind memory."""
    st, v = ctx.fact("mysql.status"), ctx.fact("mysql.variables")
    total, disk = num(st, "created_tmp_tables", 0), num(st, "created_tmp_disk_tables", 0)
    if total < ctx.threshold("min_tmp_tables"):
        return
    pct = 100.0 * disk / total
    if pct > ctx.threshold("max_pct"):
        limit = min(num(v, "tmp_table_size", 0), num(v, "max_heap_table_size", 0))
        yield ctx.finding(
            object="tmp_table_size", severity=young_severity(ctx),
            summary=f"{pct:.0f}% of temporary tables went to disk ({disk:,} of {total:,}); in-memory limit "
                    f"{human_bytes(limit)}" + young_note(ctx),
            evidence={"created_tmp_disk_tables": disk, "created_tmp_tables": total, "pct": round(pct, 1),
                      "tmp_table_size": v.get("tmp_table_size"), "max_heap_table_size": v.get("max_heap_table_size"),
                      "threshold_pct": ctx.threshold("max_pct"), **counters_age(ctx)},
            recommendation="Fix the statements that spill (mysql.queries.tmp_disk), then raise tmp_table_size "
                           "and max_heap_table_size together (guide: 256M).",
            fix=set_global(ctx, {"tmp_table_size": 268435456, "max_heap_table_size": 268435456},
                           NEW_SESSIONS + "; both are per temporary table, per session: mind memory"),
        )


@check(
    id="mysql.tmp.size_mismatch",
    title="tmp_table_size and max_heap_table_size differ",
    category="configuration",
    severity=Severity.INFO,
    facts=["mysql.variables", "mysql.server"],
    reference=TMP_REF + "; pt-variable-advisor (tmp_table_size > max_heap_table_size)",
)
def tmp_size_mismatch(ctx):
    """An in-memory internal temporary table is limited by the smaller of tmp_table_size
    and max_heap_table_size: raising only one of them changes nothing. The guide sets both
    to 256M. (MySQL 8's TempTable engine is bounded by temptable_max_ram instead, but
    MEMORY-engine temporary tables still use both.)"""
    v = ctx.fact("mysql.variables")
    a, b = num(v, "tmp_table_size"), num(v, "max_heap_table_size")
    if a is None or b is None or a == b:
        return
    low, high = ("tmp_table_size", "max_heap_table_size") if a < b else ("max_heap_table_size", "tmp_table_size")
    top = int(max(a, b))
    yield ctx.finding(
        object=low,
        summary=f"tmp_table_size {human_bytes(a)} vs max_heap_table_size {human_bytes(b)}: the effective "
                f"limit is the smaller, {human_bytes(min(a, b))}",
        evidence={"tmp_table_size": a, "max_heap_table_size": b, "effective": min(a, b), "guide": "256M each"},
        recommendation=f"Set {low} to the same value as {high}.",
        fix=set_global(ctx, {low: top}, NEW_SESSIONS),
    )
