"""Index checks judged on recorded facts: shapes the local server cannot easily produce
(replicas, old statistics, builds in progress, partitioned tables, opclass differences)."""

from __future__ import annotations

from checks.postgres.index import covered_by
from checks.postgres._table_refs import references, statements_for_table, tables_in

DAY = 86400
SERVER = {"database": "app", "stats_age_s": 30 * DAY, "stats_reset": "2026-10-01T00:00:00+00:00",
          "started_at": "2026-09-01T00:00:00+00:00", "in_recovery": False}


def ix(name, attnums, *, oid, n_key=None, relid=1, method="btree", unique=False, primary=False,
       constraint=None, expressions=None, predicate=None, opclasses=None, options=None,
       bytes=50 * 1024**2, idx_scan=0, valid=True, kind="i", attached=False):
    n = len(attnums)
    return {"schema": "public", "table": "t", "name": name, "table_qualified": "public.t",
            "qualified": f"public.{name}", "indexrelid": oid, "relid": relid, "kind": kind,
            "method": method, "is_unique": unique or primary, "is_primary": primary,
            "is_exclusion": constraint == "x", "is_valid": valid, "is_ready": True,
            "attnums": attnums, "n_key": n if n_key is None else n_key,
            "opclasses": opclasses or [1978] * n, "collations": [0] * n, "options": options or [0] * n,
            "expressions": expressions, "predicate": predicate,
            "definition": f"CREATE INDEX {name} ON public.t USING {method} (...)", "bytes": bytes,
            "idx_scan": idx_scan, "idx_tup_read": 0, "idx_tup_fetch": 0,
            "constraint_name": name if constraint else None, "constraint_type": constraint,
            "attached": attached}


def idx_facts(*rows, server=SERVER, fks=(), builds=()):
    return {"pg.indexes": {"rows": list(rows), "truncated": False, "limit": 20000},
            "pg.server": server, "pg.foreign_keys": {"rows": list(fks)}, "pg.index_builds": list(builds),
            "pg.partitioned_index_gaps": []}


# ---- unused --------------------------------------------------------------------

def test_unused_severity_follows_statistics_age_and_replica_note(pg_judge):
    old = pg_judge("pg.index.unused", idx_facts(ix("t_a", [2], oid=10)))
    f = old.of("pg.index.unused")["public.t_a"]
    assert f.severity.name == "WARNING" and "30.0 days" in f.evidence["note"]
    young = pg_judge("pg.index.unused", idx_facts(ix("t_a", [2], oid=10),
                                                  server={**SERVER, "stats_age_s": 3600}))
    f = young.of("pg.index.unused")["public.t_a"]
    assert f.severity.name == "INFO" and "statistics are young" in f.recommendation
    replica = pg_judge("pg.index.unused", idx_facts(ix("t_a", [2], oid=10),
                                                    server={**SERVER, "in_recovery": True}))
    f = replica.of("pg.index.unused")["public.t_a"]
    assert f.evidence["replica"] and "per node" in f.evidence["note"] and "every replica" in f.recommendation


def test_unused_skips_used_small_constraint_invalid_and_attached_indexes(pg_judge):
    rows = [ix("used", [2], oid=1, idx_scan=5), ix("small", [3], oid=2, bytes=1024),
            ix("pk", [1], oid=3, primary=True, constraint="p"), ix("uq", [4], oid=4, unique=True),
            ix("excl", [5], oid=5, constraint="x", method="gist"), ix("bad", [6], oid=6, valid=False),
            ix("part_child", [7], oid=7, attached=True), ix("parent", [8], oid=8, kind="I")]
    assert not pg_judge("pg.index.unused", idx_facts(*rows)).of("pg.index.unused")


def test_unused_index_of_a_foreign_key_is_only_info(pg_judge):
    fk = {"relid": 1, "attnums": [3, 2], "definition": "FOREIGN KEY (b, a) REFERENCES p(x, y)"}
    res = pg_judge("pg.index.unused", idx_facts(ix("t_ab", [2, 3], oid=10), fks=[fk]))
    f = res.of("pg.index.unused")["public.t_ab"]
    assert f.severity.name == "INFO" and f.evidence["supports_foreign_keys"] == [fk["definition"]]


def test_unused_threshold_is_configurable(pg_judge):
    facts = idx_facts(ix("t_a", [2], oid=10, bytes=5 * 1024**2))
    assert not pg_judge("pg.index.unused", facts).of("pg.index.unused")
    assert pg_judge("pg.index.unused", facts, {"min_bytes": 1024**2}).of("pg.index.unused")


# ---- duplicate -----------------------------------------------------------------

def test_prefix_rule_respects_method_opclass_order_include_and_predicate():
    a, ab = ix("a", [2], oid=1), ix("ab", [2, 3], oid=2)
    assert covered_by(a, ab) and not covered_by(ab, a)
    assert not covered_by(ix("a_hash", [2], oid=3, method="hash"), ix("ab_hash", [2, 3], oid=4, method="hash"))
    assert covered_by(ix("h1", [2], oid=3, method="hash"), ix("h2", [2], oid=4, method="hash"))
    assert not covered_by(ix("a_pattern", [2], oid=5, opclasses=[10043]), ab)  # text_pattern_ops
    assert not covered_by(ix("a_desc_b", [2, 3], oid=6, options=[3, 0]), ix("abc", [2, 3, 4], oid=7))
    assert not covered_by(ix("a_part", [2], oid=8, predicate="(b > 0)"), ab)
    assert covered_by(ix("a_part", [2], oid=8, predicate="(b > 0)"), ix("ab_p", [2, 3], oid=9, predicate="(b > 0)"))
    # INCLUDE columns must be in the covering index too
    assert not covered_by(ix("a_inc_c", [2, 4], oid=10, n_key=1), ab)
    assert covered_by(ix("a_inc_b", [2, 3], oid=11, n_key=1), ab)
    # other table, invalid covering index
    assert not covered_by(a, ix("ab_other", [2, 3], oid=12, relid=2))
    assert not covered_by(a, ix("ab_bad", [2, 3], oid=13, valid=False))
    # a unique index is only covered by an identical unique one
    assert not covered_by(ix("u_a", [2], oid=14, unique=True), ix("u_ab", [2, 3], oid=15, unique=True))
    assert covered_by(ix("u_a", [2], oid=14, unique=True), ix("pk_a", [2], oid=16, primary=True))


def test_duplicate_never_drops_primary_key_and_keeps_constraint_index(pg_judge):
    pk = ix("t_pkey", [1], oid=100, primary=True, constraint="p")
    uq_con = ix("t_id_key", [1], oid=101, unique=True, constraint="u")
    plain_old, plain_new = ix("t_b1", [2], oid=102), ix("t_b2", [2], oid=103)
    out = pg_judge("pg.index.duplicate", idx_facts(pk, uq_con, plain_old, plain_new)).of("pg.index.duplicate")
    assert set(out) == {"public.t_id_key", "public.t_b2"}
    assert out["public.t_id_key"].fix.startswith("ALTER TABLE public.t DROP CONSTRAINT t_id_key;")
    assert out["public.t_b2"].evidence["rule"] == "identical"


def test_duplicate_on_partitioned_parent_drops_without_concurrently(pg_judge):
    rows = [ix("p_a", [2], oid=1, kind="I"), ix("p_ab", [2, 3], oid=2, kind="I"),
            ix("part1_a", [2], oid=3, relid=5, attached=True), ix("part1_ab", [2, 3], oid=4, relid=5, attached=True)]
    out = pg_judge("pg.index.duplicate", idx_facts(*rows)).of("pg.index.duplicate")
    assert set(out) == {"public.p_a"} and out["public.p_a"].fix.startswith(
        "DROP INDEX public.p_a;  -- ACCESS EXCLUSIVE lock on the table and every partition")


# ---- invalid -------------------------------------------------------------------

def test_invalid_index_being_built_is_not_reported(pg_judge):
    bad = ix("t_new", [2], oid=42, valid=False)
    bad["definition"] = "CREATE INDEX t_new ON public.t USING btree (b)"
    assert pg_judge("pg.index.invalid", idx_facts(bad)).of("pg.index.invalid")
    build = {"pid": 7, "database": "app", "relid": 1, "indexrelid": 42,
             "command": "CREATE INDEX CONCURRENTLY", "phase": "building index"}
    assert not pg_judge("pg.index.invalid", idx_facts(bad, builds=[build])).of("pg.index.invalid")


# ---- missing -------------------------------------------------------------------

def _table(**kw):
    t = {"schema": "public", "name": "orders", "qualified": "public.orders", "kind": "r", "relid": 1,
         "seq_scan": 400, "idx_scan": 10, "seq_tup_read": 400 * 200_000, "n_live_tup": 200_000,
         "reltuples": 200_000.0, "heap_bytes": 30 * 1024**2}
    t.update(kw)
    return t


def _stmt(query, database="app", total=100.0):
    return {"queryid": "1", "database": database, "query": query, "calls": 10, "mean_ms": total / 10,
            "total_ms": total, "rows": 10, "max_ms": 1, "role": "app"}


def test_missing_index_thresholds_and_statement_matching(pg_judge):
    stmts = {"rows": [_stmt("INSERT INTO orders (customer) VALUES ($1)", total=900.0),
                      _stmt("SELECT * FROM orders WHERE customer = $1"),
                      _stmt("SELECT * FROM orders WHERE x = $1", database="other"),
                      _stmt("SELECT * FROM orders_archive WHERE y = $1"),
                      _stmt("<insufficient privilege>")], "total_ms": 400, "count": 4}
    facts = {"pg.tables": {"rows": [_table(), _table(name="small", qualified="public.small",
                                                     n_live_tup=300, reltuples=300.0),
                                    _table(name="indexed", qualified="public.indexed", idx_scan=5000)]},
             "pg.server": SERVER, "pg.statements": stmts}
    out = pg_judge("pg.index.missing", facts).of("pg.index.missing")
    assert set(out) == {"public.orders"}
    assert [s["query"] for s in out["public.orders"].evidence["statements"]] == \
        ["SELECT * FROM orders WHERE customer = $1"]
    # without pg_stat_statements the table is still reported, with the reason
    del facts["pg.statements"]
    res = pg_judge("pg.index.missing", facts,
                   unavailable={"pg.statements": {"reason": "pg_stat_statements is not installed",
                                                  "enable": "CREATE EXTENSION pg_stat_statements"}})
    f = res.of("pg.index.missing")["public.orders"]
    assert "not installed" in f.evidence["statements"] and f.fix is None  # no columns known: no guess


def test_statement_references_use_the_parsed_tables():
    assert references('SELECT 1 FROM "Orders" o JOIN public.lines l ON l.o = o.id', "public", "Orders")
    assert references("UPDATE lines SET q = $1 WHERE id = $2", "public", "lines")
    assert not references("SELECT orders FROM customers", "public", "orders")   # a column, not a table
    assert not references("SELECT * FROM sales.orders", "public", "orders")      # other schema
    assert not references("WITH orders AS (SELECT 1) SELECT * FROM orders", "public", "orders")
    assert references("SELECT ??? garbled FROM orders WHERE", "public", "orders")  # fallback: word match
    # an INSERT target is not searched, an INSERT ... SELECT source is
    assert not references("INSERT INTO orders (a) VALUES ($1)", "public", "orders", searched_only=True)
    assert references("INSERT INTO orders (a) VALUES ($1)", "public", "orders")
    assert references("INSERT INTO archive SELECT * FROM orders WHERE at < $1", "public", "orders", True)
    assert not references("INSERT INTO orders SELECT * FROM staging", "public", "orders", True)
    assert not references("CREATE INDEX orders_a ON orders (a)", "public", "orders", True)
    assert references("CREATE INDEX orders_a ON orders (a)", "public", "orders")
    # "$4,$5" once read as a dollar-quoted string: must parse, not fall back to a word match
    q = "INSERT INTO orders (a) SELECT $1 + g FROM generate_series($4,$5) g"
    assert tables_in(q, True) == frozenset() and not references(q, "public", "orders", True)
    rows = [_stmt(f"SELECT * FROM t{i % 2} WHERE a = $1") for i in range(20)]
    assert len(statements_for_table(rows, "public", "t1", limit=3)) == 3
