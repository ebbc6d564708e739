"""--sample on real servers: counters judged on what happens in the window, not since start;
the report and each counter-based finding say which; a snapshot taken with --sample holds both
reads, so analyze judges the same window; bad values, Ctrl-C and a lost server."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time

import pytest
import redis

from support import one_error_line, subprocess_cli, wait_for_advisor_session

SLOW_50MS = '[thresholds."pg.statements.slow"]\nmean_ms = 50\nmin_calls = 2\n'


def run_json(*args) -> dict:
    p = subprocess_cli("run", "--json", "--fail-on", "never", *args)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def slow(pg_db, n: int, tag: str) -> None:
    for _ in range(n):
        pg_db.sql(f"SELECT pg_sleep(0.06), '{tag}' AS tag")


def slow_objects(report: dict) -> dict[str, dict]:
    return {f["object"]: f for f in report["findings"] if f["check"] == "pg.statements.slow"}


@pytest.fixture
def slow_config(tmp_path):
    cfg = tmp_path / "advisor.toml"
    cfg.write_text(SLOW_50MS)
    return cfg


def test_pg_statement_that_ran_before_the_window_is_not_judged_in_it(pg_db, slow_config):
    pg_db.sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    slow(pg_db, 4, "before")
    cumulative = run_json("--config", slow_config, "--checks", "pg.statements.slow", pg_db.url)
    assert "sample_s" not in cumulative["targets"][0]
    found = slow_objects(cumulative)
    assert len(found) == 1
    ev = next(iter(found.values()))["evidence"]
    assert ev["judged_on"] == "cumulative" and ev["counters_age_s"] > 0

    box: dict = {}
    t = threading.Thread(target=lambda: box.setdefault("r", run_json(
        "--config", slow_config, "--checks", "pg.statements.slow", "--sample", "3", pg_db.url)))
    t.start()
    wait_for_advisor_session(pg_db)   # the window has started (its first reads are done)
    slow(pg_db, 3, "during")          # a new statement shape, inside the window
    t.join()
    windowed = box["r"]
    assert windowed["targets"][0]["sample_s"] == 3
    found = slow_objects(windowed)
    assert len(found) == 1, found      # only the statement that ran in the window
    f = next(iter(found.values()))
    assert f["evidence"]["judged_on"] == "window" and f["evidence"]["window_s"] == 3
    assert f["evidence"]["calls"] == 3


@pytest.fixture
def private_redis():
    from servers import RedisServer
    srv = RedisServer().start()
    yield srv
    srv.stop()


def test_redis_hit_ratio_is_judged_on_the_window(private_redis):
    r = redis.Redis.from_url(private_redis.url)
    r.set("k", "v")
    for i in range(12000):          # a bad hit ratio, long ago
        r.get(f"missing:{i}")
    cumulative = run_json("--checks", "redis.cache.hit_ratio", private_redis.url)
    assert [f["check"] for f in cumulative["findings"]] == ["redis.cache.hit_ratio"]

    def healthy_traffic():
        time.sleep(0.8)
        for _ in range(12000):
            r.get("k")
    t = threading.Thread(target=healthy_traffic)
    t.start()
    windowed = run_json("--checks", "redis.cache.hit_ratio", "--sample", "3", private_redis.url)
    t.join()
    assert windowed["findings"] == [] and windowed["targets"][0]["sample_s"] == 3


def test_snapshot_with_a_window_is_analyzed_on_the_same_window(pg_db, slow_config, tmp_path):
    pg_db.sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    slow(pg_db, 4, "before")
    snap = tmp_path / "snap.json"
    p = subprocess_cli("snapshot", "--config", slow_config, "--checks", "pg.statements.slow", "--sample", "2",
                       "-o", snap, pg_db.url)
    assert p.returncode == 0, p.stderr
    doc = json.loads(snap.read_text())
    assert doc["targets"][0]["window"]["sample_s"] == 2 and "pg.statements" in doc["targets"][0]["window"]["start"]
    report = json.loads(subprocess_cli("analyze", "--config", slow_config, "--json",
                                                          "--fail-on", "never", snap).stdout)
    assert report["targets"][0]["sample_s"] == 2
    assert slow_objects(report) == {}   # nothing ran during the window


@pytest.mark.parametrize("value", ["0", "-5", "abc", "nan"])
def test_bad_sample_values_exit_2(value, pg_db):
    p = subprocess_cli("run", "--sample", value, pg_db.url)
    assert p.returncode == 2 and "--sample" in one_error_line(p.stderr)


def test_ctrl_c_during_the_window_exits_130_at_once(pg_db):
    proc = subprocess.Popen([sys.executable, "-m", "advisor", "run", "--sample", "60", pg_db.url],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.5)                 # connected and waiting in the window
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 130 and time.monotonic() - t0 < 1.5
    assert "Traceback" not in err and err.strip() == "advisor: interrupted"


def test_server_lost_during_the_window_is_a_partial_report(private_redis):
    killer = threading.Timer(1.5, private_redis.stop)
    killer.start()
    p = subprocess_cli("run", "--json", "--sample", "4", "--timeout", "2", private_redis.url)
    killer.join()
    assert p.returncode == 3, p.stderr
    report = json.loads(p.stdout)
    assert report["targets"][0]["complete"] is False
    assert any("connection lost" in e["message"] for e in report["errors"])
