"""Server-wide workload counters (SHOW GLOBAL STATUS): slow statements and joins without indexes.
They work without performance_schema, where the per-statement checks cannot."""

from advisor.model import Severity
from advisor.registry import Threshold, check

from ._common import MYSQLTUNER, UPTIME_FLOOR, counters_age, num, since, young_note, young_severity


@check(
    id="mysql.queries.slow_ratio", counters=True,
    title="Share of statements slower than long_query_time",
    category="queries",
    severity=Severity.WARNING,
    facts=["mysql.status", "mysql.variables"],
    reference=MYSQLTUNER + " (slow queries > 5% of all questions)",
    thresholds={"max_pct": Threshold(5.0, "%", MYSQLTUNER + ": slow queries > 5%"),
                "min_questions": Threshold(10000, "statements", "too few statements since startup to judge"),
                "min_uptime_s": UPTIME_FLOOR},
)
def slow_ratio(ctx):
    """Slow_queries counts statements that took longer than long_query_time (whether or not
    the slow log is on); Questions counts client statements. Above 5% a real share of the
    workload is slow: turn the slow log on (mysql.observability.slow_log) and read the
    per-statement checks (mysql.queries.*) to find which ones."""
    st, v = ctx.fact("mysql.status"), ctx.fact("mysql.variables")
    slow, questions = num(st, "slow_queries", 0), num(st, "questions", 0)
    if questions < ctx.threshold("min_questions"):
        return
    pct = 100.0 * slow / questions
    if pct > ctx.threshold("max_pct"):
        yield ctx.finding(
            object="slow_queries", severity=young_severity(ctx),
            summary=f"{pct:.1f}% of statements ran longer than long_query_time ({slow:,} of {questions:,})"
                    + young_note(ctx),
            evidence={"slow_queries": slow, "questions": questions, "pct": round(pct, 2),
                      "long_query_time": v.get("long_query_time"), "threshold_pct": ctx.threshold("max_pct"),
                      **counters_age(ctx)},
            recommendation="Find the slow statements (slow log, mysql.queries.slow_mean) and index or rewrite them.",
        )


@check(
    id="mysql.queries.joins_without_index", counters=True,
    title="Joins performed without indexes",
    category="queries",
    severity=Severity.WARNING,
    facts=["mysql.status"],
    reference=MYSQLTUNER + " (joins without indexes > 250 per day)",
    thresholds={"max_per_day": Threshold(250, "joins/day", MYSQLTUNER + ": > 250 per day"),
                "min_uptime_s": UPTIME_FLOOR},
)
def joins_without_index(ctx):
    """Select_full_join counts joins that scanned the joined table for lack of a usable
    index (Select_range_check: checked the keys row by row). Each one reads a table once
    per row of the other: cost grows with the product of both sizes. Index the join
    columns of the inner table; mysql.queries.full_scans names the statements. Raising
    join_buffer_size only hides the problem."""
    st = ctx.fact("mysql.status")
    joins = num(st, "select_full_join", 0) + num(st, "select_range_check", 0)
    # a young server is judged as if up one day; a window on its own length
    days = ctx.window_s / 86400 if ctx.window_s else max(num(st, "uptime", 0) / 86400, 1.0)
    per_day = joins / days
    if per_day > ctx.threshold("max_per_day"):
        yield ctx.finding(
            object="select_full_join", severity=young_severity(ctx),
            summary=f"{joins:,} joins without a usable index {since(ctx)} ({per_day:,.0f} per day)"
                    + young_note(ctx),
            evidence={"select_full_join": num(st, "select_full_join", 0),
                      "select_range_check": num(st, "select_range_check", 0),
                      "per_day": round(per_day, 1), "threshold_per_day": ctx.threshold("max_per_day"),
                      **counters_age(ctx)},
            recommendation="Index the join columns of the tables scanned in joins (EXPLAIN shows "
                           "'Using join buffer' / type=ALL on the inner table).",
        )
