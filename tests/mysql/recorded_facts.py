"""Recorded fact shapes of MySQL 8.0 / 8.4 and MariaDB, as SHOW GLOBAL VARIABLES / STATUS
report them (trimmed to what the checks read), and a helper to judge checks on them."""

from __future__ import annotations

import copy

import support

GiB, MiB = 1024**3, 1024**2

# MySQL 8.0.36: no query_cache_* and no expire_logs_days-era defaults; redo capacity 8.0.30+
MYSQL_80_VARIABLES = {
    "version": "8.0.36", "performance_schema": "ON", "innodb_buffer_pool_size": 134217728,
    "innodb_redo_log_capacity": 104857600, "innodb_log_file_size": 50331648,
    "innodb_log_files_in_group": 2, "innodb_flush_log_at_trx_commit": 1, "sync_binlog": 1,
    "log_bin": "ON", "innodb_doublewrite": "ON", "innodb_flush_method": "fsync",
    "innodb_io_capacity": 200, "innodb_io_capacity_max": 2000, "max_connections": 151,
    "thread_cache_size": 9, "tmp_table_size": 16777216, "max_heap_table_size": 16777216,
    "slow_query_log": "OFF", "long_query_time": 10.0, "table_open_cache": 4000,
    "open_files_limit": 1048576, "innodb_file_per_table": "ON", "innodb_page_size": 16384,
    "binlog_expire_logs_seconds": 2592000, "thread_handling": "one-thread-per-connection",
}
# MySQL 8.4 LTS: O_DIRECT default where supported, innodb_io_capacity 10000, redo capacity only
MYSQL_84_VARIABLES = {**MYSQL_80_VARIABLES, "version": "8.4.3", "innodb_flush_method": "O_DIRECT",
                      "innodb_io_capacity": 10000, "innodb_io_capacity_max": 20000}
del MYSQL_84_VARIABLES["innodb_log_files_in_group"]
# MariaDB 10.11: query cache variables still exist; single redo file; no buffer_pool_instances
MARIADB_1011_VARIABLES = {
    "version": "10.11.6-MariaDB", "performance_schema": "OFF", "innodb_buffer_pool_size": 134217728,
    "innodb_log_file_size": 100663296, "innodb_flush_log_at_trx_commit": 1, "sync_binlog": 0,
    "log_bin": "OFF", "innodb_doublewrite": "ON", "innodb_flush_method": "O_DIRECT",
    "innodb_io_capacity": 200, "innodb_io_capacity_max": 2000, "max_connections": 151,
    "thread_cache_size": 151, "tmp_table_size": 16777216, "max_heap_table_size": 16777216,
    "slow_query_log": "OFF", "long_query_time": 10.0, "table_open_cache": 2000,
    "open_files_limit": 32768, "query_cache_type": "OFF", "query_cache_size": 1048576,
    "innodb_file_per_table": "ON", "innodb_page_size": 16384, "thread_handling": "one-thread-per-connection",
}
STATUS = {
    "uptime": 30 * 86400, "innodb_os_log_written": 0, "max_used_connections": 20,
    "aborted_connects": 0, "connections": 10000, "threads_created": 50,
    "innodb_buffer_pool_read_requests": 10**9, "innodb_buffer_pool_reads": 10**5,
    "innodb_buffer_pool_wait_free": 0, "created_tmp_tables": 10000, "created_tmp_disk_tables": 100,
    "table_open_cache_hits": 10**6, "table_open_cache_misses": 1000, "open_tables": 1000,
    "opened_tables": 2000, "open_files": 100, "performance_schema_digest_lost": 0,
}
SERVERS = {
    "mysql80": {"vendor": "mysql", "version": "8.0.36", "version_tuple": [8, 0, 36]},
    "mysql84": {"vendor": "mysql", "version": "8.4.3", "version_tuple": [8, 4, 3]},
    "mysql8028": {"vendor": "mysql", "version": "8.0.28", "version_tuple": [8, 0, 28]},
    "mariadb1011": {"vendor": "mariadb", "version": "10.11.6", "version_tuple": [10, 11, 6]},
    "mariadb105": {"vendor": "mariadb", "version": "10.5.23", "version_tuple": [10, 5, 23]},
}
VARIABLES = {"mysql80": MYSQL_80_VARIABLES, "mysql84": MYSQL_84_VARIABLES, "mysql8028": MYSQL_80_VARIABLES,
             "mariadb1011": MARIADB_1011_VARIABLES, "mariadb105": MARIADB_1011_VARIABLES}


def facts(server: str = "mysql80", variables: dict | None = None, status: dict | None = None,
          **extra) -> dict:
    v = copy.deepcopy(VARIABLES[server])
    v.update(variables or {})
    return {"mysql.server": {**SERVERS[server], "uptime_s": STATUS["uptime"]},
            "mysql.variables": v, "mysql.status": {**STATUS, **(status or {})},
            "mysql.tables": {"rows": [], "truncated": False}, **extra}


def judge(check_id: str, recorded: dict, memory: int | None = None, thresholds: dict | None = None):
    """Run one check on recorded facts; returns (findings, skipped)."""
    j = support.judge(check_id, recorded, memory=memory, thresholds=thresholds)
    return j.findings, j.skipped


def table(name: str = "t", schema: str = "app", **kw) -> dict:
    row = {"schema": schema, "table": name, "engine": "InnoDB", "rows": 1000, "data_bytes": 16384,
           "index_bytes": 0, "data_free": 0, "auto_increment": None, "has_pk": True,
           "auto_increment_column": None, "auto_increment_type": None, "column_type": None}
    row.update(kw)
    return row


def digest(text: str, **kw) -> dict:
    row = {"schema": "app", "digest": "d" * 32, "digest_text": text, "calls": 10, "total_s": 1.0,
           "mean_s": 0.1, "max_s": 0.2, "lock_s": 0.0, "rows_examined": 100, "rows_sent": 10,
           "rows_affected": 0, "no_index_used": 0, "no_good_index_used": 0, "tmp_tables": 0,
           "tmp_disk_tables": 0, "sort_merge_passes": 0, "first_seen": None, "last_seen": None}
    row.update(kw)
    return row
