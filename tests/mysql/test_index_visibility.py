"""mysql.index.duplicate and index visibility: an IGNORED (MariaDB 10.6+, real server) or
INVISIBLE (MySQL 8, recorded facts) index never covers a visible one."""

from __future__ import annotations

from mysql_helpers import of, run_advisor
from recorded_facts import facts, judge
from support import MySqlScratch


def test_ignored_index_on_mariadb_is_reported_as_what_it_is(mysql_admin_url):
    db = MySqlScratch(mysql_admin_url)
    try:
        if db.sql("SELECT VERSION() LIKE '%MariaDB%'")[0][0] != 1:
            import pytest
            pytest.skip("IGNORED indexes are MariaDB syntax")
        # a0 sorts before a1: before the fix the visible a1 was "a duplicate of" the ignored a0
        db.sql("CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, c INT, KEY a0 (a) IGNORED, KEY a1 (a), "
               "KEY b (b), KEY b_c (b, c) IGNORED) ENGINE=InnoDB")
        found = {f.object.rsplit(".", 1)[1]: f for f in of(run_advisor(db.url, ["mysql.index.duplicate"]),
                                                           "mysql.index.duplicate", db.name)}
        assert set(found) == {"a0", "b_c"}, found  # never the visible a1 or b
        assert found["a0"].evidence["kind"] == "ignored-duplicate"
        assert found["a0"].evidence["covered_by"] == "a1" and found["a0"].evidence["visible"] is False
        assert "ignored" in found["a0"].summary
        assert found["b_c"].evidence["kind"] == "ignored-cover"
        assert found["b_c"].evidence["would_make_redundant"] == "b"
        assert "NOT IGNORED" in found["b_c"].recommendation
        for f in found.values():  # the fixes run as printed
            db.sql(f.fix)
        assert of(run_advisor(db.url, ["mysql.index.duplicate"]), "mysql.index.duplicate", db.name) == []
    finally:
        db.drop()


def test_invisible_index_on_mysql8_recorded():
    ixs = [{"schema": "app", "table": "t", "index": name, "columns": cols, "sub_parts": [None] * len(cols),
            "unique": name == "PRIMARY", "primary": name == "PRIMARY", "type": "BTREE", "engine": "InnoDB",
            "expressions": [], "visible": vis}
           for name, cols, vis in [("PRIMARY", ["id"], True), ("a0", ["a"], False), ("a1", ["a"], True)]]
    found, _ = judge("mysql.index.duplicate", facts("mysql80", **{"mysql.indexes": {"rows": ixs}}))
    assert [(f.object, f.evidence["kind"]) for f in found] == [("app.t.a0", "ignored-duplicate")]
    assert "invisible" in found[0].summary


def test_an_ignored_unique_index_is_kept_its_constraint_is_a_decision():
    ixs = [{"schema": "app", "table": "t", "index": name, "columns": cols, "sub_parts": [None] * len(cols),
            "unique": uniq, "primary": name == "PRIMARY", "type": "BTREE", "engine": "InnoDB",
            "expressions": [], "visible": vis}
           for name, cols, uniq, vis in [("PRIMARY", ["id"], True, True), ("a", ["a"], False, True),
                                         ("ua", ["a"], True, False)]]
    found, _ = judge("mysql.index.duplicate", facts("mariadb1011", **{"mysql.indexes": {"rows": ixs}}))
    assert [(f.object, f.evidence["kind"], f.fix, f.evidence["fix_kind"]) for f in found] == [
        ("app.t.ua", "ignored-cover", None, "manual")]
    assert "still enforces its constraint" in found[0].recommendation
