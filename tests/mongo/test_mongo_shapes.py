"""Pure helpers: ESR index suggestion, the prefix rule, profiler value redaction."""

import pytest

from advisor.engines.mongo.facts_profile import redact_field, shape_profile_entry
from checks.mongo._shapes import (classify_filter, covered_by_existing, is_prefix, key_text,
                                 suggest_esr_index)


@pytest.mark.parametrize("flt, sort, want", [
    # the guide's own example: status (E), created_at (S), amount (R)
    ({"status": "A", "amount": {"$gt": 100}}, {"created_at": -1},
     [["status", 1], ["created_at", -1], ["amount", 1]]),
    ({"a": 1, "b": {"$in": [1, 2]}}, None, [["a", 1], ["b", 1]]),
    ({"$and": [{"a": 1}, {"b": {"$lt": 3}}]}, {"c": 1}, [["a", 1], ["c", 1], ["b", 1]]),
    ({"a": {"$eq": 1}, "a2": {"$regex": "^x"}}, None, [["a", 1], ["a2", 1]]),
    ({"$or": [{"a": 1}, {"b": 2}]}, None, None),
    ({"$where": "this.a > 1"}, {"t": -1}, [["t", -1]]),
    ({"a": {"$gte": 1, "$lt": 5}}, {"a": 1}, [["a", 1]]),   # the sort field is also the range field
    ({}, None, None),
])
def test_suggest_esr_index(flt, sort, want):
    assert suggest_esr_index(flt, sort) == want


def test_classify_ignores_unindexable_and_keeps_order():
    eq, rng = classify_filter({"z": 1, "loc": {"$near": [0, 0]}, "y": {"$exists": True}, "x": {"a": 1}})
    assert eq == ["z", "x"] and rng == ["y"]


@pytest.mark.parametrize("short, long, want", [
    ([["a", 1]], [["a", 1], ["b", -1]], True),
    ([["a", -1]], [["a", 1], ["b", 1]], True),                 # one field: either direction
    ([["a", 1], ["b", -1]], [["a", -1], ["b", 1], ["c", 1]], True),   # all reversed
    ([["a", 1], ["b", 1]], [["a", 1], ["b", -1]], False),      # mixed directions
    ([["b", 1]], [["a", 1], ["b", 1]], False),                 # not leading
    ([["a", 1]], [["a", "hashed"]], False),                    # hashed is not a btree prefix
    ([["a", "text"]], [["a", "text"], ["b", 1]], False),
    ([["a", 1], ["b", 1]], [["a", 1]], False),
])
def test_is_prefix(short, long, want):
    assert is_prefix(short, long) is want


def test_covered_by_existing_and_key_text():
    assert covered_by_existing([["a", 1]], [[["_id", 1]], [["a", 1], ["b", 1]]])
    assert not covered_by_existing([["b", 1]], [[["a", 1], ["b", 1]]])
    assert key_text([["a", 1], ["b", -1]]) == '{"a": 1, "b": -1}'


def test_profile_entries_are_shapes_without_values():
    doc = {"op": "query", "ns": "shop.orders", "planSummary": "COLLSCAN", "docsExamined": 10,
           "command": {"find": "orders", "sort": {"t": -1},
                       "filter": {"email": "x@example.com", "n": {"$gt": 5}, "tags": {"$in": ["a", "b"]},
                                  "$or": [{"a": 1}, {"b": {"$lt": 2}}], "sub": {"k": "secret"}}}}
    row = shape_profile_entry(doc)
    assert row["filter"] == {"email": "?", "n": {"$gt": "?"}, "tags": {"$in": ["?"]},
                             "$or": [{"a": "?"}, {"b": {"$lt": "?"}}], "sub": "?"}
    assert row["sort"] == {"t": -1} and row["hasSortStage"] is False and row["nreturned"] == 0
    assert "secret" not in repr(row) and "example.com" not in repr(row)
    assert shape_profile_entry(doc, keep_values=True)["filter"]["email"] == "x@example.com"
    assert redact_field({"$elemMatch": {"a": 1}}) == {"$elemMatch": {"a": "?"}}


@pytest.mark.parametrize("op, command, flt, sort", [
    ("update", {"q": {"a": 1}, "u": {"$set": {"b": 1}}}, {"a": "?"}, None),
    ("remove", {"q": {"a": 1}, "limit": 1}, {"a": "?"}, None),
    ("command", {"aggregate": "c", "pipeline": [{"$match": {"a": 1}}, {"$sort": {"b": -1}}, {"$group": {}}]},
     {"a": "?"}, {"b": -1}),
    ("command", {"aggregate": "c", "pipeline": [{"$group": {"_id": "$a"}}, {"$match": {"x": 1}}]}, {}, None),
    ("command", {"count": "c", "query": {"a": 1}}, {"a": "?"}, None),
    ("command", {"findAndModify": "c", "query": {"a": 1}, "sort": {"t": 1}}, {"a": "?"}, {"t": 1}),
    ("command", {"createIndexes": "c"}, {}, None),
])
def test_profile_filter_extraction(op, command, flt, sort):
    row = shape_profile_entry({"op": op, "ns": "d.c", "command": command, "scanAndOrder": True})
    assert row["filter"] == flt and row["sort"] == sort and row["hasSortStage"] is True
