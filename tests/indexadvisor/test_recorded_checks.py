"""The checks judged on recorded facts (SnapshotFacts): validated and unvalidated ranking,
thresholds, and pg.index.missing naming the filter columns through the parser."""

from __future__ import annotations

import copy

import support
from advisor.indexadvisor.columns import filter_columns


def judge(check_id, facts, thresholds=None):
    return support.judge(check_id, facts, thresholds=thresholds, target="t").result


def stmt(qid, query, total_ms, calls=100):
    return {"queryid": qid, "calls": calls, "total_ms": total_ms, "exec_ms": total_ms,
            "mean_ms": total_ms / calls, "rows": calls, "query": query}


def cand(i, table, columns, statements):
    return {"id": i, "table": table, "columns": columns, "desc": [False] * len(columns), "equality": 1,
            "kind": "filter", "opclass": [None] * len(columns), "selectivity": 0.001, "statements": statements,
            "ddl": f"CREATE INDEX CONCURRENTLY idx ON {table} ({', '.join(columns)});"}


VALIDATED = {"pg.index_candidates": {
    "hypopg": {"installed": "1.4.1", "available": "1.4.1"}, "validated": True, "validation_note": None,
    "statements_analysed": 3, "parse_failures": 0, "failed_statements": [],
    "statements": [stmt("a", "SELECT * FROM orders WHERE customer_id = $1", 9_000_000),
                   stmt("b", "SELECT * FROM events WHERE kind = $1", 1_000_000),
                   stmt("c", "SELECT * FROM logs WHERE level = $1", 500_000)],
    "candidates": [cand(0, "public.events", ["kind"], ["b"]), cand(1, "public.orders", ["customer_id"], ["a"]),
                   cand(2, "public.logs", ["level"], ["c"])],
    "rejected": [], "covered": [], "issues": [],
    "validation": {"a": {"cost_before": 10000.0, "cost_after": 10.0, "used": [1], "cost_without": {"1": 10000.0}},
                   "b": {"cost_before": 2000.0, "cost_after": 100.0, "used": [0], "cost_without": {"0": 2000.0}},
                   "c": {"cost_before": 1000.0, "cost_after": 800.0, "used": [2], "cost_without": {"2": 1000.0}}},
}}


def test_validated_suggestions_rank_by_time_saved_and_need_the_cost_drop():
    res = judge("pg.index.suggested", VALIDATED)
    assert [f.evidence["table"] for f in res.findings] == ["public.orders", "public.events"]  # logs: -20% only
    top = res.findings[0]
    assert top.evidence["estimated_saved_ms"] == round(9_000_000 * (1 - 10 / 10000), 1)
    assert top.fix.startswith("CREATE INDEX CONCURRENTLY") and "HypoPG-validated" in top.summary
    res = judge("pg.index.suggested", VALIDATED, {"min_cost_reduction": 0.1})
    assert len(res.findings) == 3


def test_time_share_threshold_drops_cheap_statements():
    res = judge("pg.index.suggested", VALIDATED, {"min_time_share": 0.5})
    assert [f.evidence["table"] for f in res.findings] == ["public.orders"]


def test_marginal_effect_decides_for_joins():
    facts = copy.deepcopy(VALIDATED)
    d = facts["pg.index_candidates"]
    d["candidates"] = [cand(0, "public.customers", ["email"], ["a"]), cand(1, "public.orders", ["customer_id"], ["a"]),
                       cand(2, "public.orders", ["note"], ["a"])]
    d["statements"] = d["statements"][:1]
    # both join indexes are needed (removing either one costs a lot); the third is used but marginal
    d["validation"] = {"a": {"cost_before": 3000.0, "cost_after": 20.0, "used": [0, 1, 2],
                             "cost_without": {"0": 600.0, "1": 2500.0, "2": 21.0}}}
    res = judge("pg.index.suggested", facts)
    assert {tuple(f.evidence["columns"]) for f in res.findings} == {("email",), ("customer_id",)}
    assert sum(f.evidence["estimated_saved_ms"] for f in res.findings) == \
        round(9_000_000 * (1 - 20 / 3000), 1)


def test_unvalidated_without_hypopg_is_info_with_enable_hint():
    facts = copy.deepcopy(VALIDATED)
    d = facts["pg.index_candidates"]
    d.update(validated=False, validation={}, hypopg={"installed": None, "available": "1.4.1"})
    res = judge("pg.index.suggested", facts)
    assert len(res.findings) == 3 and all(str(f.severity) == "info" for f in res.findings)
    assert "CREATE EXTENSION hypopg" in res.findings[0].recommendation
    assert res.findings[0].evidence["table"] == "public.orders"   # ranked by statement time


def test_statement_that_cannot_be_explained_falls_back_to_unvalidated():
    facts = copy.deepcopy(VALIDATED)
    facts["pg.index_candidates"]["validation"]["a"] = {"error": "permission denied for table orders"}
    res = judge("pg.index.suggested", facts)
    assert [f.evidence["table"] for f in res.findings] == ["public.events", "public.orders"]  # validated first
    orders = res.findings[1]
    assert str(orders.severity) == "info" and orders.evidence["validated"] is False
    assert "permission denied" in orders.recommendation


def test_unindexable_findings_and_missing_fact_skips():
    facts = copy.deepcopy(VALIDATED)
    facts["pg.index_candidates"]["issues"] = [
        {"statement": "a", "kind": "leading_wildcard", "table": "public.orders", "columns": ["note"],
         "expression": "note LIKE '%x'", "index_expression": None},
        {"statement": "c", "kind": "or_across_columns", "table": "public.logs", "columns": ["a", "b"],
         "expression": "a = $1 OR b = $2", "index_expression": None}]
    res = judge("pg.query.unindexable", facts)
    assert [f.evidence["kind"] for f in res.findings] == ["leading_wildcard", "or_across_columns"]
    assert "gin_trgm_ops" in res.findings[0].fix and res.findings[1].fix is None
    res = judge("pg.query.unindexable", {})
    assert res.skipped and not res.findings


def test_missing_index_check_names_filter_columns():
    assert filter_columns(["SELECT 1", "SELECT * FROM orders o WHERE o.customer_id = $1 AND o.created_at > $2"],
                          "public", "orders") == ["customer_id", "created_at"]
    assert filter_columns(["SELECT * FROM orders WHERE lower(note) = $1"], "public", "orders") == []
    join = "SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.email = $1"
    assert filter_columns([join], "public", "customers") == ["email"]
    assert filter_columns([join], "public", "orders") == ["customer_id"]
    server = {"database": "app", "stats_reset": None, "started_at": "2026-01-01T00:00:00"}
    table = {"schema": "public", "name": "orders", "qualified": "public.orders", "kind": "r", "relid": 1,
             "seq_scan": 400, "idx_scan": 10, "seq_tup_read": 400 * 200_000, "n_live_tup": 200_000,
             "reltuples": 200_000.0, "heap_bytes": 30 * 1024**2}
    rows = [{"queryid": "1", "database": "app", "query": "SELECT * FROM orders WHERE status = $1 AND customer_id = $2",
             "calls": 10, "mean_ms": 10, "total_ms": 100, "rows": 10, "max_ms": 1, "role": "app"}]
    res = judge("pg.index.missing", {"pg.tables": {"rows": [table]}, "pg.server": server,
                                     "pg.statements": {"rows": rows, "total_ms": 100, "count": 1}})
    (f,) = res.findings
    assert f.evidence["filter_columns"] == ["customer_id", "status"] or \
        f.evidence["filter_columns"] == ["status", "customer_id"]
    cols = f.evidence["filter_columns"]
    # the same name pg.index.suggested gives the same index (idx_<table>_<columns>)
    assert f.fix.startswith(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_orders_{'_'.join(cols)} ON public.orders ({', '.join(cols)});  -- SHARE")


def _mysql_facts(explain_rows):
    k = "shop:abc"
    return {"mysql.index_candidates": {
        "statements": [{"queryid": k, "digest": "abc", "schema": "shop", "calls": 10, "total_ms": 500.0,
                        "rows_examined": 100_000, "rows_sent": 10,
                        "query": "SELECT * FROM `c` JOIN `o` ON `o`.`cid` = `c`.`id` WHERE `c`.`email` = ?"}],
        "candidates": [{"id": 0, "table": "shop.c", "columns": ["email"], "desc": [False], "equality": 1,
                        "kind": "filter", "opclass": [None], "selectivity": 0.0001, "statements": [k],
                        "ddl": "ALTER TABLE `shop`.`c` ADD INDEX `idx_c_email` (`email`);"}],
        "rejected": [], "covered": [], "issues": [], "failed_statements": [],
        "explain": {k: {"sql": "...", "aliases": {"c": "shop.c", "o": "shop.o"}, "rows": explain_rows}}}}


def test_mysql_explain_confirms_or_discards_a_suggestion():
    def run(rows):
        return support.judge("mysql.index.suggested", _mysql_facts(rows), target="t").findings
    scan = [{"table": "c", "type": "ALL", "key": None, "rows": 20000, "key_columns": None}]
    (f,) = run(scan)
    assert f.evidence["explain_confirms_full_scan"] and str(f.severity) == "warning"
    # read through an unrelated key (the join's primary key): kept, but not confirmed
    (f,) = run([{"table": "c", "type": "eq_ref", "key": "PRIMARY", "rows": 1, "key_columns": ["id"]}])
    assert str(f.severity) == "info" and not f.evidence["explain_confirms_full_scan"]
    # already read through an index that serves it: nothing to suggest
    assert run([{"table": "c", "type": "ref", "key": "by_email", "rows": 1, "key_columns": ["email", "x"]}]) == []
