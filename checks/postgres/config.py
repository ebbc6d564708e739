"""Autovacuum, checkpoint, logging and planner-cost settings vs the guide and the anchors."""

from __future__ import annotations

from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import config_size, human_bytes, human_duration

from ._common import GUIDE, SHARE_UPDATE, plain_tables, qname, quoted, reloptions
from ._setting_fix import alter_system, apply_line, scope, set_on


@check(
    id="pg.config.autovacuum",
    title="Autovacuum settings that let big tables wait too long",
    category="configuration",
    severity=Severity.WARNING,
    facts=["pg.settings", "pg.tables"],
    reference=GUIDE + " (autovacuum_vacuum_scale_factor 0.1, analyze 0.05, naptime 30s, 4 workers)",
    thresholds={
        "big_table_rows": Threshold(1_000_000, "rows", "scale factors matter on big tables"),
        "max_scale_factor": Threshold(0.1, "ratio", "guide: autovacuum_vacuum_scale_factor = 0.1"),
        "max_naptime_s": Threshold(300, "s", "guide 30s; default 60s; flagged above 5 min"),
    },
)
def autovacuum_settings(ctx):
    """Autovacuum waits until threshold + scale_factor * rows tuples are dead. The
    default scale factor 0.2 is fine for small tables, but on a 100 M-row table it
    means 20 M dead rows before the first cleanup, and stale statistics in
    between. The guide uses 0.1 (vacuum) and 0.05 (analyze) server-wide; big
    tables are best given their own, smaller factors. Only big tables that use
    the server-wide factor are flagged, plus a naptime far beyond the guide's 30s.
    Fix: per big table `ALTER TABLE t SET (autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_analyze_scale_factor = 0.005);` or the guide's server-wide values."""
    s = ctx.fact("pg.settings")
    scale = s["autovacuum_vacuum_scale_factor"]["value"]
    ascale = s["autovacuum_analyze_scale_factor"]["value"]
    big_rows, max_scale = ctx.threshold("big_table_rows"), ctx.threshold("max_scale_factor")
    if scale > max_scale:
        big = [t for t in plain_tables(ctx) if (t.get("reltuples") or 0) >= big_rows
               and "autovacuum_vacuum_scale_factor" not in reloptions(t)]
        big.sort(key=lambda t: -(t.get("reltuples") or 0))
        if big:
            yield ctx.finding(
                object="autovacuum_vacuum_scale_factor",
                summary=f"autovacuum_vacuum_scale_factor is {scale:g} (guide {max_scale:g}) and "
                        f"{len(big)} table(s) have over {big_rows:,} rows: the biggest, "
                        f"{qname(big[0])}, waits for {scale * big[0]['reltuples']:,.0f} dead rows",
                evidence={"autovacuum_vacuum_scale_factor": scale,
                          "autovacuum_analyze_scale_factor": ascale,
                          "big_tables": [{"table": qname(t), "reltuples": t["reltuples"],
                                          "dead_rows_before_vacuum": round(scale * t["reltuples"])}
                                         for t in big[:10]],
                          "big_table_count": len(big), "threshold_big_table_rows": big_rows,
                          "threshold_max_scale_factor": max_scale},
                recommendation="Give big tables their own smaller scale factors, or lower the "
                               "server-wide ones to the guide's 0.1 / 0.05.",
                fix="\n".join([f"ALTER TABLE {quoted(t)} SET (autovacuum_vacuum_scale_factor = 0.01, "
                               f"autovacuum_analyze_scale_factor = 0.005);{SHARE_UPDATE}" for t in big[:10]]
                              + ["-- or server-wide (guide), instead of the per-table settings:",
                                 "-- ALTER SYSTEM SET autovacuum_vacuum_scale_factor = 0.1;",
                                 "-- ALTER SYSTEM SET autovacuum_analyze_scale_factor = 0.05;",
                                 "-- SELECT pg_reload_conf();"]))
    naptime_s = s["autovacuum_naptime"]["value"] / 1000
    if naptime_s > ctx.threshold("max_naptime_s"):
        yield ctx.finding(
            object="autovacuum_naptime", severity=Severity.INFO,
            summary=f"autovacuum_naptime is {human_duration(naptime_s)} (guide 30s): busy tables wait "
                    f"that long between checks",
            evidence={"autovacuum_naptime_s": naptime_s,
                      "threshold_max_naptime_s": ctx.threshold("max_naptime_s")},
            recommendation="Use the guide's 30s.",
            fix=alter_system(s, "autovacuum_naptime", "'30s'"))


@check(
    id="pg.config.checkpoints",
    title="Checkpoint settings: spread and WAL size",
    category="configuration",
    severity=Severity.WARNING,
    facts=["pg.settings", "pg.checkpoints"],
    counters=True,
    reference="postgresqltuner checkpoint_completion_target < 0.7; pgtune 0.9; PostgreSQL docs, "
              "30.5 WAL Configuration",
    thresholds={
        "min_completion_target": Threshold(0.7, "ratio", "postgresqltuner: < 0.7 warn (pgtune 0.9)"),
        "max_requested_pct": Threshold(50, "%", "requested checkpoints should be the exception"),
        "min_checkpoints": Threshold(10, "checkpoints", "enough checkpoints to judge"),
    },
)
def checkpoints(ctx):
    """Checkpoints write every dirty page. A low checkpoint_completion_target
    writes them in a burst (I/O spikes); 0.9 (default since PostgreSQL 14) spreads
    them. Checkpoints should mostly be timed (checkpoint_timeout); when most are
    requested because max_wal_size filled up, WAL volume and full-page writes
    grow. Manual CHECKPOINT commands and base backups also count as requested.
    Counters come from pg_stat_bgwriter, or pg_stat_checkpointer on
    PostgreSQL 17+. Fix: `ALTER SYSTEM SET checkpoint_completion_target = 0.9;`
    and raise max_wal_size."""
    s = ctx.fact("pg.settings")
    target = s["checkpoint_completion_target"]["value"]
    if target < ctx.threshold("min_completion_target"):
        yield ctx.finding(
            object="checkpoint_completion_target",
            summary=f"checkpoint_completion_target is {target:g}: checkpoint writes come in bursts",
            evidence={"checkpoint_completion_target": target,
                      "threshold_min": ctx.threshold("min_completion_target"), "recommended": 0.9},
            recommendation="Spread checkpoint writes over 90% of the interval.",
            fix=alter_system(s, "checkpoint_completion_target", "0.9"))
    cp = ctx.fact("pg.checkpoints")
    timed, req = cp.get("timed") or 0, cp.get("requested") or 0
    total = timed + req
    if total >= ctx.threshold("min_checkpoints") and \
            100.0 * req / total > ctx.threshold("max_requested_pct"):
        wal = s["max_wal_size"]["value"]
        yield ctx.finding(
            object="max_wal_size",
            summary=f"{req} of {total} checkpoints were requested, not timed: max_wal_size "
                    f"({human_bytes(wal)}) fills up before checkpoint_timeout",
            evidence={"requested": req, "timed": timed, "requested_pct": round(100.0 * req / total, 1),
                      "max_wal_size_bytes": wal, "checkpoint_timeout_ms": s["checkpoint_timeout"]["value"],
                      "view": cp.get("view"), "stats_reset": cp.get("stats_reset"),
                      "threshold_max_requested_pct": ctx.threshold("max_requested_pct"),
                      "threshold_min_checkpoints": ctx.threshold("min_checkpoints")},
            recommendation="Raise max_wal_size (double it, then watch the ratio again) so most "
                           "checkpoints are timed.",
            fix=alter_system(s, "max_wal_size", f"'{config_size(wal * 2)}'"))


@check(
    id="pg.config.slow_query_log",
    title="Slow query logging",
    category="observability",
    severity=Severity.WARNING,
    facts=["pg.settings"],
    reference="postgresqltuner log_min_duration_statement = -1 warn; guide: Troubleshooting > "
              "Slow Queries (1 second)",
    thresholds={"recommended_ms": Threshold(1000, "ms", "guide: queries slower than 1 second")},
)
def slow_query_log(ctx):
    """With log_min_duration_statement = -1 no slow statement is ever logged, so the
    slow query that hurt last night leaves no trace (pg_stat_statements keeps
    averages, not the individual statement and its parameters). At 0 every
    statement is logged, which costs I/O on a busy server. The guide treats
    queries over 1 second as slow. Fix:
    `ALTER SYSTEM SET log_min_duration_statement = '1s'; SELECT pg_reload_conf();`."""
    s = ctx.fact("pg.settings")
    v = s["log_min_duration_statement"]["value"]
    rec = ctx.threshold("recommended_ms")
    fix = alter_system(s, "log_min_duration_statement", f"'{rec:g}ms'")
    if v < 0:
        yield ctx.finding(
            object="log_min_duration_statement",
            summary="slow query logging is off (log_min_duration_statement = -1)",
            evidence={"log_min_duration_statement_ms": v, "source": s["log_min_duration_statement"]["source"],
                      "recommended_ms": rec},
            recommendation=f"Log statements slower than {rec:g} ms.", fix=fix)
    elif v == 0:
        yield ctx.finding(
            object="log_min_duration_statement", severity=Severity.INFO,
            summary="every statement is logged (log_min_duration_statement = 0)",
            evidence={"log_min_duration_statement_ms": v, "recommended_ms": rec},
            recommendation=f"Log only statements slower than {rec:g} ms on a busy server.", fix=fix)


@check(
    id="pg.config.random_page_cost",
    title="random_page_cost left at the spinning-disk default",
    category="configuration",
    severity=Severity.INFO,
    facts=["pg.settings"],
    reference="pgtune: random_page_cost 1.1 on SSD; guide: Storage Class Selection (local SSD for databases)",
    thresholds={"ssd_value": Threshold(1.1, "cost", "pgtune on SSD")},
)
def random_page_cost(ctx):
    """random_page_cost = 4 (the default) models a spinning disk, where a random
    read costs four sequential ones. On SSD or network SSD storage (what the
    guide recommends for databases) random reads cost about the same, and the
    high value makes the planner prefer sequential scans over good index scans.
    The advisor cannot see the storage: ignore this on spinning disks. Fix on
    SSD: `ALTER SYSTEM SET random_page_cost = 1.1; SELECT pg_reload_conf();`."""
    s = ctx.fact("pg.settings")
    v = s["random_page_cost"]["value"]
    if v < 4:
        return
    ssd = ctx.threshold("ssd_value")
    yield ctx.finding(
        object="random_page_cost",
        summary=f"random_page_cost is {v:g}, the spinning-disk default; on SSD use {ssd:g}",
        evidence={"random_page_cost": v, "seq_page_cost": s["seq_page_cost"]["value"],
                  "ssd_value": ssd},
        recommendation="If the data lives on SSD, lower random_page_cost so the planner uses "
                       "index scans where they are cheaper.",
        fix=alter_system(s, "random_page_cost", f"{ssd:g}"))


REF = "postgresqltuner (autovacuum/fsync off = bad); PostgreSQL docs, 20.5 Write Ahead Log"


@check(
    id="pg.config.dangerous",
    title="Settings that risk data loss or disable maintenance",
    category="durability",
    severity=Severity.CRITICAL,
    facts=["pg.settings"],
    reference=REF,
)
def dangerous_settings(ctx):
    """fsync=off or full_page_writes=off can corrupt the database after a crash;
    autovacuum=off lets dead rows and transaction-ID age grow until a forced
    shutdown; enable_* planner switches left off make the planner skip whole plan
    types for every query. Fix: turn them back on (ALTER SYSTEM ... ; reload), or, for
    a value set with ALTER DATABASE / ALTER ROLE, where it was set (ALTER SYSTEM would
    not override it).
    Also flagged: zero_damaged_pages = on (a recovery tool that destroys the evidence
    and the rows on damaged pages) and track_counts = off (autovacuum works blind)."""
    s = ctx.fact("pg.settings")
    rules = [
        ("fsync", False, Severity.CRITICAL,
         "fsync is off: a crash or power loss can corrupt the whole cluster"),
        ("full_page_writes", False, Severity.CRITICAL,
         "full_page_writes is off: torn pages after a crash cannot be repaired from WAL"),
        ("autovacuum", False, Severity.CRITICAL,
         "autovacuum is off: bloat grows and transaction-ID wraparound forces a shutdown"),
        ("zero_damaged_pages", True, Severity.CRITICAL,
         "zero_damaged_pages is on: damaged pages are silently wiped instead of reported"),
        ("track_counts", False, Severity.CRITICAL,
         "track_counts is off: autovacuum cannot see which tables need vacuuming"),
    ]
    for name, bad, sev, summary in rules:
        if name in s and s[name]["value"] == bad:
            good = "off" if bad else "on"
            yield ctx.finding(
                object=name, severity=sev,
                summary=summary + (f" ({scope(s, name)})" if set_on(s, name) else ""),
                evidence={"setting": name, "value": s[name]["setting"], "source": s[name]["source"],
                          "expected": good, "scope": scope(s, name)},
                recommendation=f"Set {name} back to {good}; only a throw-away test database may run "
                               f"like this.",
                fix=alter_system(s, name, good),
            )
    off = sorted(n for n, v in s.items() if n.startswith("enable_") and v["vartype"] == "bool"
                 and v["value"] is False and v["boot_val"] == "on")
    if off:
        wide = [n for n in off if not set_on(s, n)]
        scoped = [n for n in off if set_on(s, n)]
        where = sorted({scope(s, n) for n in off})
        fix = [f"ALTER SYSTEM SET {n} = on;" for n in wide]
        if wide:
            # SET, not RESET: RESET only clears postgresql.auto.conf, not a postgresql.conf line
            fix += [apply_line(s, wide[0]),
                    "-- then remove the lines that turned them off (postgresql.conf; on Kubernetes the "
                    "Helm values.yaml): ALTER SYSTEM writes postgresql.auto.conf on this node only"]
        fix += [alter_system(s, n, "on") for n in scoped]
        yield ctx.finding(
            object="enable_*", severity=Severity.WARNING,
            summary=f"planner method(s) disabled {' and '.join(where)}: {', '.join(off)}",
            evidence={"disabled": off, "scope": {n: scope(s, n) for n in off}},
            recommendation="Planner switches are for debugging one session; set for everyone they "
                           "force worse plans. Re-enable them and fix the specific query instead.",
            fix="\n".join(fix),
        )