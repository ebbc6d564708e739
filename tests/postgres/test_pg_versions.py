"""pg.versions.*: the real PostgreSQL 15 against the shipped table, and recorded server versions
(12 past EOL, 13 on its EOL year, 17 behind, a major newer than the table, 9.6) on fixed days."""

from __future__ import annotations

import pytest

from advisor import versions
from advisor.model import Severity

CHECKS = ["pg.versions.eol", "pg.versions.minor"]


@pytest.mark.postgres
def test_real_server_against_the_table(pg_db, pg_advise):
    out = pg_advise(pg_db.url, CHECKS)
    with __import__("psycopg").connect(pg_db.url) as c:
        version = c.execute("SHOW server_version").fetchone()[0].split()[0]
    info = versions.lookup("postgres", version)
    minor = out.of("pg.versions.minor")
    if info.newer_than_table:  # this machine's 15.20 is newer than the table's 15.15
        f = minor["minor version"]
        assert f.severity == Severity.INFO and f.evidence["table_as_of"] == versions.table().as_of.isoformat()
        assert f.evidence["table_age_days"] >= 0
    else:
        assert bool(minor) == bool(info.minors_behind)
    with __import__("psycopg").connect(pg_db.url) as c:
        today = c.execute("SELECT now()::date").fetchone()[0]
    left = (info.major.eol - today).days
    eol = out.of("pg.versions.eol")
    if left > 365:
        assert eol == {}
    else:  # 15 ends in November 2027: within a year of it from November 2026 on
        f = eol["major version"]
        assert f.evidence["days_left"] == left
        assert f.severity == (Severity.CRITICAL if left < 0 else Severity.WARNING)


def _server(version, now):
    return {"pg.server": {"version": version, "now": f"{now}T12:00:00+00:00"}}


def test_recorded_versions(pg_judge):
    t = versions.table()
    on = t.as_of.isoformat()
    f = pg_judge("pg.versions.eol", _server("12.5", on)).of("pg.versions.eol")["major version"]
    assert f.severity == Severity.CRITICAL and f.evidence["eol"] == "2024-11-21"
    assert "--check" in f.fix and f.evidence["fix_kind"] == "manual"
    f = pg_judge("pg.versions.eol", _server("14.20", "2026-03-01")).of("pg.versions.eol")["major version"]
    assert f.severity == Severity.WARNING and f.evidence["days_left"] == 256
    assert pg_judge("pg.versions.eol", _server("17.2", on)).findings == []
    f = pg_judge("pg.versions.eol", _server("9.6.24", on)).of("pg.versions.eol")["major version"]
    assert f.severity == Severity.CRITICAL and "older than every major" in f.summary
    f = pg_judge("pg.versions.eol", _server("99.1", on)).of("pg.versions.eol")["major version"]
    assert f.severity == Severity.INFO and "newer than" in f.summary

    newest17 = versions.parse(t.majors["postgres"]["17"].newest)[1]
    f = pg_judge("pg.versions.minor", _server("17.2", on)).of("pg.versions.minor")["minor version"]
    assert f.evidence["minors_behind"] == newest17 - 2 and f.severity == Severity.CRITICAL
    f = pg_judge("pg.versions.minor", _server(f"17.{newest17 - 1}", on)).of("pg.versions.minor")["minor version"]
    assert f.severity == Severity.WARNING and "postgresql-17" in f.fix
    assert pg_judge("pg.versions.minor", _server(f"17.{newest17}", on)).findings == []
    f = pg_judge("pg.versions.minor", _server("17beta2", on)).of("pg.versions.minor")["minor version"]
    assert f.evidence["minors_behind"] == newest17  # a beta is behind every release of its major
