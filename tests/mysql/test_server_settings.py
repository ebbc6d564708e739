"""Server-wide settings checks on real MariaDB servers, as data: each case is a my.cnf line that
plants a problem, the finding it must produce, and the line of its healthy twin. One private
server starts with every planted line, another with every healthy one; the expectations are
written down here, never recomputed from the server's values (a test that re-derives the rule
it tests cannot fail where the rule is wrong). Both sides of each rule on MySQL 8 shapes are
in test_mysql_recorded.py; the fixes themselves are run in test_mysql_fixes_applied.py."""

from __future__ import annotations

import pytest

from mysql_helpers import run_advisor
from servers import MariaDBServer

GiB = 1024**3

# (check, object it reports, planted my.cnf lines, healthy my.cnf lines)
CASES = [
    ("mysql.cache.query_cache", "query_cache_type", "query_cache_type=1 query_cache_size=16M",
     "query_cache_type=0 query_cache_size=0"),
    ("mysql.observability.slow_log", "slow_query_log", "slow_query_log=0", "slow_query_log=1 long_query_time=1"),
    ("mysql.durability.settings", "innodb_flush_log_at_trx_commit", "innodb_flush_log_at_trx_commit=2",
     "innodb_flush_log_at_trx_commit=1"),
    ("mysql.io.settings", "innodb_io_capacity", "innodb_io_capacity=200",
     "innodb_io_capacity=2000 innodb_io_capacity_max=4000"),
    ("mysql.tmp.size_mismatch", "tmp_table_size", "tmp_table_size=16M", "tmp_table_size=32M"),
    ("mysql.observability.performance_schema", "setup_consumers",
     "performance-schema-consumer-statements-digest=OFF", "performance-schema-consumer-statements-digest=ON"),
    ("mysql.access.local_infile", "local_infile", "local_infile=1", "local_infile=0"),
    ("mysql.variables.general_log", "general_log", "general_log=1", "general_log=0"),
]
COMMON = ["max_heap_table_size=32M", "sync_binlog=1", "innodb_flush_method=O_DIRECT",
          "skip_name_resolve=1", "binlog_expire_logs_seconds=604800"]


def _run(lines: list[str]):
    with MariaDBServer(*COMMON, *lines, server_id=1, log_bin=True) as srv:
        result = run_advisor(srv.url, memory=16 * GiB)
    assert not result.errors, result.errors
    return {(f.check, f.object) for f in result.findings}, result


@pytest.fixture(scope="module")
def planted():
    return _run([line for c in CASES for line in c[2].split()])


@pytest.fixture(scope="module")
def healthy():
    return _run([line for c in CASES for line in c[3].split()])


@pytest.mark.parametrize("check, obj, bad, good", CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_planted_setting_is_found_and_its_twin_is_quiet(planted, healthy, check, obj, bad, good):
    assert (check, obj) in planted[0], sorted(k for k in planted[0] if k[0] == check)
    assert (check, obj) not in healthy[0]


def test_the_whole_run_reads_every_fact(healthy):
    _, result = healthy
    assert result.server_version.startswith("MariaDB ")
    unreadable = [s for s in result.skipped if "privilege" in s.reason.lower() or "grant" in s.reason.lower()]
    assert unreadable == []  # root on its own server can read everything
