"""Issue 19 ("first contact"), items 3, 4 and 10, through the real CLI in a subprocess:
mistakes in the check selection and in [[mute]]s are errors, not silence; options go
between URLs; `advisor checks` and the help texts fit a new user's 80-column terminal."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from advisor.report import json_schema
from qa_helpers import assert_contract, closed_port, report_of
from support import subprocess_cli


def _config(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "advisor.toml"
    p.write_text(text)
    return p


# ---- item 3: selection mistakes ----------------------------------------------------------

@pytest.mark.parametrize("flags, fragment", [
    (["--skip", "pg.nothing.*"], "--skip 'pg.nothing.*' matches no check"),
    (["--checks", "pg.cache.*", "--skip", "pg.cache.*,pg.typo.*"], "--skip 'pg.typo.*' matches no check"),
    (["--checks", "pg.cache.*,pg.typo.*"], "--checks 'pg.typo.*' matches no check"),
])
def test_a_glob_matching_no_check_is_exit_2_before_connecting(flags, fragment):
    p = subprocess_cli("run", f"postgresql://postgres@127.0.0.1:{closed_port()}/db", *flags)
    assert_contract(p, 2, fragment)


def test_config_skip_matching_no_check_is_exit_2(tmp_path):
    cfg = _config(tmp_path, 'skip = ["pg.nothing.*"]\n')
    p = subprocess_cli("run", f"postgresql://127.0.0.1:{closed_port()}/db", "--config", cfg)
    assert_contract(p, 2, "skip =", "'pg.nothing.*' matches no check")


def test_a_mute_of_an_unknown_check_is_exit_2(tmp_path):
    cfg = _config(tmp_path, '[[mute]]\ncheck = "pg.cahce.*"\nreason = "typo"\n')
    p = subprocess_cli("run", f"postgresql://127.0.0.1:{closed_port()}/db", "--config", cfg)
    assert_contract(p, 2, "mute #1", "'pg.cahce.*' matches no check")


def test_an_expired_mute_is_said_and_listed(tmp_path, pg_db):
    cfg = _config(tmp_path, '[[mute]]\ncheck = "pg.*"\nreason = "until the upgrade"\nexpires = 2020-01-31\n')
    p = subprocess_cli("run", pg_db.url, "--json", "--fail-on", "never", "--config", cfg)
    assert p.returncode == 0, p.stderr
    assert "advisor: mute of pg.* expired on 2020-01-31: its findings are reported again" in p.stderr.splitlines()
    report = report_of(p)
    jsonschema.validate(report, json_schema())
    assert report["expired_mutes"] == [{"check": "pg.*", "object": None, "target": None,
                                        "reason": "until the upgrade", "expires": "2020-01-31"}]
    assert "muted" not in report and report["findings"], "the expired mute still hid findings"
    assert report["tool"]["config"] == str(cfg.resolve())


def test_a_live_mute_is_not_reported_as_expired(tmp_path, pg_db):
    cfg = _config(tmp_path, '[[mute]]\ncheck = "pg.*"\nreason = "known"\nexpires = 2999-01-01\n')
    p = subprocess_cli("run", pg_db.url, "--json", "--fail-on", "never", "--config", cfg)
    assert p.returncode == 0 and "expired" not in p.stderr, p.stderr
    report = report_of(p)
    assert "expired_mutes" not in report and report["muted"] and not report["findings"]


def test_no_applicable_check_on_the_only_target_is_exit_2():
    p = subprocess_cli("run", f"postgresql://127.0.0.1:{closed_port()}/db", "--checks", "mysql.*")
    assert_contract(p, 2, "no selected check applies to a PostgreSQL target")


def test_a_target_no_selected_check_applies_to_is_not_scored(pg_db, mysql_admin_url):
    """`--checks 'mysql.*'` with a PostgreSQL URL among others: that target is named on stderr,
    has score null and says why; the MySQL target is judged; the exit code follows its findings."""
    p = subprocess_cli("run", pg_db.url, mysql_admin_url, "--checks", "mysql.*", "--json", "--fail-on", "never")
    assert p.returncode == 0, p.stderr
    report = report_of(p)
    jsonschema.validate(report, json_schema())
    pg, my = report["targets"]
    assert pg["engine"] == "postgres" and pg["score"] is None
    assert pg["not_scored"].startswith("no selected check applies to a PostgreSQL target")
    assert my["score"] is not None and "not_scored" not in my
    assert f"advisor: {pg['id']}: no selected check applies to a PostgreSQL target" in p.stderr
    text = subprocess_cli("run", pg_db.url, mysql_admin_url, "--checks", "mysql.*", "--fail-on", "never")
    assert "not scored" in text.stdout and "100/100" not in text.stdout


# ---- item 4: options between URLs, comma lists ------------------------------------------

def test_options_between_urls(pg_db, redis_server):
    p = subprocess_cli("run", pg_db.url, "--memory", "16GiB", redis_server.url, "--checks",
                       "pg.memory.*,redis.memory.*", "--json", "--fail-on", "never")
    assert p.returncode == 0, p.stderr
    report = report_of(p)
    assert [t["engine"] for t in report["targets"]] == ["postgres", "redis"]
    checks = {f["check"] for f in report["findings"]} | {s["check"] for s in report["skipped"]}
    assert checks and all(c.startswith(("pg.memory.", "redis.memory.")) for c in checks), checks
    # --memory reached both targets: the Redis maxmemory advice sizes from it
    assert any(f["evidence"].get("memory_source") == "--memory" for f in report["findings"]), report["findings"]


def test_snapshot_options_between_urls(tmp_path, pg_db, redis_server):
    out = tmp_path / "snap.json"
    p = subprocess_cli("snapshot", pg_db.url, "-o", out, redis_server.url, "--checks", "pg.cache.*,redis.memory.*")
    assert p.returncode == 0, p.stderr
    assert [e["engine"] for e in json.loads(out.read_text())["targets"]] == ["postgres", "redis"]


def test_tui_takes_options_between_urls():
    from advisor.cli import build_parser
    args = build_parser().parse_args(["tui", "postgresql://a/db", "--timeout", "3", "redis://b"])
    assert args.urls == ["postgresql://a/db", "redis://b"] and args.timeout == 3
