"""Lock checks against real concurrent sessions: a row lock wait behind an idle transaction, a
deadlock, a metadata lock wait behind a reader (shared MariaDB, scratch schema; the metadata
lock holder is named on a private server with the MDL instrument on)."""

from __future__ import annotations

import contextlib
import shutil
import threading
import time

import pymysql
import pytest

from mysql_helpers import of, run_advisor
from servers import MariaDBServer

NOW = {"min_wait_s": 0}  # judge waits that started a moment ago


def _conn(db):
    return pymysql.connect(**db.kw, database=db.name)


def _one(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


@contextlib.contextmanager
def _blocked(db, holder_sql: str, waiter_sql: str, waiting: str):
    """Connection A runs holder_sql in an open transaction and idles; connection B runs
    waiter_sql in a thread and blocks. Yields (a_id, b_id) once B is seen waiting; A rolls back
    at the end, which lets B finish."""
    a, b = _conn(db), _conn(db)
    a_id, b_id = _one(a, "SELECT CONNECTION_ID()")[0][0], _one(b, "SELECT CONNECTION_ID()")[0][0]
    _one(a, "BEGIN")
    _one(a, holder_sql)
    _one(b, "SET SESSION innodb_lock_wait_timeout = 30")
    _one(b, "SET SESSION lock_wait_timeout = 30")
    t = threading.Thread(target=lambda: _one(b, waiter_sql), daemon=True)
    t.start()
    try:
        deadline = time.monotonic() + 10
        while not _one(db.conn, waiting.format(b=b_id)):
            assert time.monotonic() < deadline, f"connection {b_id} never waited"
            # InnoDB refreshes its INNODB_TRX / LOCKS cache only after 0.1 s without readers:
            # polling faster would read the same stale snapshot forever
            time.sleep(0.25)
        yield a_id, b_id
    finally:
        with contextlib.suppress(pymysql.MySQLError):
            a.rollback()  # a test may have killed A with the finding's fix
        t.join(30)
        for c in (a, b):
            with contextlib.suppress(pymysql.MySQLError):
                c.close()


ROW_WAIT = "SELECT 1 FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = {b} AND trx_state = 'LOCK WAIT'"
MDL_WAIT = ("SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = {b} "
            "AND STATE = 'Waiting for table metadata lock'")


def _table(db):
    db.sql("CREATE TABLE IF NOT EXISTS t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB")
    db.sql("INSERT IGNORE INTO t VALUES (1, 0), (2, 0)")


def test_row_lock_wait_names_the_idle_blocker_and_its_last_statement(mysql_db):
    _table(mysql_db)
    # the history consumer counts only below events_statements_current (consumer hierarchy)
    history = _one(mysql_db.conn, "SELECT COUNT(*) = 2 FROM performance_schema.setup_consumers WHERE ENABLED = "
                                  "'YES' AND NAME IN ('events_statements_current', 'events_statements_history')")
    with _blocked(mysql_db, "UPDATE t SET v = 1 WHERE id = 1", "UPDATE t SET v = 2 WHERE id = 1",
                  ROW_WAIT) as (a_id, b_id):
        res = run_advisor(mysql_db.url, ["mysql.locks.row_lock_waits"], thresholds={"mysql.locks.row_lock_waits": NOW})
        [f] = [f for f in of(res, "mysql.locks.row_lock_waits") if f.object == f"connection {a_id}"]
        assert [w["thread"] for w in f.evidence["waiting"]] == [b_id]
        assert f.evidence["waiting"][0]["table"] == f"{mysql_db.name}.t"
        assert f.evidence["waiting"][0]["query"] == "UPDATE t SET v = 2 WHERE id = 1"
        assert f.evidence["blocking_query"] is None  # idle in its transaction
        if history[0][0]:
            assert f.evidence["blocking_last_statement"] == "UPDATE t SET v = 1 WHERE id = 1"
            assert "last statement: UPDATE t SET v = 1 WHERE id = 1" in f.summary
        else:
            assert f.evidence["blocking_last_statement"] is None and "not collected" in f.summary
        assert f.fix.startswith(f"KILL {a_id};") and f.evidence["fix_kind"] == "manual"
        # with the default 10 s floor a wait that just began is not reported
        quiet = run_advisor(mysql_db.url, ["mysql.locks.row_lock_waits"])
        assert not [f for f in of(quiet, "mysql.locks.row_lock_waits") if f.object == f"connection {a_id}"]


def test_deadlock_is_counted_and_the_latest_one_shown(mysql_db):
    _table(mysql_db)
    a, b = _conn(mysql_db), _conn(mysql_db)
    try:
        ids = [_one(c, "SELECT CONNECTION_ID()")[0][0] for c in (a, b)]
        for c, row in ((a, 1), (b, 2)):
            _one(c, "BEGIN")
            _one(c, f"UPDATE t SET v = 9 WHERE id = {row}")
        errors = []

        def cross():
            try:
                _one(a, "UPDATE t SET v = 9 WHERE id = 2")
            except pymysql.MySQLError as e:
                errors.append(e.args[0])
        t = threading.Thread(target=cross)
        t.start()
        time.sleep(0.5)
        try:
            _one(b, "UPDATE t SET v = 9 WHERE id = 1")
        except pymysql.MySQLError as e:
            errors.append(e.args[0])
        t.join(30)
        assert errors == [1213]
    finally:
        a.rollback(), b.rollback(), a.close(), b.close()
    res = run_advisor(mysql_db.url, ["mysql.locks.deadlocks"])
    [f] = of(res, "mysql.locks.deadlocks")
    assert f.evidence["deadlocks"] >= 1
    latest = f.evidence["latest"]
    assert latest["tables"] == [f"{mysql_db.name}.t"]  # (another session's deadlock since would replace it)
    assert sorted(t["thread"] for t in latest["transactions"]) == sorted(ids)
    assert {t["statement"] for t in latest["transactions"]} == {"UPDATE t SET v = 9 WHERE id = 2",
                                                               "UPDATE t SET v = 9 WHERE id = 1"}


def test_metadata_lock_wait_without_the_instrument_says_how_to_enable_it(mysql_db):
    _table(mysql_db)
    instrumented = _one(mysql_db.conn, "SELECT ENABLED FROM performance_schema.setup_instruments "
                                       "WHERE NAME = 'wait/lock/metadata/sql/mdl'")
    with _blocked(mysql_db, "SELECT * FROM t", "ALTER TABLE t ADD COLUMN c INT",
                  MDL_WAIT) as (a_id, b_id):
        res = run_advisor(mysql_db.url, ["mysql.locks.metadata_lock_waits"],
                          thresholds={"mysql.locks.metadata_lock_waits": NOW})
        found = of(res, "mysql.locks.metadata_lock_waits")
        mine = [f for f in found if b_id in [w["thread"] for w in f.evidence["waiting"]]]
        assert mine, [f.summary for f in found]
        if instrumented and instrumented[0][0] == "NO":
            [f] = mine
            assert f.object == "metadata locks" and f.evidence["instrumented"] is False
            assert "performance-schema-instrument = 'wait/lock/metadata/sql/mdl=ON'" in f.fix


@pytest.mark.skipif(not shutil.which("mariadb-install-db"), reason="MariaDB binaries not installed")
def test_metadata_lock_holder_named_when_instrumented():
    from support import MySqlScratch
    with MariaDBServer("performance-schema-instrument=wait/lock/metadata/sql/mdl=ON",
                       "performance-schema-consumer-events-statements-current=ON",
                       "performance-schema-consumer-events-statements-history=ON") as srv:
        db = MySqlScratch(srv.url)
        _table(db)
        with _blocked(db, "SELECT * FROM t", "ALTER TABLE t ADD COLUMN c INT",
                      MDL_WAIT) as (a_id, b_id):
            res = run_advisor(db.url, ["mysql.locks.metadata_lock_waits"],
                              thresholds={"mysql.locks.metadata_lock_waits": NOW})
            [f] = of(res, "mysql.locks.metadata_lock_waits")
            assert f.object == f"connection {a_id}" and f.evidence["object"] == f"{db.name}.t"
            assert f.evidence["blocking_last_statement"] == "SELECT * FROM t"
            assert f.evidence["waiting"][0]["thread"] == b_id
            assert f.evidence["waiting"][0]["query"] == "ALTER TABLE t ADD COLUMN c INT"
            # the printed fix ends the holder; the ALTER then completes
            _one(db.conn, f.fix.split(";")[0])
            db.drop = lambda: None  # the server and its data go with srv
            deadline = time.monotonic() + 10
            while _one(db.conn, MDL_WAIT.format(b=b_id)):
                assert time.monotonic() < deadline
                time.sleep(0.05)
