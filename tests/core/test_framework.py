"""The check framework: registry validation, runner behaviour, snapshots, report schema."""

from __future__ import annotations

import json

import jsonschema
import pytest

from advisor import registry
from advisor.errors import FactUnavailable, TargetLost
from advisor.facts import SnapshotFacts
from advisor.model import Severity, TargetResult
from advisor.report import Report, json_schema
from advisor.runner import RunOptions, run_checks


def test_every_builtin_check_is_well_formed():
    checks = registry.all_checks()
    assert checks, "no checks registered"
    assert not [m for m in registry.plugin_errors if m.startswith("check module")]
    for c in checks:
        assert registry.validate(c) == [], c.id
        assert c.id.split(".")[0] in ("pg", "mysql", "mongo", "redis", "pgbouncer")


def test_malformed_check_is_rejected():
    with pytest.raises(ValueError, match="malformed"):
        @registry.check(id="Bad Id", title="x", category="indexes", severity="warning",
                        facts=[], reference="r")
        def bad(ctx):
            """too short"""


def _fake_check(check_id, func):
    return registry.Check(id=check_id, title="t", engine="postgres", category="indexes",
                          severity=Severity.WARNING, facts=("x",), reference="r", func=func,
                          doc="d" * 50)


def test_runner_turns_missing_facts_into_skips_and_bugs_into_errors():
    def needs_missing(ctx):
        ctx.fact("nope")
        return []

    def buggy(ctx):
        raise ZeroDivisionError("boom")

    def fine(ctx):
        yield ctx.finding(summary="s", evidence={"x": ctx.fact("x")}, recommendation="r")

    res = TargetResult(id="t", engine="postgres", url="postgresql://h/db")
    checks = [_fake_check("pg.a.missing", needs_missing), _fake_check("pg.a.buggy", buggy),
              _fake_check("pg.a.fine", fine)]
    run_checks(res, checks, SnapshotFacts({"x": 1}), RunOptions())
    assert [s.check for s in res.skipped] == ["pg.a.missing"]
    assert "not collected in this snapshot" in res.skipped[0].reason
    assert len(res.errors) == 1 and "ZeroDivisionError: boom" in res.errors[0].message
    assert [f.check for f in res.findings] == ["pg.a.fine"]


def test_lost_connection_gives_partial_report():
    def lost(ctx):
        raise TargetLost("server closed the connection unexpectedly")

    def after(ctx):
        return []

    res = TargetResult(id="t", engine="postgres", url="u")
    run_checks(res, [_fake_check("pg.a.lost", lost), _fake_check("pg.a.after", after)],
               SnapshotFacts({}), RunOptions())
    assert "connection lost during pg.a.lost" in res.errors[0].message
    assert res.skipped[0].check == "pg.a.after"
    assert res.complete is False
    assert Report(targets=[res]).exit_code(None) == 3   # partial is not a clean bill of health
    ok = TargetResult(id="u", engine="postgres", url="u")
    assert Report(targets=[res, ok]).exit_code(None) == 0  # the fleet's other target was inspected


def test_fact_unavailable_carries_how_to_enable():
    e = FactUnavailable("permission denied", "GRANT pg_monitor TO u")
    assert e.describe() == "permission denied; GRANT pg_monitor TO u"


def test_report_validates_against_published_schema():
    def fine(ctx):
        yield ctx.finding(summary="s", evidence={}, recommendation="r", fix="SELECT 1;")

    res = TargetResult(id="t", engine="postgres", url="postgresql://u:***@h/db", score=95)
    run_checks(res, [_fake_check("pg.a.fine", fine)], SnapshotFacts({}), RunOptions())
    doc = json.loads(Report(targets=[res]).to_json())
    jsonschema.validate(doc, json_schema())
    doc["targets"][0]["url"] = "postgresql://u:hunter2@h/db"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, json_schema())


def test_exit_codes_follow_fail_on():
    from advisor.model import Finding
    f = Finding("t", "pg.a.b", Severity.WARNING, "indexes", None, "s", {}, "r", None, "ref")
    rep = Report(targets=[TargetResult(id="t", engine="postgres", url="u", findings=[f])])
    assert rep.exit_code(Severity.WARNING) == 1
    assert rep.exit_code(Severity.CRITICAL) == 0
    assert rep.exit_code(None) == 0
    # one dead target in a fleet: the exit code follows the others' findings (issue 8)
    rep.targets.append(TargetResult(id="d", engine="postgres", url="u", reachable=False))
    assert rep.exit_code(None) == 0
    assert rep.exit_code(Severity.WARNING) == 1
    # 3 only when no target could be inspected
    rep.targets = [rep.targets[1]]
    assert rep.exit_code(Severity.WARNING) == 3


def test_context_records_reads_offers_optional_and_puts_thresholds_read_into_evidence():
    """One accessor for optional facts; the thresholds a check read reach evidence["thresholds"]
    (what the check wrote there itself wins); what it read is recorded for the contract test."""
    from support import judge

    def check(ctx):
        extra = ctx.optional("absent", {"n": 0})
        over = ctx.threshold("max") < ctx.fact("x")
        yield ctx.finding(summary="s", evidence={"x": ctx.fact("x"), "n": extra["n"],
                                                 "thresholds": {"own": 1}},
                          recommendation="r", severity=None if over else Severity.INFO)

    c = registry.Check(id="pg.a.reads", title="t", engine="postgres", category="indexes",
                       severity=Severity.WARNING, facts=("x", "absent"), reference="r", func=check,
                       doc="d" * 50, thresholds={"max": registry.Threshold(3, "n", "test"),
                                                 "unused": registry.Threshold(9, "n", "test")})
    judged = judge(c, {"x": 5}, thresholds={"max": 4})
    (f,) = judged.findings
    assert f.evidence == {"x": 5, "n": 0, "thresholds": {"max": 4, "own": 1}}
    reads = judged.reads["pg.a.reads"]
    assert reads.facts == {"x", "absent"} and reads.thresholds == {"max"}


def test_the_strict_judge_fails_on_an_undeclared_fact():
    from support import judge

    def sneaky(ctx):
        ctx.optional("undeclared")
        return []

    with pytest.raises(AssertionError, match="fact undeclared"):
        judge(_fake_check("pg.a.sneaky", sneaky), {"x": 1})
