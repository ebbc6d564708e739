"""Mutes in the config file: a reason is required, an expiry date brings the finding back."""

from __future__ import annotations

import datetime as dt

import pytest

from advisor.config import Mute
from advisor.model import Finding, Severity

CHECKS = ("--checks", "pg.schema.no_primary_key", "--checks", "pg.index.duplicate")


def _config(tmp_path, body: str):
    path = tmp_path / "advisor.toml"
    path.write_text(body)
    return path


@pytest.mark.postgres
def test_mute_with_reason_and_future_expiry(seeded_pg, run_cli_json, tmp_path, require_checks):
    require_checks("pg.schema.no_primary_key", "pg.index.duplicate")
    future = dt.date.today() + dt.timedelta(days=30)
    cfg = _config(tmp_path, f'''
[[mute]]
check = "pg.schema.no_primary_key"
object = "public.audit_*"
reason = "append-only audit table, PK planned in JIRA-123"
expires = {future.isoformat()}

[[mute]]
check = "pg.index.*"
target = "postgres://127.0.0.1:5432/{seeded_pg.name}"
reason = "index cleanup scheduled"
''')
    code, report, err = run_cli_json("run", seeded_pg.url, *CHECKS, "--config", cfg)
    assert code == 0, (report["findings"], err)
    assert report["findings"] == []
    reasons = {(m["check"], m["object"]): m["reason"] for m in report["muted"]}
    assert reasons == {
        ("pg.schema.no_primary_key", "public.audit_log"): "append-only audit table, PK planned in JIRA-123",
        ("pg.index.duplicate", "public.customers_email_idx2"): "index cleanup scheduled"}


@pytest.mark.postgres
def test_expired_mute_brings_the_finding_back(seeded_pg, run_cli_json, tmp_path, require_checks):
    require_checks("pg.schema.no_primary_key")
    yesterday = dt.date.today() - dt.timedelta(days=1)
    cfg = _config(tmp_path, f'''
[[mute]]
check = "pg.schema.no_primary_key"
reason = "was accepted until yesterday"
expires = "{yesterday.isoformat()}"
''')
    code, report, _ = run_cli_json("run", seeded_pg.url, "--checks", "pg.schema.no_primary_key", "--config", cfg)
    assert code == 1
    assert [f["object"] for f in report["findings"]] == ["public.audit_log"]
    assert "muted" not in report


def test_mute_expiry_boundary_is_inclusive():
    f = Finding("t", "pg.a.b", Severity.WARNING, "schema", "public.x", "s", {}, "r", None, "ref")
    m = Mute(check="pg.a.*", reason="r", expires=dt.date(2030, 1, 31))
    assert m.applies(f, today=dt.date(2030, 1, 31))
    assert not m.applies(f, today=dt.date(2030, 2, 1))
    assert not Mute(check="pg.a.*", reason="r", object="public.y").applies(f)


@pytest.mark.parametrize("body, fragment", [
    ('[[mute]]\ncheck = "pg.schema.*"\n', "needs at least check = ... and reason = ..."),
    ('[[mute]]\ncheck = "pg.schema.*"\nreason = ""\n', "needs at least check = ... and reason = ..."),
    ('[[mute]]\ncheck = "pg.schema.*"\nreason = "r"\nexpires = "next week"\n', "expires must be a date"),
])
def test_bad_mutes_are_one_line_exit_2(run_cli, tmp_path, body, fragment):
    code, _, err = run_cli("run", "postgresql://127.0.0.1:1/db", "--config", _config(tmp_path, body))
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and fragment in err
