"""mongo.index.suggested on recorded profiler facts (no MongoDB server on this machine)."""

from __future__ import annotations

import support


def op(ns, flt, sort=None, examined=10_000, returned=5, millis=50, plan="COLLSCAN"):
    return {"ns": ns, "op": "query", "filter": flt, "sort": sort, "planSummary": plan,
            "docsExamined": examined, "keysExamined": 0, "nreturned": returned, "millis": millis,
            "hasSortStage": bool(sort)}


def judge(rows, indexes=None):
    facts = {"mongo.profile": {"rows": rows, "truncated": False}}
    if indexes is not None:
        facts["mongo.indexes"] = {"rows": indexes}
    return support.judge("mongo.index.suggested", facts, target="mongo://h:27017").findings


def test_shapes_merge_into_one_esr_index_ranked_by_time():
    rows = [op("shop.orders", {"status": "?"}, millis=40),
            op("shop.orders", {"status": "?", "created": {"$gte": "?"}}, {"total": -1}, millis=100),
            op("shop.users", {"email": "?"}, millis=500),
            op("shop.tiny", {"status": "?"}, examined=100, millis=1)]       # too little waste
    found = judge(rows)
    assert [f.evidence["ns"] for f in found] == ["shop.users", "shop.orders"]
    orders = found[1]
    assert orders.evidence["key"] == [["status", 1], ["total", -1], ["created", 1]]
    assert len(orders.evidence["shapes"]) == 2 and orders.evidence["profiled_millis"] == 140
    assert 'createIndex({"status": 1, "total": -1, "created": 1})' in orders.fix


def test_low_selectivity_existing_prefix_and_unindexable_are_left_out():
    rows = [op("shop.orders", {"gift": "?"}, examined=10_000, returned=5_000),
            op("shop.orders", {"customer": "?"}),
            op("shop.orders", {"$where": "?"}),
            op("shop.orders", {"sku": "?"}, plan="IXSCAN { sku: 1 }")]
    found = judge(rows, indexes=[{"db": "shop", "collection": "orders", "key": [["customer", 1], ["x", 1]],
                                  "hidden": False}])
    assert found == []
