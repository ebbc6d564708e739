"""Checks judged on recorded facts: MySQL 8.0 / 8.4 and MariaDB shapes, both sides of each rule,
and numbers this server cannot produce."""

from __future__ import annotations

import pytest

from recorded_facts import GiB, MiB, digest, facts, judge, table


def _objects(findings):
    return {f.object for f in findings}


# ---- redo log --------------------------------------------------------------

def test_redo_capacity_judged_on_hourly_rate_on_mysql_8030():
    # 2 GiB of redo per hour against a 100 MiB innodb_redo_log_capacity
    rec = facts("mysql80", status={"uptime": 86400, "innodb_os_log_written": 48 * GiB})
    found, _ = judge("mysql.innodb.redo_log", rec)
    assert _objects(found) == {"innodb_redo_log_capacity"}
    assert "SET GLOBAL innodb_redo_log_capacity = 2147483648" in found[0].fix
    assert found[0].evidence["redo_bytes_per_hour"] == 2 * GiB


def test_redo_capacity_big_enough_on_mysql_84():
    rec = facts("mysql84", {"innodb_redo_log_capacity": 4 * GiB},
                status={"uptime": 86400, "innodb_os_log_written": 48 * GiB})
    assert judge("mysql.innodb.redo_log", rec)[0] == []


def test_redo_before_8030_is_file_size_times_files_vs_quarter_of_pool():
    rec = facts("mysql8028", {"innodb_buffer_pool_size": 12 * GiB, "innodb_log_file_size": 256 * MiB})
    found, _ = judge("mysql.innodb.redo_log", rec)
    assert _objects(found) == {"innodb_log_file_size"}
    assert found[0].evidence["redo_bytes"] == 512 * MiB  # 2 files
    # not resizable online before 8.0.30; the guide's 25% (3 GiB) is the total, split over the 2 files
    assert found[0].fix.startswith("[mysqld]\ninnodb_log_file_size = 1536M\n")
    assert found[0].evidence["fix_kind"] == "config" and found[0].evidence["target_redo_bytes"] == 3 * GiB


def test_redo_on_mariadb_guide_quarter_of_pool():
    low = facts("mariadb1011", {"innodb_buffer_pool_size": 16 * GiB})
    found, _ = judge("mysql.innodb.redo_log", low)
    assert _objects(found) == {"innodb_log_file_size"}
    assert "SET GLOBAL innodb_log_file_size = 4294967296" in found[0].fix  # online on 10.9+
    ok = facts("mariadb1011", {"innodb_buffer_pool_size": 12 * GiB, "innodb_log_file_size": 3 * GiB})
    assert judge("mysql.innodb.redo_log", ok)[0] == []


# ---- buffer pool ------------------------------------------------------------

@pytest.mark.parametrize("bp, data, expected", [
    (15 * GiB, 1 * GiB, "critical"),      # 94% of 16 GiB
    (12 * GiB, 40 * GiB, None),           # 75%: inside the guide's 70-80%
    (4 * GiB, 20 * GiB, "warning"),       # 25% and the data does not fit
    (4 * GiB, 1 * GiB, None),             # small, but the data fits
])
def test_buffer_pool_vs_memory(bp, data, expected):
    rec = facts("mysql80", {"innodb_buffer_pool_size": bp},
                **{"mysql.tables": {"rows": [table(data_bytes=data)]}})
    found, _ = judge("mysql.innodb.buffer_pool_memory", rec, memory=16 * GiB)
    assert [str(f.severity) for f in found] == ([expected] if expected else [])


def test_buffer_pool_memory_needs_host_memory():
    found, skipped = judge("mysql.innodb.buffer_pool_memory", facts())
    assert found == [] and "--memory" in skipped[0].reason


def test_buffer_pool_smaller_than_data_only_matters_with_misses():
    rows = {"mysql.tables": {"rows": [table(data_bytes=2 * GiB)]}}
    misses = facts(status={"innodb_buffer_pool_reads": 5 * 10**7}, **rows)  # 95% hit
    assert len(judge("mysql.innodb.buffer_pool_data", misses)[0]) == 1
    hits = facts(**rows)  # 99.99%
    assert judge("mysql.innodb.buffer_pool_data", hits)[0] == []


@pytest.mark.parametrize("reads, expected", [(10**5, None), (2 * 10**7, "warning"), (2 * 10**8, "critical")])
def test_buffer_pool_hit_rate(reads, expected):
    found, _ = judge("mysql.innodb.buffer_pool_hit", facts(status={"innodb_buffer_pool_reads": reads}))
    assert [str(f.severity) for f in found] == ([expected] if expected else [])


@pytest.mark.parametrize("check_id, status", [
    ("mysql.innodb.buffer_pool_hit", {"innodb_buffer_pool_reads": 2 * 10**8}),        # critical when old
    ("mysql.innodb.buffer_pool_hit", {"innodb_buffer_pool_wait_free": 42}),
    ("mysql.tmp.disk_ratio", {"created_tmp_disk_tables": 9000}),
    ("mysql.cache.table_open", {"table_open_cache_hits": 10, "table_open_cache_misses": 10**5}),
    ("mysql.connections.aborted", {"aborted_connects": 5000}),
    ("mysql.queries.slow_ratio", {"slow_queries": 5000, "questions": 20000}),
    ("mysql.queries.joins_without_index", {"select_full_join": 10**6}),
])
def test_counter_ratios_stay_info_right_after_a_restart(check_id, status):
    """Counters since startup start cold: below MySQLTuner's 24 h a ratio is info at most, and
    the counters' age is in the evidence."""
    old, _ = judge(check_id, facts(status=status))
    assert old and all(str(f.severity) in ("warning", "critical") for f in old)
    young, _ = judge(check_id, facts(status={**status, "uptime": 600, "uptime_since_flush_status": 600}))
    assert young and all(str(f.severity) == "info" for f in young)
    assert young[0].evidence["uptime_s"] == 600 and young[0].evidence["uptime_since_flush_status_s"] == 600
    assert young[0].evidence["threshold_min_uptime_s"] == 86400
    assert "counters cover only" in young[0].summary


def test_buffer_pool_free_page_waits():
    found, _ = judge("mysql.innodb.buffer_pool_hit", facts(status={"innodb_buffer_pool_wait_free": 42}))
    assert _objects(found) == {"innodb_buffer_pool_wait_free"}


# ---- durability / IO --------------------------------------------------------

def test_durability_relaxed_settings_with_trade_offs():
    rec = facts("mysql80", {"innodb_flush_log_at_trx_commit": 2, "sync_binlog": 0, "innodb_doublewrite": "OFF"})
    found = {f.object: f for f in judge("mysql.durability.settings", rec)[0]}
    assert set(found) == {"innodb_flush_log_at_trx_commit", "sync_binlog", "innodb_doublewrite"}
    assert str(found["innodb_flush_log_at_trx_commit"].severity) == "info"  # 2: the guide's trade-off
    assert str(found["innodb_doublewrite"].severity) == "critical"
    zero = facts("mysql80", {"innodb_flush_log_at_trx_commit": 0})
    assert str(judge("mysql.durability.settings", zero)[0][0].severity) == "warning"


def test_durable_mysql8_is_silent_and_binlog_off_uses_version_right_variable():
    assert judge("mysql.durability.settings", facts("mysql80"))[0] == []
    off = judge("mysql.durability.settings", facts("mysql84", {"log_bin": "OFF"}))[0]
    assert _objects(off) == {"log_bin"} and "binlog_expire_logs_seconds" in off[0].fix
    old = judge("mysql.durability.settings", facts("mariadb105"))[0]
    assert "expire_logs_days" in next(f for f in old if f.object == "log_bin").fix


def test_io_settings_mysql80_vs_84_defaults():
    assert _objects(judge("mysql.io.settings", facts("mysql80"))[0]) == {"innodb_flush_method", "innodb_io_capacity"}
    assert judge("mysql.io.settings", facts("mysql84"))[0] == []


# ---- connections, caches, temporary tables ----------------------------------

@pytest.mark.parametrize("used, expected", [(100, None), (140, "warning"), (151, "critical")])
def test_connection_usage(used, expected):
    found, _ = judge("mysql.connections.usage", facts(status={"max_used_connections": used}))
    assert [str(f.severity) for f in found] == ([expected] if expected else [])


def test_aborted_connects_and_thread_cache():
    bad = facts(status={"aborted_connects": 500, "threads_created": 8000})
    aborted = judge("mysql.connections.aborted", bad)[0]
    assert len(aborted) == 1 and aborted[0].evidence["fix_kind"] == "manual"  # a diagnosis query, not a fix
    assert "thread_cache_size = 100" in judge("mysql.connections.thread_cache", bad)[0][0].fix
    assert judge("mysql.connections.aborted", facts())[0] == []
    assert judge("mysql.connections.thread_cache", facts())[0] == []
    pooled = facts("mariadb1011", {"thread_handling": "pool-of-threads"}, status={"threads_created": 8000})
    assert judge("mysql.connections.thread_cache", pooled)[0] == []


def test_tmp_tables_on_disk_and_size_mismatch():
    found = judge("mysql.tmp.disk_ratio", facts(status={"created_tmp_disk_tables": 4000}))[0]
    assert found and found[0].evidence["pct"] == 40.0
    assert judge("mysql.tmp.disk_ratio", facts())[0] == []
    mism = judge("mysql.tmp.size_mismatch", facts(variables={"tmp_table_size": 256 * MiB}))[0]
    assert _objects(mism) == {"max_heap_table_size"} and mism[0].evidence["effective"] == 16 * MiB
    assert judge("mysql.tmp.size_mismatch", facts())[0] == []


def test_query_cache_only_on_mariadb_when_enabled():
    assert judge("mysql.cache.query_cache", facts("mysql80"))[0] == []  # no variables on MySQL 8
    assert judge("mysql.cache.query_cache", facts("mariadb1011"))[0] == []  # OFF by default
    on = facts("mariadb1011", {"query_cache_type": "ON", "query_cache_size": 64 * MiB})
    found = judge("mysql.cache.query_cache", on)[0]
    assert _objects(found) == {"query_cache_type"} and "query_cache_size = 0" in found[0].fix


def test_table_cache_and_open_files():
    low = facts(status={"table_open_cache_hits": 1000, "table_open_cache_misses": 9000})
    assert len(judge("mysql.cache.table_open", low)[0]) == 1
    assert judge("mysql.cache.table_open", facts())[0] == []
    old = facts(status={"table_open_cache_hits": None, "table_open_cache_misses": None,
                        "open_tables": 400, "opened_tables": 50000})  # servers without the counters
    assert len(judge("mysql.cache.table_open", old)[0]) == 1
    near = facts(variables={"open_files_limit": 1000}, status={"open_files": 900})
    assert len(judge("mysql.cache.open_files", near)[0]) == 1
    assert judge("mysql.cache.open_files", facts())[0] == []


def test_slow_log_sides():
    assert _objects(judge("mysql.observability.slow_log", facts())[0]) == {"slow_query_log"}
    on = facts(variables={"slow_query_log": "ON", "long_query_time": 10.0})
    assert _objects(judge("mysql.observability.slow_log", on)[0]) == {"long_query_time"}
    good = facts(variables={"slow_query_log": "ON", "long_query_time": 1.0})
    assert judge("mysql.observability.slow_log", good)[0] == []


# ---- performance_schema ------------------------------------------------------

def _ps(enabled=True, digest=True, lost=0):
    return {"enabled": enabled, "readable": True if enabled else None, "error": None,
            "consumers": {"global_instrumentation": True, "statements_digest": digest},
            "instruments": {}, "digests_size": 5000, "digest_lost": lost}


def test_performance_schema_off_consumer_off_and_digest_table_full():
    off = facts("mariadb1011", **{"mysql.performance_schema": _ps(enabled=False)})
    found = judge("mysql.observability.performance_schema", off)[0]
    assert _objects(found) == {"performance_schema"} and "restart" in found[0].fix
    no_digest = facts(**{"mysql.performance_schema": _ps(digest=False)})
    assert "statements_digest" in judge("mysql.observability.performance_schema", no_digest)[0][0].fix
    full = facts(**{"mysql.performance_schema": _ps(lost=10)})
    assert _objects(judge("mysql.observability.performance_schema", full)[0]) == {"performance_schema_digests_size"}
    assert judge("mysql.observability.performance_schema", facts(**{"mysql.performance_schema": _ps()}))[0] == []


def test_statement_facts_unavailable_when_performance_schema_off():
    from advisor.errors import FactUnavailable
    from advisor.facts import LiveFacts
    import advisor.engines.mysql  # noqa: F401  (registers the providers)

    live = LiveFacts("mysql", session=None)
    live.values["mysql.performance_schema"] = _ps(enabled=False)
    for name in ("mysql.digests", "mysql.index_usage"):
        with pytest.raises(FactUnavailable) as e:
            live.get(name)
        assert "performance_schema = ON" in e.value.enable


# ---- statements ----------------------------------------------------------------

def test_statement_rules_on_digests():
    rows = [digest("SELECT * FROM `t` WHERE `a` = ?", digest="a" * 32, mean_s=2.5, total_s=250.0, calls=100),
            digest("SELECT * FROM `big` WHERE `b` = ?", digest="b" * 32, no_index_used=40, calls=40,
                   rows_examined=40 * 50000, total_s=20.0),
            digest("SELECT `x` FROM `t` GROUP BY `y`", digest="c" * 32, tmp_tables=5, tmp_disk_tables=5),
            digest("SELECT * FROM `t` ORDER BY `z`", digest="e" * 32, sort_merge_passes=12),
            digest("SELECT * FROM `performance_schema` . `threads`", digest="f" * 32, mean_s=5.0,
                   no_index_used=9, rows_examined=10**6),   # the advisor's own catalog read: ignored
            digest("INSERT INTO `t` SELECT `seq` FROM `seq_1_to_100000`", digest="9" * 32,
                   no_index_used=1, rows_examined=100000, calls=1)]
    rec = facts(**{"mysql.digests": {"rows": rows, "truncated": False, "limit": 500}})
    assert {f.evidence["digest"][0] for f in judge("mysql.queries.slow_mean", rec)[0]} == {"a"}
    assert {f.evidence["digest"][0] for f in judge("mysql.queries.full_scans", rec)[0]} == {"b"}
    assert {f.evidence["digest"][0] for f in judge("mysql.queries.tmp_disk", rec)[0]} == {"c"}
    assert {f.evidence["digest"][0] for f in judge("mysql.queries.sort_merge", rec)[0]} == {"e"}
    top = judge("mysql.queries.top_total", rec)[0]
    assert [f.evidence["digest"][0] for f in top] == ["a"] and top[0].evidence["share_pct"] > 90


# ---- schema ----------------------------------------------------------------------

def test_auto_increment_type_limits_and_widest_type():
    rows = [table("u", auto_increment=3_000_000_000, auto_increment_column="id", auto_increment_type="int",
                  column_type="int(10) unsigned"),                      # 70%: below 75
            table("s", auto_increment=2_000_000_000, auto_increment_column="id", auto_increment_type="int",
                  column_type="int(11)"),                               # 93%: critical
            table("b", auto_increment=17_000_000_000_000_000_000, auto_increment_column="id",
                  auto_increment_type="bigint", column_type="bigint(20) unsigned")]  # 92%, already widest
    found = {f.object: f for f in judge("mysql.schema.auto_increment", facts(**{"mysql.tables": {"rows": rows}}))[0]}
    assert set(found) == {"app.s.id", "app.b.id"}
    assert str(found["app.s.id"].severity) == "critical" and "BIGINT UNSIGNED" in found["app.s.id"].fix
    assert found["app.b.id"].fix is None
    # a type change copies the table: the lock is stated, and a big table gets the online tool
    assert "ALGORITHM=COPY, LOCK=SHARED" in found["app.s.id"].fix and "writes wait" in found["app.s.id"].fix
    assert "fix_kind" not in found["app.s.id"].evidence
    big = [table("s", auto_increment=2_000_000_000, auto_increment_column="id", auto_increment_type="int",
                 column_type="int(11)", data_bytes=80 * GiB)]
    f = judge("mysql.schema.auto_increment", facts(**{"mysql.tables": {"rows": big}}))[0][0]
    assert f.fix.startswith("pt-online-schema-change --alter 'MODIFY `id` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT' "
                            "D=app,t=s --execute")
    assert "gh-ost" in f.fix and f.evidence["fix_kind"] == "manual"


def test_fragmentation_thresholds_and_shared_tablespace():
    rows = [table("frag", data_bytes=1 * GiB, data_free=300 * MiB), table("ok", data_bytes=10 * GiB, data_free=300 * MiB),
            table("small", data_bytes=50 * MiB, data_free=60 * MiB)]
    found = judge("mysql.schema.fragmented", facts(**{"mysql.tables": {"rows": rows}}))[0]
    assert _objects(found) == {"app.frag"}
    assert found[0].fix.startswith("ALTER TABLE `app`.`frag` FORCE, ALGORITHM=INPLACE, LOCK=NONE;")
    shared = facts(variables={"innodb_file_per_table": "OFF"}, **{"mysql.tables": {"rows": rows}})
    assert judge("mysql.schema.fragmented", shared)[0] == []


def test_no_primary_key_only_innodb():
    rows = [table("a", has_pk=False), table("b", has_pk=False, engine="MyISAM"), table("c")]
    found = judge("mysql.schema.no_primary_key", facts(**{"mysql.tables": {"rows": rows}}))[0]
    assert _objects(found) == {"app.a"}
    # an auto-increment column cannot be added with concurrent writes: the fix says so
    assert "LOCK=SHARED" in found[0].fix and "writes wait" in found[0].fix
    assert "replica" in found[0].recommendation and "LOCK=NONE" in found[0].recommendation


# ---- accounts ------------------------------------------------------------------

def test_account_hygiene_mysql8_shape():
    rows = [{"user": "", "host": "%", "plugins": ["caching_sha2_password"], "passwordless": True,
             "locked": False, "is_role": False},
            {"user": "app", "host": "%", "plugins": ["caching_sha2_password"], "passwordless": True,
             "locked": False, "is_role": False},
            {"user": "root", "host": "%", "plugins": ["caching_sha2_password"], "passwordless": False,
             "locked": False, "is_role": False},
            {"user": "mysql.sys", "host": "localhost", "plugins": ["caching_sha2_password"],
             "passwordless": True, "locked": True, "is_role": False},
            {"user": "admin", "host": "localhost", "plugins": ["auth_socket"], "passwordless": False,
             "locked": False, "is_role": False}]
    rec = facts(**{"mysql.accounts": {"rows": rows}})
    assert _objects(judge("mysql.security.anonymous", rec)[0]) == {"''@'%'"}
    nopw = judge("mysql.security.no_password", rec)[0]
    assert _objects(nopw) == {"'app'@'%'"} and str(nopw[0].severity) == "critical"
    root = judge("mysql.security.root_remote", rec)[0]
    assert _objects(root) == {"'root'@'%'"} and str(root[0].severity) == "warning"


def test_accounts_provider_never_returns_credentials():
    from advisor.engines.mysql.facts_accounts import _passwordless
    assert _passwordless([{"plugin": "mysql_native_password", "authentication_string": ""}])
    assert not _passwordless([{"plugin": "unix_socket", "authentication_string": ""}])
    assert not _passwordless([{"plugin": "mysql_native_password", "authentication_string": "invalid"}])


# ---- long transactions ------------------------------------------------------------

def test_long_transactions_and_history_length():
    trx = {"transactions": [{"id": "1", "thread_id": 7, "state": "RUNNING", "started": "2024-01-01T00:00:00",
                             "age_s": 7200, "rows_modified": 3, "rows_locked": 3, "query": None},
                            {"id": "2", "thread_id": 8, "state": "RUNNING", "started": "2024-01-01T01:59:00",
                             "age_s": 60, "rows_modified": 0, "rows_locked": 0, "query": None}],
           "history_list_length": 250000}
    found = judge("mysql.innodb.long_transactions", facts(**{"mysql.innodb_trx": trx}))[0]
    assert _objects(found) == {"thread 7", "history list length"}
    quiet = {"transactions": [], "history_list_length": 12}
    assert judge("mysql.innodb.long_transactions", facts(**{"mysql.innodb_trx": quiet}))[0] == []


def test_buffer_pool_instances_mysql_only():
    big = {"innodb_buffer_pool_size": 12 * GiB, "innodb_buffer_pool_instances": 1}
    found = judge("mysql.innodb.buffer_pool_instances", facts("mysql80", big))[0]
    assert _objects(found) == {"innodb_buffer_pool_instances"} and "= 8" in found[0].fix
    assert judge("mysql.innodb.buffer_pool_instances",
                 facts("mysql80", {**big, "innodb_buffer_pool_instances": 8}))[0] == []
    assert judge("mysql.innodb.buffer_pool_instances", facts("mysql80"))[0] == []  # 128 MiB: one is right
    # MariaDB 10.5 ignores it, 10.6+ has no such variable: the guide's advice does not apply
    assert judge("mysql.innodb.buffer_pool_instances", facts("mariadb105", big))[0] == []
    assert judge("mysql.innodb.buffer_pool_instances", facts("mariadb1011", {"innodb_buffer_pool_size": 12 * GiB}))[0] == []


def test_slow_ratio_and_joins_without_index():
    slow = facts(status={"slow_queries": 900, "questions": 10000})
    assert _objects(judge("mysql.queries.slow_ratio", slow)[0]) == {"slow_queries"}
    assert judge("mysql.queries.slow_ratio", facts(status={"slow_queries": 10, "questions": 10000}))[0] == []
    assert judge("mysql.queries.slow_ratio", facts(status={"slow_queries": 900, "questions": 1000}))[0] == []
    # 30 days up: 9,000 joins = 300 / day > 250
    joins = facts(status={"select_full_join": 8000, "select_range_check": 1000})
    assert judge("mysql.queries.joins_without_index", joins)[0][0].evidence["per_day"] == 300
    assert judge("mysql.queries.joins_without_index", facts(status={"select_full_join": 7000}))[0] == []


def test_worst_case_memory_guide_formula():
    # 12 GiB pool + 1000 x (8 MiB + 4 MiB) = ~23.7 GiB on a 16 GiB host
    over = facts("mysql80", {"innodb_buffer_pool_size": 12 * GiB, "key_buffer_size": 8 * MiB,
                             "max_connections": 1000, "read_buffer_size": 8 * MiB, "sort_buffer_size": 4 * MiB})
    found = judge("mysql.memory.worst_case", over, memory=16 * GiB)[0]
    assert str(found[0].severity) == "critical"
    assert found[0].evidence["worst_case_bytes"] == 12 * GiB + 8 * MiB + 1000 * 12 * MiB
    ok = facts("mysql80", {"innodb_buffer_pool_size": 12 * GiB, "key_buffer_size": 8 * MiB,
                           "max_connections": 151, "read_buffer_size": 128 * 1024, "sort_buffer_size": 256 * 1024})
    assert judge("mysql.memory.worst_case", ok, memory=16 * GiB)[0] == []
    assert "--memory" in judge("mysql.memory.worst_case", ok)[1][0].reason


def test_unused_index_statistics_start_at_the_tables_last_alter():
    """Per-table usage statistics start over at ALTER TABLE (CREATE_TIME moves): an index of a
    table altered an hour ago on a server up 30 days is a hint, not a warning."""
    ix = {"schema": "app", "table": "t", "index": "k", "columns": ["k"], "sub_parts": [None], "unique": False,
          "primary": False, "type": "BTREE", "engine": "InnoDB", "expressions": [], "visible": True}
    usage = {"mysql.index_usage": {"tables": {"app.t": {"indexes": {"k": {"count_star": 0}}, "full_scan_rows": 0,
                                                        "index_rows": 0}}},
             "mysql.indexes": {"rows": [ix]}}
    old = judge("mysql.index.unused", facts(**usage, **{"mysql.tables": {"rows": [table(altered_s_ago=40 * 86400)]}}))[0]
    assert [str(f.severity) for f in old] == ["warning"]
    fresh = judge("mysql.index.unused", facts(**usage, **{"mysql.tables": {"rows": [table(altered_s_ago=3600)]}}))[0]
    assert [str(f.severity) for f in fresh] == ["info"] and fresh[0].evidence["stats_age_s"] == 3600
    assert "since the table was altered" in fresh[0].summary


def test_live_settings_say_how_they_are_kept_per_vendor():
    """A SET GLOBAL lasts until the restart: the fix names the my.cnf lines, SET PERSIST only
    where it exists (MySQL 8; MariaDB has none), and that replicas need the same change."""
    relaxed = {"innodb_flush_log_at_trx_commit": 2}
    for server, persist in (("mysql80", True), ("mariadb1011", False)):
        fix = judge("mysql.durability.settings", facts(server, relaxed))[0][0].fix
        assert fix.startswith("SET GLOBAL innodb_flush_log_at_trx_commit = 1;")
        assert "--   innodb_flush_log_at_trx_commit = 1" in fix and "under [mysqld] in my.cnf" in fix
        assert ("SET PERSIST" in fix) is persist
        assert "Helm values" in fix and "replica" in fix


def test_redo_on_mariadb_105_is_one_file_set_at_restart():
    found, _ = judge("mysql.innodb.redo_log", facts("mariadb105", {"innodb_buffer_pool_size": 16 * GiB,
                                                                    "innodb_log_files_in_group": 2}))
    # 10.5 has a single redo file whatever innodb_log_files_in_group says, and no online resize
    assert found[0].evidence["innodb_log_files_in_group"] == 1
    assert found[0].fix.startswith("[mysqld]\ninnodb_log_file_size = 4G\n")
    assert found[0].evidence["fix_kind"] == "config"
