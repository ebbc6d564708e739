"""Cache hit ratio: a low ratio cannot be planted on a small test server, so it is judged on
recorded facts; the live test proves the counters are read and an idle database is not judged."""

from __future__ import annotations

import pytest

SERVER = {"database": "app", "stats_reset": None, "started_at": "2026-11-01T00:00:00+00:00"}
SETTINGS = {"shared_buffers": {"value": 128 * 1024**2}}


def cache(heap=(0, 0), idx=(0, 0), databases=(), tables=()):
    return {"pg.server": SERVER, "pg.settings": SETTINGS,
            "pg.cache": {"heap_hit": heap[0], "heap_read": heap[1], "idx_hit": idx[0], "idx_read": idx[1],
                         "tables": list(tables), "databases": list(databases)}}


def test_low_table_and_index_hit_ratio(pg_judge):
    tables = [{"table_qualified": "public.big", "heap_hit": 100, "heap_read": 9000, "idx_hit": 0, "idx_read": 0}]
    out = pg_judge("pg.cache.hit_ratio", cache(heap=(970_000, 30_000), idx=(850_000, 150_000),
                                              tables=tables)).of("pg.cache.hit_ratio")
    table, index = out["app (tables)"], out["app (indexes)"]
    assert table.summary.startswith("table cache hit ratio is 97.0% in app")
    assert table.severity.name == "WARNING" and table.evidence["hit_pct"] == 97.0
    assert table.evidence["most_read_tables"][0]["table"] == "public.big"
    assert index.severity.name == "CRITICAL" and index.evidence["hit_pct"] == 85.0
    assert table.evidence["shared_buffers"] == "128.0 MiB"


def test_healthy_or_idle_is_not_judged(pg_judge):
    assert not pg_judge("pg.cache.hit_ratio", cache(heap=(995_000, 5_000), idx=(999_000, 1_000))).of(
        "pg.cache.hit_ratio")
    idle = cache(heap=(50, 50), idx=(10, 90))  # 50% but only 100 blocks: says nothing
    assert not pg_judge("pg.cache.hit_ratio", idle).of("pg.cache.hit_ratio")
    assert pg_judge("pg.cache.hit_ratio", idle, {"min_blocks": 10}).of("pg.cache.hit_ratio")


def test_other_databases_judged_from_pg_stat_database_only_when_asked(pg_judge):
    dbs = [{"database": "app", "hit": 10, "read": 900_000, "stats_reset": None},
           {"database": "reports", "hit": 800_000, "read": 200_000, "stats_reset": None},
           {"database": "fine", "hit": 10_000_000, "read": 100, "stats_reset": None}]
    # scope: a URL naming database app judges app and the server, never its neighbours
    assert not pg_judge("pg.cache.hit_ratio", cache(databases=dbs)).of("pg.cache.hit_ratio")
    out = pg_judge("pg.cache.hit_ratio", cache(databases=dbs), options={"all_databases": True}).of(
        "pg.cache.hit_ratio")
    # the current database is judged per table/index, not twice
    assert set(out) == {"database reports"} and out["database reports"].evidence["hit_pct"] == 80.0


@pytest.mark.postgres
def test_live_counters_are_read(pg_db, pg_twin, pg_advise, pg_flush):
    pg_db.sql("CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 20000) g")
    pg_db.sql("CREATE INDEX ON t (id)")
    for _ in range(5):
        pg_db.sql("SELECT count(*) FROM t")
        pg_db.sql("SELECT * FROM t WHERE id = 5")
    pg_flush(pg_db)
    # an idle twin is below min_blocks: no finding
    assert not pg_advise(pg_twin.url, ["pg.cache.hit_ratio"]).of("pg.cache.hit_ratio")
    # force judgement (100.1% cannot be reached) to see the real counters
    forced = {"pg.cache.hit_ratio": {"min_blocks": 1, "warn_pct": 100.1, "critical_pct": 0}}
    out = pg_advise(pg_db.url, ["pg.cache.hit_ratio"], forced).of("pg.cache.hit_ratio")
    table = out[f"{pg_db.name} (tables)"]
    assert table.evidence["blocks_hit"] + table.evidence["blocks_read"] >= 5 * 88  # 20k ints ~ 88 pages
    assert f"{pg_db.name} (indexes)" in out
