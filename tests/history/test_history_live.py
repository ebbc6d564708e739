"""--history on real servers: a sequence consumed between two runs is forecast to run out; a
damaged history file is exit 2 with the report still written and the file untouched; two runs
writing one file at the same time both land; `advisor history` shows runs and changes."""

from __future__ import annotations

import json
import subprocess
import sys

from advisor import history
from support import one_error_line, subprocess_cli


def run(*args):
    return subprocess_cli("run", "--json", "--fail-on", "never", *args)


def test_a_fast_sequence_is_forecast_from_two_runs(pg_db, tmp_path):
    hist = tmp_path / "h.sqlite"
    pg_db.sql("CREATE TABLE orders (id serial PRIMARY KEY, v int)")
    pg_db.sql("SELECT setval('orders_id_seq', 1000000)")        # 0.05% used: no percentage check fires
    first = run("--history", hist, "--checks", "pg.forecast.*", "--checks", "pg.schema.*", pg_db.url)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert not [f for f in report["findings"] if f["check"].startswith("pg.forecast")]
    assert any(s["check"] == "pg.forecast.sequences" and "--history" in s["reason"] for s in report["skipped"])
    assert not [f for f in report["findings"] if f["check"] == "pg.schema.sequence_exhaustion"]

    pg_db.sql("SELECT setval('orders_id_seq', 21000000)")       # 20 M ids in seconds: gone within hours
    second = run("--history", hist, "--checks", "pg.forecast.*", pg_db.url)
    assert second.returncode == 0, second.stderr
    [f] = [f for f in json.loads(second.stdout)["findings"] if f["check"] == "pg.forecast.sequences"]
    assert f["object"] == "public.orders_id_seq" and f["severity"] == "critical"
    ev = f["evidence"]
    assert ev["previous_value"] == 1000000 and ev["current_value"] == 21000000
    assert ev["limit"] == 2147483647 and 0 < ev["time_left_s"] < 7 * 86400
    assert "ALTER TABLE public.orders ALTER COLUMN id TYPE bigint" in f["fix"]

    # the fix, as printed, then the same rate again: a bigint column has centuries left
    pg_db.sql(f["fix"])
    pg_db.sql("SELECT setval('orders_id_seq', 41000000)")
    third = run("--history", hist, "--checks", "pg.forecast.*", pg_db.url)
    assert not [f for f in json.loads(third.stdout)["findings"] if f["check"] == "pg.forecast.sequences"]

    shown = subprocess_cli("history", "--history", hist, "--target", pg_db.url)
    assert shown.returncode == 0, shown.stderr
    assert "3 run(s)" in shown.stdout and "+ critical [pg.forecast.sequences] public.orders_id_seq" in shown.stdout
    assert "- critical [pg.forecast.sequences] public.orders_id_seq" in shown.stdout   # resolved by the fix
    as_json = json.loads(subprocess_cli("history", "--history", hist, "--json").stdout)
    assert [len(t["runs"]) for t in as_json["targets"]] == [3]


def test_damaged_history_is_exit_2_and_the_report_is_still_written(pg_db, tmp_path):
    hist, out = tmp_path / "h.sqlite", tmp_path / "report.json"
    hist.write_bytes(b"this is not a database\n" * 50)
    before = hist.read_bytes()
    p = subprocess_cli("run", "--json", "-o", out, "--history", hist, "--checks", "pg.config.*", pg_db.url)
    assert p.returncode == 2
    assert "not a db-advisor history" in p.stderr.splitlines()[-1]
    assert json.loads(out.read_text())["targets"][0]["complete"] is True
    assert hist.read_bytes() == before


def test_history_command_bad_input(tmp_path, pg_db):
    p = subprocess_cli("history", "--history", tmp_path / "missing.sqlite")
    assert p.returncode == 2 and "not found" in one_error_line(p.stderr)
    hist = tmp_path / "h.sqlite"
    assert run("--history", hist, "--checks", "pg.config.*", pg_db.url).returncode == 0
    p = subprocess_cli("history", "--history", hist, "--target", "redis://127.0.0.1:1/0")
    assert p.returncode == 2 and "no runs of" in one_error_line(p.stderr)


def test_two_cron_runs_writing_one_file_at_once_both_land(pg_db, redis_server, tmp_path):
    hist = tmp_path / "h.sqlite"
    procs = [subprocess.Popen([sys.executable, "-m", "advisor", "run", "--json", "--fail-on", "never",
                               "--history", str(hist), url], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for url in (pg_db.url, redis_server.url)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0], [p.stderr.read() for p in procs]
    h = history.open_history(str(hist))
    assert sorted(r.engine for r in h.runs()) == ["postgres", "redis"]
