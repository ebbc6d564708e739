"""Candidate building: column order, coverage by existing indexes, merging, rejections, DDL."""

from __future__ import annotations

from advisor.indexadvisor.candidates import Policy, plan
from advisor.indexadvisor.catalog import Catalog
from advisor.indexadvisor.ddl import PG_CONCURRENT_LOCK, PG_PARTITIONED_LOCK, index_name, mysql_add_index, pg_create_index
from advisor.indexadvisor.predicates import analyse, parse

from ia_catalog import PK, table


def run(catalog, *sqls, policy=None):
    shapes = {str(i): analyse(parse(q, "postgres"), catalog) for i, q in enumerate(sqls)}
    return plan(shapes, catalog.tables_by_key(), policy or Policy())


def cols(p):
    return sorted((c.table, tuple(c.columns)) for c in p.candidates)


def test_equality_most_selective_first_then_range(shop_catalog):
    p = run(shop_catalog, "SELECT * FROM orders WHERE created_at > $1 AND status = $2 AND customer_id = $3")
    assert cols(p) == [("public.orders", ("customer_id", "status", "created_at"))]


def test_sort_columns_follow_equality_and_desc_becomes_backward_scan(shop_catalog):
    p = run(shop_catalog, "SELECT * FROM events WHERE kind = $1 ORDER BY created_at DESC LIMIT 20")
    (c,) = p.candidates
    assert c.columns == ["kind", "created_at"] and c.desc == [False, False]
    p = run(shop_catalog, "SELECT * FROM orders WHERE customer_id = $1 ORDER BY status, created_at DESC")
    assert p.candidates[0].columns == ["customer_id", "status", "created_at"]
    assert p.candidates[0].desc == [False, False, True]


def test_range_on_other_column_than_sort_keeps_the_range(shop_catalog):
    p = run(shop_catalog, "SELECT * FROM orders WHERE customer_id = $1 AND created_at > $2 ORDER BY status")
    assert p.candidates[0].columns == ["customer_id", "created_at"]


def test_join_inner_side_gets_join_column_index(shop_catalog):
    p = run(shop_catalog, "SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.email = $1")
    assert cols(p) == [("public.customers", ("email",)), ("public.orders", ("customer_id",))]
    assert {c.kind for c in p.candidates} == {"filter", "join"}


def test_existing_index_prefix_and_unique_lookup_cover(shop_catalog):
    t = shop_catalog.tables["public.orders"]
    t.indexes.append(type(t.indexes[0])("orders_status_customer", ["status", "customer_id", "note"]))
    p = run(shop_catalog, "SELECT * FROM orders WHERE customer_id = $1 AND status = $2",
            "SELECT * FROM orders WHERE id = $1 AND status = $2")
    assert p.candidates == [] and {c["index"] for c in p.covered} == {"orders_status_customer", "pkey"}


def test_partial_or_expression_index_does_not_cover(shop_catalog):
    t = shop_catalog.tables["public.orders"]
    Index = type(t.indexes[0])
    t.indexes += [Index("partial", ["customer_id"], partial=True), Index("expr", [None, "customer_id"])]
    assert cols(run(shop_catalog, "SELECT * FROM orders WHERE customer_id = $1")) == \
        [("public.orders", ("customer_id",))]


def test_prefix_candidates_merge_into_the_longer_one(shop_catalog):
    p = run(shop_catalog, "SELECT * FROM orders WHERE customer_id = $1",
            "SELECT * FROM orders WHERE customer_id = $1 AND created_at > $2")
    (c,) = p.candidates
    assert c.columns == ["customer_id", "created_at"] and sorted(c.statements) == ["0", "1"]
    assert p.by_statement == {"0": [0], "1": [0]}


def test_tiny_table_and_low_selectivity_are_rejected_with_reasons(shop_catalog):
    p = run(shop_catalog, "SELECT * FROM currencies WHERE name = $1", "SELECT * FROM orders WHERE is_gift = $1")
    assert p.candidates == []
    reasons = {r.table: r.reason for r in p.rejected}
    assert "3 rows" in reasons["public.currencies"] and "low selectivity" in reasons["public.orders"]
    assert run(shop_catalog, "SELECT * FROM currencies WHERE name = $1",
               policy=Policy(min_table_rows=1, max_selectivity=1)).candidates


def test_low_selectivity_equality_still_useful_with_sort_and_limit(shop_catalog):
    p = run(shop_catalog, "SELECT * FROM orders WHERE is_gift = $1 ORDER BY created_at DESC LIMIT 10")
    assert p.candidates[0].columns == ["is_gift", "created_at"]


def test_prefix_like_gets_pattern_ops_unless_c_collation(shop_catalog):
    p = run(shop_catalog, "SELECT * FROM customers WHERE email LIKE 'ab%'")
    assert p.candidates[0].opclass == ["text_pattern_ops"]
    assert "email text_pattern_ops" in pg_create_index("public.customers", ["email"], None, p.candidates[0].opclass)
    p = run(shop_catalog, "SELECT * FROM customers WHERE email LIKE 'ab%'", policy=Policy(pattern_ops=False))
    assert p.candidates[0].opclass == [None]


def test_ddl_quotes_and_shortens_names():
    assert pg_create_index("public.orders", ["customer_id", "created_at"], [False, True], lock_note=False) == \
        "CREATE INDEX CONCURRENTLY idx_orders_customer_id_created_at ON public.orders (customer_id, created_at DESC);"
    assert pg_create_index("My Schema.Order", ["user"], lock_note=False).endswith('ON "My Schema"."Order" ("user");')
    assert len(index_name("t" * 40, ["c" * 40, "d" * 40])) == 63
    assert mysql_add_index("shop.orders", ["a", "b"]) == \
        "ALTER TABLE `shop`.`orders` ADD INDEX `idx_orders_a_b` (`a`, `b`);"
    assert pg_create_index("public.t", [], expression="lower(email)") == \
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_t_lower_email ON public.t ((lower(email)));" + PG_CONCURRENT_LOCK


def test_ddl_of_a_partitioned_table_never_says_concurrently_on_the_parent():
    """PostgreSQL rejects CREATE INDEX CONCURRENTLY on a partitioned table: ON ONLY the parent,
    CONCURRENTLY on each partition, ATTACH each; a plain build with its lock otherwise."""
    ddl = pg_create_index("public.ev", ["k"], partitions=[("public", "ev_1", False), ("app", "Ev 2", False)])
    assert ddl.splitlines()[1:] == [
        "CREATE INDEX IF NOT EXISTS idx_ev_k ON ONLY public.ev (k);  -- catalog only: brief lock, INVALID until every "
        "partition's index is attached",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_ev_1_k ON public.ev_1 (k);" + PG_CONCURRENT_LOCK,
        "ALTER INDEX public.idx_ev_k ATTACH PARTITION public.idx_ev_1_k;",
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_ev_2_k ON app."Ev 2" (k);' + PG_CONCURRENT_LOCK,
        "ALTER INDEX public.idx_ev_k ATTACH PARTITION app.idx_ev_2_k;"]
    for parts in ([], [("public", "ev_1", False), ("public", "ev_sub", True)]):
        plain = pg_create_index("public.ev", ["k"], partitions=parts)
        assert plain == "CREATE INDEX IF NOT EXISTS idx_ev_k ON public.ev (k);" + PG_PARTITIONED_LOCK


def test_no_statistics_means_no_selectivity_rejection():
    cat = Catalog.from_fact({"tables": [table("t", 10_000, [("a", "int", None)])]})
    p = run(cat, "SELECT * FROM t WHERE a = $1")
    assert cols(p) == [("public.t", ("a",))] and p.candidates[0].selectivity is None


def test_selective_shared_lead_merges_and_existing_narrow_index_covers(shop_catalog):
    # customer_id leaves ~20 rows of 100,000: (customer_id, status) is served by (customer_id, created_at)
    p = run(shop_catalog, "SELECT * FROM orders WHERE customer_id = $1 AND created_at > $2",
            "UPDATE orders SET note = $1 WHERE customer_id = $2 AND status = $3",
            policy=Policy(narrow_rows=25))
    (c,) = p.candidates
    assert c.columns == ["customer_id", "created_at"] and sorted(c.statements) == ["0", "1"]
    # with a stricter limit both stay
    assert len(run(shop_catalog, "SELECT * FROM orders WHERE customer_id = $1 AND created_at > $2",
                   "UPDATE orders SET note = $1 WHERE customer_id = $2 AND status = $3",
                   policy=Policy(narrow_rows=5)).candidates) == 2
    # an existing index on a selective lead covers too; one on a weak lead does not
    t = shop_catalog.tables["public.orders"]
    Index = type(t.indexes[0])
    t.indexes.append(Index("by_customer", ["customer_id"]))
    assert run(shop_catalog, "SELECT * FROM orders WHERE customer_id = $1 AND status = $2",
               policy=Policy(narrow_rows=25)).candidates == []
    t.indexes[-1] = Index("by_status", ["status"])
    assert cols(run(shop_catalog, "SELECT * FROM orders WHERE customer_id = $1 AND status = $2")) == \
        [("public.orders", ("customer_id", "status"))]


def test_one_sided_range_alone_is_rejected_but_between_and_sorted_ranges_are_not(shop_catalog):
    p = run(shop_catalog, "SELECT * FROM orders WHERE created_at > $1")
    assert p.candidates == [] and "1/3 of the rows" in p.rejected[0].reason
    assert cols(run(shop_catalog, "SELECT * FROM orders WHERE created_at BETWEEN $1 AND $2")) == \
        [("public.orders", ("created_at",))]
    assert cols(run(shop_catalog, "SELECT * FROM orders WHERE created_at >= $1 AND created_at < $2")) == \
        [("public.orders", ("created_at",))]
    assert cols(run(shop_catalog, "SELECT * FROM orders WHERE created_at > $1 ORDER BY created_at LIMIT 5")) == \
        [("public.orders", ("created_at",))]
    # an equality in front makes it selective again
    assert cols(run(shop_catalog, "SELECT * FROM orders WHERE status = $1 AND created_at > $2")) == \
        [("public.orders", ("status", "created_at"))]


def test_expression_with_a_parameter_gets_no_index_fix():
    from advisor.indexadvisor.advice import recommendation
    rec, fix = recommendation({"kind": "function_on_column", "table": "public.t", "columns": ["id"],
                               "index_expression": "(id % $1)"}, "postgres")
    assert fix is None and "parameter" in rec
    rec, fix = recommendation({"kind": "function_on_column", "table": "public.t", "columns": ["email"],
                               "index_expression": "lower(email)"}, "postgres")
    assert fix is not None and "lower(email)" in fix and "$" not in fix
