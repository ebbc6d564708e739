"""Replication checks on a real private MariaDB primary + replica (GTID, named connection 'main'
so the multi-source wording is exercised), broken the ways replicas break; every finding is
asserted from the replica's URL, and a healthy pair is silent."""

from __future__ import annotations

import json
import shutil
import time

import pytest

from mysql_helpers import of, run_advisor
from servers import MariaDBServer, free_port

pytestmark = pytest.mark.skipif(not shutil.which("mariadb-install-db"), reason="MariaDB binaries not installed")

KEEP = "binlog_expire_logs_seconds=604800"  # a week of binlogs: the retention check stays quiet
PROMOTABLE = "log_slave_updates=ON"  # the replica's binlog holds replicated transactions too


def _status(replica, name: str = "main") -> dict:
    import pymysql
    conn = pymysql.connect(host="127.0.0.1", port=replica.port, user="root", autocommit=True,
                           cursorclass=pymysql.cursors.DictCursor)
    try:
        with conn.cursor() as cur:
            cur.execute(f"SHOW REPLICA '{name}' STATUS")
            return cur.fetchone()
    finally:
        conn.close()


def _wait(replica, cond, what: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        st = _status(replica)
        if cond(st):
            return st
        if time.monotonic() > deadline:
            raise AssertionError(f"replica never reached: {what}: {st}")
        time.sleep(0.1)


def _caught_up(primary, replica) -> dict:
    pos = primary.sql("SELECT @@gtid_binlog_pos")[0][0]
    return _wait(replica, lambda st: st["Slave_SQL_Running"] == "Yes" and st["Slave_IO_Running"] == "Yes"
                 and replica.sql("SELECT @@gtid_slave_pos")[0][0] == pos, "caught up")


def _change_source(replica, port: int) -> None:
    if replica.sql("SHOW ALL REPLICAS STATUS"):
        replica.sql("STOP REPLICA 'main'")
    replica.sql(f"CHANGE MASTER 'main' TO MASTER_HOST = '127.0.0.1', MASTER_PORT = {port}, "
                "MASTER_USER = 'repl', MASTER_PASSWORD = 'repl-pw', MASTER_USE_GTID = slave_pos, "
                "MASTER_CONNECT_RETRY = 1")
    replica.sql("START REPLICA 'main'")


@pytest.fixture(scope="module")
def pair():
    with MariaDBServer(KEEP, server_id=1, log_bin=True) as primary, \
            MariaDBServer(KEEP, PROMOTABLE, "read_only=ON", server_id=2, log_bin=True) as replica:
        primary.sql("CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'repl-pw'")
        primary.sql("GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1'")
        primary.sql("CREATE DATABASE app")
        primary.sql("CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20))")
        primary.sql("INSERT INTO app.t VALUES (1, 'one')")
        replica.sql("RESET MASTER")  # a fresh replica: its setup statements are not errant transactions
        _change_source(replica, primary.port)
        _caught_up(primary, replica)
        yield primary, replica


def _run(url, **kw):
    res = run_advisor(url, ["mysql.replication.*"], **kw)
    assert not res.errors, res.errors
    return res


def test_healthy_pair_is_silent(pair):
    primary, replica = pair
    _caught_up(primary, replica)
    for url in (primary.url, replica.url):
        res = _run(url)
        assert res.findings == [], [f.summary for f in res.findings]
    # the source sees its replica; with one expected it is silent, with two it reports
    assert _run(primary.url, thresholds={"mysql.replication.replicas": {"expected_replicas": 1}}).findings == []
    two = _run(primary.url, thresholds={"mysql.replication.replicas": {"expected_replicas": 2}})
    [few] = of(two, "mysql.replication.replicas")
    assert len(few.evidence["connected"]) == 1 and few.evidence["connected"][0].startswith("repl@")


def test_lag_while_the_sql_thread_is_stopped(pair):
    primary, replica = pair
    replica.sql("STOP REPLICA 'main' SQL_THREAD")
    for i in range(2, 40):
        primary.sql("INSERT INTO app.t VALUES (%s, REPEAT('x', 20))", (i,))
    pos = primary.sql("SHOW MASTER STATUS")[0][1]
    _wait(replica, lambda st: st["Read_Master_Log_Pos"] == pos, "I/O thread received everything")
    res = _run(replica.url)
    [broken] = of(res, "mysql.replication.threads")
    assert str(broken.severity) == "critical" and broken.object == "channel 'main'"
    assert broken.evidence["sql_running"] == "No" and broken.evidence["io_running"] == "Yes"
    assert broken.evidence["last_sql_errno"] == 0 and "fix_kind" not in broken.evidence
    [lag] = of(res, "mysql.replication.lag")
    assert lag.evidence["seconds_behind"] is None and lag.evidence["relay_backlog_bytes"] > 1000
    # the printed fix restarts this connection as it is
    start = broken.fix.splitlines()[1].split(";")[0]
    assert start == "START REPLICA 'main'"
    replica.sql(start)
    _caught_up(primary, replica)
    assert _run(replica.url).findings == []


def test_replica_that_cannot_reach_its_primary(pair):
    primary, replica = pair
    _change_source(replica, free_port())  # nothing listens there
    try:
        _wait(replica, lambda st: st["Last_IO_Errno"] == 2003, "connect error 2003")
        res = _run(replica.url)
        [broken] = of(res, "mysql.replication.threads")
        assert str(broken.severity) == "critical"
        assert broken.evidence["last_io_errno"] == 2003 and "connect" in broken.evidence["last_io_error"].lower()
        assert broken.evidence["io_running"] == "Connecting" and broken.evidence["fix_kind"] == "manual"
        assert "2003" in broken.summary
    finally:
        _change_source(replica, primary.port)
    _caught_up(primary, replica)


def test_conflicting_row_stops_the_sql_thread(pair, tmp_path, run_cli):
    primary, replica = pair
    replica.sql("INSERT INTO app.t VALUES (100, 'replica only')")  # root bypasses read_only
    primary.sql("INSERT INTO app.t VALUES (100, 'primary')")
    _wait(replica, lambda st: st["Last_SQL_Errno"] == 1062, "duplicate key error 1062")
    res = _run(replica.url)
    [broken] = of(res, "mysql.replication.threads")
    assert str(broken.severity) == "critical" and broken.evidence["last_sql_errno"] == 1062
    assert "Duplicate entry '100'" in broken.evidence["last_sql_error"]
    assert broken.evidence["fix_kind"] == "manual" and "no longer matches" in broken.recommendation
    # the replica's own write is an errant GTID (domain 0, server_id 2)
    [errant] = of(res, "mysql.replication.gtid")
    assert errant.evidence["local_gtids"].startswith("0-2-")
    # a snapshot of the broken replica judges the same offline
    code, _, err = run_cli("snapshot", replica.url, "--checks", "mysql.replication.*", "-o", tmp_path / "r.json")
    assert code == 0, err
    code, out, _ = run_cli("analyze", tmp_path / "r.json", "--checks", "mysql.replication.*", "--json")
    offline = {(f["check"], f["object"], f["summary"]) for f in json.loads(out)["findings"]}
    assert offline == {(f.check, f.object, f.summary) for f in res.findings}
    # repair: drop the replica's row without binlogging it, restart the applier
    replica.sql("SET SESSION sql_log_bin = 0")
    replica.sql("DELETE FROM app.t WHERE id = 100")
    replica.sql("START REPLICA 'main' SQL_THREAD")
    _wait(replica, lambda st: st["Slave_SQL_Running"] == "Yes", "applier restarted")


def test_writable_replica_and_file_position_replication(pair):
    primary, replica = pair
    replica.sql("SET GLOBAL read_only = OFF")
    replica.sql("STOP REPLICA 'main'")
    replica.sql("CHANGE MASTER 'main' TO MASTER_USE_GTID = no")
    replica.sql("START REPLICA 'main'")
    try:
        res = _run(replica.url)
        [ro] = of(res, "mysql.replication.read_only")
        assert ro.evidence["read_only"] in ("OFF", 0)
        replica.sql(ro.fix.split(";")[0])  # SET GLOBAL read_only = ON, as printed
        gtid = [f for f in of(res, "mysql.replication.gtid") if f.object == "channel 'main'"]
        assert gtid and gtid[0].evidence["using_gtid"] == "No"
        for stmt in gtid[0].fix.split("--")[0].split(";"):
            if stmt.strip():
                replica.sql(stmt.strip())
        assert _status(replica)["Using_Gtid"] == "Slave_Pos"
        assert replica.sql("SELECT @@read_only") == [(1,)]
    finally:
        replica.sql("SET GLOBAL read_only = ON")


def test_multi_source_reports_each_connection_by_name(pair):
    """A second source on its own GTID domain: its connection 'second' is judged by name, the
    healthy 'main' stays silent."""
    primary, replica = pair
    with MariaDBServer(KEEP, "gtid_domain_id=2", server_id=3, log_bin=True) as other:
        # the replication account stays out of the binlog: the replica has 'repl' already
        other.sql("SET STATEMENT sql_log_bin = 0 FOR CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'repl-pw'")
        other.sql("SET STATEMENT sql_log_bin = 0 FOR GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1'")
        other.sql("CREATE DATABASE other")
        replica.sql(f"CHANGE MASTER 'second' TO MASTER_HOST = '127.0.0.1', MASTER_PORT = {other.port}, "
                    "MASTER_USER = 'repl', MASTER_PASSWORD = 'repl-pw', MASTER_USE_GTID = slave_pos, "
                    "MASTER_CONNECT_RETRY = 1, DO_DOMAIN_IDS = (2)")  # else it asks 'other' for domain 0
        replica.sql("START REPLICA 'second'")
        try:
            deadline = time.monotonic() + 20
            while replica.sql("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'other'")[0][0] == 0:
                assert time.monotonic() < deadline, _status(replica, "second")
                time.sleep(0.1)
            # both connections healthy (the errant GTID an earlier test planted may remain)
            assert [f.object for f in _run(replica.url).findings if f.object != "errant transactions"] == []
            replica.sql("STOP REPLICA 'second' SQL_THREAD")
            res = _run(replica.url)
            [broken] = of(res, "mysql.replication.threads")
            assert broken.object == "channel 'second'" and broken.evidence["source"] == f"127.0.0.1:{other.port}"
            assert broken.fix.splitlines()[1].startswith("START REPLICA 'second';")
        finally:
            replica.sql("STOP REPLICA 'second'")
            replica.sql("RESET REPLICA 'second' ALL")
    st = _status(replica)  # 'main' went on untouched (gtid_slave_pos now also holds domain 2)
    assert st["Slave_IO_Running"] == st["Slave_SQL_Running"] == "Yes"
