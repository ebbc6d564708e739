"""Bloat, autovacuum and wraparound: planted in scratch databases, and judged on recorded facts."""

from __future__ import annotations

from advisor.model import Severity

SETTINGS = {"autovacuum": {"value": True},
            "autovacuum_vacuum_threshold": {"value": 50},
            "autovacuum_vacuum_scale_factor": {"value": 0.2},
            "autovacuum_freeze_max_age": {"value": 200_000_000}}


def table(name="t", **kw):
    row = {"schema": "public", "name": name, "kind": "r", "reloptions": None, "heap_bytes": 8192,
           "n_live_tup": 0, "n_dead_tup": 0, "reltuples": 0, "last_autovacuum": None,
           "last_vacuum": None, "xid_age": 10, "toast_xid_age": 0}
    row.update(kw)
    return row


def tables(*rows):
    return {"rows": list(rows), "truncated": False, "limit": 20000}


# ---- bloat ----------------------------------------------------------------------------------

def test_bloat_found_on_planted_dead_tuples_and_absent_after_vacuum(pg_db, pg_twin, pg_advise, pg_flush):
    for db in (pg_db, pg_twin):
        db.sql("CREATE TABLE churn (id int PRIMARY KEY, pad text)")
        db.sql("INSERT INTO churn SELECT g, repeat('x', 100) FROM generate_series(1, 20000) g")
        db.sql("DELETE FROM churn WHERE id % 2 = 0")
        db.sql("CREATE TABLE tiny (id int)")  # under the row floor: never flagged
        db.sql("INSERT INTO tiny SELECT generate_series(1, 100)")
        db.sql("DELETE FROM tiny WHERE id > 10")
    for db in (pg_db, pg_twin):
        pg_flush(db)  # before VACUUM: pending DELETE counts flushed later would re-add dead tuples
    pg_twin.sql("VACUUM churn")

    sick = pg_advise(pg_db.url, ["pg.maintenance.bloat"]).of("pg.maintenance.bloat")
    assert set(sick) == {"public.churn"}
    f = sick["public.churn"]
    assert f.evidence["n_dead_tup"] == 10000 and f.evidence["dead_pct"] == 50.0
    assert f.evidence["estimated_wasted_bytes"] > 1_000_000  # half of a ~2.6 MB heap
    assert f.fix.startswith('VACUUM (VERBOSE, ANALYZE) "public"."churn";  -- SHARE UPDATE EXCLUSIVE lock')
    assert pg_advise(pg_twin.url, ["pg.maintenance.bloat"]).of("pg.maintenance.bloat") == {}


def test_bloat_judges_dead_share_and_size_together(pg_judge):
    gib = 1024**3
    out = pg_judge("pg.maintenance.bloat", {"pg.tables": tables(
        table("huge", heap_bytes=20 * gib, n_live_tup=10**8, n_dead_tup=5 * 10**7),  # 33%, ~6.7 GB
        table("twelve", heap_bytes=12 * gib, n_live_tup=9 * 10**7, n_dead_tup=10**7),  # 10%: steady state
        table("hundred", heap_bytes=100 * gib, n_live_tup=95 * 10**7, n_dead_tup=5 * 10**7),  # 5%, 5 GB
        table("mid", heap_bytes=2 * gib, n_live_tup=7 * 10**6, n_dead_tup=3 * 10**6),  # 30%, ~600 MB
        table("ok", heap_bytes=10 * gib, n_live_tup=10**8, n_dead_tup=10**6),
        table("parted", kind="p", heap_bytes=0, n_live_tup=0, n_dead_tup=0))}).of("pg.maintenance.bloat")
    assert set(out) == {"public.huge", "public.mid"}  # below autovacuum's 20% trigger: not bloat
    assert out["public.huge"].severity == Severity.CRITICAL
    assert out["public.mid"].severity == Severity.WARNING


# ---- autovacuum disabled / lagging ----------------------------------------------------------

def test_autovacuum_disabled_table(pg_db, pg_twin, pg_advise):
    for db in (pg_db, pg_twin):
        db.sql("CREATE TABLE q (id int)")
    pg_db.sql("ALTER TABLE q SET (autovacuum_enabled = false)")
    pg_twin.sql("ALTER TABLE q SET (autovacuum_vacuum_scale_factor = 0.01)")
    sick = pg_advise(pg_db.url, ["pg.maintenance.autovacuum_disabled_table"]).of(
        "pg.maintenance.autovacuum_disabled_table")
    assert list(sick) == ["public.q"]
    assert sick["public.q"].fix.startswith('ALTER TABLE "public"."q" RESET (autovacuum_enabled);  -- SHARE UPDATE')
    assert pg_advise(pg_twin.url, ["pg.maintenance.autovacuum_disabled_table"]).of(
        "pg.maintenance.autovacuum_disabled_table") == {}


def _lagging(pg_judge, *rows, settings=None, stats_age_s=3 * 86400):
    facts = {"pg.tables": tables(*rows), "pg.settings": settings or SETTINGS,
             "pg.server": {"now": "2026-11-26T12:00:00+00:00", "stats_age_s": stats_age_s}}
    return pg_judge("pg.maintenance.autovacuum_lagging", facts).of("pg.maintenance.autovacuum_lagging")


def test_autovacuum_lagging_honours_trigger_reloptions_and_age(pg_judge):
    # trigger = 50 + 0.2 * 1000 = 250 dead tuples
    out = _lagging(
        pg_judge,
        table("never", reltuples=1000, n_dead_tup=500),
        table("old", reltuples=1000, n_dead_tup=500, last_autovacuum="2026-11-25T06:00:00+00:00"),
        table("recent", reltuples=1000, n_dead_tup=500, last_autovacuum="2026-11-26T11:00:00+00:00"),
        table("under", reltuples=1000, n_dead_tup=200),
        table("own_threshold", reltuples=1000, n_dead_tup=500,
              reloptions=["autovacuum_vacuum_threshold=1000"]),
        table("disabled", reltuples=1000, n_dead_tup=5000, reloptions=["autovacuum_enabled=false"]))
    assert set(out) == {"public.never", "public.old"}
    assert out["public.never"].severity == Severity.CRITICAL  # never, 3 days of stats
    assert out["public.old"].severity == Severity.WARNING  # 30 h ago
    assert out["public.old"].evidence["autovacuum_trigger"] == 250


def test_autovacuum_lagging_waits_for_enough_statistics(pg_judge):
    assert _lagging(pg_judge, table("never", reltuples=1000, n_dead_tup=500), stats_age_s=600) == {}


def test_autovacuum_lagging_silent_when_autovacuum_is_off(pg_judge):
    off = {**SETTINGS, "autovacuum": {"value": False}}  # pg.config.dangerous reports it
    assert _lagging(pg_judge, table("never", reltuples=1000, n_dead_tup=500), settings=off) == {}


# ---- wraparound ------------------------------------------------------------------------------

def test_wraparound_table_past_its_own_freeze_max_age(pg_db, pg_twin, pg_advise):
    """A table's autovacuum_freeze_max_age (min 100000) is honoured: burn 100k XIDs
    (cheap: one procedure, a COMMIT per XID) and the table is past it."""
    for db in (pg_db, pg_twin):
        db.sql("CREATE TABLE frozen_soon (id int)")
    pg_db.sql("ALTER TABLE frozen_soon SET (autovacuum_freeze_max_age = 100000)")
    pg_db.sql("SET synchronous_commit = off")
    pg_db.sql("CREATE PROCEDURE burn(n int) LANGUAGE plpgsql AS "
              "$$ BEGIN FOR i IN 1..n LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$")
    pg_db.sql("CALL burn(100000)")
    sick = pg_advise(pg_db.url, ["pg.maintenance.wraparound"]).of("pg.maintenance.wraparound")
    f = sick["public.frozen_soon"]
    assert f.severity == Severity.WARNING
    assert f.evidence["xid_age"] >= 100000 and f.evidence["autovacuum_freeze_max_age"] == 100000
    assert f.fix.startswith('VACUUM (FREEZE, VERBOSE) "public"."frozen_soon";  -- SHARE UPDATE')
    healthy = pg_advise(pg_twin.url, ["pg.maintenance.wraparound"]).of("pg.maintenance.wraparound")
    assert "public.frozen_soon" not in healthy
    assert not any(k.startswith("database ") for k in healthy)  # no database is near 180 M here


def test_wraparound_database_levels(pg_judge):
    dbs = [{"name": n, "xid_age": age, "mxid_age": 0} for n, age in
           [("crit", 1_450_000_000), ("pghero", 700_000_000), ("freeze95", 192_000_000),
            ("freeze90", 185_000_000), ("young", 1000)]]
    out = pg_judge("pg.maintenance.wraparound", {
        "pg.databases": dbs, "pg.settings": SETTINGS,
        "pg.tables": tables(table("toasty", xid_age=10, toast_xid_age=1_500_000_000))}).of(
        "pg.maintenance.wraparound")
    sev = {k: f.severity for k, f in out.items()}
    assert sev == {"database crit": Severity.CRITICAL, "database pghero": Severity.WARNING,
                   "database freeze95": Severity.WARNING, "database freeze90": Severity.INFO,
                   "public.toasty": Severity.CRITICAL}
    assert out["database pghero"].evidence["remaining"] == 2**31 - 700_000_000
    assert "vacuumdb --freeze" in out["database crit"].fix


# ---- index bloat -----------------------------------------------------------------------------

def test_index_bloat_estimate_finds_churned_index_not_fresh_one(pg_db, pg_twin, pg_advise):
    for db in (pg_db, pg_twin):
        db.sql("CREATE TABLE b (id int PRIMARY KEY, t text)")
        db.sql("INSERT INTO b SELECT g, md5(g::text) FROM generate_series(1, 100000) g")
        db.sql("CREATE INDEX b_t ON b (t)")
    pg_db.sql("DELETE FROM b WHERE id % 10 <> 0")  # 90% gone: the index keeps its pages
    pg_twin.sql("DELETE FROM b WHERE id % 10 <> 0")
    for db in (pg_db, pg_twin):
        db.sql("VACUUM ANALYZE b")
    pg_twin.sql("REINDEX TABLE b")  # the healthy twin: rebuilt packed
    th = {"pg.maintenance.index_bloat": {"min_bytes": 1024**2}}  # MBs here stand in for PgHero's 100 MB
    sick = pg_advise(pg_db.url, ["pg.maintenance.index_bloat"], thresholds=th).of("pg.maintenance.index_bloat")
    assert set(sick) == {"public.b_pkey", "public.b_t"}
    f = sick["public.b_t"]
    assert 85 <= f.evidence["wasted_pct"] <= 95 and f.severity == Severity.INFO
    assert f.fix.startswith('REINDEX INDEX CONCURRENTLY "public"."b_t";  -- SHARE UPDATE')
    assert pg_advise(pg_twin.url, ["pg.maintenance.index_bloat"], thresholds=th).findings == []


def test_packed_btree_estimate_matches_a_fresh_build():
    """100,000 md5 texts (33-byte keys): PostgreSQL 15 builds b_t with 724 pages (measured)."""
    from checks.postgres.maintenance import packed_btree_pages
    row = {"expression_keys": 0, "widths_known": 1, "columns": 1, "reltuples": 100000.0,
           "data_width": 33, "nullable": False, "fillfactor": 90}
    assert abs(packed_btree_pages(row, 8192) - 724) / 724 < 0.02
    assert packed_btree_pages(dict(row, expression_keys=1), 8192) is None
    assert packed_btree_pages(dict(row, widths_known=0), 8192) is None


def test_index_bloat_levels(pg_judge):
    def idx(name, relpages):
        return {"schema": "public", "table": "t", "index": name, "relpages": relpages, "reltuples": 1e6,
                "fillfactor": 90, "expression_keys": 0, "widths_known": 1, "columns": 1, "data_width": 4,
                "nullable": False}
    gib_pages = 1024**3 // 8192
    out = pg_judge("pg.maintenance.index_bloat", {"pg.btree_sizes": {"block_size": 8192, "rows": [
        idx("packed", 2800), idx("pghero", 2800 + 20000), idx("check_postgres", 2800 + 2 * gib_pages),
        idx("huge", 2800 + 6 * gib_pages)]}}).of("pg.maintenance.index_bloat")
    assert {k: f.severity for k, f in out.items()} == {
        "public.pghero": Severity.INFO, "public.check_postgres": Severity.WARNING,
        "public.huge": Severity.CRITICAL}


def test_wraparound_multixact_age(pg_judge):
    settings = {**SETTINGS, "autovacuum_multixact_freeze_max_age": {"value": 400_000_000}}
    out = pg_judge("pg.maintenance.wraparound", {
        "pg.databases": [{"name": "locks", "xid_age": 1000, "mxid_age": 390_000_000},
                         {"name": "calm", "xid_age": 1000, "mxid_age": 1000}],
        "pg.settings": settings, "pg.tables": tables()}).of("pg.maintenance.wraparound")
    assert set(out) == {"database locks"}
    assert out["database locks"].severity == Severity.WARNING and "multixact" in out["database locks"].summary
