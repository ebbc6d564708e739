"""Statement text -> per-table predicates and issues (pure, recorded catalog)."""

from __future__ import annotations

import pytest

from advisor.indexadvisor.predicates import ParseFailure, analyse, parse


def uses(sql, catalog, dialect="postgres"):
    shape = analyse(parse(sql, dialect), catalog)
    return {u.table: u for u in shape.uses}, shape


def test_aliases_schemas_and_unqualified_columns_resolve(shop_catalog):
    u, shape = uses("SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id "
                    "WHERE c.email = $1 AND status = $2 AND created_at >= now() - $3::interval", shop_catalog)
    o, c = u["public.orders"], u["public.customers"]
    assert o.preds["eq"] == ["status"] and o.preds["range"] == ["created_at"] and o.preds["join"] == ["customer_id"]
    assert c.preds["eq"] == ["email"] and c.preds["join"] == ["id"]
    assert shape.params["1"] == ("public.customers", "email")


def test_search_path_picks_first_schema(shop_catalog):
    u, _ = uses("SELECT * FROM events WHERE kind = $1 ORDER BY created_at DESC LIMIT 10", shop_catalog)
    e = u["app.events"]
    assert e.preds["eq"] == ["kind"] and e.order == [("created_at", True)] and e.limit


def test_in_lists_any_is_null_between_and_or_on_one_column(shop_catalog):
    u, _ = uses("SELECT * FROM orders WHERE id IN ($1, $2) AND customer_id = ANY($3) AND note IS NULL "
                "AND created_at BETWEEN $4 AND $5 AND (status = $6 OR status = $7)", shop_catalog)
    p = u["public.orders"].preds
    assert set(p["in"]) == {"id", "customer_id", "status"}
    assert p["isnull"] == ["note"] and p["range"] == ["created_at"]


def test_cte_and_correlated_subquery(shop_catalog):
    u, _ = uses("WITH big AS (SELECT id FROM customers WHERE country = $1) "
                "SELECT * FROM orders o WHERE EXISTS (SELECT 1 FROM big b WHERE b.id = o.customer_id)",
                shop_catalog)
    assert u["public.customers"].preds["eq"] == ["country"]
    u, _ = uses("SELECT * FROM customers c WHERE EXISTS "
                "(SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.is_gift = $1)", shop_catalog)
    o = u["public.orders"]
    assert o.preds["join"] == ["customer_id"] and o.correlated


@pytest.mark.parametrize("sql, kind, expr", [
    ("SELECT * FROM orders WHERE status = $1 OR customer_id = $2", "or_across_columns", None),
    ("SELECT * FROM customers WHERE lower(email) = $1", "function_on_column", "LOWER(email)"),
    ("SELECT * FROM orders WHERE created_at::date = $1", "function_on_column", "CAST(created_at AS DATE)"),
    ("SELECT * FROM orders WHERE note LIKE '%x%'", "leading_wildcard", None),
    ("SELECT * FROM orders WHERE note LIKE $1", "like_parameter", None),
    ("SELECT * FROM customers WHERE name ILIKE $1", "ilike", None),
])
def test_unindexable_predicates_are_issues_not_predicates(shop_catalog, sql, kind, expr):
    u, shape = uses(sql, shop_catalog)
    assert [i.kind for i in shape.issues] == [kind]
    assert shape.issues[0].index_expression == expr
    assert not any(x.filtered for x in u.values())


def test_prefix_like_is_a_range(shop_catalog):
    u, shape = uses("SELECT * FROM customers WHERE email LIKE 'abc%'", shop_catalog)
    assert u["public.customers"].preds["prefix"] == ["email"] and not shape.issues


def test_update_and_delete(shop_catalog):
    u, _ = uses("UPDATE orders SET status = $1 WHERE customer_id = $2", shop_catalog)
    assert u["public.orders"].preds["eq"] == ["customer_id"]
    u, _ = uses("DELETE FROM orders o WHERE o.created_at < $1", shop_catalog)
    assert u["public.orders"].preds["range"] == ["created_at"]


def test_mysql_placeholders_and_backticks(shop_catalog):
    u, _ = uses("SELECT * FROM `orders` WHERE `customer_id` = ? AND `status` IN (?, ?)", shop_catalog, "mysql")
    assert u["public.orders"].preds["eq"] == ["customer_id"] and u["public.orders"].preds["in"] == ["status"]


@pytest.mark.parametrize("sql", ["CREATE TABLE x (a int)", "INSERT INTO orders VALUES ($1)", "BEGIN",
                                 "SELECT 1; SELECT 2", "SELECT * FROM", "SELECT 1",
                                 "SELECT * INTO copy FROM orders WHERE id = $1",
                                 "WITH d AS (DELETE FROM orders RETURNING id) SELECT * FROM d"])
def test_statements_without_index_questions_fail_cleanly(sql):
    with pytest.raises(ParseFailure):
        parse(sql, "postgres")


def test_unknown_table_is_reported_unresolved(shop_catalog):
    _, shape = uses("SELECT * FROM nowhere WHERE a = $1", shop_catalog)
    assert shape.uses == [] and shape.unresolved == ["nowhere"]


def test_array_casts_on_parameters_parse(shop_catalog):
    u, _ = uses("SELECT * FROM orders WHERE id = ANY($1::bigint[]) AND status = ANY($2::varchar(10)[])",
                shop_catalog)
    assert set(u["public.orders"].preds["in"]) == {"id", "status"}


def test_odd_input_costs_one_statement_not_the_run(shop_catalog):
    for text in ["SELECT (((", "\x00", "SELECT * FROM orders WHERE " + "(" * 3000 + "1" + ")" * 3000]:
        with pytest.raises(ParseFailure):
            analyse(parse(text, "postgres"), shop_catalog)
