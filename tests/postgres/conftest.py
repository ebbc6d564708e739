"""PostgreSQL test helpers: run selected checks live against a scratch database, or judge
them on recorded facts."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

import support
from advisor.model import Host
from advisor.runner import RunOptions, run
from advisor.targets import parse_target


class Outcome:
    """A report (or one target's result) with findings looked up by check id."""

    def __init__(self, findings, skipped):
        self.findings, self.skipped = list(findings), list(skipped)

    def of(self, check_id):
        """{object: finding} of one check."""
        return {f.object: f for f in self.findings if f.check == check_id}

    def skip_reason(self, check_id):
        return next((s.reason for s in self.skipped if s.check == check_id), None)


@pytest.fixture
def pg_advise():
    """pg_advise(url, ["pg.index.*"], thresholds={check: {name: v}}, options={...},
    memory=bytes) -> Outcome.

    Fails the test if the run reported an error (a broken query is a bug, not a skip)."""
    def _run(url, checks, thresholds=None, options=None, memory=None):
        report = run([parse_target(url)], RunOptions(include=list(checks), thresholds=thresholds or {},
                                                     engine_options={"postgres": options or {}},
                                                     host=Host(memory_bytes=memory)))
        assert not report.errors, [e.message for e in report.errors]
        return Outcome(report.findings, report.skipped)
    return _run


@pytest.fixture
def pg_judge():
    """pg_judge("pg.check.id", {fact: value}, thresholds={name: v}, memory=bytes) -> Outcome (offline)."""
    def _judge(check_id, facts, thresholds=None, unavailable=None, options=None, memory=None):
        j = support.judge(check_id, facts, thresholds=thresholds, unavailable=unavailable, options=options,
                          memory=memory, target="t")
        return Outcome(j.findings, j.skipped)
    return _judge


@pytest.fixture
def pg_flush():
    """pg_flush(db): make db's session counters visible to other sessions now (PG15+;
    older servers flush on their own within 500 ms)."""
    import time

    def _flush(db):
        if int(db.sql("SHOW server_version_num")[0][0]) >= 150000:
            db.sql("SELECT pg_stat_force_next_flush()")
            db.sql("SELECT 1")  # flushed when the session goes idle after that call
        else:  # pragma: no cover - this machine runs PG15
            time.sleep(0.7)
    return _flush


@pytest.fixture
def pg_twin(pg_db):
    """A second scratch database next to pg_db: the healthy twin of a planted problem."""
    twin = type(pg_db)(pg_db.admin_url)
    try:
        yield twin
    finally:
        twin.drop()


@pytest.fixture
def pg_login_role(pg_db):
    """pg_login_role(*grants) -> URL of the scratch database as a new LOGIN role after running
    `grants` (SQL with {role} for its quoted name); the role and its privileges are dropped after."""
    made = []

    def _make(*grants: str) -> str:
        name = "advisor_lp_" + uuid.uuid4().hex[:8]
        pg_db.sql(f'CREATE ROLE "{name}" LOGIN')
        made.append(name)
        for grant in grants:
            pg_db.sql(grant.format(role=f'"{name}"'))
        p = urlsplit(pg_db.url)
        return urlunsplit((p.scheme, f"{name}@{p.hostname}:{p.port or 5432}", p.path, "", ""))
    yield _make
    for name in made:
        pg_db.sql(f'DROP OWNED BY "{name}"')  # also revokes its privileges, parameters included
        pg_db.sql(f'DROP ROLE "{name}"')
