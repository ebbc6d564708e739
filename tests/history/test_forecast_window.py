"""--sample without --history: the forecast checks take their rate from the window (a sequence,
or a MariaDB AUTO_INCREMENT, consumed while the run waits is forecast to run out), the evidence
says so; a snapshot taken with
--sample keeps the window's start figures, so analyze forecasts the same; sizes and memory are
never extrapolated from seconds."""

from __future__ import annotations

import json
import threading
import time

from support import subprocess_cli, wait_for_advisor_session

CONSUME = "SELECT count(nextval('orders_id_seq')) FROM generate_series(1, 200000)"


def consumed_during(pg_db, *args) -> dict:
    """Run the CLI with a 3 s window; 200k ids are taken from the sequence inside it."""
    box: dict = {}
    t = threading.Thread(target=lambda: box.setdefault("p", subprocess_cli(*args)))
    t.start()
    wait_for_advisor_session(pg_db)
    pg_db.sql(CONSUME)
    t.join()
    p = box["p"]
    assert p.returncode == 0, p.stderr
    return p


def sequence_forecast(report: dict) -> dict:
    [f] = [f for f in report["findings"] if f["check"] == "pg.forecast.sequences"]
    return f


def scratch_orders(pg_db) -> None:
    pg_db.sql("CREATE TABLE orders (id serial PRIMARY KEY, v int)")
    pg_db.sql("SELECT setval('orders_id_seq', 1000000)")   # 0.05% used: no percentage check fires


def test_a_sequence_consumed_in_the_window_is_forecast_without_history(pg_db, tmp_path):
    scratch_orders(pg_db)
    plain = json.loads(subprocess_cli("run", "--json", "--fail-on", "never", pg_db.url).stdout)
    assert not [c for c in plain["skipped"] if c["check"].startswith("pg.forecast")]   # not selected

    p = consumed_during(pg_db, "run", "--json", "--fail-on", "never", "--sample", "3", pg_db.url)
    report = json.loads(p.stdout)
    f = sequence_forecast(report)
    assert f["object"] == "public.orders_id_seq" and f["severity"] == "critical"
    ev = f["evidence"]
    assert ev["rate_from"] == "sample window" and "window_started_at" in ev and "previous_run_at" not in ev
    assert ev["previous_value"] == 1000000 and ev["current_value"] == 1200000
    assert 3 <= ev["sampled_over_s"] <= 6
    # ~200k ids in ~3 s is ~5 billion a day: the 2^31 limit is hours away
    assert 0 < ev["time_left_s"] < 86400 and ev["limit"] == 2147483647
    assert not [x for x in report["findings"] if x["check"] == "pg.schema.sequence_exhaustion"]
    # a size is not extrapolated from seconds: growth is a history forecast only
    ran = {c["check"] for c in report["skipped"]} | {x["check"] for x in report["findings"]}
    assert "pg.forecast.growth" not in ran


def test_a_snapshot_taken_with_a_window_is_forecast_by_analyze(pg_db, tmp_path):
    scratch_orders(pg_db)
    snap = tmp_path / "snap.json"
    consumed_during(pg_db, "snapshot", "-o", snap, "--checks", "pg.forecast.*", "--sample", "3", pg_db.url)
    window = json.loads(snap.read_text())["targets"][0]["window"]
    assert window["start_figures"]["seq:public.orders_id_seq"] == 1000000
    assert not [k for k in window["start_figures"] if k.startswith("table_bytes")]
    p = subprocess_cli("analyze", "--json", "--fail-on", "never", snap)
    assert p.returncode == 0, p.stderr
    f = sequence_forecast(json.loads(p.stdout))
    assert f["evidence"]["rate_from"] == "sample window" and f["evidence"]["current_value"] == 1200000


def test_the_history_wins_over_the_window(pg_db, tmp_path):
    """With an earlier run, the rate is the history's (a longer baseline), window or not."""
    scratch_orders(pg_db)
    hist = tmp_path / "h.sqlite"
    first = subprocess_cli("run", "--json", "--fail-on", "never", "--checks", "pg.forecast.*", "--history", hist,
                           pg_db.url)
    assert first.returncode == 0, first.stderr
    p = consumed_during(pg_db, "run", "--json", "--fail-on", "never", "--checks", "pg.forecast.*",
                        "--history", hist, "--sample", "3", pg_db.url)
    ev = sequence_forecast(json.loads(p.stdout))["evidence"]
    assert ev["rate_from"] == "history" and "previous_run_at" in ev and ev["previous_value"] == 1000000


def wait_for_mysql_advisor(mysql_db, timeout: float = 20) -> None:
    """Until another session on the scratch schema is connected and idle (waiting out the window)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = mysql_db.sql("SELECT COMMAND FROM information_schema.PROCESSLIST WHERE DB = %s "
                            "AND ID <> CONNECTION_ID()", (mysql_db.name,))
        if rows and rows[0][0] == "Sleep":
            time.sleep(0.3)
            return
        time.sleep(0.05)
    raise AssertionError("the advisor never connected")


def test_mysql_auto_increment_consumed_in_the_window_is_forecast(mysql_db):
    mysql_db.sql("CREATE TABLE orders (id int PRIMARY KEY AUTO_INCREMENT, v int) AUTO_INCREMENT = 1000000")
    mysql_db.sql("INSERT INTO orders (v) VALUES (1)")
    box: dict = {}
    t = threading.Thread(target=lambda: box.setdefault("p", subprocess_cli(
        "run", "--json", "--fail-on", "never", "--sample", "3", mysql_db.url)))
    t.start()
    wait_for_mysql_advisor(mysql_db)
    mysql_db.sql("INSERT INTO orders (id, v) VALUES (21000000, 2)")   # 20 M ids taken in the window
    t.join()
    p = box["p"]
    assert p.returncode == 0, p.stderr
    [f] = [f for f in json.loads(p.stdout)["findings"] if f["check"] == "mysql.forecast.auto_increment"]
    ev = f["evidence"]
    assert f["severity"] == "critical" and ev["rate_from"] == "sample window"
    assert ev["previous_value"] == 1000001 and ev["current_value"] == 21000001
