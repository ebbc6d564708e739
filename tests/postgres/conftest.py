"""PostgreSQL test helpers: run selected checks live against a scratch database, or judge
them on recorded facts."""

from __future__ import annotations

import pytest

from advisor.facts import SnapshotFacts
from advisor.model import TargetResult
from advisor.registry import get
from advisor.runner import RunOptions, run, run_checks
from advisor.targets import parse_target


@pytest.fixture
def pg_advise():
    """pg_advise(url, ["pg.index.*"], thresholds={check: {name: v}}, options={...}) -> Report.

    Fails the test if the run reported an error (a broken query is a bug, not a skip)."""
    def _run(url, checks, thresholds=None, options=None):
        report = run([parse_target(url)], RunOptions(include=list(checks), thresholds=thresholds or {},
                                                     engine_options={"postgres": options or {}}))
        assert not report.errors, [e.message for e in report.errors]
        return report
    return _run


@pytest.fixture
def pg_judge():
    """pg_judge("pg.check.id", {fact: value}, thresholds={name: v}) -> TargetResult (offline)."""
    def _judge(check_id, facts, thresholds=None, unavailable=None, options=None):
        c = get(check_id)
        res = TargetResult(id="t", engine="postgres", url="postgresql://h/db")
        opts = RunOptions(thresholds={check_id: thresholds or {}})
        run_checks(res, [c], SnapshotFacts(facts, unavailable, options), opts)
        assert not res.errors, [e.message for e in res.errors]
        return res
    return _judge


def flush_stats(db) -> None:
    """Make this session's table/index counters visible to other sessions now (PG15+)."""
    if db.sql("SHOW server_version_num")[0][0] >= "150000":
        db.sql("SELECT pg_stat_force_next_flush()")
    db.sql("SELECT 1")  # the flush happens when the session goes idle after a transaction


def of(report, check_id):
    """Findings of one check, by object."""
    return {f.object: f for f in report.findings if f.check == check_id}
