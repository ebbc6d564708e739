"""PostgreSQL version: major end of life and minor releases behind, from the shipped table
(advisor/data/versions.toml), judged on the day the facts were read."""

from __future__ import annotations

import datetime as dt

from advisor import versions
from advisor.model import Severity
from advisor.registry import Threshold, check

POLICY = "PostgreSQL Versioning Policy (postgresql.org/support/versioning): 5 years per major, " \
         "always run the current minor"


def _shown(server: dict) -> str:
    """'15.20 (Debian 15.20-0+deb12u1)' -> '15.20'."""
    return server["version"].split()[0]


def _today(ctx) -> dt.date:
    return dt.datetime.fromisoformat(ctx.fact("pg.server")["now"]).date()


def _table_evidence(table: versions.Table, today: dt.date) -> dict:
    return {"table_as_of": table.as_of.isoformat(), "table_age_days": table.age_days(today)}


@check(
    id="pg.versions.eol",
    title="PostgreSQL major version at or near end of life",
    category="configuration",
    severity=Severity.WARNING,
    facts=["pg.server"],
    reference=POLICY,
    thresholds={
        "warning_days": Threshold(365, "days before EOL",
                                  "a major upgrade (pg_upgrade or logical replication, tests) takes "
                                  "months to plan"),
    },
)
def eol(ctx):
    """Each PostgreSQL major version gets fixes, security fixes included, for five years;
    the final minor release comes out in November of its fifth year. After that a
    server gets no fix for any vulnerability or data-corruption bug found later. The
    end-of-life dates come from a table shipped with the advisor that states its own
    date (in the evidence, with its age: a stale table is visible).

    Fix: upgrade to a supported major: pg_upgrade (--link for minutes of downtime on a
    large cluster) or logical replication to a new server (near-zero downtime); test
    the application on the new major first and read the release notes' incompatibilities."""
    server = ctx.fact("pg.server")
    today, table = _today(ctx), versions.table()
    info = table.lookup("postgres", server["version"])
    ev = {"version": server["version"], **_table_evidence(table, today), "fix_kind": "manual"}
    if info.major is None:
        if info.newer_than_table:
            yield ctx.finding(
                object="major version", severity=Severity.INFO,
                summary=f"PostgreSQL {_shown(server)} is newer than the advisor's versions table "
                        f"(dated {table.as_of}, {table.age_days(today)} days old): end of life not judged",
                evidence=ev, recommendation="Update db-advisor to get a current versions table.")
            return
        yield ctx.finding(
            object="major version", severity=Severity.CRITICAL,
            summary=f"PostgreSQL {_shown(server)} is older than every major version the table "
                    f"knows: long past its end of life",
            evidence=ev, recommendation="Upgrade to a supported major version.",
            fix="-- pg_upgrade to a supported major (or dump/restore); see the release notes of "
                "every major in between")
        return
    m = info.major
    ev.update(major=m.major, eol=m.eol.isoformat() if m.eol else None,
              threshold_warning_days=ctx.threshold("warning_days"))
    if m.eol is None:
        return
    days_left = (m.eol - today).days
    if days_left > ctx.threshold("warning_days"):
        return
    passed = m.eol_passed(today)
    yield ctx.finding(
        object="major version", severity=Severity.CRITICAL if passed else Severity.WARNING,
        summary=(f"PostgreSQL {m.major} reached end of life on {m.eol}: no more fixes" if passed else
                 f"PostgreSQL {m.major} reaches end of life on {m.eol}, in {days_left} days"),
        evidence={**ev, "days_left": days_left},
        recommendation="Plan the upgrade to a supported major (pg_upgrade or logical replication), "
                       "tested on a copy first.",
        fix="-- on a test copy first, then production (versions are placeholders):\n"
            "pg_upgrade --link --old-datadir {{old_datadir}} --new-datadir {{new_datadir}} "
            "--old-bindir {{old_bindir}} --new-bindir {{new_bindir}} --check")


@check(
    id="pg.versions.minor",
    title="PostgreSQL minor release behind the newest known",
    category="configuration",
    severity=Severity.WARNING,
    facts=["pg.server"],
    reference=POLICY,
    thresholds={
        "critical_behind": Threshold(4, "minor releases", "a year of quarterly releases: many "
                                                          "security and corruption fixes missing"),
    },
)
def minor(ctx):
    """Minor releases (15.3 -> 15.4) only fix bugs, security holes and data-corruption
    risks; the PostgreSQL project recommends always running the current one. They
    never change the on-disk format: installing the new binaries and restarting is the
    upgrade (some release notes ask for a REINDEX or another step afterwards). The
    newest minor is the newest the shipped table knew on its date; a server newer than
    that is reported as a stale table, not as a problem.

    Fix: install the newest packages of the same major and restart (standbys first,
    then a switchover or the primary)."""
    server = ctx.fact("pg.server")
    today, table = _today(ctx), versions.table()
    info = table.lookup("postgres", server["version"])
    if info.major is None:
        return  # pg.versions.eol reports majors the table does not know
    ev = {"version": server["version"], "major": info.major.major, "newest_known": info.major.newest,
          **_table_evidence(table, today), "fix_kind": "manual",
          "threshold_critical_behind": ctx.threshold("critical_behind")}
    if info.newer_than_table:
        yield ctx.finding(
            object="minor version", severity=Severity.INFO,
            summary=f"PostgreSQL {_shown(server)} is newer than the newest release the advisor's "
                    f"versions table knows ({info.major.newest}, table dated {table.as_of}, "
                    f"{table.age_days(today)} days old)",
            evidence=ev, recommendation="Update db-advisor to get a current versions table.")
        return
    if not info.minors_behind:
        return
    yield ctx.finding(
        object="minor version",
        severity=Severity.CRITICAL if info.minors_behind >= ctx.threshold("critical_behind") else Severity.WARNING,
        summary=f"PostgreSQL {_shown(server)} is {info.minors_behind} minor release(s) behind "
                f"{info.major.newest} (known on {table.as_of})",
        evidence={**ev, "minors_behind": info.minors_behind},
        recommendation="Install the newest minor release of this major and restart; read the release "
                       "notes of the skipped ones for post-upgrade steps.",
        fix=f"# Debian/Ubuntu (PGDG): newest postgresql-{info.major.major} packages, then restart; "
            "standbys first\napt-get install --only-upgrade postgresql-" + info.major.major
            + "\nsystemctl restart postgresql")
