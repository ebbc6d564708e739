"""pg.statistics.stale on the shared PostgreSQL 15 (it runs autovacuum = off: nothing analyzes
behind the test's back) and on recorded facts."""

from __future__ import annotations

import pytest

from advisor.model import Severity

pytestmark = pytest.mark.postgres
CHECK = ["pg.statistics.stale"]


def test_modified_and_never_analyzed_tables_are_found_and_analyze_clears_them(pg_db, pg_twin, pg_advise,
                                                                          pg_flush):
    for db in (pg_db, pg_twin):
        db.sql("CREATE TABLE analyzed (id int, v int)")
        db.sql("INSERT INTO analyzed SELECT g, 0 FROM generate_series(1, 10000) g")
        pg_flush(db)  # the inserts reach the shared counters before ANALYZE resets them
        db.sql("ANALYZE analyzed")
    pg_db.sql("UPDATE analyzed SET v = 1 WHERE id <= 5000")   # 5,000 > 2 x (50 + 0.1 x 10,000)
    pg_twin.sql("UPDATE analyzed SET v = 1 WHERE id <= 500")  # under its trigger of 1,050
    pg_db.sql("CREATE TABLE loaded (id int)")
    pg_db.sql("INSERT INTO loaded SELECT generate_series(1, 20000)")
    pg_flush(pg_db)
    pg_flush(pg_twin)
    out = pg_advise(pg_db.url, CHECK).of("pg.statistics.stale")
    assert set(out) == {"public.analyzed", "public.loaded"}
    f = out["public.analyzed"]
    assert f.evidence["n_mod_since_analyze"] == 5000 and f.evidence["analyze_trigger"] == 1050
    assert f.severity == Severity.WARNING and f.fix == 'ANALYZE (VERBOSE) "public"."analyzed";'
    assert "never analyzed" in out["public.loaded"].summary
    assert pg_advise(pg_twin.url, CHECK).findings == []

    for stmt in (f.fix, out["public.loaded"].fix):  # the fixes, as printed
        pg_db.sql(stmt)
    pg_flush(pg_db)
    assert pg_advise(pg_db.url, CHECK).findings == []


def _table(**kw):
    t = {"schema": "public", "name": "big", "kind": "r", "reloptions": None, "reltuples": 50_000_000.0,
         "n_live_tup": 50_000_000, "n_mod_since_analyze": 6_000_000, "last_analyze": None,
         "last_autoanalyze": "2024-05-01T00:00:00+00:00"}
    t.update(kw)
    return t


def _facts(*tables):
    settings = {"autovacuum": {"value": True}, "autovacuum_analyze_threshold": {"value": 50},
                "autovacuum_analyze_scale_factor": {"value": 0.1}}
    return {"pg.tables": {"rows": list(tables)}, "pg.settings": settings,
            "pg.server": {"now": "2024-05-04T00:00:00+00:00"}}


def test_big_table_past_its_trigger_for_days_gets_its_own_scale_factor(pg_judge):
    # 6 M modified: under 2 x its 5 M trigger, but past it and last analyzed 3 days ago
    f = pg_judge("pg.statistics.stale", _facts(_table())).of("pg.statistics.stale")["public.big"]
    assert f.severity == Severity.CRITICAL and f.evidence["last_analyze_age_s"] == 3 * 86400
    assert f.fix.splitlines()[1] == 'ALTER TABLE "public"."big" SET (autovacuum_analyze_scale_factor = 0.001);'
    # a table with its own setting keeps it; one under its trigger is quiet
    own = _table(reloptions=["autovacuum_analyze_scale_factor=0.01"], n_mod_since_analyze=600_000)
    f = pg_judge("pg.statistics.stale", _facts(own)).of("pg.statistics.stale")["public.big"]
    assert "ALTER TABLE" not in f.fix and f.evidence["analyze_trigger"] == 500_050
    quiet = _table(n_mod_since_analyze=4_000_000)
    assert pg_judge("pg.statistics.stale", _facts(quiet)).findings == []


def test_pre14_never_analyzed_reltuples_zero(pg_judge):
    """Before PostgreSQL 14 a never-analyzed table has reltuples 0, not -1: n_live_tup counts."""
    t = _table(reltuples=0.0, n_live_tup=20_000, n_mod_since_analyze=20_000, last_autoanalyze=None)
    f = pg_judge("pg.statistics.stale", _facts(t)).of("pg.statistics.stale")["public.big"]
    assert "never analyzed" in f.summary


def test_partitioned_parent_never_analyzed(pg_db, pg_twin, pg_advise):
    for db in (pg_db, pg_twin):
        db.sql("CREATE TABLE ev (id int, at date) PARTITION BY RANGE (at)")
        db.sql("CREATE TABLE ev_1 PARTITION OF ev FOR VALUES FROM ('2024-01-01') TO ('2024-02-01')")
        db.sql("CREATE TABLE ev_2 PARTITION OF ev FOR VALUES FROM ('2024-02-01') TO ('2024-03-01')")
        db.sql("INSERT INTO ev SELECT g, '2024-01-01'::date + g % 59 FROM generate_series(1, 6000) g")
        db.sql("ANALYZE ev_1")  # what autovacuum does: the partitions only
        db.sql("ANALYZE ev_2")
    pg_twin.sql("ANALYZE ev")
    check = ["pg.statistics.partitioned_parent"]
    f = pg_advise(pg_db.url, check).of("pg.statistics.partitioned_parent")["public.ev"]
    assert f.evidence["partitions"] == 2 and f.evidence["leaf_rows"] == 6000
    assert pg_advise(pg_twin.url, check).findings == []
    pg_db.sql(f.fix)
    assert pg_advise(pg_db.url, check).findings == []


def test_partitioned_parent_before_15_is_skipped(pg_judge):
    out = pg_judge("pg.statistics.partitioned_parent", {"pg.partitioned_tables": {"judged": False, "rows": []}})
    assert "PostgreSQL 15" in out.skip_reason("pg.statistics.partitioned_parent")
