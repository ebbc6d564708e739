"""Replication checks on recorded MySQL 8 shapes (no MySQL server runs here): a SHOW REPLICA
STATUS row as MySQL 8.4 returns it (Source_* / Replica_* wording), normalised by the provider's
own mapping, then judged."""

from __future__ import annotations

import pytest

from advisor.engines.mysql.facts_replication import _neutral
from recorded_facts import GiB, facts, judge

UUID_SRC, UUID_ME = "3e11fa47-71ca-11e1-9e33-c80aa9429562", "8a94f357-aab4-11df-86ab-c80aa9429562"

# SHOW REPLICA STATUS on MySQL 8.4.3 (columns the checks read, values as the server prints them)
MYSQL84_ROW = {
    "Replica_IO_State": "Waiting for source to send event", "Source_Host": "db1.example", "Source_User": "repl",
    "Source_Port": 3306, "Source_Log_File": "binlog.000042", "Read_Source_Log_Pos": 905000,
    "Relay_Log_File": "relay.000007", "Relay_Log_Pos": 1200, "Relay_Source_Log_File": "binlog.000042",
    "Replica_IO_Running": "Yes", "Replica_SQL_Running": "Yes", "Last_Errno": 0, "Last_Error": "",
    "Skip_Counter": 0, "Exec_Source_Log_Pos": 905000, "Relay_Log_Space": 4096,
    "Seconds_Behind_Source": 0, "Last_IO_Errno": 0, "Last_IO_Error": "", "Last_SQL_Errno": 0,
    "Last_SQL_Error": "", "Source_Server_Id": 1, "Source_UUID": UUID_SRC, "SQL_Delay": 0,
    "Replica_SQL_Running_State": "Replica has read all relay log; waiting for more updates",
    "Last_IO_Error_Timestamp": "", "Last_SQL_Error_Timestamp": "",
    "Retrieved_Gtid_Set": f"{UUID_SRC}:1-5000", "Executed_Gtid_Set": f"{UUID_SRC}:1-5000",
    "Auto_Position": 1, "Channel_Name": "",
}


def _replica(row_changes=None, variables=None, workers=(), executed=f"{UUID_SRC}:1-5000", server="mysql84"):
    row = _neutral({**MYSQL84_ROW, **(row_changes or {})})
    row["worker_errors"] = list(workers)
    v = {"gtid_mode": "ON", "server_uuid": UUID_ME, "server_id": 2, "read_only": "ON",
         "super_read_only": "ON", "binlog_format": "ROW", "log_replica_updates": "ON", "relay_log_space_limit": 0, **(variables or {})}
    return facts(server, v, **{"mysql.replica_status": {"channels": [row]},
                               "mysql.replication_source": {"dump_threads": [], "gtid": {"executed": executed}}})


def test_mysql84_wording_is_normalised():
    row = _neutral(MYSQL84_ROW)
    assert row["io_running"] == "Yes" and row["seconds_behind"] == 0 and row["source_host"] == "db1.example"
    assert row["exec_log_file"] == "binlog.000042" and row["auto_position"] == 1 and row["channel"] == ""


def test_healthy_mysql84_replica_is_silent():
    rec = _replica()
    for cid in ("threads", "lag", "read_only", "gtid", "relay_log_space", "binlog_retention", "binlog_format",
                "failover_ready"):
        assert judge(f"mysql.replication.{cid}", rec)[0] == [], cid


def test_applier_worker_error_is_shown_not_the_coordinator_text():
    coordinator = ("Coordinator stopped because there were error(s) in the worker(s). The most recent failure "
                   "being: Worker 1 failed executing transaction ... See error log and/or "
                   "performance_schema.replication_applier_status_by_worker table for more details")
    worker = {"channel": "", "worker": 1, "errno": 1032, "error_at": "2026-11-30 10:00:00",
              "error": "Worker 1 failed executing transaction: Could not execute Delete_rows event on table app.t; "
                       "Can't find record in 't', Error_code: 1032"}
    rec = _replica({"Replica_SQL_Running": "No", "Last_SQL_Errno": 1032, "Last_SQL_Error": coordinator,
                    "Seconds_Behind_Source": None}, workers=[worker])
    [f] = judge("mysql.replication.threads", rec)[0]
    assert str(f.severity) == "critical" and "error 1032: Worker 1 failed" in f.summary
    assert "START REPLICA;" in f.fix and f.evidence["fix_kind"] == "manual"


def test_mysql57_wording_in_fix():
    rec = _replica({"Replica_IO_Running": "No", "Last_IO_Errno": 1045,
                    "Last_IO_Error": "error connecting to master 'repl@db1:3306' - retry-time: 60 retries: 1"},
                   server="mysql8028")
    rec["mysql.server"]["version_tuple"] = [5, 7, 44]
    [f] = judge("mysql.replication.threads", rec)[0]
    assert "START SLAVE;" in f.fix and "1045" in f.summary


@pytest.mark.parametrize("behind, delay, expected", [(20, 0, None), (120, 0, "warning"), (7200, 0, "critical"),
                                                     (3620, 3600, None), (3700, 3600, "warning")])
def test_lag_minus_sql_delay(behind, delay, expected):
    rec = _replica({"Seconds_Behind_Source": behind, "SQL_Delay": delay})
    found = judge("mysql.replication.lag", rec)[0]
    assert [str(f.severity) for f in found] == ([expected] if expected else [])
    if found:
        assert found[0].fix.splitlines()[:2] == ["STOP REPLICA SQL_THREAD;",
                                                 "SET PERSIST replica_parallel_workers = {{workers}};"]


def test_writable_replica_on_mysql_needs_super_read_only():
    [f] = judge("mysql.replication.read_only", _replica(variables={"super_read_only": "OFF"}))[0]
    assert f.fix.startswith("SET PERSIST super_read_only = ON;")


def test_gtid_without_auto_position_and_errant_transactions():
    rec = _replica({"Auto_Position": 0}, executed=f"{UUID_SRC}:1-5000,\n{UUID_ME}:1-3")
    found = judge("mysql.replication.gtid", rec)[0]
    assert {f.object for f in found} == {"replication", "errant transactions"}
    pos = next(f for f in found if f.object == "replication")
    assert "CHANGE REPLICATION SOURCE TO SOURCE_AUTO_POSITION = 1;" in pos.fix
    errant = next(f for f in found if f.object == "errant transactions")
    assert errant.evidence["local_gtids"] == f"{UUID_ME}:1-3"


def test_relay_log_near_its_limit():
    rec = _replica({"Relay_Log_Space": int(0.95 * GiB)}, variables={"relay_log_space_limit": GiB})
    [f] = judge("mysql.replication.relay_log_space", rec)[0]
    assert "95% of relay_log_space_limit" in f.summary


@pytest.mark.parametrize("variables, expected", [
    ({"binlog_expire_logs_seconds": 0}, "never purged"),
    ({"binlog_expire_logs_seconds": 86400}, "kept 1 days"),
    ({"binlog_expire_logs_seconds": 2592000}, None),
])
def test_binlog_retention(variables, expected):
    found = judge("mysql.replication.binlog_retention", facts("mysql84", variables,
                  **{"mysql.replica_status": {"channels": []}}))[0]
    assert [expected in f.summary for f in found] == ([True] if expected else [])
    if found:
        assert found[0].fix.startswith("SET GLOBAL binlog_expire_logs_seconds = {{seconds}};") and "SET PERSIST" in found[0].fix


def test_statement_binlog_format():
    [f] = judge("mysql.replication.binlog_format", facts("mysql80", {"binlog_format": "STATEMENT"}))[0]
    assert f.fix.startswith("SET GLOBAL binlog_format = 'ROW';") and "SET PERSIST" in f.fix
    assert judge("mysql.replication.binlog_format", facts("mariadb1011", {"binlog_format": "MIXED",
                                                                        "log_bin": "ON"}))[0] == []


def test_replica_without_replicated_updates_cannot_take_over():
    [f] = judge("mysql.replication.failover_ready", _replica(variables={"log_replica_updates": "OFF"}))[0]
    assert f.summary.endswith("log_replica_updates is OFF") and "log_replica_updates = ON" in f.fix
    [f] = judge("mysql.replication.failover_ready", _replica(variables={"log_bin": "OFF", "log_replica_updates": "OFF"}))[0]
    assert "log_bin is OFF and log_replica_updates is OFF" in f.summary and "log_bin = mysql-bin" in f.fix


def test_mysql_multi_source_channel_wording():
    rec = _replica({"Channel_Name": "eu", "Replica_IO_Running": "No", "Last_IO_Errno": 13114,
                    "Last_IO_Error": "Got fatal error 1236 from source when reading data from binary log: "
                                     "'Could not find first log file name in binary log index file'"})
    [f] = judge("mysql.replication.threads", rec)[0]
    assert f.object == "channel 'eu'" and "13114" in f.summary
    assert f.fix.splitlines()[0] == "-- inspect first: SHOW REPLICA STATUS FOR CHANNEL 'eu';"
    assert f.fix.splitlines()[1].startswith("START REPLICA FOR CHANNEL 'eu';")
    assert "1236 means it was purged" in f.recommendation


def test_mariadb_lag_fix_stops_every_connection_first():
    # the statements were run on a private MariaDB 10.11 (slave_parallel_threads needs all stopped)
    [f] = judge("mysql.replication.lag", _replica({"Seconds_Behind_Source": 600}, server="mariadb1011"))[0]
    assert f.fix.splitlines()[:3] == ["STOP ALL REPLICAS;", "SET GLOBAL slave_parallel_threads = {{workers}};",
                                      "START ALL REPLICAS;  -- replication pauses a moment; persist: "
                                      "slave_parallel_threads under [mysqld]"]


def test_mysql8_applier_age_counts_when_seconds_behind_says_zero():
    # an 8.0 multi-threaded applier busy on a 2-minute-old transaction while the coordinator reports 0
    rec = _replica({"Seconds_Behind_Source": 0})
    rec["mysql.replica_status"]["channels"][0]["applier_lag_s"] = 120.5
    [f] = judge("mysql.replication.lag", rec)[0]
    assert f.evidence["lag_s"] == 120 and f.evidence["seconds_behind"] == 0 and "120 s behind" in f.summary


def test_gtid_migration_left_half_way():
    found = judge("mysql.replication.gtid", _replica(variables={"gtid_mode": "ON_PERMISSIVE"}))[0]
    assert [f.object for f in found] == ["gtid_mode"] and "SET PERSIST gtid_mode = ON;" in found[0].fix
