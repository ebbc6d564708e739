"""Output formats: SARIF validated against the official 2.1.0 schema, Markdown rendering,
--json as a synonym of --format json."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from advisor import registry
from advisor.baseline import fingerprint
from advisor.formats import markdown, sarif
from advisor.model import Finding, Severity, Skipped, TargetError, TargetResult
from advisor.report import Report

SARIF_SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "sarif-schema-2.1.0.json").read_text())


def validate_sarif(doc: dict) -> None:
    cls = jsonschema.validators.validator_for(SARIF_SCHEMA)
    cls(SARIF_SCHEMA, format_checker=cls.FORMAT_CHECKER).validate(doc)


def _finding(**kw) -> Finding:
    base = dict(target="postgres://db1:5432/app", check="pg.schema.no_primary_key", severity=Severity.WARNING,
                category="schema", object="public.events", summary="table public.events has no primary key",
                evidence={"rows_estimate": 120000}, recommendation="Give it a primary key.",
                fix="ALTER TABLE public.events ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;",
                reference="PostgreSQL docs")
    base.update(kw)
    return Finding(**base)


def _report(*findings: Finding, **target) -> Report:
    t = TargetResult(id="postgres://db1:5432/app", engine="postgres", url="postgresql://u:***@db1:5432/app",
                     server_version="16.4", score=80, findings=list(findings), **target)
    return Report(targets=[t])


@pytest.mark.postgres
def test_sarif_of_a_live_run_validates_against_the_official_schema(seeded_pg, run_cli, tmp_path):
    out = tmp_path / "advisor.sarif"
    code, _, err = run_cli("run", seeded_pg.url, "--format", "sarif", "--output", out, "--fail-on", "never")
    assert code == 0, err
    doc = json.loads(out.read_text())
    validate_sarif(doc)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    # one rule per check of the engines in the report, help text from the check's docstring
    pg_checks = {c.id: c for c in registry.all_checks() if c.engine == "postgres"}
    assert [r["id"] for r in rules] == sorted(pg_checks)
    for r in rules:
        assert r["help"]["text"] == pg_checks[r["id"]].doc
        assert r["shortDescription"]["text"] == pg_checks[r["id"]].title
    assert run["results"], "the seeded database has findings"
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in ("error", "warning", "note")
        assert len(res["partialFingerprints"][sarif.FINGERPRINT_KEY]) == 32
        assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("db-advisor/")
    # the same database twice gives the same fingerprints (stable across runs)
    code, again, _ = run_cli("run", seeded_pg.url, "--format", "sarif", "--fail-on", "never")
    def fps(d):
        return sorted(r["partialFingerprints"][sarif.FINGERPRINT_KEY] for r in d["runs"][0]["results"])
    assert fps(json.loads(again)) == fps(doc)


def test_sarif_levels_errors_and_skips_validate():
    crit = _finding(check="pg.config.dangerous", severity=Severity.CRITICAL, object="fsync", category="durability")
    info = _finding(severity=Severity.INFO, object=None, fix=None, summary="table a has no primary key")
    report = _report(crit, info, _finding(),
                     skipped=[Skipped("postgres://db1:5432/app", "pg.statements.slow", "pg_stat_statements missing")])
    report.targets.append(TargetResult(id="dead", engine="redis", url="redis://h:6379/0", reachable=False,
                                       errors=[TargetError("dead", "cannot connect to redis://h:6379/0: refused")]))
    doc = sarif.to_sarif(report)
    validate_sarif(doc)
    levels = {r["ruleId"] + ":" + str(r["properties"]["object"]): r["level"] for r in doc["runs"][0]["results"]}
    assert levels == {"pg.config.dangerous:fsync": "error", "pg.schema.no_primary_key:public.events": "warning",
                      "pg.schema.no_primary_key:None": "note"}
    inv = doc["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False
    notes = {n["level"]: n for n in inv["toolExecutionNotifications"]}
    assert "refused" in notes["error"]["message"]["text"]
    assert notes["note"]["associatedRule"]["id"] == "pg.statements.slow"
    # a finding of a check this installation does not know still gets a rule
    doc = sarif.to_sarif(_report(_finding(check="pg.vendor.custom_rule")))
    validate_sarif(doc)
    run = doc["runs"][0]
    assert run["tool"]["driver"]["rules"][run["results"][0]["ruleIndex"]]["id"] == "pg.vendor.custom_rule"


def test_sarif_schema_rejects_a_broken_log():
    """The vendored schema is not a rubber stamp."""
    doc = sarif.to_sarif(_report(_finding()))
    doc["runs"][0]["results"][0]["level"] = "critical"
    with pytest.raises(jsonschema.ValidationError):
        validate_sarif(doc)


def test_fingerprint_is_the_baseline_fingerprint():
    f = _finding()
    doc = sarif.to_sarif(_report(f))
    assert doc["runs"][0]["results"][0]["partialFingerprints"] == {sarif.FINGERPRINT_KEY: fingerprint(f)}


@pytest.mark.postgres
def test_markdown_of_a_live_run(seeded_pg, run_cli):
    code, out, err = run_cli("run", seeded_pg.url, "--format", "markdown", "--fail-on", "never",
                             "--checks", "pg.schema.*", "--checks", "pg.index.duplicate")
    assert code == 0, err
    assert out.startswith("## db-advisor report\n")
    assert f"| `postgres://127.0.0.1:5432/{seeded_pg.name}` | postgres |" in out
    assert "#### 🟠 `pg.index.duplicate` · `public.customers_email_idx2`" in out
    assert "```sql\nDROP INDEX CONCURRENTLY public.customers_email_idx2;" in out


def test_markdown_escapes_database_text_and_fences_fixes():
    f = _finding(object="public.`odd|name`", summary="# not a heading <script>x</script> | pipe *bold*",
                 fix="SELECT '```';\nSELECT 2;")
    out = markdown.render(_report(f))
    assert "\\# not a heading \\<script\\>x\\</script\\> \\| pipe \\*bold\\*" in out
    assert "<script>" not in out
    # the fence is longer than any backtick run inside the fix
    assert "````sql\nSELECT '```';\nSELECT 2;\n````" in out
    # an object with backticks becomes a code span that survives them
    assert "#### 🟠 `pg.schema.no_primary_key` · `` public.`odd|name` ``" in out


def test_markdown_stays_under_the_comment_limit():
    many = [_finding(object=f"public.t{i}", summary=f"table public.t{i} has no primary key") for i in range(400)]
    out = markdown.render(_report(*many), max_chars=20000)
    assert len(out) <= 20000 + 500
    shown = out.count("#### ")
    assert 0 < shown < 400
    assert f"{400 - shown} more finding(s) not shown here" in out


def test_markdown_lists_errors_skips_and_muted():
    report = _report(skipped=[Skipped("postgres://db1:5432/app", "pg.statements.slow", "extension missing")])
    report.targets.append(TargetResult(id="dead", engine="redis", url="redis://h/0", reachable=False,
                                       errors=[TargetError("dead", "refused")]))
    report.muted.append({"target": "postgres://db1:5432/app", "check": "pg.index.unused", "object": "public.i",
                         "reason": "in baseline b.json"})
    out = markdown.render(report)
    assert "| `dead` | redis | server | ? | unreachable | 0 | 0 |" in out
    assert "<summary>Errors (1)</summary>" in out and "<summary>Skipped checks (1)</summary>" in out
    assert "<summary>Muted or baselined (1)</summary>" in out and "in baseline b.json" in out


@pytest.mark.postgres
def test_json_flag_is_format_json(seeded_pg, run_cli):
    args = ("run", seeded_pg.url, "--fail-on", "never", "--checks", "pg.schema.*")
    a = json.loads(run_cli(*args, "--json")[1])
    b = json.loads(run_cli(*args, "--format", "json")[1])
    for d in (a, b):
        d.pop("generated_at")
        for t in d["targets"]:
            t.pop("duration_ms")
    assert a == b


def test_server_wide_findings_are_marked_in_every_format():
    """A run scoped to database `app` also reports the server's settings: those findings say
    "(server)" in text, Markdown, SARIF and the TUI's rows, and each header names the scope."""
    from advisor import render_text
    from advisor.context import CheckContext
    from advisor.model import Host
    from advisor.facts import SnapshotFacts
    from advisor.scope import shown_object

    checks = {c.id: c for c in registry.all_checks()}
    setting = checks["pg.config.checkpoints"]
    table = checks["pg.index.unused"]
    made = [CheckContext(c, "postgres://db1:5432/app", SnapshotFacts({}), Host(), {}).finding(
        object=obj, summary="s", evidence={}, recommendation="r") for c, obj in ((setting, "checkpoint_timeout"),
                                                                                 (table, "public.i"))]
    server, scoped = made
    assert server.scope == "server" and scoped.scope is None
    assert server.to_dict()["scope"] == "server" and "scope" not in scoped.to_dict()
    report = _report(server, scoped)
    text = render_text.render(report)
    assert "scope database app" in text
    assert "[pg.config.checkpoints] (server) checkpoint_timeout" in text and "[pg.index.unused] public.i" in text
    md = markdown.render(report)
    assert "| postgres | database app |" in md and "`(server) checkpoint_timeout`" in md
    results = sarif.render(report)
    res = {r["ruleId"]: r for r in json.loads(results)["runs"][0]["results"]}
    assert res["pg.config.checkpoints"]["message"]["text"].startswith("(server) ")
    assert res["pg.config.checkpoints"]["locations"][0]["logicalLocations"][0]["kind"] == "server"
    assert res["pg.index.unused"]["properties"]["scope"] == "target"
    assert shown_object(server) == "(server) checkpoint_timeout" and shown_object(scoped) == "public.i"
