"""Locks, deadlocks, the lock table and the xmin horizon on a private PostgreSQL server (this
module's own: sessions of other tests on the shared server would wait, lock and hold snapshots
too), started with max_prepared_transactions > 0, logical decoding and a small lock table."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from servers import PgCluster

from advisor.model import Severity


@pytest.fixture(scope="module")
def server():
    c = PgCluster.or_skip()
    try:
        c.initdb("ops")
        c.url = c.start("ops", "autovacuum=off", "max_connections=20", "max_prepared_transactions=2",
                        "max_locks_per_transaction=10", "deadlock_timeout=100ms", "wal_level=logical",
                        "max_replication_slots=2", "shared_preload_libraries=''")
        yield c
    finally:
        c.stop()


def db_url(server, name):
    with psycopg.connect(server.url, autocommit=True) as c:
        if not c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            c.execute(f"CREATE DATABASE {name}")
    return server.url.rsplit("/", 1)[0] + "/" + name


def connect(url):
    return psycopg.connect(url, autocommit=True, options="-c statement_timeout=20s")  # never hang


def in_thread(url, statement):
    """Run a statement in its own session on a thread (it may block); returns (thread, errors)."""
    errors = []

    def run():
        try:
            with connect(url) as c:
                c.execute(statement)
        except psycopg.Error as e:
            errors.append(e)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, errors


def wait_for(url, sql, want, timeout=10):
    deadline = time.monotonic() + timeout
    with connect(url) as c:
        while c.execute(sql).fetchone()[0] != want:
            assert time.monotonic() < deadline, f"{sql} never gave {want}"
            time.sleep(0.05)


def burn_xids(url, n):
    with connect(url) as c:
        for _ in range(n):
            c.execute("SELECT txid_current()")


LOCKS = ["pg.locks.blocking"]
NOW = {"pg.locks.blocking": {"min_wait_s": 0}}


def test_blocking_chain_names_the_root_and_its_fix_frees_it(server, pg_advise):
    url = db_url(server, "blocking")
    with connect(url) as c:
        c.execute("CREATE TABLE t (id int PRIMARY KEY, v int)")
        c.execute("INSERT INTO t VALUES (1, 0), (2, 0)")
    a, b = connect(url), connect(url)
    try:
        # the healthy twin: two open transactions on different rows wait for nobody
        a.execute("BEGIN")
        a.execute("UPDATE t SET v = 1 WHERE id = 1")
        b.execute("BEGIN")
        b.execute("UPDATE t SET v = 1 WHERE id = 2")
        assert pg_advise(url, LOCKS, thresholds=NOW).findings == []
        b.execute("COMMIT")

        # planted: a row waiter, a DDL waiting behind both, and a reader queued behind the DDL
        waiters = [in_thread(url, "UPDATE t SET v = 2 WHERE id = 1")]
        wait_for(url, "SELECT count(*) FROM pg_locks WHERE NOT granted", 1)
        waiters.append(in_thread(url, "ALTER TABLE t ADD COLUMN x int"))
        wait_for(url, "SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted", 2)
        waiters.append(in_thread(url, "SELECT * FROM t"))
        wait_for(url, "SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted", 3)
        root = a.info.backend_pid
        out = pg_advise(url, LOCKS, thresholds=NOW).of("pg.locks.blocking")
        assert list(out) == [f"pid {root}"]
        f = out[f"pid {root}"]
        assert f.evidence["root_state"] == "idle in transaction"
        assert f.evidence["blocked_sessions"] == 3 and "UPDATE t SET v = 1" in f.evidence["root_query"]
        assert "t" in f.evidence["waiting_for"] and "transactionid" in f.evidence["waiting_for"]
        reader = next(w for w in f.evidence["waiters"] if w["query"] == "SELECT * FROM t")
        assert reader["mode"] == "AccessShareLock" and reader["chain"][-1] == root
        assert len(reader["chain"]) >= 3  # reader -> ALTER (-> UPDATE) -> root
        assert f"pg_terminate_backend({root})" in f.fix and "pg_cancel_backend" not in f.fix

        with connect(url) as admin:  # the fix, as printed
            for stmt in f.fix.split("\n"):
                if not stmt.startswith("--"):
                    admin.execute(stmt)
        for t, errors in waiters:
            t.join(10)
            assert not t.is_alive() and errors == []
        assert pg_advise(url, LOCKS, thresholds=NOW).findings == []
    finally:
        a.close()
        b.close()


def test_deadlock_counted_in_its_database_only(server, pg_advise):
    url, twin = db_url(server, "deadlocks"), db_url(server, "deadlocks_twin")
    with connect(url) as c:
        c.execute("CREATE TABLE t (id int PRIMARY KEY, v int)")
        c.execute("INSERT INTO t VALUES (1, 0), (2, 0)")
    x, y = connect(url), connect(url)
    x.execute("BEGIN")
    x.execute("UPDATE t SET v = 1 WHERE id = 1")
    y.execute("BEGIN")
    y.execute("UPDATE t SET v = 1 WHERE id = 2")
    errors = []
    cross = threading.Thread(target=lambda: _collect(x, "UPDATE t SET v = 2 WHERE id = 2", errors))
    cross.start()
    wait_for(url, "SELECT count(*) FROM pg_locks WHERE NOT granted", 1)
    _collect(y, "UPDATE t SET v = 2 WHERE id = 1", errors)  # closes the cycle
    cross.join(10)
    # PostgreSQL aborts one of the two (whichever checks first), the other commits
    assert [type(e) for e in errors] == [psycopg.errors.DeadlockDetected]
    x.close()
    y.close()
    time.sleep(1.1)  # both sessions ended: their counters are flushed
    f = pg_advise(url, ["pg.locks.deadlocks"]).of("pg.locks.deadlocks")["database deadlocks"]
    assert f.evidence["deadlocks"] == 1 and f.severity == Severity.WARNING  # 1 in < 1 h: >= 24 a day
    assert "log_lock_waits = on" in f.fix
    assert pg_advise(twin, ["pg.locks.deadlocks"]).findings == []


def _collect(conn, statement, errors):
    try:
        conn.execute(statement)
        conn.execute("COMMIT")
    except psycopg.Error as e:
        errors.append(e)


def test_lock_table_pressure(server, pg_advise):
    url = db_url(server, "locktable")
    with connect(url) as c:
        c.execute("DO $$ BEGIN FOR i IN 1..150 LOOP EXECUTE format('CREATE TABLE p%s (id int)', i); "
                  "END LOOP; END $$")
    check = ["pg.locks.table_pressure"]
    assert pg_advise(url, check).findings == []  # capacity 10 x (20 + 2) = 220, nearly empty
    holder = connect(url)
    try:
        holder.execute("BEGIN")
        holder.execute("SELECT " + " + ".join(f"(SELECT count(*) FROM p{i})" for i in range(1, 151)))
        f = pg_advise(url, check).of("pg.locks.table_pressure")["max_locks_per_transaction"]
        assert f.evidence["capacity"] == 220 and f.evidence["shared_locks"] >= 134  # 150 - 16 fast-path
        assert f.severity == Severity.WARNING and "ALTER SYSTEM SET max_locks_per_transaction = 20" in f.fix
    finally:
        holder.close()


HORIZON = ["pg.vacuum.xmin_horizon"]
SMALL = {"pg.vacuum.xmin_horizon": {"min_xid_age": 5}}


def test_long_transaction_holds_the_horizon(server, pg_advise):
    url = db_url(server, "horizon")
    assert pg_advise(url, HORIZON, thresholds=SMALL).findings == []  # nobody holds a snapshot
    a = connect(url)
    try:
        a.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        a.execute("SELECT count(*) FROM pg_class")  # takes the snapshot: backend_xmin
        burn_xids(url, 10)
        out = pg_advise(url, HORIZON, thresholds=SMALL).of("pg.vacuum.xmin_horizon")
        f = out[f"pid {a.info.backend_pid}"]
        assert f.evidence["holder_kind"] == "session" and f.evidence["holds_the_horizon"]
        assert f.evidence["xmin_age"] >= 10 and f.severity == Severity.WARNING
        assert f"pg_terminate_backend({a.info.backend_pid})" in f.fix
        # below the XID and the time thresholds: quiet
        assert pg_advise(url, HORIZON).findings == []
    finally:
        a.close()
    assert pg_advise(url, HORIZON, thresholds=SMALL).findings == []


def test_prepared_transaction_and_logical_slot_hold_the_horizon(server, pg_advise):
    url = db_url(server, "prepared")
    with connect(url) as c:
        c.execute("CREATE TABLE t (id int)")
        # the slot first: creating a logical slot waits for every running transaction to end
        c.execute("SELECT pg_create_logical_replication_slot('advisor_test_slot', 'test_decoding')")
    try:
        burn_xids(url, 5)
        with connect(url) as c:
            c.execute("BEGIN")
            c.execute("INSERT INTO t VALUES (1)")
            c.execute("PREPARE TRANSACTION 'advisor-test-gid'")
        burn_xids(url, 10)
        out = pg_advise(url, HORIZON, thresholds=SMALL).of("pg.vacuum.xmin_horizon")
        assert set(out) == {"prepared transaction advisor-test-gid", "slot advisor_test_slot"}
        slot = out["slot advisor_test_slot"]
        assert slot.evidence["holds_the_horizon"] and slot.evidence["xmin_age"] >= 16
        assert "pg_drop_replication_slot('advisor_test_slot')" in slot.fix
        prep = out["prepared transaction advisor-test-gid"]
        assert not prep.evidence["holds_the_horizon"] and prep.evidence["xmin_age"] >= 10
        assert "ROLLBACK PREPARED 'advisor-test-gid';" in prep.fix and prep.evidence["fix_kind"] == "manual"
        assert "also holds" in prep.summary
        # the prepared transaction passes check_postgres' 30 s rule on age alone
        time.sleep(1.1)
        out = pg_advise(url, HORIZON, thresholds={"pg.vacuum.xmin_horizon": {"prepared_age_s": 1}}).of(
            "pg.vacuum.xmin_horizon")
        assert set(out) == {"prepared transaction advisor-test-gid"}
    finally:
        with connect(url) as c:
            c.execute("ROLLBACK PREPARED 'advisor-test-gid'")
            c.execute("SELECT pg_drop_replication_slot('advisor_test_slot')")
    assert pg_advise(url, HORIZON, thresholds=SMALL).findings == []


def test_least_privilege_roles(server, pg_advise):
    url = db_url(server, "leastpriv")
    with connect(url) as c:
        c.execute("CREATE ROLE plain LOGIN")
        c.execute("CREATE ROLE monitor LOGIN IN ROLE pg_monitor")
        c.execute("CREATE TABLE t (id int PRIMARY KEY)")
        c.execute("INSERT INTO t VALUES (1)")
        c.execute("GRANT SELECT ON t TO plain")
    base = url.split("://", 1)[1].split("@", 1)[1]
    plain, monitor = f"postgresql://plain@{base}", f"postgresql://monitor@{base}"
    a = connect(url)  # the superuser's session: holds a snapshot and a lock
    try:
        a.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        a.execute("LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
        burn_xids(url, 10)
        waiter = in_thread(plain, "SELECT * FROM t")
        wait_for(url, "SELECT count(*) FROM pg_locks WHERE NOT granted", 1)
        checks = ["pg.vacuum.xmin_horizon", "pg.locks.blocking"]
        th = {**SMALL, **NOW}
        hidden = pg_advise(plain, checks, thresholds=th)
        assert hidden.skipped == []  # pg_locks and backend_xmin are readable by every role
        f = hidden.of("pg.locks.blocking")[f"pid {a.info.backend_pid}"]
        assert "details hidden" in f.summary and f.evidence["root_query"] is None
        x = hidden.of("pg.vacuum.xmin_horizon")[f"pid {a.info.backend_pid}"]
        assert x.evidence["holds_the_horizon"] and "state hidden" in x.summary
        seen = pg_advise(monitor, checks, thresholds=th)
        assert f"pid {a.info.backend_pid}" in seen.of("pg.vacuum.xmin_horizon") and seen.skipped == []
        assert seen.of("pg.locks.blocking")[f"pid {a.info.backend_pid}"].evidence["root_state"] == \
            "idle in transaction"
    finally:
        a.close()
    waiter[0].join(10)
    assert waiter[1] == []
