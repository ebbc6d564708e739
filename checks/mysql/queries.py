"""Statement digests and workload counters: full scans, slow statements, sorts, temp tables, joins without index."""

import re

from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_duration

from ._common import (
    GUIDE,
    MYSQLTUNER,
    UPTIME_FLOOR,
    counters_age,
    num,
    short,
    since,
    statement_rows,
    young_note,
    young_severity,
)

DIGEST_REF = "performance_schema.events_statements_summary_by_digest"


_SEQUENCE_ONLY = re.compile(r"\bFROM\s+`?seq_\d+_to_\d+(_step_\d+)?`?\s*(;|$)", re.I)


def _evidence(r, **extra):
    return {"digest": r["digest"], "schema": r["schema"], "calls": r["calls"],
            "mean_s": round(r["mean_s"], 6), "total_s": round(r["total_s"], 6),
            "max_s": round(r["max_s"], 6), "rows_examined": r["rows_examined"],
            "rows_sent": r["rows_sent"], "first_seen": r["first_seen"], "last_seen": r["last_seen"],
            "statement": short(r["digest_text"], 400),
            **({"source": r["source"]} if r.get("source") else {}), **extra}


def _object(r):
    return f"{r['schema'] or '-'}:{r['digest'][:16]}"


def _top(rows, key, limit):
    return sorted(rows, key=key, reverse=True)[: int(limit)]


@check(
    id="mysql.queries.slow_mean", counters=True,
    title="Statements slower than 1 s on average",
    category="queries",
    severity=Severity.WARNING,
    facts=["mysql.digests", "mysql.prepared_statements", "mysql.statement_history"],
    reference=GUIDE + " (statements with avg_timer_wait > 1 s); " + DIGEST_REF,
    thresholds={"mean_s": Threshold(1.0, "s", GUIDE + ": avg_timer_wait > 1 s"),
                "max_findings": Threshold(20, "statements", "report size bound")},
)
def slow_mean(ctx):
    """Statements whose average latency is above 1 s (the guide's rule). Read the plan with
    EXPLAIN (or EXPLAIN ANALYZE on MySQL 8.0.18+ / ANALYZE on MariaDB) and add the index the
    filter needs, or rewrite the statement. The guide's own SQL for this reads a `sql_text`
    column that events_statements_summary_by_digest does not have: the normalized text is
    DIGEST_TEXT. Timers there are picoseconds."""
    limit = ctx.threshold("mean_s")
    slow = [r for r in statement_rows(ctx) if r["calls"] and r["mean_s"] > limit]
    for r in _top(slow, lambda r: r["mean_s"], ctx.threshold("max_findings")):
        yield ctx.finding(
            object=_object(r),
            summary=f"{human_duration(r['mean_s'])} per call over {r['calls']} call(s): {short(r['digest_text'], 90)}",
            # the digest text is normalized (? for values): EXPLAIN needs real ones, chosen by a human
            evidence=_evidence(r, threshold_mean_s=limit, fix_kind="manual"),
            recommendation="EXPLAIN the statement with representative values in place of each ?; add the "
                           "index its filter and sort need, or rewrite it so it reads fewer rows.",
            fix=(f"EXPLAIN {short(r['digest_text'], 2000)}  -- replace each ? with a representative value"
                 if r["digest_text"].upper().startswith("SELECT") else None),
        )


@check(
    id="mysql.queries.top_total", counters=True,
    title="Statements taking the largest share of total statement time",
    category="queries",
    severity=Severity.INFO,
    facts=["mysql.digests", "mysql.prepared_statements", "mysql.statement_history"],
    reference="sys.statement_analysis (ordered by total latency); PgHero 'top queries by total time'",
    thresholds={"share_pct": Threshold(20.0, "%", "a statement above this share of all statement time "
                                                  "is the first place to look (PgHero-style ranking)"),
                "min_total_s": Threshold(60.0, "s", "ignore statements with less total time than this")},
)
def top_total(ctx):
    """The statements that cost the server the most time in total (calls x mean), not
    the slowest single call: a 5 ms query run a million times outweighs a 10 s report.
    Speeding up one of these helps the whole server most. Shares are of the statements
    read (the top of the digest table by total time)."""
    rows = statement_rows(ctx)
    total = sum(r["total_s"] for r in rows)
    if not total:
        return
    for r in rows:
        share = 100.0 * r["total_s"] / total
        if share >= ctx.threshold("share_pct") and r["total_s"] >= ctx.threshold("min_total_s"):
            yield ctx.finding(
                object=_object(r),
                summary=f"{share:.0f}% of all statement time ({human_duration(r['total_s'])} over "
                        f"{r['calls']} calls): {short(r['digest_text'], 90)}",
                evidence=_evidence(r, share_pct=round(share, 1), all_statements_total_s=round(total, 3),
                                   threshold_share_pct=ctx.threshold("share_pct"),
                                   threshold_min_total_s=ctx.threshold("min_total_s")),
                recommendation="Tune this statement first: fewer calls (batch, cache) or a cheaper plan "
                               "(index, fewer rows examined) pays off across the whole server.",
            )


@check(
    id="mysql.queries.full_scans", counters=True,
    title="Statements doing full table scans",
    category="queries",
    severity=Severity.WARNING,
    facts=["mysql.digests", "mysql.prepared_statements", "mysql.statement_history"],
    reference="sys.statements_with_full_table_scans (SUM_NO_INDEX_USED / SUM_NO_GOOD_INDEX_USED > 0)",
    thresholds={"min_rows_examined_per_call": Threshold(1000, "rows", "small lookup tables are fine to scan"),
                "max_findings": Threshold(20, "statements", "report size bound")},
)
def full_scans(ctx):
    """Statements that ran without any usable index (no_index_used) or with none good
    enough (no_good_index_used) and examined many rows per call. A full scan reads the
    whole table on every execution; it grows with the table. Fix: an index on the columns
    of the WHERE / JOIN condition (see mysql.index.missing for the table and columns)."""
    out = []
    for r in statement_rows(ctx):
        scans = r["no_index_used"] + r["no_good_index_used"]
        per_call = r["rows_examined"] / r["calls"] if r["calls"] else 0
        if scans and per_call >= ctx.threshold("min_rows_examined_per_call") \
                and not _SEQUENCE_ONLY.search(r["digest_text"].strip()):
            out.append((r, scans, per_call))
    for r, scans, per_call in sorted(out, key=lambda x: x[0]["rows_examined"], reverse=True)[
            : int(ctx.threshold("max_findings"))]:
        yield ctx.finding(
            object=_object(r),
            summary=f"full scan in {scans} of {r['calls']} call(s), {per_call:,.0f} rows examined per call: "
                    f"{short(r['digest_text'], 80)}",
            evidence=_evidence(r, no_index_used=r["no_index_used"], no_good_index_used=r["no_good_index_used"],
                               rows_examined_per_call=round(per_call, 1),
                               threshold_rows_examined_per_call=ctx.threshold("min_rows_examined_per_call")),
            recommendation="Index the columns this statement filters or joins on (EXPLAIN shows type=ALL "
                           "for the scanned table).",
        )


@check(
    id="mysql.queries.tmp_disk", counters=True,
    title="Statements creating on-disk temporary tables",
    category="queries",
    severity=Severity.WARNING,
    facts=["mysql.digests", "mysql.prepared_statements", "mysql.statement_history"],
    reference="sys.statements_with_temp_tables; " + MYSQLTUNER + " (temp tables on disk)",
    thresholds={"min_disk_tables": Threshold(1, "tables", "any on-disk temporary table costs disk I/O"),
                "max_findings": Threshold(20, "statements", "report size bound")},
)
def tmp_disk(ctx):
    """A GROUP BY / DISTINCT / UNION / ORDER BY on a non-indexed expression, or a derived
    table, needs an internal temporary table; it goes to disk when it outgrows
    min(tmp_table_size, max_heap_table_size) or has TEXT/BLOB columns (before MySQL 8's
    TempTable engine). Fix the statement first (an index that delivers the GROUP BY order,
    fewer / narrower columns); raise tmp_table_size and max_heap_table_size together only
    when the temporary tables are legitimately big."""
    hits = [r for r in statement_rows(ctx) if r["tmp_disk_tables"] >= ctx.threshold("min_disk_tables")]
    for r in _top(hits, lambda r: r["tmp_disk_tables"], ctx.threshold("max_findings")):
        yield ctx.finding(
            object=_object(r),
            summary=f"{r['tmp_disk_tables']} on-disk temporary table(s) of {r['tmp_tables']} in "
                    f"{r['calls']} call(s): {short(r['digest_text'], 80)}",
            evidence=_evidence(r, tmp_tables=r["tmp_tables"], tmp_disk_tables=r["tmp_disk_tables"],
                               threshold_min_disk_tables=ctx.threshold("min_disk_tables")),
            recommendation="Give the GROUP BY / ORDER BY an index to read in order, select fewer or "
                           "narrower columns (no TEXT/BLOB), or raise tmp_table_size and "
                           "max_heap_table_size together if the temporary table is legitimately large.",
        )


@check(
    id="mysql.queries.sort_merge", counters=True,
    title="Statements sorting in several merge passes",
    category="queries",
    severity=Severity.INFO,
    facts=["mysql.digests", "mysql.prepared_statements", "mysql.statement_history"],
    reference="sys.statements_with_sorting (sort_merge_passes); " + MYSQLTUNER + " (sort merge passes > 10%)",
    thresholds={"min_passes": Threshold(1, "passes", "a sort that does not fit sort_buffer_size"),
                "max_findings": Threshold(20, "statements", "report size bound")},
)
def sort_merge(ctx):
    """A sort that does not fit sort_buffer_size is written to disk in chunks and merged in
    passes. Best fix: an index that returns rows already in ORDER BY order (no sort at
    all), or sort fewer rows (filter first, LIMIT). Raise sort_buffer_size only for the
    session that needs it: it is allocated per sort, per connection."""
    hits = [r for r in statement_rows(ctx) if r["sort_merge_passes"] >= ctx.threshold("min_passes")]
    for r in _top(hits, lambda r: r["sort_merge_passes"], ctx.threshold("max_findings")):
        yield ctx.finding(
            object=_object(r),
            summary=f"{r['sort_merge_passes']} sort merge pass(es) in {r['calls']} call(s): "
                    f"{short(r['digest_text'], 80)}",
            evidence=_evidence(r, sort_merge_passes=r["sort_merge_passes"],
                               threshold_min_passes=ctx.threshold("min_passes"), fix_kind="manual"),
            recommendation="Add an index matching the ORDER BY (after the equality filters) so no sort is "
                           "needed, or raise sort_buffer_size for this session only.",
            fix="SET SESSION sort_buffer_size = 4194304;\n"
                "-- in the application's session, before this statement (an application change): a session "
                "setting; never SET GLOBAL, it is allocated per sort in every connection",
        )


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
