"""Replication: the replica side (one row per channel / connection name) and the source side
(binary log state, connected replicas).

Wording differs by version, the facts do not: MySQL 8.0.22+ answers SHOW REPLICA STATUS with
Source_* / Replica_* columns (SHOW SLAVE STATUS is gone in 8.4), older MySQL and MariaDB answer
SHOW SLAVE STATUS with Master_* / Slave_* columns, and MariaDB lists every multi-source
connection with SHOW ALL SLAVES STATUS. Each row is normalised to the same neutral keys.
"""

from __future__ import annotations

from typing import Any

from advisor.errors import FactUnavailable
from advisor.facts import provides

REPL_GRANT = ("GRANT REPLICATION CLIENT ON *.* TO <advisor user>  "
              "-- MariaDB 10.5+: GRANT SLAVE MONITOR ON *.* TO <advisor user>")

# neutral key <- column name after lower-casing and the source/replica -> master/slave rewrite
_COLUMNS = {
    "channel": ("channel_name", "connection_name"),
    "source_host": ("master_host",), "source_port": ("master_port",),
    "source_server_id": ("master_server_id",), "source_uuid": ("master_uuid",),
    "io_running": ("slave_io_running",), "sql_running": ("slave_sql_running",),
    "io_state": ("slave_io_state",), "sql_state": ("slave_sql_running_state",),
    "last_io_errno": ("last_io_errno",), "last_io_error": ("last_io_error",),
    "last_io_error_at": ("last_io_error_timestamp",),
    "last_sql_errno": ("last_sql_errno",), "last_sql_error": ("last_sql_error",),
    "last_sql_error_at": ("last_sql_error_timestamp",),
    "seconds_behind": ("seconds_behind_master",),
    "source_log_file": ("master_log_file",), "read_pos": ("read_master_log_pos",),
    "exec_log_file": ("relay_master_log_file",), "exec_pos": ("exec_master_log_pos",),
    "relay_log_space": ("relay_log_space",), "sql_delay": ("sql_delay",),
    "skip_counter": ("skip_counter",),
    # GTID: MySQL Auto_Position / Retrieved / Executed sets, MariaDB Using_Gtid / Gtid_IO_Pos
    "auto_position": ("auto_position",), "using_gtid": ("using_gtid",),
    "retrieved_gtid_set": ("retrieved_gtid_set",), "executed_gtid_set": ("executed_gtid_set",),
    "gtid_io_pos": ("gtid_io_pos",), "gtid_slave_pos": ("gtid_slave_pos",),
}


def _neutral(row: dict[str, Any]) -> dict[str, Any]:
    """One SHOW REPLICA/SLAVE STATUS row in the neutral keys (8.0.22+ names rewritten first)."""
    old = {}
    for k, v in row.items():
        k = k.lower().replace("source", "master").replace("replica", "slave")
        old[k] = v.decode() if isinstance(v, (bytes, bytearray)) else v
    out = {}
    for key, names in _COLUMNS.items():
        out[key] = next((old[n] for n in names if n in old), None)
    out["channel"] = out["channel"] or ""
    for k in ("last_io_error", "last_sql_error", "source_host", "io_state", "sql_state"):
        out[k] = (out[k] or "").strip()
    return out


@provides("mysql", "mysql.replica_status")
def replica_status(s, facts) -> dict[str, Any]:
    """Every replication channel this server replicates from (empty on a server that is not a
    replica), in neutral keys; on MySQL 8 with performance_schema, the applier workers' last
    errors too (SHOW REPLICA STATUS only says 'see replication_applier_status_by_worker') and the
    age of the transactions they apply (applier_lag_s)."""
    server = facts.get("mysql.server")
    ver = tuple(server["version_tuple"])
    if server["vendor"] == "mariadb":
        sql = "SHOW ALL SLAVES STATUS"
    else:
        sql = "SHOW REPLICA STATUS" if ver >= (8, 0, 22) else "SHOW SLAVE STATUS"
    channels = [_neutral(r) for r in s.query(sql, enable=REPL_GRANT)]
    workers: list[dict[str, Any]] = []
    ages: list[dict[str, Any]] = []
    if channels and server["vendor"] == "mysql" and ver >= (8, 0, 0):
        try:
            workers = s.query("""
                SELECT CHANNEL_NAME AS channel, WORKER_ID AS worker, LAST_ERROR_NUMBER AS errno,
                       LEFT(LAST_ERROR_MESSAGE, 500) AS error, LAST_ERROR_TIMESTAMP AS error_at
                FROM performance_schema.replication_applier_status_by_worker
                WHERE LAST_ERROR_NUMBER <> 0""")
            # the age of what each worker applies now, from the source's original commit time:
            # a lag measure without Seconds_Behind_Source's jumps (8.0.2+ columns)
            ages = s.query("""
                SELECT CHANNEL_NAME AS channel,
                       MAX(CASE WHEN APPLYING_TRANSACTION <> '' THEN TIMESTAMPDIFF(MICROSECOND,
                           APPLYING_TRANSACTION_ORIGINAL_COMMIT_TIMESTAMP, NOW(6)) END) / 1000000 AS lag_s
                FROM performance_schema.replication_applier_status_by_worker GROUP BY CHANNEL_NAME""")
        except FactUnavailable:
            workers, ages = [], []  # performance_schema off or not readable: SHOW REPLICA STATUS remains
    for c in channels:
        c["worker_errors"] = [w for w in workers if (w["channel"] or "") == c["channel"]]
        c["applier_lag_s"] = next((a["lag_s"] for a in ages if (a["channel"] or "") == c["channel"]), None)
    return {"channels": channels}


@provides("mysql", "mysql.replication_source")
def replication_source(s, facts) -> dict[str, Any]:
    """The source side: replicas connected now (binlog dump threads; needs PROCESS to see other
    accounts' threads) and this server's own GTID position."""
    dumps = s.query("""
        SELECT ID AS id, USER AS user, HOST AS host, TIME AS seconds, STATE AS state
        FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'""",
                    enable="GRANT PROCESS ON *.* TO <advisor user>")
    server = facts.get("mysql.server")
    if server["vendor"] == "mariadb":
        gtid = s.query("SELECT @@gtid_binlog_pos AS binlog_pos, @@gtid_slave_pos AS slave_pos, "
                       "@@gtid_current_pos AS current_pos, @@gtid_binlog_state AS binlog_state")[0]
    else:
        gtid = {"executed": s.scalar("SELECT @@GLOBAL.gtid_executed")}
    return {"dump_threads": dumps, "gtid": gtid}
