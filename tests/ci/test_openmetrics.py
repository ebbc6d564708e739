"""--format openmetrics: parsed by prometheus_client's OpenMetrics parser, stable metric and
label names, one sample per target and severity, no secrets, a dead target is up 0."""

from __future__ import annotations

import json

from prometheus_client.openmetrics.parser import text_string_to_metric_families

from advisor.formats.openmetrics import METRICS
from support import subprocess_cli


def families(text: str) -> dict:
    return {f.name: f for f in text_string_to_metric_families(text)}


def test_live_targets_parse_and_agree_with_the_json_report(pg_db, redis_server, tmp_path):
    pg_db.sql(f'ALTER DATABASE "{pg_db.name}" SET enable_seqscan = off')
    dead = "postgresql://advisor:Pw-never-shown@127.0.0.1:1/x"
    urls = [pg_db.url, redis_server.url, dead]
    p = subprocess_cli("run", "--format", "openmetrics", "--timeout", "3", *urls)
    assert p.returncode == 1, p.stderr          # findings at or above warning
    assert p.stdout.endswith("# EOF\n") and "Pw-never-shown" not in p.stdout
    fam = families(p.stdout)
    assert set(fam) == set(METRICS)   # every documented family, nothing else
    report = json.loads(subprocess_cli("run", "--json", "--timeout", "3", *urls).stdout)
    by_id = {t["id"]: t for t in report["targets"]}
    up = {s.labels["target"]: s.value for s in fam["db_advisor_up"].samples}
    assert up == {i: (1.0 if t["complete"] else 0.0) for i, t in by_id.items()}
    assert sum(up.values()) == 2
    scores = {s.labels["target"]: s.value for s in fam["db_advisor_score"].samples}
    assert set(scores) == {i for i, t in by_id.items() if t["score"] is not None}
    sev = {(s.labels["target"], s.labels["severity"]): s.value for s in fam["db_advisor_severity_findings"].samples}
    assert len(sev) == 3 * 3                      # every target x every severity, zeros included
    pg_id = next(i for i in by_id if pg_db.name in i)
    counted = sum(s.value for s in fam["db_advisor_findings"].samples if s.labels["target"] == pg_id)
    assert counted == sum(sev[(pg_id, x)] for x in ("critical", "warning", "info")) > 0
    assert any(s.labels["check"] == "pg.config.dangerous" and s.labels["target"] == pg_id
               for s in fam["db_advisor_findings"].samples)


def test_label_values_are_escaped():
    from advisor.formats.openmetrics import render
    from advisor.model import TargetResult
    from advisor.report import Report
    odd = TargetResult(id='a "quoted"\\name\nnext', engine="redis", url="redis://h", score=90)
    fam = families(render(Report(targets=[odd])))
    assert fam["db_advisor_score"].samples[0].labels["target"] == 'a "quoted"\\name\nnext'
