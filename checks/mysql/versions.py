"""Server version against the shipped versions table (advisor/data/versions.toml): end of life
and minor releases behind the newest one known on the table's date."""

from __future__ import annotations

import datetime as dt

from advisor import versions
from advisor.errors import Skip
from advisor.model import Severity
from advisor.registry import Threshold, check

SOURCES = ("advisor/data/versions.toml (Oracle Lifetime Support Policy for MySQL; MariaDB maintenance policy); "
           "pt-variable-advisor (end-of-life / old mysql version)")


def _engine(ctx) -> str:
    return ctx.fact("mysql.server")["vendor"]  # "mysql" | "mariadb": the table's sections


def _today(ctx) -> dt.date:
    """The server's date when the facts were read (a snapshot is judged as of its collection)."""
    now = str(ctx.fact("mysql.server").get("now") or "")
    try:
        return dt.date.fromisoformat(now[:10])
    except ValueError:
        return dt.date.today()


def _look(ctx):
    """(server, table, lookup). A release newer than the table knows is at least as current as
    the table can judge: the checks stay silent on it (the table is stale, not the server)."""
    s = ctx.fact("mysql.server")
    table = versions.table()
    return s, table, table.lookup(_engine(ctx), s["version"])


def _upgrade_fix(ctx, target: str) -> str:
    name = "MariaDB" if _engine(ctx) == "mariadb" else "MySQL"
    return (f"# upgrade {name} to {target} with the package manager, replicas first, then the source after a "
            "switchover; restart per server. Read the release notes between the versions first."
            + ("\n# MySQL 8.0.16+ upgrades the data dictionary at startup; older: run mysql_upgrade"
               if name == "MySQL" else "\n# then: mariadb-upgrade"))


@check(
    id="mysql.versions.eol",
    title="Server major version at or near end of life",
    category="maintenance",
    severity=Severity.CRITICAL,
    facts=["mysql.server"],
    reference=SOURCES,
    thresholds={"warn_days": Threshold(180, "days", "db-advisor default: six months to plan a major upgrade")},
)
def eol(ctx):
    """After its end-of-life date a major version gets no fixes, security fixes included (MySQL
    5.7 ended in October 2023, 8.0 ends in April 2026; MariaDB LTS releases get five years,
    short-term ones a year). Critical once past, a warning within the planning window before
    it. A major older than every one the table lists is past its end of life too; a short-term
    MariaDB release the table does not list is skipped, not guessed. The table carries its own
    date and the check says how old it is."""
    s, table, info = _look(ctx)
    today = _today(ctx)
    if info.major is None and info.newer_than_table:
        return  # a major released after the table: not near its end of life
    if info.major is None:
        if info.older_than_table:
            yield ctx.finding(
                object=s["version"],
                summary=f"{_engine(ctx)} {s['version']} is older than every supported major: no fixes, security "
                        "ones included",
                evidence={"version": s["version"], "table_as_of": str(table.as_of),
                          "table_age_days": table.age_days(today), "fix_kind": "manual"},
                recommendation="Plan the upgrade to a supported LTS major now.",
                fix=_upgrade_fix(ctx, "a supported LTS major"),
            )
            return
        raise Skip(f"major of {s['version']} is not in the versions table (a short-term release?)",
                   "check the vendor's lifecycle page")
    m = info.major
    due = m.eol_due(today, ctx.threshold("warn_days"))
    if due is None:
        return
    left, phrase = due
    newer = sorted(table.majors[_engine(ctx)], key=versions.parse)[-1]
    yield ctx.finding(
        object=m.major,
        severity=None if left < 0 else Severity.WARNING,
        summary=f"{_engine(ctx)} {m.major} {phrase}",
        evidence={"version": s["version"], "major": m.major, "eol": str(m.eol), "days_left": left,
                  "table_as_of": str(table.as_of), "table_age_days": table.age_days(today),
                  "newest_major": newer, "fix_kind": "manual"},
        recommendation="Upgrade to a supported major (an LTS one: MySQL 8.4, MariaDB 10.11 / 11.4 / 11.8).",
        fix=_upgrade_fix(ctx, "a supported LTS major"),
    )


@check(
    id="mysql.versions.minor",
    title="Server minor release behind the newest of its major",
    category="maintenance",
    severity=Severity.INFO,
    facts=["mysql.server"],
    reference=SOURCES,
    thresholds={"warn_behind": Threshold(4, "releases", "MySQL and MariaDB ship a minor release about every "
                                         "quarter: 4 behind is a year of missed fixes")},
)
def minor(ctx):
    """Minor releases of a major carry bug and security fixes only; staying several behind
    keeps known crashes and CVEs. Information when behind, a warning from the threshold on.
    Minor upgrades are in-place package upgrades with a restart (rolling across replicas)."""
    s, table, info = _look(ctx)
    if info.major is None or info.newer_than_table or not info.minors_behind:
        return
    behind = info.minors_behind
    yield ctx.finding(
        object=s["version"],
        severity=Severity.WARNING if behind >= ctx.threshold("warn_behind") else None,
        summary=f"{_engine(ctx)} {s['version']} is {behind} release(s) behind {info.major.newest} "
                f"(newest known on {table.as_of})",
        evidence={"version": s["version"], "newest": info.major.newest, "releases_behind": behind,
                  "table_as_of": str(table.as_of), "table_age_days": table.age_days(_today(ctx)),
                  "fix_kind": "manual"},
        recommendation=f"Upgrade to {info.major.newest} or later in the same major.",
        fix=_upgrade_fix(ctx, f"{info.major.newest} or later"),
    )
