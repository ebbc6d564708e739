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


# ---- item 10: `advisor checks`, help texts, engine names, small print -------------------

ROOT = Path(__file__).resolve().parents[2]


def test_checks_text_fits_80_columns_in_the_engine_tables_order():
    from advisor.engines import ENGINES
    p = subprocess_cli("checks")
    assert p.returncode == 0 and p.stderr == "", p.stderr
    lines = p.stdout.splitlines()
    too_wide = [ln for ln in lines if len(ln) > 80]
    assert not too_wide, too_wide[:3]
    prefixes = list(dict.fromkeys(ln.split(".")[0] for ln in lines if ln[:1].isalpha()))
    assert prefixes == [e.prefix for e in ENGINES.values()], prefixes


def test_an_overridden_threshold_says_where_it_was_set(tmp_path):
    cfg = _config(tmp_path, '[thresholds."pg.cache.hit_ratio"]\nwarn_pct = 90\n')
    p = subprocess_cli("checks", "--engine", "pg", "--config", cfg)
    assert p.returncode == 0, p.stderr
    block = p.stdout.split("pg.cache.hit_ratio ", 1)[1].split("\npg.", 1)[0]
    assert f"warn_pct = 90 % (set in {cfg.resolve()}, default 99)" in " ".join(block.split()), block
    assert "min_blocks = 100000 blocks (advisor default" in " ".join(block.split()), block


def test_every_option_has_help():
    """Walks the real parser: an option or positional without a help text fails here."""
    import argparse
    from advisor.cli import build_parser

    missing = []

    def walk(parser, path):
        for a in parser._actions:
            if isinstance(a, argparse._SubParsersAction):
                for name, sub in a.choices.items():
                    walk(sub, f"{path} {name}")
            elif not a.help:
                missing.append(f"{path} {'/'.join(a.option_strings) or a.dest}")
    walk(build_parser(), "advisor")
    assert not missing, missing
    for command in ("snapshot", "tui"):
        p = subprocess_cli(command, "--help")
        assert p.returncode == 0 and "bound on connecting and on each query" in p.stdout


@pytest.mark.parametrize("name, engine", [("pg", "postgres"), ("postgresql", "postgres"), ("postgres", "postgres"),
                                          ("mariadb", "mysql"), ("MySQL", "mysql"), ("mongodb", "mongo"),
                                          ("rediss", "redis")])
def test_engine_takes_the_url_scheme_names(name, engine):
    p = subprocess_cli("checks", "--engine", name, "--json")
    assert p.returncode == 0, p.stderr
    assert {c["engine"] for c in json.loads(p.stdout)["checks"]} == {engine}
    p = subprocess_cli("options", "--engine", name, "--json")
    assert p.returncode == 0 and list(json.loads(p.stdout)["options"]) == [engine], p.stderr


def test_unknown_engine_and_fail_on_errors_list_the_choices(tmp_path):
    line = assert_contract(subprocess_cli("checks", "--engine", "oracle"), 2, "unknown engine 'oracle'")
    assert "postgresql" in line and "mariadb" in line
    assert_contract(subprocess_cli("run", "--fail-on", "bad", "postgresql://h/db"), 2,
                    "unknown severity 'bad'", "never")
    cfg = _config(tmp_path, 'fail_on = "sometimes"\n')
    assert_contract(subprocess_cli("run", "--config", cfg, "postgresql://h/db"), 2,
                    "unknown severity 'sometimes'", "never")


def test_severity_rules_are_80_columns(pg_db):
    p = subprocess_cli("run", pg_db.url, "--fail-on", "never")
    rules = [ln for ln in p.stdout.splitlines() if ln.startswith("== ")]
    assert rules and all(len(ln) == 80 for ln in rules), rules
    assert any("(" in r and len(r.split("(")[1].split(")")[0]) >= 2 for r in rules), \
        f"no rule with a two-digit count to test: {rules}"


def test_work_mem_summary_and_fix_name_the_same_value(pg_db):
    """16 GiB and 100 connections: the guide's work_mem is 40.96 MiB; the summary said 41.0 MiB
    while the fix set 40MB. Both now name the value the fix sets."""
    from advisor.units import human_bytes
    pg_db.sql(f'ALTER DATABASE "{pg_db.name}" SET work_mem = \'1GB\'')
    p = subprocess_cli("run", pg_db.url, "--memory", "16GiB", "--checks", "pg.memory.work_mem,pg.memory.worst_case",
                       "--json", "--fail-on", "never")
    findings = {f["check"]: f for f in report_of(p)["findings"]}
    wm = findings["pg.memory.work_mem"]
    guide = wm["summary"].split("the guide's ")[1].split(" for ")[0]
    fixed = wm["fix"].split("SET work_mem = '")[1].split("'")[0]
    assert guide == "40.0 MiB" and fixed == "40MB", (wm["summary"], wm["fix"])
    worst = findings["pg.memory.worst_case"]
    at_most = worst["recommendation"].split("at most ")[1].split(" (")[0]
    setting = worst["fix"].split("SET work_mem = '")[1].split("'")[0]
    number, unit = int(setting[:-2]), setting[-2:]
    assert human_bytes(number * {"kB": 1024, "MB": 1024**2, "GB": 1024**3}[unit]) == at_most, (at_most, setting)


def _mysql_grants(text: str) -> set[str]:
    import re
    return set(re.findall(r"GRANT [A-Z ,]+ ON [\w.*]+ TO 'advisor'@'%';", text))


def test_mysql_grants_are_one_set_and_enough(mysql_db):
    """README's least-privilege row is the reference; docs/ci.md gives the same statements; an
    account with exactly those GRANTs gets no check skipped for a missing privilege."""
    readme = next(ln for ln in (ROOT / "README.md").read_text().splitlines() if ln.startswith("| MySQL / MariaDB |"))
    ci = (ROOT / "docs" / "ci.md").read_text().split("-- MySQL 8 / MariaDB", 1)[1].split("```", 1)[0]
    grants = _mysql_grants(readme)
    assert grants and grants == _mysql_grants(ci)
    assert any("REPLICATION CLIENT" in g for g in grants) and any("SLAVE MONITOR" in g for g in grants)
    user = f"adv_{mysql_db.name[-8:]}"
    mysql_db.sql(f"CREATE USER '{user}'@'%' IDENTIFIED BY 'Pw-first-contact-19'")
    try:
        for g in grants:
            mysql_db.sql(g.replace("'advisor'@'%'", f"'{user}'@'%'"))
        host = mysql_db.url.split("@", 1)[1]
        p = subprocess_cli("run", f"mysql://{user}:Pw-first-contact-19@{host}", "--json", "--fail-on", "never")
        report = report_of(p)
        denied = [s for s in report["skipped"] if "denied" in s["reason"] or "GRANT" in s["reason"]]
        assert not denied and not report["errors"], (denied, report["errors"])
    finally:
        mysql_db.sql(f"DROP USER '{user}'@'%'")


def test_verbose_names_the_config_applied(tmp_path, pg_db):
    cfg = _config(tmp_path, "timeout = 10\n")
    p = subprocess_cli("run", pg_db.url, "--verbose", "--config", cfg, "--checks", "pg.cache.*",
                       "--fail-on", "never")
    assert f"advisor: config: {cfg.resolve()}" in p.stderr.splitlines(), p.stderr
    p = subprocess_cli("run", pg_db.url, "--json", "--checks", "pg.cache.*", "--fail-on", "never")
    assert report_of(p)["tool"]["config"] is None or Path(report_of(p)["tool"]["config"]).is_file()


def test_a_report_read_back_is_the_same_report(tmp_path, pg_db):
    """What `advisor diff` and `advisor tui report.json` read: every part of the report survives
    (mutes live and expired, the config, a dead target's error, the sampling window)."""
    from advisor.report import Report
    cfg = _config(tmp_path, '[[mute]]\ncheck = "pg.schema.*"\nreason = "known"\n'
                            '[[mute]]\ncheck = "pg.cache.*"\nreason = "old"\nexpires = 2020-01-31\n')
    pg_db.sql("CREATE TABLE no_key (a int)")
    p = subprocess_cli("run", pg_db.url, f"postgresql://postgres@127.0.0.1:{closed_port()}/gone",
                       "--json", "--fail-on", "never", "--config", cfg, "--sample", "1")
    report = report_of(p)
    assert report["muted"] and report["expired_mutes"] and report["errors"] and report["tool"]["config"]
    assert report["targets"][0]["sample_s"] == 1
    assert json.loads(Report.from_dict(report).to_json()) == report
