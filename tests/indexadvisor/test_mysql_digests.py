"""Digest text handling (pure): truncation, folded lists, typed literals for EXPLAIN."""

from __future__ import annotations

from advisor.engines.mysql.facts_index_advisor import explainable
from advisor.indexadvisor.digests import digest_sql
from advisor.indexadvisor.predicates import parse


def test_truncated_digest_is_skipped_and_folded_lists_parse():
    assert digest_sql("SELECT * FROM `t` WHERE `a` IN (...) AND `b` = ?", 1024) == \
        "SELECT * FROM `t` WHERE `a` IN (?) AND `b` = ?"
    assert digest_sql("SELECT * FROM `t` WHERE `a` IN (?, ?, ...) ", 1024) == "SELECT * FROM `t` WHERE `a` IN (?)"
    assert digest_sql("SELECT * FROM `t` WHERE `a` = ? AND `b` ...", 1024) is None
    assert digest_sql("SELECT " + "x" * 2000, 1024) is None


def test_placeholders_become_literals_of_the_compared_column_type():
    tree = parse("SELECT * FROM `o` WHERE `c` = ? AND `d` >= NOW ( ) - INTERVAL ? SQL_TSI_DAY "
                 "AND `s` IN (?) ORDER BY `d` LIMIT ?", "mysql").tree
    sql = explainable(tree, {"c": "int", "d": "datetime", "s": "varchar"})
    assert "`c` = 1" in sql and "INTERVAL (1)" in sql.replace("INTERVAL 1", "INTERVAL (1)")
    assert "IN ('a')" in sql and "LIMIT 1" in sql and "?" not in sql
    assert "NULL" not in sql   # NULL would be an impossible WHERE: EXPLAIN would skip the table
