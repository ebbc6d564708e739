"""Settings that trade safety or plan quality away: fsync, full_page_writes, autovacuum,
zero_damaged_pages, track_counts, enable_*."""

from advisor.model import Severity
from advisor.registry import check

from .setting_fix import alter_system, apply_line

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
    types for every query. Fix: turn them back on (ALTER SYSTEM ... ; reload).
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
                object=name, severity=sev, summary=summary,
                evidence={"setting": name, "value": s[name]["setting"], "source": s[name]["source"],
                          "expected": good},
                recommendation=f"Set {name} back to {good}; only a throw-away test database may run "
                               f"like this.",
                fix=alter_system(s, name, good),
            )
    off = sorted(n for n, v in s.items() if n.startswith("enable_") and v["vartype"] == "bool"
                 and v["value"] is False and v["boot_val"] == "on")
    if off:
        yield ctx.finding(
            object="enable_*", severity=Severity.WARNING,
            summary=f"planner method(s) disabled server-wide: {', '.join(off)}",
            evidence={"disabled": off},
            recommendation="Planner switches are for debugging one session; server-wide they force "
                           "worse plans. Re-enable them and fix the specific query instead.",
            # SET, not RESET: RESET only clears postgresql.auto.conf, not a postgresql.conf line
            fix="\n".join(f"ALTER SYSTEM SET {n} = on;" for n in off) + "\n" + apply_line(s, off[0])
                + "\n-- then remove the lines that turned them off (postgresql.conf; on Kubernetes the Helm "
                  "values.yaml): ALTER SYSTEM writes postgresql.auto.conf on this node only",
        )
