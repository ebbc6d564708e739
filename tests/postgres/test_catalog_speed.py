"""The shortcuts that keep big catalogs fast (bench/pg_catalog.py) give the same facts as
the slow, exact way: composed index definitions equal pg_get_indexdef, sizes read from
relpages only where no row ever was, scan counters equal the statistics views."""

from __future__ import annotations

import pytest

from advisor import engines
from advisor.engines.postgres.facts_indexes import index_details
from advisor.facts import LiveFacts
from advisor.targets import parse_target

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_live(pg_db):
    """A live PostgreSQL session on pg_db and its fact store."""
    engine = engines.load("postgres")
    session = engine.connect(parse_target(pg_db.url), {"timeout": 10})
    try:
        yield session, LiveFacts("postgres", session, {})
    finally:
        engine.close(session)


ZOO = [
    'CREATE SCHEMA "Odd Schema"',
    'CREATE DOMAIN posint AS int CHECK (VALUE > 0)',
    'CREATE TABLE "Odd Schema"."Mixed Table" ("Key" int, "order" text, v varchar(20), n numeric, '
    'tags int[], doc jsonb, p posint, at timestamptz, r int4range)',
    'CREATE INDEX plain ON "Odd Schema"."Mixed Table" ("Key")',
    'CREATE UNIQUE INDEX "Uniq Multi" ON "Odd Schema"."Mixed Table" ("Key", "order")',
    'CREATE INDEX incl ON "Odd Schema"."Mixed Table" ("Key") INCLUDE ("order", n)',
    'CREATE INDEX descending ON "Odd Schema"."Mixed Table" ("Key" DESC, n)',
    'CREATE INDEX nulls_first ON "Odd Schema"."Mixed Table" (n NULLS FIRST)',
    'CREATE INDEX collated ON "Odd Schema"."Mixed Table" ("order" COLLATE "C")',
    'CREATE INDEX varchar_col ON "Odd Schema"."Mixed Table" (v)',
    'CREATE INDEX pattern ON "Odd Schema"."Mixed Table" ("order" text_pattern_ops)',
    'CREATE INDEX expr ON "Odd Schema"."Mixed Table" (lower("order"))',
    'CREATE INDEX partial ON "Odd Schema"."Mixed Table" ("Key") WHERE n > 0',
    'CREATE INDEX hashed ON "Odd Schema"."Mixed Table" USING hash ("Key")',
    'CREATE INDEX gin_tags ON "Odd Schema"."Mixed Table" USING gin (tags)',
    'CREATE INDEX gin_path ON "Odd Schema"."Mixed Table" USING gin (doc jsonb_path_ops)',
    'CREATE INDEX gist_range ON "Odd Schema"."Mixed Table" USING gist (r)',
    'CREATE INDEX brin_at ON "Odd Schema"."Mixed Table" USING brin (at)',
    'CREATE INDEX filled ON "Odd Schema"."Mixed Table" ("Key") WITH (fillfactor = 70)',
    'CREATE INDEX on_domain ON "Odd Schema"."Mixed Table" (p)',
    'CREATE UNIQUE INDEX nnd ON "Odd Schema"."Mixed Table" ("Key") NULLS NOT DISTINCT',
    'CREATE TABLE parted (k int, v int) PARTITION BY RANGE (k)',
    'CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (10)',
    'CREATE INDEX parted_v ON parted (v)',
    'CREATE INDEX parent_only ON ONLY parted (k)',
]


def test_composed_index_definitions_equal_pg_get_indexdef(pg_db, pg_live):
    for statement in ZOO:
        pg_db.sql(statement)
    session, _ = pg_live
    real = dict(pg_db.sql("SELECT i.indexrelid::bigint, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                          "JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace <> 'pg_catalog'::regnamespace "
                          "AND c.relnamespace <> 'pg_toast'::regnamespace"))
    assert len(real) == len(ZOO) - 5 + 1  # every CREATE INDEX, plus the partition's own index
    details = index_details(session, sorted(real))
    assert {oid: d["definition"] for oid, d in details.items()} == real


def test_index_counters_and_sizes_equal_the_exact_ones(pg_db, pg_live, pg_flush):
    pg_db.sql("CREATE TABLE used (id int PRIMARY KEY, v int)")
    pg_db.sql("CREATE INDEX used_v ON used (v)")
    pg_db.sql("INSERT INTO used SELECT g, g FROM generate_series(1, 20000) g")  # no ANALYZE: relpages 0
    pg_db.sql("SELECT * FROM used WHERE id = 5")
    pg_db.sql("CREATE TABLE never (id int PRIMARY KEY, v int)")
    pg_db.sql("CREATE INDEX never_v ON never (v)")
    pg_db.sql("CREATE TABLE parted (k int, v int) PARTITION BY RANGE (k)")
    pg_db.sql("CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (10)")
    pg_db.sql("CREATE INDEX parted_v ON parted (v)")
    pg_flush(pg_db)
    _, facts = pg_live
    rows = {r["qualified"]: r for r in facts.get("pg.indexes")["rows"]}
    stats = {name: (scan, read, fetch) for name, scan, read, fetch in pg_db.sql(
        "SELECT format('%I.%I', schemaname, indexrelname), idx_scan, idx_tup_read, idx_tup_fetch "
        "FROM pg_stat_user_indexes")}
    exact = dict(pg_db.sql("SELECT format('%I.%I', n.nspname, c.relname), pg_relation_size(c.oid) "
                           "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                           "WHERE c.relkind IN ('i', 'I') AND n.nspname = 'public'"))
    assert set(rows) == set(exact)
    for name, r in rows.items():
        # partitioned tables' indexes are not in pg_stat_user_indexes: no counters, as in the view
        assert (r["idx_scan"], r["idx_tup_read"], r["idx_tup_fetch"]) == stats.get(name, (None, None, None))
        if r["bytes_exact"]:
            assert r["bytes"] == exact[name]
    assert rows["public.used_pkey"]["idx_scan"] == 1
    assert rows["public.used_v"]["bytes_exact"] and rows["public.used_v"]["bytes"] > 8192
    # never scanned, on a table that never held a row: its size is its metapage, not read
    assert rows["public.never_v"]["bytes_exact"] is False and rows["public.never_v"]["bytes"] == exact["public.never_v"]
    assert rows["public.parted_1_v_idx"]["attached"] and not rows["public.parted_v"]["attached"]


def test_table_sizes_exact_wherever_a_row_ever_was(pg_db, pg_live, pg_flush):
    pg_db.sql("CREATE TABLE loaded (id int, note text)")  # bulk-loaded, never analyzed: relpages 0
    pg_db.sql("INSERT INTO loaded SELECT g, repeat('x', 100) FROM generate_series(1, 5000) g")
    pg_db.sql("CREATE TABLE analyzed (id int)")
    pg_db.sql("INSERT INTO analyzed SELECT generate_series(1, 3000)")
    pg_db.sql("ANALYZE analyzed")
    pg_db.sql("CREATE TABLE emptied (id int)")
    pg_db.sql("INSERT INTO emptied SELECT generate_series(1, 3000)")
    pg_db.sql("DELETE FROM emptied")
    pg_db.sql("CREATE TABLE never (id int PRIMARY KEY)")
    pg_db.sql("CREATE MATERIALIZED VIEW mv AS SELECT g FROM generate_series(1, 1000) g")
    pg_flush(pg_db)
    _, facts = pg_live
    rows = {r["name"]: r for r in facts.get("pg.tables")["rows"]}
    exact = dict(pg_db.sql("SELECT relname, pg_relation_size(oid) FROM pg_class "
                           "WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'm')"))
    assert set(rows) == set(exact)
    for name, r in rows.items():
        assert r["heap_bytes"] == exact[name], name
    assert rows["loaded"]["heap_bytes"] > 500_000 and rows["loaded"]["heap_bytes_exact"]
    assert rows["emptied"]["heap_bytes_exact"] and rows["never"]["heap_bytes_exact"] is False
    assert rows["loaded"]["total_bytes"] >= rows["loaded"]["heap_bytes"]
    assert [r["name"] for r in facts.get("pg.tables")["rows"]][0] == "loaded"  # biggest first


def test_cache_totals_equal_the_statio_views(pg_db, pg_live, pg_flush):
    pg_db.sql("CREATE TABLE t (id int PRIMARY KEY, note text)")
    pg_db.sql("INSERT INTO t SELECT g, repeat('y', 3000) FROM generate_series(1, 2000) g")  # TOAST too
    pg_db.sql("CREATE MATERIALIZED VIEW mv AS SELECT id FROM t")
    pg_db.sql("CREATE INDEX mv_id ON mv (id)")
    pg_db.sql("SELECT count(*) FROM t WHERE id < 100")
    pg_db.sql("SELECT count(*) FROM mv WHERE id = 7")
    pg_flush(pg_db)
    _, facts = pg_live
    cache = facts.get("pg.cache")
    [view] = pg_db.sql("""
        SELECT coalesce(sum(heap_blks_hit), 0), coalesce(sum(heap_blks_read), 0),
               (SELECT coalesce(sum(idx_blks_hit), 0) FROM pg_statio_user_indexes),
               (SELECT coalesce(sum(idx_blks_read), 0) FROM pg_statio_user_indexes)
        FROM pg_statio_user_tables""")
    assert (cache["heap_hit"], cache["heap_read"], cache["idx_hit"], cache["idx_read"]) == tuple(map(int, view))
    assert cache["heap_hit"] + cache["heap_read"] > 0 and cache["idx_hit"] + cache["idx_read"] > 0


def test_sizes_are_read_a_batch_of_relations_per_statement(pg_db, pg_live, pg_flush, monkeypatch):
    """pg_relation_size holds a lock per relation until its statement ends: at most
    SIZE_BATCH relations are measured by one statement (the shared lock table is small)."""
    from advisor.engines.postgres import facts_tables
    monkeypatch.setattr(facts_tables, "SIZE_BATCH", 2)
    for i in range(5):
        pg_db.sql(f"CREATE TABLE t{i} (id int)")
        pg_db.sql(f"INSERT INTO t{i} SELECT generate_series(1, {1000 * (i + 1)})")
    pg_flush(pg_db)
    session, facts = pg_live
    statements = []
    real_query = session.query
    monkeypatch.setattr(session, "query", lambda sql, *a, **kw: statements.append(sql) or real_query(sql, *a, **kw))
    rows = facts.get("pg.tables")["rows"]
    exact = dict(pg_db.sql("SELECT relname, pg_relation_size(oid) FROM pg_class WHERE relname LIKE 't_'"))
    assert {r["name"]: r["heap_bytes"] for r in rows} == exact
    assert [r["name"] for r in rows] == ["t4", "t3", "t2", "t1", "t0"]  # biggest first, by exact size
    assert sum("pg_relation_size" in sql for sql in statements) == 3  # 5 tables, 2 a statement
