"""Baselines: stable fingerprints; a rerun against its own baseline exits 0; a new problem fails it."""

from __future__ import annotations

import json

import jsonschema
import pytest

from advisor import baseline
from advisor.model import Finding, Severity
from advisor.report import json_schema

CHECKS = ("--checks", "pg.schema.*", "--checks", "pg.index.duplicate")


def _f(**kw) -> Finding:
    base = dict(target="postgres://db1:5432/app", check="pg.maintenance.bloat", severity=Severity.WARNING,
                category="maintenance", object="public.sessions",
                summary="public.sessions: 61% dead tuples (30,000 dead / 20,000 live), ~4.2 MiB wasted",
                evidence={}, recommendation="r", fix=None, reference="ref")
    base.update(kw)
    return Finding(**base)


def test_fingerprint_ignores_drifting_numbers_but_not_identity():
    a = _f()
    assert baseline.fingerprint(a) == baseline.fingerprint(_f(summary="public.sessions: 75% dead tuples"))
    assert baseline.fingerprint(a) != baseline.fingerprint(_f(object="public.orders"))
    assert baseline.fingerprint(a) != baseline.fingerprint(_f(target="prod-db"))
    assert baseline.fingerprint(a) != baseline.fingerprint(_f(check="pg.maintenance.autovacuum_lagging"))
    # server-wide findings (no object) are keyed by their summary with numbers masked
    s1 = _f(object=None, summary="cache hit ratio 91.2% below 99%")
    s2 = _f(object=None, summary="cache hit ratio 88.7% below 99%")
    s3 = _f(object=None, summary="checkpoints are requested, not timed")
    assert baseline.fingerprint(s1) == baseline.fingerprint(s2) != baseline.fingerprint(s3)


def test_severity_rise_counts_as_new(tmp_path):
    path = tmp_path / "b.json"
    baseline.write([_f()], str(path))
    b = baseline.load(str(path))
    assert _f() in b and _f(severity=Severity.INFO) in b
    assert _f(severity=Severity.CRITICAL) not in b


def test_baseline_file_is_sorted_and_reviewable(tmp_path):
    path = tmp_path / "b.json"
    n = baseline.write([_f(object="public.z"), _f(object="public.a"), _f(object="public.a")], str(path))
    doc = json.loads(path.read_text())
    assert n == 2 and doc["baseline_version"] == 1
    assert [e["fingerprint"] for e in doc["findings"]] == sorted(e["fingerprint"] for e in doc["findings"])
    assert {e["object"] for e in doc["findings"]} == {"public.a", "public.z"}


@pytest.mark.parametrize("content, fragment", [
    (None, "baseline file not found"),
    ("{not json", "not a baseline file"),
    ('{"snapshot_version": 1}', "not a db-advisor baseline"),
    ('{"baseline_version": 1, "findings": [{"check": "x"}]}', "needs a fingerprint"),
])
def test_bad_baseline_file_is_one_line_exit_2(run_cli, tmp_path, content, fragment):
    path = tmp_path / "b.json"
    if content is not None:
        path.write_text(content)
    # the file is read before connecting anywhere: a dead URL does not matter
    code, out, err = run_cli("run", "--baseline", path, "postgresql://u:pw@127.0.0.1:1/db")
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and fragment in err


@pytest.mark.postgres
def test_round_trip_against_a_live_database(pg_db, seeded_pg, run_cli, run_cli_json, tmp_path, require_checks):
    require_checks("pg.schema.no_primary_key", "pg.index.duplicate")
    pg_db.sql("CREATE TABLE audit (at timestamptz, what text)")  # no primary key: today's accepted debt
    base = tmp_path / "advisor-baseline.json"

    code, out, err = run_cli("run", pg_db.url, *CHECKS, "--write-baseline", base)
    assert code == 0, err
    assert "wrote baseline" in err and "pg.schema.no_primary_key" in out  # findings still shown
    recorded = json.loads(base.read_text())["findings"]
    assert [(e["check"], e["object"]) for e in recorded] == [("pg.schema.no_primary_key", "public.audit")]

    # a rerun against its own baseline exits 0 and lists the finding as baselined
    code, report, err = run_cli_json("run", pg_db.url, *CHECKS, "--baseline", base, "--fail-on", "info")
    assert code == 0, err
    assert report["findings"] == []
    assert [m["object"] for m in report["muted"]] == ["public.audit"]
    assert report["muted"][0]["reason"] == f"in baseline {base}"
    jsonschema.validate(report, json_schema())
    code, out, _ = run_cli("run", pg_db.url, *CHECKS, "--baseline", base)
    assert code == 0 and "1 finding(s) muted or in the baseline" in out and "No findings." in out

    # a new problem fails it, and only the new problem is reported
    pg_db.sql("CREATE INDEX audit_what ON audit (what)")
    pg_db.sql("CREATE INDEX audit_what_again ON audit (what)")
    code, report, err = run_cli_json("run", pg_db.url, *CHECKS, "--baseline", base)
    assert code == 1
    assert [(f["check"], f["object"]) for f in report["findings"]] == \
        [("pg.index.duplicate", "public.audit_what_again")]

    # SARIF and Markdown report only the new finding too
    code, out, _ = run_cli("run", pg_db.url, *CHECKS, "--baseline", base, "--format", "sarif")
    assert [r["ruleId"] for r in json.loads(out)["runs"][0]["results"]] == ["pg.index.duplicate"]

    # the same accepted problem in another database is new there: the target is part of the identity
    code, report, _ = run_cli_json("run", pg_db.url, seeded_pg.url, "--checks", "pg.schema.no_primary_key",
                                   "--baseline", base)
    assert code == 1
    assert {(f["target"].rsplit("/", 1)[-1], f["object"]) for f in report["findings"]} == \
        {(seeded_pg.name, "public.audit_log")}
