"""Forecasts from the run history: AUTO_INCREMENT counters running out, tables growing."""

from advisor.figures import mysql_table_sizes
from advisor.forecast import (
    GROWTH_THRESHOLD,
    THRESHOLDS,
    growth_findings,
    history_evidence,
    judge,
    left_text,
    rate,
    time_left,
)
from advisor.model import Severity
from advisor.registry import check

from ._common import qid, type_max


@check(
    id="mysql.forecast.auto_increment",
    title="AUTO_INCREMENT counters that run out soon at the observed rate",
    category="schema",
    severity=Severity.WARNING,
    facts=["mysql.tables", "mysql.history"],
    reference="db-advisor forecast from the run history; MySQLTuner judges the used share only (75%)",
    thresholds=THRESHOLDS,
)
def auto_increment(ctx):
    """An AUTO_INCREMENT counter far from its type's maximum can still run out within days
    when ids are consumed fast (bulk loads, INSERT ... ON DUPLICATE KEY UPDATE and INSERT
    IGNORE burn ids, and so do rolled-back inserts). This check compares the counter with
    the previous run in the history (with none, with the start of a `--sample` window) and
    reports the time left at that rate. Fix: widen the
    column to BIGINT (ALGORITHM=COPY: the table is rebuilt and writes block for the whole
    copy; use pt-online-schema-change or gh-ost on a busy table)."""
    history = ctx.fact("mysql.history")
    for t in ctx.fact("mysql.tables")["rows"]:
        col = t.get("auto_increment_column")
        top = type_max(t.get("auto_increment_type"), t.get("column_type"))
        if not col or top is None or t.get("auto_increment") is None:
            continue
        name = f"{t['schema']}.{t['table']}"
        r = rate(history, f"autoinc:{name}", t["auto_increment"])
        if r is None:
            continue
        left = time_left(top - t["auto_increment"], r.per_s)
        sev = judge(ctx, left)
        if sev is None:
            continue
        unsigned = " UNSIGNED" if "unsigned" in (t.get("column_type") or "").lower() else ""
        yield ctx.finding(
            object=name, severity=sev,
            summary=f"AUTO_INCREMENT of {name}.{col} runs out in {left_text(left)} at "
                    f"{r.per_day:,.0f} ids/day (max {top:,} for {t.get('column_type')})",
            evidence={**history_evidence(history, left, **r.evidence(), type_max=top,
                                         column_type=t.get("column_type")), "fix_kind": "manual"},
            recommendation="Widen the column to BIGINT before the time left runs out; on a busy table "
                           "with an online schema change tool (the plain ALTER copies the table and "
                           "blocks writes).",
            fix=f"pt-online-schema-change --alter 'MODIFY {qid(col)} BIGINT{unsigned} NOT NULL AUTO_INCREMENT' "
                f"D={t['schema']},t={t['table']} --execute\n"
                f"-- or, in a maintenance window (ALGORITHM=COPY, writes blocked during the copy):\n"
                f"ALTER TABLE {qid(t['schema'])}.{qid(t['table'])} MODIFY {qid(col)} BIGINT{unsigned} "
                f"NOT NULL AUTO_INCREMENT;")


@check(
    id="mysql.forecast.growth",
    title="Tables growing fast (from the run history)",
    category="storage",
    severity=Severity.INFO,
    facts=["mysql.tables", "mysql.history"],
    reference="db-advisor forecast from the run history",
    thresholds={"min_bytes_per_day": GROWTH_THRESHOLD},
)
def growth(ctx):
    """Growth per day of the schema's tables (data and indexes, as information_schema
    estimates them), from the previous run in the history: the figure to size volumes and
    plan retention with."""
    yield from growth_findings(ctx, ctx.fact("mysql.history"), mysql_table_sizes(ctx.fact("mysql.tables")))
