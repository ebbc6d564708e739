"""MongoDB version: major end of life and patch releases behind, from the shipped table
(advisor/data/versions.toml), judged on the day the facts were read (serverStatus.localTime)."""

from __future__ import annotations

from advisor import versions
from advisor.errors import Skip
from advisor.model import Severity
from advisor.registry import Threshold, check

from ._common import server_now

POLICY = ("advisor/data/versions.toml (MongoDB Software Lifecycle Schedules: "
          "mongodb.com/legal/support-policy/lifecycles)")


def _look(ctx):
    """(version, table, lookup, today)."""
    version = str(ctx.fact("mongo.build_info").get("version") or "")
    if not version:
        raise Skip("buildInfo did not name the server's version")
    table = versions.table()
    return version, table, table.lookup("mongo", version), server_now(ctx).date()


def _upgrade_fix(target: str) -> str:
    return (f"# upgrade to {target}: secondaries first (one at a time), then rs.stepDown() on the primary and "
            "upgrade it; a major upgrade goes one major at a time, and setFeatureCompatibilityVersion is raised "
            "only once every member runs the new binary. Read the release notes' compatibility changes first.")


@check(
    id="mongo.versions.eol",
    title="MongoDB major version at or near end of life",
    category="maintenance",
    severity=Severity.CRITICAL,
    facts=["mongo.build_info", "mongo.server_status"],
    reference=POLICY,
    thresholds={"warn_days": Threshold(180, "days", "db-advisor default: six months to plan a major upgrade")},
)
def eol(ctx):
    """After its end-of-life date a MongoDB major release gets no fixes, security fixes
    included (4.4 ended in February 2024, 5.0 in October 2024, 6.0 in July 2025). Critical
    once past, a warning within the planning window before it. Rapid releases (7.1, 7.3,
    8.1, ...) are not in the table and are skipped, not guessed. The table carries its own
    date and the finding says how old it is."""
    version, table, info, today = _look(ctx)
    if info.major is None:
        if info.newer_than_table:
            return  # released after the table: not near its end of life
        if info.older_than_table:
            yield ctx.finding(
                object=version,
                summary=f"MongoDB {version} is older than every major the advisor knows: no fixes, security "
                        "ones included",
                evidence={"version": version, "table_as_of": str(table.as_of),
                          "table_age_days": table.age_days(today), "fix_kind": "manual"},
                recommendation="Plan the upgrade to a supported major now.",
                fix=_upgrade_fix("a supported major"))
            return
        raise Skip(f"MongoDB {version} is not in the versions table (a rapid release?)",
                   "check mongodb.com/legal/support-policy/lifecycles")
    m = info.major
    due = m.eol_due(today, ctx.threshold("warn_days"))
    if due is None:
        return
    left, phrase = due
    yield ctx.finding(
        object=m.major,
        severity=None if left < 0 else Severity.WARNING,
        summary=f"MongoDB {m.major} {phrase}",
        evidence={"version": version, "major": m.major, "eol": str(m.eol), "days_left": left,
                  "table_as_of": str(table.as_of), "table_age_days": table.age_days(today),
                  "newest_major": sorted(table.majors["mongo"], key=versions.parse)[-1], "fix_kind": "manual"},
        recommendation="Upgrade to a supported major, one major at a time.",
        fix=_upgrade_fix("the next major"))


@check(
    id="mongo.versions.minor",
    title="MongoDB patch release behind the newest of its major",
    category="maintenance",
    severity=Severity.INFO,
    facts=["mongo.build_info", "mongo.server_status"],
    reference=POLICY,
    thresholds={"warn_behind": Threshold(6, "releases", "MongoDB ships a patch release about every other "
                                         "month: 6 behind is a year of missed fixes")},
)
def minor(ctx):
    """Patch releases of a major carry bug and security fixes only; several behind keeps
    known crashes and CVEs. Information when behind, a warning from the threshold on.
    A patch upgrade is a rolling binary replacement, one member at a time."""
    version, table, info, today = _look(ctx)
    if info.major is None or info.newer_than_table or not info.minors_behind:
        return
    behind = info.minors_behind
    yield ctx.finding(
        object=version,
        severity=Severity.WARNING if behind >= ctx.threshold("warn_behind") else None,
        summary=f"MongoDB {version} is {behind} release(s) behind {info.major.newest} "
                f"(newest known on {table.as_of})",
        evidence={"version": version, "newest": info.major.newest, "releases_behind": behind,
                  "table_as_of": str(table.as_of), "table_age_days": table.age_days(today),
                  "fix_kind": "manual"},
        recommendation=f"Upgrade to {info.major.newest} or later in the same major (rolling, no downtime "
                       "on a replica set).",
        fix=_upgrade_fix(f"{info.major.newest} or later"))
