"""The advisor's own statements (catalog reads, the index advisor's sample) are never judged."""

from __future__ import annotations

import json

import pytest

from advisor.engines.mysql.facts_server import SAMPLE_ALIAS, is_monitoring
from mysql_helpers import fill, run_advisor


@pytest.mark.parametrize("text, own", [
    ("SELECT SCHEMA_NAME AS `schema` FROM `performance_schema` . `events_statements_summary_by_digest` "
     "WHERE `DIGEST` IS NOT NULL", True),
    (f"SELECT COUNT ( * ) AS `{SAMPLE_ALIAS}` , COUNT ( DISTINCTROW `status` ) AS `d0` "
     "FROM ( SELECT `status` FROM `shop` . `orders` LIMIT ? ) `x`", True),
    (f"SELECT ? AS `{SAMPLE_ALIAS}` , `status` FROM `shop` . `orders` LIMIT ?", True),
    ("SELECT `TABLE_SCHEMA` FROM information_schema.TABLES WHERE `TABLE_TYPE` = ?", True),
    ("SELECT COUNT ( * ) FROM `orders` WHERE `status` = ?", False),
    ("SELECT * FROM `information_schema` . `TABLES` `t` JOIN `orders` ON `t` . `x` = `orders` . `y`", False),
])
def test_is_monitoring(text, own):
    assert is_monitoring(text) is own


def test_a_second_run_does_not_report_the_first(mysql_db):
    mysql_db.sql("CREATE TABLE orders (id INT PRIMARY KEY AUTO_INCREMENT, status VARCHAR(10), total INT)")
    fill(mysql_db, "orders", 20000, "status, total", "ELT(1 + seq % 4, 'new', 'paid', 'sent', 'done'), seq % 1000")
    for _ in range(5):
        mysql_db.sql("SELECT COUNT(*) FROM orders WHERE status = 'paid' AND total > 500")
    every = {"index_statement_limit": 100_000}  # the shared digest table holds other schemas' scans
    run_advisor(mysql_db.url, options=every)        # samples columns, reads the catalog
    second = run_advisor(mysql_db.url, options=every)
    text = json.dumps([f.evidence for f in second.findings if f.check.startswith("mysql.queries.")
                       or f.check.startswith("mysql.index.")])
    assert SAMPLE_ALIAS not in text and "performance_schema" not in text and "information_schema" not in text
    # the application's own scan is still there
    assert any(f.check == "mysql.index.suggested" for f in second.findings)


def _missing(result, db) -> dict:
    (f,) = [f for f in result.findings if f.check == "mysql.index.missing" and f.object == f"{db.name}.orders"]
    return f.evidence


def test_the_index_advisor_sample_never_counts_as_a_full_scan(mysql_db):
    """The sample reads up to index_sample_rows rows of each table it judges: those reads are
    never counted in mysql.index.missing, neither in the run that samples (the counters are read
    first) nor in the next ones (the sample's digest says how many rows it read)."""
    mysql_db.sql("CREATE TABLE orders (id INT PRIMARY KEY AUTO_INCREMENT, status VARCHAR(10), total INT)")
    fill(mysql_db, "orders", 20000, "status, total", "ELT(1 + seq % 4, 'new', 'paid', 'sent', 'done'), seq % 1000")
    for _ in range(3):
        mysql_db.sql("SELECT COUNT(*) FROM orders WHERE status = 'paid' AND total > 500")
    checks = ["mysql.index.*"]
    low = {"mysql.index.missing": {"min_full_scan_rows": 1000, "min_table_rows": 100}}
    every = {"index_statement_limit": 100_000}
    without = _missing(run_advisor(mysql_db.url, checks, thresholds=low, options={**every, "index_sample_rows": 0}),
                       mysql_db)
    first = run_advisor(mysql_db.url, checks, thresholds=low, options=every)
    second = run_advisor(mysql_db.url, checks, thresholds=low, options=every)
    scanned = int(mysql_db.sql("SELECT COUNT_READ FROM performance_schema.table_io_waits_summary_by_index_usage "
                               "WHERE OBJECT_SCHEMA = %s AND OBJECT_NAME = 'orders' AND INDEX_NAME IS NULL",
                               (mysql_db.name,))[0][0])
    assert scanned >= 3 * 20000 + 2 * 10000  # the server did count both samples
    assert without["full_scan_rows"] == _missing(first, mysql_db)["full_scan_rows"] == \
        _missing(second, mysql_db)["full_scan_rows"] >= 3 * 20000
    assert _missing(first, mysql_db)["advisor_sample_rows_left_out"] == 0
    assert _missing(second, mysql_db)["advisor_sample_rows_left_out"] == 10000
