"""Fleet inventory: targets by URL or env var, concurrent, per-target settings; one dead target
does not stop the others, exit 3 only when no target could be inspected."""

from __future__ import annotations

import jsonschema
import pytest

from advisor import inventory
from advisor.errors import UsageError
from advisor.model import Host
from advisor.report import json_schema
from advisor.runner import RunOptions


def _inv(tmp_path, body: str):
    path = tmp_path / "fleet.toml"
    path.write_text(body)
    return path


def _dead_url(password: str = "hunter2") -> str:
    from servers import free_port
    return f"postgresql://app:{password}@127.0.0.1:{free_port()}/app"


@pytest.mark.postgres
def test_one_dead_target_does_not_stop_the_others(seeded_pg, run_cli_json, tmp_path, monkeypatch, require_checks):
    require_checks("pg.schema.no_primary_key")
    monkeypatch.setenv("SHOP_DB_URL", seeded_pg.url)
    monkeypatch.delenv("MISSING_DB_URL", raising=False)
    path = _inv(tmp_path, f'''
timeout = 5

[[target]]
name = "shop"
url_env = "SHOP_DB_URL"
memory = "8GiB"

[[target]]
name = "legacy"
url = "{_dead_url()}"
timeout = 2

[[target]]
name = "reporting"
url_env = "MISSING_DB_URL"
''')
    code, report, err = run_cli_json("run", "--inventory", path, "--checks", "pg.schema.no_primary_key")
    # findings on the live target decide the exit code; the dead ones are errors, not exit 3
    assert code == 1, err
    assert [t["id"] for t in report["targets"]] == ["shop", "legacy", "reporting"]
    assert {f["target"] for f in report["findings"]} == {"shop"}
    errors = {e["target"]: e["message"] for e in report["errors"]}
    assert "refused" in errors["legacy"].lower()
    assert errors["reporting"] == "not inspected: environment variable MISSING_DB_URL is not set"
    assert "advisor: legacy: cannot connect" in err and "advisor: reporting: not inspected" in err
    assert "hunter2" not in str(report) + err
    jsonschema.validate(report, json_schema())
    # no finding at or above the level: the dead targets alone do not fail the run
    code, _, _ = run_cli_json("run", "--inventory", path, "--checks", "pg.schema.no_primary_key",
                              "--fail-on", "critical")
    assert code == 0


def test_exit_3_only_when_no_target_could_be_inspected(run_cli, tmp_path):
    path = _inv(tmp_path, f'''
[[target]]
name = "a"
url = "{_dead_url()}"
timeout = 1

[[target]]
name = "b"
url = "{_dead_url()}"
timeout = 1
''')
    code, out, err = run_cli("run", "--inventory", path)
    assert code == 3
    assert "advisor: a: cannot connect" in err and "advisor: b: cannot connect" in err


@pytest.mark.postgres
def test_inventory_and_urls_combine(seeded_pg, run_cli_json, tmp_path):
    path = _inv(tmp_path, f'''
[[target]]
name = "shop"
url = "{seeded_pg.url}"
''')
    code, report, err = run_cli_json("run", seeded_pg.url, "--inventory", path, "--checks", "pg.schema.*",
                                     "--fail-on", "never")
    assert code == 0, err
    assert [t["id"] for t in report["targets"]] == [f"postgres://127.0.0.1:5432/{seeded_pg.name}", "shop"]


def test_per_target_settings_override_the_run_options():
    inv = inventory.parse({
        "parallel": 3, "timeout": 7, "memory": "4GiB", "options": {"statement_limit": 100},
        "target": [
            {"name": "big", "url": "postgresql://h1/db", "memory": "64GiB", "cpus": 16, "timeout": 30,
             "options": {"table_limit": 50}},
            {"name": "small", "url": "redis://h2:6379/0"},
        ]}, "fleet.toml")
    assert inv.parallel == 3
    base = RunOptions(timeout=10, host=Host(memory_bytes=None, cpus=2),
                      engine_options={"postgres": {"index_limit": 1}})
    big = base.for_target(inv.targets[0])
    assert big.timeout == 30 and big.host.memory_bytes == 64 * 1024**3 and big.host.cpus == 16
    assert big.options == {"index_limit": 1, "statement_limit": 100, "table_limit": 50}
    assert big.session_options()["timeout"] == 30
    small = base.for_target(inv.targets[1])
    assert small.timeout == 7 and small.host.memory_bytes == 4 * 1024**3 and small.host.cpus == 2
    assert small.options == {}  # the file's statement_limit is not a Redis option: it applies to the others
    assert base.timeout == 10 and base.engine_options == {"postgres": {"index_limit": 1}}  # untouched


@pytest.mark.parametrize("body, fragment", [
    (None, "inventory file not found"),
    ("[[target]\n", "not a valid TOML inventory"),
    ("timeout = 5\n", "no [[target]] tables"),
    ('[[target]]\nurl = "postgresql://h/db"\n', "needs a name"),
    ('[[target]]\nname = "a"\n', "needs exactly one of url"),
    ('[[target]]\nname = "a"\nurl = "postgresql://h/db"\nurl_env = "X"\n', "needs exactly one of url"),
    ('[[target]]\nname = "a"\nurl = "postgresql://h/db"\n[[target]]\nname = "a"\nurl = "redis://h"\n', "appears twice"),
    ('[[target]]\nname = "a"\nurl = "ftp://h/db"\n', "target 'a': unknown URL scheme 'ftp'"),
    ('[[target]]\nname = "a"\nurl = "postgresql://h/db"\nmemory = "lots"\n', "not a memory size"),
    ('[[target]]\nname = "a"\nurl = "postgresql://h/db"\ntimeout = 0\n', "timeout must be > 0"),
    ('[[target]]\nname = "a"\nurl = "postgresql://h/db"\npassword = "x"\n', "unknown key(s) ['password']"),
    ('targets = 1\n', "unknown key(s) ['targets']"),
    ('parallel = 0\n[[target]]\nname = "a"\nurl = "postgresql://h/db"\n', "parallel must be a whole number"),
    ('[[target]]\nname = "a"\nurl = "redis://h"\noptions = { sampel_keys = 5 }\n',
     "redis has no option 'sampel_keys'"),
    ('[[target]]\nname = "a"\nurl = "redis://h"\noptions = { sample_keys = "lots" }\n',
     "option redis.sample_keys must be a whole number"),
    ('options = { sampel_keys = 5 }\n[[target]]\nname = "a"\nurl = "redis://h"\n',
     "no engine has option 'sampel_keys'"),
])
def test_bad_inventory_is_one_line_exit_2(run_cli, tmp_path, body, fragment):
    path = tmp_path / "fleet.toml"
    if body is not None:
        path.write_text(body)
    code, out, err = run_cli("run", "--inventory", path)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and fragment in err, err


def test_env_url_with_bad_scheme_is_a_target_error_not_a_crash(monkeypatch):
    monkeypatch.setenv("ODD_URL", "ftp://u:secret@h/db")
    inv = inventory.parse({"target": [{"name": "odd", "url_env": "ODD_URL"}]})
    assert inv.targets == []
    (r,) = inv.unusable
    assert r.url == "$ODD_URL" and not r.reachable
    assert "unknown URL scheme 'ftp'" in r.errors[0].message and "secret" not in r.errors[0].message


def test_no_url_and_no_inventory_is_a_usage_error():
    with pytest.raises(UsageError):
        inventory.parse({"target": []})
