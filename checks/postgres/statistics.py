"""Stale planner statistics: tables modified far past their autoanalyze trigger, or never analyzed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from advisor.errors import Skip
from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_duration

from ._common import autovacuum_enabled, capped, plain_tables, qname, quoted, reloptions


def analyze_trigger(t: dict[str, Any], settings: dict[str, Any]) -> tuple[float, float, float]:
    """(trigger, base, scale): autovacuum analyzes a table once n_mod_since_analyze exceeds
    autovacuum_analyze_threshold + autovacuum_analyze_scale_factor * reltuples (the table's
    storage parameters first, then the server settings)."""
    opts = reloptions(t)
    base = float(opts.get("autovacuum_analyze_threshold", settings["autovacuum_analyze_threshold"]["value"]))
    scale = float(opts.get("autovacuum_analyze_scale_factor",
                           settings["autovacuum_analyze_scale_factor"]["value"]))
    reltuples = max(t.get("reltuples") or 0, 0)  # -1 (PG14+) = never analyzed or vacuumed
    return base + scale * reltuples, base, scale


def last_analyze_age(t: dict[str, Any], now: str) -> float | None:
    stamps = [dt.datetime.fromisoformat(s) for s in (t.get("last_analyze"), t.get("last_autoanalyze")) if s]
    return (dt.datetime.fromisoformat(now) - max(stamps)).total_seconds() if stamps else None


@check(
    id="pg.statistics.stale",
    title="Stale planner statistics (ANALYZE overdue)",
    category="maintenance",
    severity=Severity.WARNING,
    facts=["pg.tables", "pg.settings", "pg.server"],
    reference="PostgreSQL docs, 25.1.3 Updating Planner Statistics and 25.1.6 The Autovacuum Daemon; "
              "check_postgres last_analyze / last_autoanalyze 1 day / 2 days",
    thresholds={
        "margin": Threshold(2, "x the table's analyze trigger",
                            "autovacuum analyzes at 1x: twice its trigger means it is not keeping up"),
        "min_modified": Threshold(1000, "rows", "small tables: a stale estimate costs little"),
        "warning_age_s": Threshold(86400, "s", "check_postgres last_analyze warning 1 day"),
        "critical_age_s": Threshold(172800, "s", "check_postgres last_analyze critical 2 days"),
        "big_table_rows": Threshold(1_000_000, "rows", "guide: per-table settings for tables >= 1 M rows"),
    },
)
def stale(ctx):
    """The planner estimates row counts from pg_statistic, which only ANALYZE (manual
    or autovacuum's) refreshes. Autovacuum analyzes a table once its rows modified
    since the last ANALYZE (n_mod_since_analyze) pass autovacuum_analyze_threshold +
    autovacuum_analyze_scale_factor * reltuples. A table far past that trigger, past
    it for over a day, or never analyzed at all while holding rows, is planned from
    wrong numbers: nested loops over millions of rows, wrong join orders, unused
    indexes.

    Fix: `ANALYZE (VERBOSE) table;` now (SHARE UPDATE EXCLUSIVE lock: reads and writes
    go on, DDL and VACUUM on the table wait; it reads a sample, not the table). For a
    big table that autovacuum analyzes too rarely, lower its own
    autovacuum_analyze_scale_factor (ALTER TABLE ... SET takes the same lock, briefly)."""
    settings, server = ctx.fact("pg.settings"), ctx.fact("pg.server")
    margin, min_mod, warn_age, crit_age, big = (ctx.threshold(k) for k in (
        "margin", "min_modified", "warning_age_s", "critical_age_s", "big_table_rows"))
    found = []
    for t in plain_tables(ctx):
        mod = t.get("n_mod_since_analyze") or 0
        rows = max(t.get("n_live_tup") or 0, t.get("reltuples") or 0)
        age = last_analyze_age(t, server["now"])
        trigger, base, scale = analyze_trigger(t, settings)
        never = age is None and rows >= min_mod
        behind = mod >= min_mod and (mod >= margin * trigger or (mod > trigger and (age or 0) >= warn_age))
        if not (never or behind):
            continue
        if never:
            sev, what = Severity.WARNING, f"never analyzed, ~{rows:,.0f} rows"
        else:
            sev = Severity.CRITICAL if age is not None and age >= crit_age else Severity.WARNING
            what = (f"{mod:,} rows modified since its last ANALYZE ({mod / max(trigger, 1):.1f}x its "
                    f"autoanalyze trigger of {trigger:,.0f}), last analyzed "
                    + (f"{human_duration(age)} ago" if age is not None else "never"))
        fix = [f"ANALYZE (VERBOSE) {quoted(t)};"]
        own = "autovacuum_analyze_scale_factor" in reloptions(t)
        if rows >= big and not own and autovacuum_enabled(t):
            # ~10,000 modified rows per autoanalyze of a big table, at least 0.1% of it
            proposed = max(0.001, round(10000 / rows, 3))
            if proposed < scale:
                fix.append(f"ALTER TABLE {quoted(t)} SET (autovacuum_analyze_scale_factor = {proposed});")
        found.append((mod / max(trigger, 1) if not never else float("inf"), ctx.finding(
            object=qname(t), severity=sev, summary=f"{qname(t)}: {what}",
            evidence={"n_mod_since_analyze": mod, "analyze_trigger": round(trigger),
                      "analyze_threshold": base, "analyze_scale_factor": scale, "reltuples": t.get("reltuples"),
                      "n_live_tup": t.get("n_live_tup"), "last_analyze": t.get("last_analyze"),
                      "last_autoanalyze": t.get("last_autoanalyze"), "last_analyze_age_s": age,
                      "autovacuum_enabled": autovacuum_enabled(t) and settings["autovacuum"]["value"],
                      **{f"threshold_{k}": ctx.threshold(k) for k in ctx.check.thresholds}},
            recommendation="Analyze the table now; if autovacuum is on and still falls behind on it, "
                           "give the table its own lower autovacuum_analyze_scale_factor.",
            fix="\n".join(fix))))
    found.sort(key=lambda x: -x[0])
    yield from capped([f for _, f in found], ctx, "tables with stale statistics")


@check(
    id="pg.statistics.partitioned_parent",
    title="Partitioned tables never analyzed (autovacuum skips them)",
    category="maintenance",
    severity=Severity.WARNING,
    facts=["pg.partitioned_tables"],
    reference="PostgreSQL docs, 25.1.3 Updating Planner Statistics (partitioned and inheritance parents)",
    thresholds={
        "min_rows": Threshold(1000, "rows in its partitions", "same floor as pg.statistics.stale"),
    },
)
def partitioned_parent(ctx):
    """Autovacuum analyzes partitions, never their partitioned parent (PostgreSQL docs
    25.1.3: "it is necessary to run ANALYZE on the parent table manually"). Without
    statistics of the whole tree the planner guesses row counts for queries that scan
    several partitions (joins, aggregates without partition pruning).

    Fix: `ANALYZE (VERBOSE) parent;` (samples every partition; SHARE UPDATE EXCLUSIVE
    locks, reads and writes go on), and repeat it on a schedule or after big loads."""
    data = ctx.fact("pg.partitioned_tables")
    if not data["judged"]:
        raise Skip("the analyze time of partitioned tables is judged on PostgreSQL 15 and later")
    found = []
    for t in data["rows"]:
        if t["last_analyze"] or t["leaf_rows"] < ctx.threshold("min_rows"):
            continue
        name = f"{t['schema']}.{t['name']}"
        found.append(ctx.finding(
            object=name,
            summary=f"{name}: partitioned table never analyzed; its {t['partitions']} partition(s) hold "
                    f"~{t['leaf_rows']:,.0f} rows",
            evidence={**t, "threshold_min_rows": ctx.threshold("min_rows")},
            recommendation="Analyze the partitioned table itself now and on a schedule (after bulk "
                           "loads); autovacuum only analyzes its partitions.",
            fix=f"ANALYZE (VERBOSE) {quoted(t)};"))
    yield from capped(found, ctx, "partitioned tables never analyzed")
