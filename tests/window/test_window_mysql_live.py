"""--sample on the shared MariaDB: a digest that ran before the window is not judged in it, one
that ran during it is, with its calls and rows counted over the window only."""

from __future__ import annotations

import threading
import time

from test_window_live import run_json  # noqa: E402


def wait_for_advisor_session(db, timeout: float = 30) -> None:
    """Until the advisor's session has slept in the schema for 1.5 s: it is waiting out the
    window (its first reads are done; the gaps between its reads are far shorter)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = db.sql("SELECT COMMAND, TIME_MS FROM information_schema.PROCESSLIST "
                      "WHERE DB = %s AND ID <> CONNECTION_ID()", (db.name,))
        if rows and all(r[0] == "Sleep" and r[1] >= 1500 for r in rows):
            return
        time.sleep(0.05)
    raise AssertionError("the advisor never connected")


class _Admin:
    """A private server seen as wait_for_advisor_session sees a scratch schema."""

    def __init__(self, srv, name: str):
        self.sql, self.name = srv.sql, name


def full_scans(report: dict, schema: str) -> dict[str, dict]:
    """This schema's full-scan findings by statement (other helpers' schema-less digests aside)."""
    return {f["evidence"]["statement"]: f for f in report["findings"]
            if f["check"] == "mysql.queries.full_scans" and f["evidence"]["schema"] == schema}


def test_mysql_full_scan_before_the_window_is_not_judged_in_it(mysql_db):
    mysql_db.sql("CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT)")
    mysql_db.sql("INSERT INTO t SELECT seq, seq % 97, seq % 89 FROM seq_1_to_3000")
    mysql_db.sql("SELECT * FROM t WHERE a = 5")            # before the window
    cumulative = run_json("--checks", "mysql.queries.full_scans", mysql_db.url)
    texts = full_scans(cumulative, mysql_db.name)
    assert any("`a`" in t for t in texts), texts
    assert next(iter(texts.values()))["evidence"]["judged_on"] == "cumulative"

    box: dict = {}
    th = threading.Thread(target=lambda: box.setdefault("r", run_json(
        "--checks", "mysql.queries.full_scans", "--sample", "5", mysql_db.url)))
    th.start()
    wait_for_advisor_session(mysql_db)
    for _ in range(2):
        mysql_db.sql("SELECT * FROM t WHERE b = 7")        # during the window
    th.join()
    windowed = box["r"]
    assert windowed["targets"][0]["sample_s"] == 5
    found = full_scans(windowed, mysql_db.name)
    assert len(found) == 1 and "`b`" in next(iter(found)), found
    ev = next(iter(found.values()))["evidence"]
    assert ev["judged_on"] == "window" and ev["window_s"] == 5
    assert ev["calls"] == 2 and ev["rows_examined"] == 6000


def test_mysql_status_counters_are_judged_on_the_window():
    """Global status on a private MariaDB (no other client moves it): joins without an index
    made before the window do not count in it; one made during it does, as a rate per day of
    the window, and the 24 h uptime floor of counters since startup does not apply."""
    import shutil

    import pymysql
    import pytest
    from servers import MariaDBServer

    if not shutil.which("mariadbd") and not shutil.which("/usr/sbin/mariadbd"):
        pytest.skip("mariadbd not installed (scripts/prepare-local-servers installs it)")
    with MariaDBServer() as srv:
        srv.sql("CREATE DATABASE app")
        srv.sql("CREATE TABLE app.a (x INT)")
        srv.sql("CREATE TABLE app.b (y INT)")
        srv.sql("INSERT INTO app.a SELECT seq FROM app.seq_1_to_50")
        srv.sql("INSERT INTO app.b SELECT seq FROM app.seq_1_to_50")
        join = "SELECT COUNT(*) FROM app.a JOIN app.b ON a.x = b.y"
        conn = pymysql.connect(host="127.0.0.1", port=srv.port, user="root", autocommit=True)
        with conn.cursor() as cur:
            for _ in range(300):       # over MySQLTuner's 250 a day, even judged as one day
                cur.execute(join)
        conn.close()
        url = srv.url.rsplit("/", 1)[0] + "/app"
        check = ("--checks", "mysql.queries.joins_without_index")
        (f,) = [f for f in run_json(*check, url)["findings"]]
        assert f["evidence"]["select_full_join"] >= 300 and f["evidence"]["judged_on"] == "cumulative"
        assert f["severity"] == "info"                        # a server up for seconds
        assert run_json(*check, "--sample", "2", url)["findings"] == []   # nothing joined in the window

        box: dict = {}
        th = threading.Thread(target=lambda: box.setdefault("r", run_json(*check, "--sample", "5", url)))
        th.start()
        wait_for_advisor_session(_Admin(srv, "app"))
        srv.sql(join)
        th.join()
        (f,) = box["r"]["findings"]
        ev = f["evidence"]
        assert ev["judged_on"] == "window" and ev["select_full_join"] == 1
        assert ev["per_day"] == round(86400 / 5, 1) and f["severity"] == "warning"
        assert "without a usable index in the" in f["summary"] and "window" in f["summary"], f["summary"]
