"""Index checks: each problem planted in a scratch database on the real server, and its healthy twin."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.postgres

SMALL = {"pg.index.unused": {"min_bytes": 100 * 1024}}


def _big_table(db, rows=50_000, index_v=False):
    db.sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    db.sql("CREATE TABLE orders (id bigint PRIMARY KEY, v int, note text)")
    db.sql(f"INSERT INTO orders SELECT g, g % 1000, 'n' || g FROM generate_series(1, {rows}) g")
    if index_v:
        db.sql("CREATE INDEX orders_v ON orders (v)")
    db.sql("ANALYZE orders")


def test_missing_index_names_the_table_and_its_statements(pg_db, pg_twin, pg_advise, pg_flush):
    for db, healthy in ((pg_db, False), (pg_twin, True)):
        _big_table(db, index_v=healthy)
        for i in range(25):
            db.sql("SELECT count(*) FROM orders WHERE v = %s", (i,))
        pg_flush(db)
    opts = {"statement_limit": 100000}
    sick = pg_advise(pg_db.url, ["pg.index.missing"], options=opts).of("pg.index.missing")
    f = sick["public.orders"]
    assert f.evidence["seq_scan"] >= 25 and f.evidence["seq_scan_pct"] >= 50
    assert f.evidence["seq_tup_read"] >= 25 * 50_000
    assert any("FROM orders WHERE v = $1" in s["query"] and s["calls"] == 25
               for s in f.evidence["statements"]), f.evidence["statements"]
    assert f.evidence["filter_columns"] == ["v"] and f.fix.startswith("CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_orders_v ON public.orders (v);  -- SHARE UPDATE EXCLUSIVE")
    healthy = pg_advise(pg_twin.url, ["pg.index.missing"], options=opts).of("pg.index.missing")
    assert "public.orders" not in healthy


def test_unused_index_reported_with_stats_age_but_never_a_unique_one(pg_db, pg_twin, pg_advise, pg_flush):
    for db in (pg_db, pg_twin):
        db.sql("CREATE TABLE items (id int PRIMARY KEY, code int, tag int)")
        db.sql("INSERT INTO items SELECT g, g, g % 50 FROM generate_series(1, 20000) g")
        db.sql("CREATE INDEX items_tag ON items (tag)")
        db.sql("CREATE UNIQUE INDEX items_code ON items (code)")
        db.sql("ANALYZE items")
    pg_twin.sql("SET enable_seqscan = off")
    pg_twin.sql("SELECT count(*) FROM items WHERE tag = 3")
    pg_flush(pg_twin)
    out = pg_advise(pg_db.url, ["pg.index.unused"], thresholds=SMALL).of("pg.index.unused")
    assert set(out) == {"public.items_tag"}  # the PK and the unique index are never candidates
    f = out["public.items_tag"]
    assert f.evidence["idx_scan"] == 0 and f.evidence["size_bytes"] >= 100 * 1024
    assert f.evidence["stats_age_s"] > 0 and "statistics cover" in f.evidence["note"]
    assert f.fix.startswith("DROP INDEX CONCURRENTLY public.items_tag;")
    assert "CREATE INDEX CONCURRENTLY items_tag ON public.items USING btree (tag)" in f.fix
    # default threshold (10 MB, PgHero) leaves this small index alone
    assert not pg_advise(pg_db.url, ["pg.index.unused"]).of("pg.index.unused")
    assert not pg_advise(pg_twin.url, ["pg.index.unused"], thresholds=SMALL).of("pg.index.unused")


def test_duplicate_and_redundant_indexes(pg_db, pg_twin, pg_advise):
    for db in (pg_db, pg_twin):
        db.sql("CREATE TABLE t (id int PRIMARY KEY, a int, b int, c text)")
        db.sql("CREATE INDEX t_ab ON t (a, b)")
        db.sql("CREATE INDEX t_b_partial ON t (b) WHERE a > 0")
        db.sql("CREATE INDEX t_b_hash ON t USING hash (b)")
        db.sql("CREATE INDEX t_lower ON t (lower(c))")
        db.sql("CREATE INDEX t_ba ON t (b, a)")
    # the planted problems
    pg_db.sql("CREATE INDEX t_a ON t (a)")                  # prefix of t_ab
    pg_db.sql("CREATE INDEX t_ab_again ON t (a, b)")        # identical to t_ab
    pg_db.sql("CREATE INDEX t_lower_again ON t (lower(c))")  # identical expression
    pg_db.sql("CREATE UNIQUE INDEX t_id_unique ON t (id)")  # identical to the primary key
    pg_db.sql("CREATE UNIQUE INDEX t_a_unique ON t (a)")    # unique: covered by nothing but itself
    out = pg_advise(pg_db.url, ["pg.index.duplicate"]).of("pg.index.duplicate")
    assert set(out) == {"public.t_a", "public.t_ab_again", "public.t_lower_again", "public.t_id_unique"}
    assert out["public.t_ab_again"].evidence["covering"].startswith("CREATE INDEX t_ab ON public.t")
    assert out["public.t_id_unique"].evidence["covering"].startswith("CREATE UNIQUE INDEX t_pkey")
    assert out["public.t_a"].fix.startswith("DROP INDEX CONCURRENTLY public.t_a;  -- SHARE UPDATE EXCLUSIVE")
    assert out["public.t_a"].evidence["covering_size"].endswith("KiB")
    assert not pg_advise(pg_twin.url, ["pg.index.duplicate"]).of("pg.index.duplicate")


def test_invalid_index_from_failed_concurrent_build(pg_db, pg_twin, pg_advise):
    import psycopg
    for db in (pg_db, pg_twin):
        db.sql("CREATE TABLE u (email text)")
    pg_db.sql("INSERT INTO u VALUES ('a@x'), ('a@x')")
    pg_twin.sql("INSERT INTO u VALUES ('a@x'), ('b@x')")
    with pytest.raises(psycopg.errors.UniqueViolation):
        pg_db.sql("CREATE UNIQUE INDEX CONCURRENTLY u_email ON u (email)")
    pg_twin.sql("CREATE UNIQUE INDEX CONCURRENTLY u_email ON u (email)")
    f = pg_advise(pg_db.url, ["pg.index.invalid"]).of("pg.index.invalid")["public.u_email"]
    assert [ln.split("  --")[0] for ln in f.fix.splitlines()[:2]] == ["DROP INDEX CONCURRENTLY public.u_email;",
                                      "CREATE UNIQUE INDEX CONCURRENTLY u_email ON public.u USING btree (email);"]
    assert "REINDEX INDEX CONCURRENTLY public.u_email" in f.fix
    assert "duplicate rows" in f.recommendation
    assert not pg_advise(pg_twin.url, ["pg.index.invalid"]).of("pg.index.invalid")


def test_foreign_keys_without_leading_index(pg_db, pg_twin, pg_advise):
    for db in (pg_db, pg_twin):
        db.sql("CREATE TABLE p (id int, k int, PRIMARY KEY (id, k), UNIQUE (id))")
        db.sql("CREATE TABLE c1 (x int, y int, z int, FOREIGN KEY (x, y) REFERENCES p (id, k))")
        db.sql("CREATE TABLE c2 (pid int REFERENCES p (id), w int)")
        db.sql('CREATE TABLE "Mixed" ("PId" int REFERENCES p (id))')
    pg_db.sql("CREATE INDEX ON c1 (z, x, y)")        # FK columns present but not leading
    pg_db.sql("CREATE INDEX ON c2 (pid) WHERE w > 0")  # partial: does not count
    pg_twin.sql("CREATE INDEX ON c1 (y, x, z)")      # leading, other order: counts
    pg_twin.sql("CREATE INDEX ON c2 (pid, w)")
    pg_twin.sql('CREATE INDEX ON "Mixed" ("PId")')
    out = pg_advise(pg_db.url, ["pg.index.fk_missing"]).of("pg.index.fk_missing")
    assert set(out) == {"public.c1.c1_x_y_fkey", "public.c2.c2_pid_fkey", 'public."Mixed"."Mixed_PId_fkey"'}
    assert out["public.c1.c1_x_y_fkey"].fix.startswith("CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_c1_x_y ON public.c1 (x, y);  -- SHARE")
    assert out['public."Mixed"."Mixed_PId_fkey"'].fix.startswith(
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_mixed_pid ON public."Mixed" ("PId");  --')
    assert out["public.c2.c2_pid_fkey"].severity.name == "INFO"  # empty table
    big = pg_advise(pg_db.url, ["pg.index.fk_missing"], thresholds={"pg.index.fk_missing": {"min_rows": 0}})
    assert big.of("pg.index.fk_missing")["public.c2.c2_pid_fkey"].severity.name == "WARNING"
    assert not pg_advise(pg_twin.url, ["pg.index.fk_missing"]).of("pg.index.fk_missing")


def test_index_being_built_concurrently_is_not_reported_as_invalid(pg_db, pg_advise):
    import threading
    import time

    import psycopg
    pg_db.sql("CREATE TABLE w (v int)")
    writer = psycopg.connect(pg_db.url)  # an open write transaction makes the build wait
    writer.execute("INSERT INTO w VALUES (1)")
    builder = psycopg.connect(pg_db.url, autocommit=True)
    build = threading.Thread(target=builder.execute, args=("CREATE INDEX CONCURRENTLY w_v ON w (v)",))
    build.start()
    try:
        for _ in range(100):  # until the build has created the (invalid) catalog entry
            if pg_db.sql("SELECT to_regclass('w_v')")[0][0]:
                break
            time.sleep(0.05)
        assert pg_db.sql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'w_v'::regclass") == [(False,)]
        assert not pg_advise(pg_db.url, ["pg.index.invalid"]).of("pg.index.invalid")
    finally:
        writer.commit()
        build.join(30)
        writer.close()
        builder.close()
    assert pg_db.sql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'w_v'::regclass") == [(True,)]
