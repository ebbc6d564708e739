"""Each problem planted in a scratch schema on the real server, and a healthy twin that must stay silent."""

from __future__ import annotations

import pytest

from mysql_helpers import fill, of, run_advisor, scratch_pair  # noqa: F401


def _plant(db):
    db.sql("CREATE TABLE t_dup (id INT PRIMARY KEY, a INT, b INT, c INT, d INT, "
           "KEY a_only (a), KEY a_b (a, b), KEY d1 (d), KEY d2 (d), KEY c_id (c, id), "
           "UNIQUE KEY u_b (b), KEY b_c (b, c)) ENGINE=InnoDB")
    db.sql("CREATE TABLE nopk (a INT, b INT) ENGINE=InnoDB")
    db.sql("CREATE TABLE ai_warn (id TINYINT AUTO_INCREMENT PRIMARY KEY, v INT) AUTO_INCREMENT=100")
    db.sql("CREATE TABLE ai_crit (id SMALLINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, v INT) AUTO_INCREMENT=65000")
    db.sql("CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, customer INT, status VARCHAR(10), "
           "total INT, pad CHAR(200), note TEXT) ENGINE=InnoDB")
    fill(db, "orders", 3000, "customer, status, total, pad, note",
         "seq % 97, ELT(1 + seq % 4, 'new', 'paid', 'sent', 'void'), seq % 500, REPEAT('x', 200), "
         "CONCAT('note ', seq % 50)")
    db.sql("CREATE TABLE ux (id INT PRIMARY KEY, k INT, u INT, KEY k_used (k), KEY never_read (u))")
    fill(db, "ux", 600, "id, k, u", "seq, seq % 10, seq")
    db.sql("ANALYZE TABLE orders, ux")
    for i in range(50):  # 150,000 rows read by full scans of orders
        db.sql("SELECT COUNT(*) FROM orders WHERE status = %s AND total > %s", ("paid", i))
    for i in range(3):
        db.sql("SELECT id FROM ux FORCE INDEX (k_used) WHERE k = %s", (i,))
    db.sql("SELECT SLEEP(1.2)")
    db.sql("SELECT note, COUNT(*) FROM orders GROUP BY note")   # TEXT column: temporary table on disk
    db.sql("SET SESSION sort_buffer_size = 32768")
    db.sql("SELECT id, pad FROM orders ORDER BY pad, total, customer")  # sort merge passes
    db.sql("SET SESSION sort_buffer_size = DEFAULT")


def _healthy(db):
    db.sql("CREATE TABLE t_dup (id INT PRIMARY KEY, a INT, b INT, c INT, "
           "KEY a_b (a, b), UNIQUE KEY u_b (b), KEY c (c)) ENGINE=InnoDB")
    db.sql("INSERT INTO t_dup VALUES (1, 1, 2, 1)")  # index reads count rows: give them one
    db.sql("CREATE TABLE ai_ok (id INT AUTO_INCREMENT PRIMARY KEY, v INT) AUTO_INCREMENT=100")
    db.sql("CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, customer INT, status VARCHAR(10), "
           "total INT, KEY status_total (status, total)) ENGINE=InnoDB")
    fill(db, "orders", 3000, "customer, status, total",
         "seq % 97, ELT(1 + seq % 4, 'new', 'paid', 'sent', 'void'), seq % 500")
    db.sql("ANALYZE TABLE orders")
    for i in range(50):
        db.sql("SELECT COUNT(*) FROM orders WHERE status = %s AND total > %s", ("paid", i))
    db.sql("SELECT id FROM t_dup FORCE INDEX (a_b) WHERE a = 1 AND b = 2")
    db.sql("SELECT id FROM t_dup FORCE INDEX (c) WHERE c = 1")


@pytest.fixture(scope="module")
def runs(scratch_pair):
    planted, healthy = scratch_pair
    _plant(planted)
    _healthy(healthy)
    # other tests share the server: lift the report-size bounds so our statements are not cut
    unbounded = {f"mysql.queries.{c}": {"max_findings": 100000}
                 for c in ("slow_mean", "full_scans", "tmp_disk", "sort_merge")}
    result = run_advisor(planted.url, thresholds=unbounded)
    assert not result.errors, result.errors
    return result, planted.name, healthy.name


def _by_object(findings):
    return {f.object.split(".", 1)[1] if "." in (f.object or "") else f.object: f for f in findings}


def test_healthy_twin_is_silent(runs):
    result, _, healthy = runs
    about_twin = [f"{f.check} {f.object}" for f in result.findings
                  if healthy in (f.object or "") or f.evidence.get("schema") == healthy]
    assert about_twin == []


def test_duplicate_left_prefix_and_clustered_suffix(runs):
    result, planted, _ = runs
    found = _by_object(of(result, "mysql.index.duplicate", planted))
    assert set(found) == {"t_dup.a_only", "t_dup.d2", "t_dup.c_id"}, found
    assert found["t_dup.a_only"].evidence["kind"] == "left-prefix"
    assert found["t_dup.a_only"].evidence["covered_by"] == "a_b"
    assert found["t_dup.d2"].evidence["kind"] == "duplicate"
    assert found["t_dup.d2"].fix == f"ALTER TABLE `{planted}`.`t_dup` DROP INDEX `d2`, ALGORITHM=INPLACE, LOCK=NONE;"
    c_id = found["t_dup.c_id"]
    assert c_id.evidence["kind"] == "clustered-suffix"
    assert c_id.fix is None  # a rebuild saves nothing; the redefinition is in the recommendation
    assert f"ALTER TABLE `{planted}`.`t_dup` DROP INDEX `c_id`, ADD INDEX `c_id` (`c`), " in c_id.recommendation
    # not "bigger": InnoDB does not store the primary key twice
    assert str(c_id.severity) == "info" and c_id.evidence["wasted_bytes"] is None
    assert "bigger" not in c_id.summary + c_id.recommendation
    # never PRIMARY, never the unique key that is a prefix of b_c
    assert not any(k.endswith(("PRIMARY", "u_b")) for k in found)


def test_table_without_primary_key(runs):
    result, planted, _ = runs
    assert {f.object for f in of(result, "mysql.schema.no_primary_key", planted)} == {f"{planted}.nopk"}


def test_auto_increment_near_type_max(runs):
    result, planted, _ = runs
    found = {f.object: f for f in of(result, "mysql.schema.auto_increment", planted)}
    assert set(found) == {f"{planted}.ai_warn.id", f"{planted}.ai_crit.id"}
    assert str(found[f"{planted}.ai_warn.id"].severity) == "warning"
    assert found[f"{planted}.ai_warn.id"].evidence["type_max"] == 127
    assert str(found[f"{planted}.ai_crit.id"].severity) == "critical"
    assert found[f"{planted}.ai_crit.id"].evidence["type_max"] == 65535


def test_missing_index_names_table_and_filter_columns(runs):
    result, planted, _ = runs
    found = of(result, "mysql.index.missing", planted)
    assert [f.object for f in found] == [f"{planted}.orders"]
    ev = found[0].evidence
    assert ev["full_scan_rows"] >= 100000 and ev["filter_columns"][:2] == ["status", "total"]
    assert "ADD INDEX `idx_orders_status_total` (`status`, `total`)" in found[0].fix


def test_unused_index_reported_used_one_not(runs):
    result, planted, _ = runs
    objects = {f.object for f in of(result, "mysql.index.unused", planted)}
    assert f"{planted}.ux.never_read" in objects
    assert f"{planted}.ux.k_used" not in objects
    assert not any(o.endswith((".PRIMARY", ".u_b")) for o in objects)
    f = next(f for f in result.findings if f.object == f"{planted}.ux.never_read")
    # the table was created minutes ago: its statistics are that young, whatever the uptime
    assert f.evidence["uptime_s"] > 0 and "creation or last ALTER" in f.evidence["stats_since"]
    assert f.evidence["stats_age_s"] <= f.evidence["uptime_s"] and str(f.severity) == "info"


def test_statement_checks_see_the_planted_workload(runs):
    result, planted, _ = runs
    slow = of(result, "mysql.queries.slow_mean", planted)
    assert any("SLEEP" in f.evidence["statement"] and f.evidence["mean_s"] > 1 for f in slow)
    scans = of(result, "mysql.queries.full_scans", planted)
    assert any("`orders`" in f.evidence["statement"] and f.evidence["calls"] == 50 for f in scans)
    tmp = of(result, "mysql.queries.tmp_disk", planted)
    assert any("GROUP BY `note`" in f.evidence["statement"] for f in tmp)
    sort = of(result, "mysql.queries.sort_merge", planted)
    assert any("ORDER BY `pad`" in f.evidence["statement"] for f in sort)


def test_snapshot_then_analyze_gives_the_same_findings(runs, tmp_path, run_cli):
    import json
    _, planted, _ = runs
    snap = tmp_path / "snap.json"
    url = f"mysql://root@127.0.0.1:3306/{planted}"
    code, _, err = run_cli("snapshot", url, "--checks", "mysql.index.*", "--checks", "mysql.schema.*",
                           "--checks", "mysql.security.*", "-o", snap)
    assert code == 0, err
    accounts = json.loads(snap.read_text())["targets"][0]["facts"]["mysql.accounts"]["rows"]
    assert accounts and all(set(a) == {"user", "host", "plugins", "passwordless", "locked", "is_role"}
                            for a in accounts)  # no credential ever leaves the server
    code, out, _ = run_cli("run", url, "--checks", "mysql.index.duplicate", "--checks", "mysql.schema.*",
                           "--json")
    live = {(f["check"], f["object"]) for f in json.loads(out)["findings"]}
    code, out, _ = run_cli("analyze", snap, "--checks", "mysql.index.duplicate", "--checks",
                           "mysql.schema.*", "--json")
    offline = {(f["check"], f["object"]) for f in json.loads(out)["findings"]}
    assert live == offline and any(planted in o for _, o in live)


def test_fragmented_table_after_a_big_delete(mysql_db):
    """DATA_FREE after deleting 90% of a table (threshold lowered from MySQLTuner's 100 MB to
    8 MiB so the scratch table stays small); an undeleted twin of the same size stays silent."""
    import time
    for t in ("frag", "solid"):
        mysql_db.sql(f"CREATE TABLE {t} (id INT PRIMARY KEY, pad CHAR(255)) ENGINE=InnoDB")
        fill(mysql_db, t, 60000, "id, pad", "seq, REPEAT('x', 255)")
    mysql_db.sql("DELETE FROM frag WHERE id > 6000")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # purge frees the pages in the background
        mysql_db.sql("ANALYZE TABLE frag")
        free = mysql_db.sql("SELECT DATA_FREE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                            "AND TABLE_NAME = 'frag'")[0][0]
        if free >= 16 * 1024**2:
            break
        time.sleep(0.5)
    result = run_advisor(mysql_db.url, checks=["mysql.schema.fragmented"],
                         thresholds={"mysql.schema.fragmented": {"min_free_bytes": 8 * 1024**2}})
    found = of(result, "mysql.schema.fragmented", mysql_db.name)
    assert [f.object for f in found] == [f"{mysql_db.name}.frag"]
    assert found[0].evidence["free_pct"] >= 10
    assert found[0].fix.startswith(f"ALTER TABLE `{mysql_db.name}`.`frag` FORCE, ALGORITHM=INPLACE, LOCK=NONE;")
    mysql_db.sql(found[0].fix)  # as printed: online rebuild returns the space
    mysql_db.sql("ANALYZE TABLE frag")
    again = run_advisor(mysql_db.url, checks=["mysql.schema.fragmented"],
                        thresholds={"mysql.schema.fragmented": {"min_free_bytes": 8 * 1024**2}})
    assert of(again, "mysql.schema.fragmented", mysql_db.name) == []


def test_statement_fixes_are_manual(runs):
    """EXPLAIN of a digest needs a value for each ?, a session sort buffer is an application
    change: neither can be run as printed, and both say so (fix_kind manual)."""
    from advisor.fixes import kind
    result, planted, _ = runs
    for check in ("mysql.queries.slow_mean", "mysql.queries.sort_merge"):
        found = [f for f in of(result, check, planted) if f.fix]
        assert found and all(kind("mysql", f.evidence) == "manual" for f in found), check
