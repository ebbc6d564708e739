"""Against a real MariaDB (a private mariadbd, so that its digest table holds only these
statements): full-scan digests in a scratch schema -> suggestions (EXPLAIN-checked) and
traps; a twin schema that has the index gets none."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.mysql

ROWS = 6000
SCHEMA = [
    "CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NOT NULL, is_gift TINYINT NOT NULL, "
    "created_at DATETIME NOT NULL, note VARCHAR(40)) ENGINE=InnoDB",
]
WORKLOAD = [
    ("SELECT * FROM orders WHERE customer_id = %s AND created_at >= NOW() - INTERVAL %s DAY", (42, 30)),
    ("SELECT COUNT(*) FROM orders WHERE is_gift = %s", (1,)),
    ("SELECT id FROM orders WHERE LOWER(note) = %s", ("n5",)),
]


def plant(db, with_index=False, calls=10):
    for s in SCHEMA:
        db.sql(s)
    if with_index:
        db.sql("ALTER TABLE orders ADD INDEX by_customer (customer_id, created_at)")
    values = ", ".join(f"({i}, {1 + (i * 7919) % 1000}, {i % 2}, NOW() - INTERVAL {i} SECOND, 'n{i}')"
                       for i in range(1, ROWS + 1))
    db.sql(f"INSERT INTO orders VALUES {values}")
    db.sql("ANALYZE TABLE orders")
    for sql, params in WORKLOAD:
        for _ in range(calls):
            db.sql(sql, params)


@pytest.fixture
def config(tmp_path):
    # the twin schemas of one run share the server: count every statement
    p = tmp_path / "advisor.toml"
    p.write_text('[thresholds."mysql.index.suggested"]\nmin_time_share = 0\n'
                 '[thresholds."mysql.query.unindexable"]\nmin_time_share = 0\n'
                 '[options.mysql]\nindex_statement_limit = 20000\n')
    return p


def mine(report, db):
    return [f for f in report["findings"] if (f["evidence"].get("table") or "").startswith(db.name + ".")]


def test_full_scan_digest_gets_an_explain_checked_index(own_mysql_db, run_cli_json, config):
    plant(own_mysql_db)
    code, report, err = run_cli_json("run", own_mysql_db.url, "--config", config, "--checks", "mysql.index.suggested")
    assert not report["errors"], report["errors"]
    found = mine(report, own_mysql_db)
    assert [tuple(f["evidence"]["columns"]) for f in found] == [("customer_id", "created_at")]
    f = found[0]
    assert f["evidence"]["explain_confirms_full_scan"] is True and f["severity"] == "warning"
    assert f["evidence"]["statements"][0]["explain"]["type"] == "ALL"
    assert f["fix"] == (f"ALTER TABLE `{own_mysql_db.name}`.`orders` ADD INDEX "
                        "`idx_orders_customer_id_created_at` (`customer_id`, `created_at`), "
                        "ALGORITHM=INPLACE, LOCK=NONE;")
    # nothing was created
    assert len(own_mysql_db.sql("SHOW INDEX FROM orders")) == 1
    # advise, apply, advise again: the fix runs as printed and the EXPLAIN check then sees the index
    own_mysql_db.sql(f["fix"])
    code, report, err = run_cli_json("run", own_mysql_db.url, "--config", config, "--checks", "mysql.index.suggested")
    assert not report["errors"] and mine(report, own_mysql_db) == []


def test_twin_with_the_index_gets_no_suggestion(own_mysql_db, run_cli_json, config):
    plant(own_mysql_db, with_index=True)
    code, report, err = run_cli_json("run", own_mysql_db.url, "--config", config, "--checks", "mysql.index.suggested")
    assert mine(report, own_mysql_db) == []


def test_function_on_column_is_reported_not_indexed(own_mysql_db, run_cli_json, config):
    plant(own_mysql_db, calls=3)
    code, report, err = run_cli_json("run", own_mysql_db.url, "--config", config, "--checks", "mysql.query.unindexable")
    found = mine(report, own_mysql_db)
    assert [f["evidence"]["kind"] for f in found] == ["function_on_column"]
    # MariaDB has no functional key parts (the MySQL 8 DDL is a syntax error there): no fix to run
    assert found[0]["fix"] is None and found[0]["evidence"]["fix_kind"] == "manual"
    assert "virtual column" in found[0]["recommendation"]
