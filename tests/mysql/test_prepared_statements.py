"""Server-side prepared statements over the binary protocol (tests/mysql/binary_protocol.py:
COM_STMT_PREPARE / COM_STMT_EXECUTE on a real connection, as JDBC or Go send them) on a
private MariaDB whose statement-history consumers are on: MariaDB's digest table has no text
for them, yet the full-scan check names the statement, counted from the history; in a --sample
window only the executions inside it count. The shared server's consumers are off: the check
that needs them is skipped, saying what turning them on adds and costs."""

from __future__ import annotations

import json
import threading
import time

import pymysql
import pytest

import binary_protocol as bp
from servers import MariaDBServer
from support import subprocess_cli

TEXT = "SELECT * FROM t WHERE b = ?"


def run_json(*args) -> dict:
    p = subprocess_cli("run", "--json", "--fail-on", "never", *args)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@pytest.fixture(scope="module")
def history_server():
    import shutil
    if not (shutil.which("mariadbd") or shutil.which("/usr/sbin/mariadbd")):
        pytest.skip("mariadbd not installed (scripts/prepare-local-servers installs it)")
    with MariaDBServer("performance-schema-consumer-events-statements-current=ON",
                       "performance-schema-consumer-events-statements-history=ON") as srv:
        srv.sql("CREATE DATABASE app")
        srv.sql("CREATE TABLE app.t (id INT PRIMARY KEY, a INT, b INT)")
        srv.sql("INSERT INTO app.t SELECT seq, seq % 97, seq % 89 FROM app.seq_1_to_3000")
        yield srv


def prepared_findings(report: dict) -> list[dict]:
    return [f for f in report["findings"] if f["check"] == "mysql.queries.full_scans"
            and f["evidence"].get("source") == "prepared statement"]


def test_binary_protocol_statements_are_judged_by_their_text(history_server):
    url = history_server.url.rsplit("/", 1)[0] + "/app"
    app = pymysql.connect(host="127.0.0.1", port=history_server.port, user="root", database="app", autocommit=True)
    try:
        sid, params = bp.prepare(app, TEXT)
        assert params == 1
        assert [bp.execute(app, sid, 7) for _ in range(3)] == [34, 34, 34]
        digests = history_server.sql("SELECT DIGEST_TEXT FROM performance_schema.events_statements_summary_by_digest "
                                     "WHERE SCHEMA_NAME = 'app' AND DIGEST_TEXT LIKE '%%`b`%%'")
        assert digests == [], "MariaDB's digest table has no text for binary-protocol executions"
        report = run_json("--checks", "mysql.queries.full_scans", "--checks", "mysql.index.suggested", url)
        found = prepared_findings(report)
        assert len(found) == 1, found
        suggested = [f for f in report["findings"] if f["check"] == "mysql.index.suggested"]
        assert len(suggested) == 1 and "(`b`)" in suggested[0]["fix"], suggested
        ev = found[0]["evidence"]
        assert ev["statement"] == TEXT and ev["calls"] == 3 and ev["rows_examined"] == 9000

        box: dict = {}
        th = threading.Thread(target=lambda: box.setdefault("r", run_json(
            "--checks", "mysql.queries.full_scans", "--sample", "3", url)))
        th.start()
        time.sleep(1.5)      # the window's first reads take well under a second on a private server
        for _ in range(2):
            bp.execute(app, sid, 8)
        th.join()
        found = prepared_findings(box["r"])
        assert len(found) == 1, found
        ev = found[0]["evidence"]
        assert ev["judged_on"] == "window" and ev["calls"] == 2 and ev["rows_examined"] == 6000
        bp.close(app, sid)
    finally:
        app.close()


def test_history_consumers_off_is_a_skip_that_says_what_enabling_costs(mysql_db):
    report = run_json("--checks", "mysql.observability.prepared_statements", mysql_db.url)
    consumers = dict(mysql_db.sql("SELECT NAME, ENABLED FROM performance_schema.setup_consumers"))
    if consumers.get("events_statements_current") == "YES" and consumers.get("events_statements_history") == "YES":
        pytest.skip("the shared server's history consumers are on: nothing to skip")
    (skip,) = report["skipped"]
    assert "consumer" in skip["reason"] and "Costs:" in skip["reason"] and "Adds:" in skip["reason"]
    on = dict(mysql_db.sql("SELECT NAME, ENABLED FROM performance_schema.setup_consumers"))
    assert on == consumers, "the advisor never turns a consumer on"
