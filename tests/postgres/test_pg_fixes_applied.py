"""Advise, apply, advise again: problems are planted, the advisor runs, every `fix` it printed
is executed exactly as printed (tests/postgres/pg_fix_runner.py: statement by statement in
autocommit, placeholders filled with advisor.fixes.fill, a restart where the fix says so),
the advisor runs again, and:
- every fix ran without error,
- each finding it addressed is gone,
- no new warning or critical appeared.

Database-level problems are planted in scratch databases on the shared server; fixes that
change server settings or need a restart run on a private server started for this module.
Fixes that cannot be applied mechanically say so (evidence fix_kind) and are listed in MANUAL.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from urllib.parse import urlsplit

import psycopg
import pytest

from pg_fix_runner import apply_fix
from servers import private_cluster

from advisor.fixes import kind
from advisor.model import Severity

# fixes that are manual by design (evidence fix_kind = manual): never run here. The first two
# are planted in test_manual_fixes_are_marked; the others are judged on recorded facts
# (tests/postgres/test_statements.py, test_pg_connections.py).
MANUAL = {("pg.connections.usage", None): "deploy PgBouncer (a config for another program)",
          ("pg.schema.no_primary_key", "public.parted"): "key columns must include the partition key",
          ("pg.connections.pooling", None): "deploy PgBouncer",
          ("pg.statements.extension", "pg_stat_statements"): "contrib package missing, or "
          "shared_preload_libraries unreadable by the advisor's role: read it first"}

PROVEN: set[str] = set()  # checks whose fix was proven by a test of this module


def advise_apply_advise(pg_advise, url, checks, expect, *, thresholds=None, memory=None, values=None,
                        restart=None, apply_url=None, options=None, shared_server=()):
    """Run, apply every printed fix, run again; returns (before, after) Outcomes.

    expect: the (check, object) pairs planted; each must be found, fixed, then gone.
    apply_url: where the fixes run (default url; e.g. an admin when the advisor's role is not).
    shared_server: objects of findings about the shared server itself (its settings, which
    tests must not change): not applied, and not planted by the test."""
    before = pg_advise(url, checks, thresholds=thresholds, memory=memory, options=options)
    found = {(f.check, f.object): f for f in before.findings}
    assert set(expect) <= set(found), sorted(found)
    fixed = []
    for key, f in found.items():
        if not f.fix or (key not in expect and key[1] in shared_server):
            continue
        assert kind("postgres", f.evidence) == "sql", (key, f.evidence.get("fix_kind"), f.fix)
        apply_fix(apply_url or url, f.fix, values, restart)
        fixed.append(key)
    time.sleep(0.6)  # the fixing sessions have ended: their statistics are flushed
    after = pg_advise(url, checks, thresholds=thresholds, memory=memory, options=options)
    left = {(f.check, f.object): f for f in after.findings}
    if any(k in left for k in fixed):
        # statistics reach other sessions asynchronously (a backend flushes as it exits, later
        # on a loaded machine): look once more before calling the fix ineffective
        time.sleep(3)
        after = pg_advise(url, checks, thresholds=thresholds, memory=memory, options=options)
        left = {(f.check, f.object): f for f in after.findings}
    assert [k for k in fixed if k in left] == [], {k: left[k].summary for k in fixed if k in left}
    new = [(k, f.severity.name, f.summary) for k, f in left.items()
           if k not in found and f.severity >= Severity.WARNING]
    assert new == []
    PROVEN.update(check for check, _ in fixed)
    return before, after


# ---- indexes (shared server, scratch database) ------------------------------------------------

# an index build that fails while advisor.fail is set in the building session: a real failed
# CREATE INDEX CONCURRENTLY / REINDEX CONCURRENTLY, and a rebuild that succeeds in a new session
BOOM = """CREATE FUNCTION boom(int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN IF current_setting('advisor.fail', true) = 'on' THEN RAISE EXCEPTION 'planted failure'; END IF;
RETURN $1; END $$"""


def _fails(db, statement):
    with pytest.raises(psycopg.Error):
        db.sql(statement)


def test_index_fixes(pg_db, pg_advise):
    for s in [
        BOOM,
        "CREATE TABLE t (id int PRIMARY KEY, a int, b int)",
        "INSERT INTO t SELECT g, g % 100, g FROM generate_series(1, 2000) g",
        "CREATE INDEX t_a ON t (a)", "CREATE INDEX t_a_again ON t (a)",              # duplicate
        "CREATE INDEX t_boom_b ON t (boom(b))",                                      # for REINDEX
        "CREATE TABLE child (id int PRIMARY KEY, t_id int REFERENCES t)",            # fk without index
        "CREATE TABLE ev (k int, t_id int REFERENCES t) PARTITION BY RANGE (k)",     # partitioned fk
        "CREATE TABLE ev_1 PARTITION OF ev FOR VALUES FROM (0) TO (100)",
        "CREATE TABLE ev_2 PARTITION OF ev FOR VALUES FROM (100) TO (200)",
        "CREATE TABLE parted (k int, v int) PARTITION BY RANGE (k)",                 # ON ONLY half-built
        "CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (100)",
        "CREATE TABLE parted_2 PARTITION OF parted FOR VALUES FROM (100) TO (200)",
        "INSERT INTO parted SELECT g, g FROM generate_series(0, 199) g",
        "CREATE INDEX parted_k ON ONLY parted (k)",
        "CREATE INDEX parted_1_k ON parted_1 (k)",                                   # not attached yet
        "CREATE INDEX pd_a ON parted (v)", "CREATE INDEX pd_a_again ON parted (v)",  # partitioned dup
        "SET advisor.fail = on",
    ]:
        pg_db.sql(s)
    _fails(pg_db, "CREATE INDEX CONCURRENTLY t_boom_a ON t (boom(a))")               # invalid index
    _fails(pg_db, "REINDEX INDEX CONCURRENTLY t_boom_b")                             # t_boom_b_ccnew
    pg_db.sql("RESET advisor.fail")
    expect = {("pg.index.duplicate", "public.t_a_again"), ("pg.index.duplicate", "public.pd_a_again"),
              ("pg.index.invalid", "public.t_boom_a"), ("pg.index.invalid", "public.t_boom_b_ccnew"),
              ("pg.index.invalid", "public.parted_k"),
              ("pg.index.fk_missing", "public.child.child_t_id_fkey"),
              ("pg.index.fk_missing", "public.ev.ev_t_id_fkey")}
    before, _ = advise_apply_advise(pg_advise, pg_db.url, ["pg.index.*"], expect)
    out = {(f.check, f.object): f for f in before.findings}
    assert out[("pg.index.invalid", "public.parted_k")].severity == Severity.INFO  # not broken
    assert out[("pg.index.invalid", "public.t_boom_b_ccnew")].fix.startswith(
        "DROP INDEX CONCURRENTLY public.t_boom_b_ccnew;") and "CREATE" not in out[
        ("pg.index.invalid", "public.t_boom_b_ccnew")].fix
    assert "ON ONLY public.ev" in out[("pg.index.fk_missing", "public.ev.ev_t_id_fkey")].fix
    # the original of the REINDEX leftover is still there and valid; the partitioned index is valid
    valid = dict(pg_db.sql("SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c "
                           "ON c.oid = i.indexrelid WHERE c.relname IN ('t_boom_b', 'parted_k')"))
    assert valid == {"t_boom_b": True, "parted_k": True}


def test_unused_index_fix(pg_db, pg_advise):
    pg_db.sql("CREATE TABLE u (id int, tag int)")
    pg_db.sql("INSERT INTO u SELECT g, g % 7 FROM generate_series(1, 20000) g")
    pg_db.sql("CREATE INDEX u_tag ON u (tag)")
    th = {"pg.index.unused": {"min_bytes": 0}}  # a few hundred kB stand in for PgHero's 10 MB
    advise_apply_advise(pg_advise, pg_db.url, ["pg.index.unused", "pg.index.fk_missing", "pg.index.duplicate"],
                        {("pg.index.unused", "public.u_tag")}, thresholds=th)


# ---- tables and schema (shared server, scratch database) --------------------------------------

def test_table_and_schema_fixes(pg_db, pg_advise, pg_flush):
    for s in [
        "CREATE TABLE churn (id int PRIMARY KEY, pad text)",                          # bloat
        "INSERT INTO churn SELECT g, repeat('x', 100) FROM generate_series(1, 20000) g",
        "DELETE FROM churn WHERE id % 2 = 0",
        "CREATE TABLE quiet (id int PRIMARY KEY)",                                      # autovacuum off
        "ALTER TABLE quiet SET (autovacuum_enabled = false)",
        "CREATE TABLE b (id int PRIMARY KEY, t text)",                                  # index bloat
        "INSERT INTO b SELECT g, md5(g::text) FROM generate_series(1, 100000) g",
        "CREATE INDEX b_t ON b (t)",
        "DELETE FROM b WHERE id % 10 <> 0",
        "CREATE TABLE frozen_soon (id int PRIMARY KEY) WITH (autovacuum_freeze_max_age = 100000)",
        "CREATE TABLE nopk (a int)", "INSERT INTO nopk SELECT generate_series(1, 1500)",  # no PK
        "CREATE TABLE nopk_u (a int NOT NULL)", "CREATE UNIQUE INDEX nopk_u_a ON nopk_u (a)",
        "CREATE TABLE s (id serial PRIMARY KEY, v int)", "SELECT setval('s_id_seq', 2000000000)",
        "CREATE TABLE c (v int)", "INSERT INTO c VALUES (1)",
        "ALTER TABLE c ADD CONSTRAINT c_pos CHECK (v > 0) NOT VALID",
    ]:
        pg_db.sql(s)
    pg_flush(pg_db)
    pg_db.sql("VACUUM ANALYZE b")
    pg_db.sql("SET synchronous_commit = off")  # burn 91,000 XIDs: frozen_soon is past 90% of its max age
    pg_db.sql("CREATE PROCEDURE burn(n int) LANGUAGE plpgsql AS "
              "$$ BEGIN FOR i IN 1..n LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$")
    pg_db.sql("CALL burn(91000)")
    th = {"pg.maintenance.index_bloat": {"min_bytes": 1024**2}}  # MBs stand in for PgHero's 100 MB
    expect = {("pg.maintenance.bloat", "public.churn"),
              ("pg.maintenance.autovacuum_disabled_table", "public.quiet"),
              ("pg.maintenance.index_bloat", "public.b_t"),
              ("pg.maintenance.wraparound", "public.frozen_soon"),
              ("pg.schema.no_primary_key", "public.nopk"), ("pg.schema.no_primary_key", "public.nopk_u"),
              ("pg.schema.sequence_exhaustion", "public.s_id_seq"),
              ("pg.schema.invalid_constraint", "public.c.c_pos")}
    checks = ["pg.maintenance.bloat", "pg.maintenance.autovacuum_disabled_table", "pg.maintenance.index_bloat",
              "pg.maintenance.wraparound", "pg.schema.*", "pg.index.duplicate", "pg.index.invalid"]
    advise_apply_advise(pg_advise, pg_db.url, checks, expect, thresholds=th)


def test_fixes_for_the_advisors_own_role(pg_db, pg_advise):
    """GRANTs for a least-privilege role: run by an admin, the role name filled in."""
    role = "advisor_t_" + uuid.uuid4().hex[:8]
    pg_db.sql("CREATE EXTENSION pg_stat_statements")
    pg_db.sql("CREATE SEQUENCE hidden_seq")
    pg_db.sql("SELECT 1 AS planted_by_postgres")
    pg_db.sql(f'CREATE ROLE "{role}" LOGIN')
    try:
        url = pg_db.url.replace("postgres@", f"{role}@", 1)
        expect = {("pg.statements.extension", "pg_read_all_stats"), ("pg.schema.sequence_exhaustion", "sequences")}
        advise_apply_advise(pg_advise, url, ["pg.statements.extension", "pg.schema.sequence_exhaustion"], expect,
                            values={"advisor_role": f'"{role}"'}, apply_url=pg_db.url,
                            options={"statement_limit": 100000},
                            shared_server={"pg_stat_statements.max", "pg_stat_statements"})
    finally:
        pg_db.sql(f'DROP OWNED BY "{role}"')
        pg_db.sql(f'REVOKE pg_read_all_stats FROM "{role}"')
        with psycopg.connect(pg_db.admin_url, autocommit=True) as c:
            c.execute(f'DROP ROLE "{role}"')


def test_settings_set_on_a_database_or_role_are_fixed_there(pg_db, pg_login_role, pg_advise):
    """ALTER DATABASE / ALTER ROLE values override ALTER SYSTEM: the fix changes them where they
    were set, says so, and clears the finding without touching the shared server's settings."""
    db = pg_db.name
    pg_db.sql(f'ALTER DATABASE "{db}" SET enable_seqscan = off')
    pg_db.sql(f'ALTER DATABASE "{db}" SET track_counts = off')
    url = pg_login_role(f'ALTER ROLE {{role}} IN DATABASE "{db}" SET enable_nestloop = off',
                        "ALTER ROLE {role} SET enable_mergejoin = off")
    role = urlsplit(url).username
    expect = {("pg.config.dangerous", "enable_*"), ("pg.config.dangerous", "track_counts")}
    before, _ = advise_apply_advise(pg_advise, url, ["pg.config.dangerous"], expect, apply_url=pg_db.url)
    f = {x.object: x for x in before.findings}
    assert f["enable_*"].evidence["scope"] == {
        "enable_mergejoin": f"for role {role} (the advisor's role)",
        "enable_nestloop": f"for role {role} (the advisor's role) in database {db}",
        "enable_seqscan": f"in database {db}"}
    assert "ALTER SYSTEM" not in f["enable_*"].fix + f["track_counts"].fix
    for line in (f'ALTER DATABASE "{db}" SET enable_seqscan = on;',
                 f'ALTER ROLE "{role}" IN DATABASE "{db}" SET enable_nestloop = on;',
                 f'ALTER ROLE "{role}" SET enable_mergejoin = on;'):
        assert line in f["enable_*"].fix
    assert f"(in database {db})" in f["track_counts"].summary


def test_work_mem_fix_leaves_no_worst_case_behind(pg_db, pg_advise):
    """On a small host the guide's work_mem plus three autovacuum workers' maintenance memory
    pass postgresqltuner's 80%: the work_mem advised is lowered so both findings go."""
    pg_db.sql(f'ALTER DATABASE "{pg_db.name}" SET work_mem = \'64MB\'')
    expect = {("pg.memory.work_mem", "work_mem"), ("pg.memory.worst_case", "work_mem")}
    before, _ = advise_apply_advise(pg_advise, pg_db.url, ["pg.memory.work_mem", "pg.memory.worst_case"],
                                    expect, memory=512 * 1024**2)
    ev = {f.check: f for f in before.findings}["pg.memory.work_mem"].evidence
    assert ev["advised_bytes"] == ev["worst_case_fit_bytes"] < ev["formula_bytes"]


# ---- server settings, restarts, sessions (a private server) -----------------------------------

@pytest.fixture(scope="module")
def server():
    with private_cluster() as c:
        c.initdb("main")
        for line in ["shared_preload_libraries = 'auto_explain'",  # pg_stat_statements not preloaded
                     "fsync = off", "full_page_writes = off", "zero_damaged_pages = on",
                     "enable_seqscan = off", "enable_hashjoin = off",
                     "autovacuum = off", "autovacuum_naptime = '10min'",
                     "checkpoint_completion_target = 0.5", "log_min_duration_statement = -1",
                     "random_page_cost = 4", "max_connections = 20"]:
            c.append("main", line)
        c.url = c.start("main", fsync_off=False)
        yield c


SETTINGS_CHECKS = ["pg.config.*", "pg.memory.*", "pg.statements.extension"]


def test_settings_fixes_with_reload_and_restart(server, pg_advise):
    expect = {("pg.statements.extension", "pg_stat_statements"),
              ("pg.config.dangerous", "fsync"), ("pg.config.dangerous", "full_page_writes"),
              ("pg.config.dangerous", "zero_damaged_pages"), ("pg.config.dangerous", "autovacuum"),
              ("pg.config.dangerous", "enable_*"), ("pg.config.autovacuum", "autovacuum_naptime"),
              ("pg.config.checkpoints", "checkpoint_completion_target"),
              ("pg.config.slow_query_log", "log_min_duration_statement"),
              ("pg.config.random_page_cost", "random_page_cost"),
              ("pg.memory.shared_buffers", "shared_buffers"),
              ("pg.memory.maintenance_work_mem", "maintenance_work_mem")}
    before, _ = advise_apply_advise(pg_advise, server.url, SETTINGS_CHECKS, expect, memory=4 * 1024**3,
                                    restart=lambda: server.restart("main"))
    fix = {(f.check, f.object): f.fix for f in before.findings}
    assert "shared_preload_libraries = 'auto_explain', 'pg_stat_statements';" in fix[
        ("pg.statements.extension", "pg_stat_statements")]
    with psycopg.connect(server.url) as c:
        libs = c.execute("SHOW shared_preload_libraries").fetchone()[0]
        assert libs == "auto_explain, pg_stat_statements"  # both loaded after the restart
        assert c.execute("SELECT count(*) FROM pg_stat_statements").fetchone()[0] >= 0


def test_more_setting_fixes(server, pg_advise):
    """After the settings test: shared_buffers is 1GB; lines planted in postgresql.conf + reload."""
    server.append("main", "effective_cache_size = '512MB'")   # below shared_buffers
    server.append("main", "pg_stat_statements.track = none")
    server.reload("main", file="postgresql.conf")
    expect = {("pg.memory.effective_cache_size", "effective_cache_size"),
              ("pg.statements.extension", "pg_stat_statements.track")}
    advise_apply_advise(pg_advise, server.url, ["pg.memory.effective_cache_size", "pg.statements.extension"],
                        expect, memory=4 * 1024**3)


def test_session_and_slot_fixes(server, pg_advise):
    stuck = psycopg.connect(server.url)
    stuck.execute("SELECT 1")  # idle in transaction from here on
    runner = psycopg.connect(server.url, autocommit=True)
    done = threading.Event()

    def run():
        try:
            runner.execute("SELECT pg_sleep(60)")
        except psycopg.Error:
            pass  # canceled by the fix
        done.set()
    threading.Thread(target=run, daemon=True).start()
    with psycopg.connect(server.url, autocommit=True) as c:
        c.execute("SELECT pg_create_physical_replication_slot('advisor_t_slot', true)")
    time.sleep(1.2)
    th = {"pg.connections.idle_in_transaction": {"min_age_s": 1}, "pg.connections.long_running": {"min_s": 1}}
    try:
        expect = {("pg.connections.idle_in_transaction", f"pid {stuck.info.backend_pid}"),
                  ("pg.connections.long_running", f"pid {runner.info.backend_pid}"),
                  ("pg.replication.inactive_slots", "slot advisor_t_slot")}
        advise_apply_advise(pg_advise, server.url, ["pg.connections.*", "pg.replication.*"], expect,
                            thresholds=th)
        assert done.wait(5)
    finally:
        stuck.close()
        runner.close()


def test_autovacuum_lagging_fix(server, pg_advise):
    """Runs after the settings fixes turned autovacuum on. Its launcher is kept away from the
    table meanwhile (the longest naptime; a reload rebuilds its schedule)."""
    with psycopg.connect(server.url, autocommit=True) as c:
        c.execute("ALTER SYSTEM SET autovacuum_naptime = 2147483")
        c.execute("SELECT pg_reload_conf()")
        time.sleep(0.3)
        c.execute("CREATE TABLE lag_me (id int)")
        c.execute("INSERT INTO lag_me SELECT generate_series(1, 10000)")
        c.execute("ANALYZE lag_me")
        c.execute("DELETE FROM lag_me WHERE id <= 5000")
    time.sleep(1.1)
    th = {"pg.maintenance.autovacuum_lagging": {"warning_age_s": 0}}
    advise_apply_advise(pg_advise, server.url, ["pg.maintenance.*"], {("pg.maintenance.autovacuum_lagging",
                                                                         "public.lag_me")}, thresholds=th)


def test_index_advisor_fixes_on_plain_and_partitioned_tables(pg_db, pg_advise, pg_flush):
    """pg.index.missing and pg.index.suggested print the same CREATE INDEX for a plain table; on a
    partitioned one the suggestion is built ON ONLY the parent + CONCURRENTLY per partition +
    ATTACH (CONCURRENTLY on the parent is rejected). The workload runs again after the fixes:
    scan counters are cumulative."""
    for s in ["CREATE EXTENSION pg_stat_statements", "CREATE EXTENSION hypopg",
              "CREATE TABLE orders (id int PRIMARY KEY, v int, pad text)",
              "INSERT INTO orders SELECT g, g % 5000, 'x' FROM generate_series(1, 50000) g",
              "CREATE TABLE ev (k int, v int) PARTITION BY RANGE (k)",
              "CREATE TABLE ev_1 PARTITION OF ev FOR VALUES FROM (0) TO (25000)",
              "CREATE TABLE ev_2 PARTITION OF ev FOR VALUES FROM (25000) TO (50000)",
              "INSERT INTO ev SELECT g, g % 5000 FROM generate_series(0, 49999) g", "ANALYZE"]:
        pg_db.sql(s)

    def workload(n):
        for i in range(n):
            pg_db.sql("SELECT count(*) FROM orders WHERE v = %s", (i,))
            pg_db.sql("SELECT count(*) FROM ev WHERE v = %s", (i,))
        pg_flush(pg_db)
    workload(25)
    checks = ["pg.index.missing", "pg.index.suggested"]
    opts = {"statement_limit": 100000}
    before = pg_advise(pg_db.url, checks, options=opts)
    found = {(f.check, f.object): f for f in before.findings}
    assert ("pg.index.missing", "public.orders") in found and ("pg.index.suggested", "public.orders (v)") in found
    parted = found[("pg.index.suggested", "public.ev (v)")].fix
    assert "ON ONLY public.ev (v)" in parted and "CONCURRENTLY IF NOT EXISTS idx_ev_v ON public.ev " not in parted
    for key, f in found.items():
        if f.fix:
            apply_fix(pg_db.url, f.fix)
    workload(60)
    time.sleep(0.6)
    after = {(f.check, f.object): f for f in pg_advise(pg_db.url, checks, options=opts).findings}
    assert [k for k in found if found[k].fix and k in after] == []
    assert [k for k, f in after.items() if k not in found and f.severity >= Severity.WARNING] == []
    valid = pg_db.sql("SELECT bool_and(indisvalid) FROM pg_index WHERE indexrelid = 'idx_ev_v'::regclass")
    assert valid == [(True,)]
    PROVEN.update(k[0] for k in found if found[k].fix)


def test_manual_fixes_are_marked(server, pg_db, pg_advise):
    pg_db.sql("CREATE TABLE parted (k int) PARTITION BY RANGE (k)")
    conns = [psycopg.connect(server.url, autocommit=True) for _ in range(12)]  # 13 of 17 usable: 76%
    try:
        found = pg_advise(server.url, ["pg.connections.usage"]).findings + \
            pg_advise(pg_db.url, ["pg.schema.no_primary_key"]).findings
    finally:
        for c in conns:
            c.close()
    manual = {(f.check, f.object) for f in found if kind("postgres", f.evidence) == "manual"}
    assert manual == {("pg.connections.usage", None), ("pg.schema.no_primary_key", "public.parted")}
    assert manual <= set(MANUAL)


def test_fix_runner_splits_like_psql():
    from pg_fix_runner import steps
    fix = ("ALTER SYSTEM SET x = 'a;b', 'c';\n-- then restart PostgreSQL: x is read only at server start\n"
           "-- a note; with a semicolon\nCREATE INDEX CONCURRENTLY \"i;x\" ON t (a);  -- lock; note\n"
           "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;")
    assert list(steps(fix)) == ["ALTER SYSTEM SET x = 'a;b', 'c';", "RESTART",
                                'CREATE INDEX CONCURRENTLY "i;x" ON t (a);',
                                "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;"]
    with pytest.raises(ValueError):
        list(steps("VACUUM t"))


def test_a_database_value_under_the_advisors_own_set_is_found(pg_db, pg_login_role, run_cli, tmp_path):
    """The advisor SETs its own timeouts; the database and role values beneath them are still
    named where they were set (the most specific one, as PostgreSQL applies them)."""
    db = pg_db.name
    pg_db.sql(f'ALTER DATABASE "{db}" SET idle_in_transaction_session_timeout = 0')
    pg_db.sql(f'ALTER DATABASE "{db}" SET lock_timeout = \'5s\'')
    url = pg_login_role(f'ALTER ROLE {{role}} IN DATABASE "{db}" SET lock_timeout = \'7s\'')
    snap = tmp_path / "snap.json"
    code, _, err = run_cli("snapshot", url, "-o", snap, "--checks", "pg.config.dangerous")
    assert code == 0, err
    settings = json.loads(snap.read_text())["targets"][0]["facts"]["pg.settings"]
    assert settings["idle_in_transaction_session_timeout"]["set_on"] == {"database": db}
    assert settings["lock_timeout"]["set_on"] == {"database": db, "role": urlsplit(url).username}
    assert settings["lock_timeout"]["setting"] == "7000"
    assert "set_on" not in settings["statement_timeout"]      # the advisor's own, nothing beneath
