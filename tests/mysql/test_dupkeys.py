"""Duplicate-key rules at parity with pt-duplicate-key-checker, and digest-text column extraction."""

from __future__ import annotations

from checks.mysql._dupkeys import find_redundant
from advisor.indexadvisor.columns import filter_columns
from advisor.indexadvisor.digests import digest_sql


def ix(name, cols, unique=False, primary=False, type_="BTREE", subs=None, engine="InnoDB", expr=None):
    return {"schema": "s", "table": "t", "index": name, "columns": cols, "sub_parts": subs or [None] * len(cols),
            "unique": unique or primary, "primary": primary, "type": type_, "engine": engine,
            "expressions": expr or []}


def verdict(*indexes):
    return sorted((r.index["index"], r.kind, r.covered_by["index"] if r.covered_by else None)
                  for r in find_redundant(list(indexes)))


PK = ix("PRIMARY", ["id"], primary=True)


def test_exact_and_left_prefix():
    assert verdict(PK, ix("a", ["a"]), ix("a2", ["a"])) == [("a2", "duplicate", "a")]
    assert verdict(PK, ix("a", ["a"]), ix("a2", ["a"]), ix("ab", ["a", "b"])) == [
        ("a", "left-prefix", "ab"), ("a2", "left-prefix", "ab")]
    assert verdict(PK, ix("id_only", ["id"])) == [("id_only", "duplicate", "PRIMARY")]
    assert verdict(ix("PRIMARY", ["id", "x"], primary=True), ix("i", ["id"])) == [("i", "left-prefix", "PRIMARY")]


def test_unique_keys_are_kept_unless_an_identical_unique_stays():
    assert verdict(PK, ix("ua", ["a"], unique=True), ix("ab", ["a", "b"])) == []
    assert verdict(PK, ix("ua", ["a"], unique=True), ix("ua2", ["a"], unique=True)) == [("ua2", "duplicate", "ua")]
    # a plain key identical to a unique one is dropped, never the unique one
    assert verdict(PK, ix("a", ["a"]), ix("ua", ["a"], unique=True)) == [("a", "duplicate", "ua")]


def test_prefix_lengths_and_types_must_match():
    assert verdict(PK, ix("n10", ["name"], subs=[10]), ix("n20", ["name"], subs=[20])) == []
    assert verdict(PK, ix("n10", ["name"], subs=[10]), ix("n10b", ["name", "b"], subs=[10, None])) == [
        ("n10", "left-prefix", "n10b")]
    assert verdict(PK, ix("ft", ["body"], type_="FULLTEXT"), ix("b", ["body"], subs=[100])) == []
    assert verdict(PK, ix("ft", ["a", "b"], type_="FULLTEXT"), ix("ft2", ["b", "a"], type_="FULLTEXT")) == [
        ("ft2", "duplicate", "ft")]
    assert verdict(PK, ix("h", ["a"], type_="HASH", engine="MEMORY"), ix("ab", ["a", "b"])) == []


def test_clustered_suffix_only_on_innodb_and_plain_keys():
    assert verdict(PK, ix("b_id", ["b", "id"])) == [("b_id", "clustered-suffix", "PRIMARY")]
    assert verdict(ix("PRIMARY", ["a", "c"], primary=True), ix("b_a", ["b", "a"])) == [
        ("b_a", "clustered-suffix", "PRIMARY")]
    assert verdict(PK, ix("ub_id", ["b", "id"], unique=True)) == []
    myisam = [dict(i, engine="MyISAM") for i in (PK, ix("b_id", ["b", "id"]))]
    assert verdict(*myisam) == []
    r = find_redundant([PK, ix("bc_id", ["b", "c", "id"], subs=[5, None, None])])[0]
    assert r.keep_columns == ["b(5)", "c"]


def test_functional_indexes_are_not_compared():
    assert verdict(PK, ix("f1", ["(expression)"], expr=["lower(`a`)"]),
                   ix("f2", ["(expression)"], expr=["lower(`a`)"])) == []


def _digest_columns(text, schema, table, default_schema):
    return filter_columns([digest_sql(text)], schema, table, "mysql", default_schema=default_schema)


def test_filter_columns_from_digest_text():
    # the index advisor's parser (as mysql.index.missing uses it): equality, then range; a sort
    # column after a range cannot be read in index order, so it is not part of the index
    assert _digest_columns("SELECT * FROM `t` WHERE `a` = ? AND `b` > ? ORDER BY `c`", "s", "t", "s") == ["a", "b"]
    assert _digest_columns("SELECT * FROM `t` WHERE `a` = ? ORDER BY `c`", "s", "t", "s") == ["a", "c"]
    joined = ("SELECT `o` . `id` FROM `orders` `o` JOIN `s2` . `users` `u` ON `u` . `id` = "
              "`o` . `user_id` WHERE `u` . `email` IN (...) AND STATUS = ?")
    assert _digest_columns(joined, "s2", "users", "s") == ["email"]  # the filter; u.id is the join's other side
    assert _digest_columns(joined, "s", "orders", "s") == ["user_id"]
    assert _digest_columns(joined, "s3", "orders", "s") == []  # unqualified names are in the digest's schema
    assert _digest_columns("SELECT * FROM t WHERE a IN ( ? , ... )", "d", "t", None) == ["a"]
    assert _digest_columns("SELECT COUNT ( * ) FROM `t` WHERE STATUS = ?", "d", "t", "d") == ["status"]
    assert _digest_columns("UPDATE `t` SET `x` = ? WHERE `k` = ?", "d", "t", "d") == ["k"]
    assert _digest_columns("this is not ( sql", "d", "t", "d") == []


def hidden(i):
    return dict(i, visible=False)


def test_an_invisible_index_never_covers_a_visible_one():
    # exact duplicate: whatever the names, the visible one stays and the hidden one is the duplicate
    assert verdict(PK, hidden(ix("a0", ["a"])), ix("a1", ["a"])) == [("a0", "ignored-duplicate", "a1")]
    # the hidden index is longer: the visible prefix is NOT redundant; the hidden one would make it so
    r = find_redundant([PK, ix("b", ["b"]), hidden(ix("b_c", ["b", "c"]))])
    assert [(x.index["index"], x.kind, x.shadows["index"]) for x in r] == [("b_c", "ignored-cover", "b")]
    # a hidden prefix of a visible key is an ignored duplicate
    assert verdict(PK, hidden(ix("b", ["b"])), ix("b_c", ["b", "c"])) == [("b", "ignored-duplicate", "b_c")]
    # a hidden unique key still enforces its constraint: never dropped for a plain visible key
    r = find_redundant([PK, ix("a", ["a"]), hidden(ix("ua", ["a"], unique=True))])
    assert [(x.index["index"], x.kind) for x in r] == [("ua", "ignored-cover")]
    # two visible duplicates next to a hidden one: the visible pair is judged as before
    assert verdict(PK, ix("d1", ["d"]), ix("d2", ["d"]), hidden(ix("d0", ["d"]))) == [
        ("d0", "ignored-duplicate", "d1"), ("d2", "duplicate", "d1")]
