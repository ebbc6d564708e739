"""Bad config files, snapshots, output paths and Ctrl-C through the real CLI: one line on
stderr, exit 2 (usage/config) or 130 (interrupted), no traceback, no password, and never a
connection attempt before the command line and files are known to be usable."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from qa_helpers import SECRET, SilentServer, assert_contract, closed_port
from support import subprocess_cli


def _dead_url() -> str:
    return f"postgresql://u:{SECRET}@127.0.0.1:{closed_port()}/db"


@pytest.mark.parametrize("toml, fragment", [
    ("fail_on = \n", "not valid TOML"),
    ("\xff\xfe", "not valid TOML"),
    ("colour = 'red'\n", "unknown key(s) ['colour']"),
    ("fail_on = 3\n", "fail_on must be a string"),
    ("fail_on = 'sometimes'\n", "unknown severity"),
    ("timeout = 'fast'\n", "timeout must be a number"),
    ("timeout = -1\n", "timeout must be > 0"),
    ("timeout = 0\n", "timeout must be > 0"),
    ("cpus = 0\n", "cpus must be > 0"),
    ("cpus = 2.5\n", "cpus must be a whole number"),
    ("memory = 'lots'\n", "not a memory size"),
    ("memory = 16\n", "memory must be a string"),
    ("memory = '0GiB'\n", "memory must be > 0"),
    ("checks = 5\n", "checks must be a list of strings"),
    ("thresholds = 1\n", "thresholds must be a table"),
    ("[thresholds.'pg.nothing']\nx = 1\n", "unknown check 'pg.nothing'"),
    ("[thresholds.'pg.index.unused']\nmin_size = 1\n", "has no threshold 'min_size'"),
    ("[thresholds.'pg.index.unused']\nmin_bytes = '1GB'\n", "must be a number, not '1GB'"),
    ("[thresholds.'pg.index.unused']\nmin_bytes = true\n", "must be a number, not True"),
    ("[options]\npostgres = 1\n", "options.postgres must be a table"),
    ("[options.postgresql]\nstatement_limit = 5\n", "unknown engine 'postgresql'"),
    ("[options.postgres]\nstatement_limit = [1]\n", "option postgres.statement_limit must be a whole number"),
    ("options = 3\n", "options must be a table"),
    ("mute = 5\n", "mute must be an array of tables"),
    ("[[mute]]\ncheck = 'pg.*'\n", "needs at least check = ... and reason = ..."),
    ("[[mute]]\ncheck = 1\nreason = 'x'\n", "check must be a string"),
    ("[[mute]]\ncheck = 'pg.*'\nreason = 'x'\nexpires = 'soon'\n", "expires must be a date"),
    ("[[mute]]\ncheck = 'pg.*'\nreason = 'x'\nexpires = 20250101\n", "expires must be a date"),
])
def test_bad_config_exits_2_before_connecting(tmp_path, toml, fragment):
    cfg = tmp_path / "advisor.toml"
    cfg.write_bytes(toml.encode("latin-1") if "\xff" in toml else toml.encode())
    p = subprocess_cli("run", "--config", cfg, _dead_url())
    assert_contract(p, 2, str(cfg), fragment)   # 2, not 3: the dead URL was never tried


@pytest.mark.parametrize("args", [["run", "--memory", "0"], ["size", "postgresql", "--memory", "0B"],
                                  ["run", "--timeout", "0"], ["run", "--cpus", "0"]])
def test_zero_sizes_are_refused(args):
    """0 would silently mean 'unknown' (no sizing) or 'no timeout'."""
    p = subprocess_cli(*args, *([_dead_url()] if args[0] == "run" else []))
    assert_contract(p, 2, "must be > 0")


@pytest.mark.parametrize("content, fragment", [
    ('{"a": 1', "not a snapshot file"),
    (b"\xff\xfe\x00", "not a snapshot file"),
    ("[1, 2]", "not a db-advisor snapshot"),
    ('{"snapshot_version": 99, "targets": []}', "not a db-advisor snapshot"),
    ('{"snapshot_version": 1}', "'targets' must be a non-empty list"),
    ('{"snapshot_version": 1, "targets": "x"}', "'targets' must be a non-empty list"),
    ('{"snapshot_version": 1, "targets": [{"id": "x"}]}', "needs 'id', 'engine' and 'url'"),
    ('{"snapshot_version": 1, "targets": [{"id": "x", "engine": "oracle", "url": "u"}]}',
     "unknown engine 'oracle'"),
    ('{"snapshot_version": 1, "targets": [{"id": "x", "engine": "redis", "url": "u", "facts": []}]}',
     "'facts' must be an object"),
    ('{"schema_version": 1, "findings": [], "targets": []}', "this is a report"),
])
def test_corrupt_or_foreign_snapshot_exits_2(tmp_path, content, fragment):
    f = tmp_path / "snap.json"
    f.write_bytes(content if isinstance(content, bytes) else content.encode())
    assert_contract(subprocess_cli("analyze", f), 2, fragment)


def test_snapshot_with_wrong_fact_types_reports_check_errors(tmp_path):
    """Well-formed but nonsensical facts: the checks that choke are errors in the report,
    the others run; no traceback, no internal-error exit."""
    f = tmp_path / "snap.json"
    f.write_text(json.dumps({"snapshot_version": 1, "targets": [
        {"id": "pg", "engine": "postgres", "url": "postgresql://h/db",
         "facts": {"pg.settings": 5, "pg.server": "x"}}]}))
    p = subprocess_cli("analyze", "--json", f)
    assert p.returncode in (0, 1) and "Traceback" not in p.stderr
    doc = json.loads(p.stdout)
    assert doc["errors"] and all(e["message"].startswith("check ") for e in doc["errors"])


@pytest.mark.parametrize("flag", ["--output", "--write-baseline"])
@pytest.mark.parametrize("where", ["missing-dir/report.json", "a-directory"])
def test_unwritable_output_exits_2_before_connecting(tmp_path, flag, where):
    (tmp_path / "a-directory").mkdir()
    p = subprocess_cli("run", flag, tmp_path / where, _dead_url())
    assert_contract(p, 2, "cannot write")


def test_snapshot_to_unwritable_path_exits_2(tmp_path):
    p = subprocess_cli("snapshot", _dead_url(), "-o", tmp_path / "nope" / "s.json")
    assert_contract(p, 2, "cannot write")


@pytest.mark.parametrize("urls", [1, 4])
def test_ctrl_c_ends_at_once_with_130(urls):
    """Ctrl-C while connecting to hung servers (one target, and a fleet in worker threads)."""
    srv = SilentServer()
    schemes = ["postgresql", "mysql", "redis", "mongodb"][:urls]
    args = [f"{s}://u:{SECRET}@127.0.0.1:{srv.port}/" + ("0" if s == "redis" else "db") for s in schemes]
    try:
        p = subprocess.Popen([sys.executable, "-m", "advisor", "run", "--timeout", "60", *args],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 20
        while len(srv.conns) < urls and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(srv.conns) >= urls  # every target is stuck in its connect
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
        elapsed = time.monotonic() - t0
    finally:
        srv.close()
    p.stdout, p.stderr = out, err
    assert_contract(p, 130, "interrupted")
    assert elapsed < 5, elapsed


@pytest.mark.parametrize("entry, fragment", [
    ('timeout = "x"', "timeout must be a number, not 'x'"),
    ("memory = 5", "memory must be a string"),
    ('memory = "0B"', "memory must be > 0"),
    ("cpus = -2", "cpus must be > 0"),
    ("options = 3", "options must be a table"),
])
def test_bad_inventory_settings_exit_2(tmp_path, entry, fragment):
    inv = tmp_path / "fleet.toml"
    inv.write_text(f'[[target]]\nname = "a"\nurl = "{_dead_url()}"\n{entry}\n')
    assert_contract(subprocess_cli("run", "--inventory", inv), 2, "target 'a'", fragment)
