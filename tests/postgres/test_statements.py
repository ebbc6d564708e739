"""pg_stat_statements checks: extension state, privilege, slow and dominating statements,
and the column names of each extension version (1.7 = PG12 ... 1.11 = PG17)."""

from __future__ import annotations

import re
import uuid

import pytest

from advisor.engines.postgres import facts_statements
from advisor.facts import SnapshotFacts, jsonable

_COMMON = ("userid dbid queryid query calls rows shared_blks_hit shared_blks_read shared_blks_dirtied "
           "shared_blks_written local_blks_hit local_blks_read local_blks_dirtied local_blks_written "
           "temp_blks_read temp_blks_written").split()
_PLAN = ("plans total_plan_time min_plan_time max_plan_time mean_plan_time stddev_plan_time "
         "total_exec_time min_exec_time max_exec_time mean_exec_time stddev_exec_time "
         "wal_records wal_fpi wal_bytes").split()
_JIT = ("jit_functions jit_generation_time jit_inlining_count jit_inlining_time jit_optimization_count "
        "jit_optimization_time jit_emission_count jit_emission_time").split()
# The view's columns per extension version (PostgreSQL sources, contrib/pg_stat_statements/*.sql)
COLUMNS = {
    "1.7": set(_COMMON + "total_time min_time max_time mean_time stddev_time blk_read_time blk_write_time".split()),
    "1.8": set(_COMMON + _PLAN + ["blk_read_time", "blk_write_time"]),
    "1.9": set(_COMMON + _PLAN + ["blk_read_time", "blk_write_time", "toplevel"]),
    "1.10": set(_COMMON + _PLAN + _JIT + "blk_read_time blk_write_time toplevel temp_blk_read_time "
                                         "temp_blk_write_time".split()),
    "1.11": set(_COMMON + _PLAN + _JIT + "shared_blk_read_time shared_blk_write_time local_blk_read_time "
                                         "local_blk_write_time toplevel temp_blk_read_time temp_blk_write_time "
                                         "jit_deform_count jit_deform_time stats_since minmax_stats_since".split()),
}

ROW = {"queryid": "42", "role": "app", "database": "app", "query": "SELECT * FROM t WHERE a = $1",
       "calls": 10, "rows": 10, "total_ms": 25000.0, "exec_ms": 24000.0, "mean_ms": 2500.0,
       "max_ms": 4000.0, "stddev_ms": 10.0, "shared_blks_hit": 1, "shared_blks_read": 2,
       "temp_blks_written": 0, "blk_read_ms": 0.0, "toplevel": True}


class RecordingSession:
    """Stands in for PgSession: records the SQL, answers with canned rows."""

    def __init__(self, rows):
        self.sql, self.rows = [], rows

    def query(self, sql, params=None, limit=None):
        self.sql.append(sql)
        return [{"n": len(self.rows), "total_ms": 50000.0}] if "count(*)" in sql else self.rows


def _status(version, preloaded=True):
    return {"installed_version": version, "available_version": version, "preloaded": preloaded,
            "track": "top", "max": 5000, "dealloc": 0, "stats_reset": None}


@pytest.mark.parametrize("version", sorted(COLUMNS))
def test_statement_sql_uses_the_columns_of_the_installed_version(version):
    s = RecordingSession([dict(ROW)])
    facts = SnapshotFacts({"pg.stat_statements_status": _status(version)}, options={"statement_limit": 50})
    out = facts_statements.statements(s, facts)
    main, total = s.sql
    used = set(re.findall(r"\bs\.(\w+)", main))
    assert used <= COLUMNS[version], used - COLUMNS[version]
    counted = set(re.findall(r"\b([a-z_]+_time|toplevel)\b", total))
    assert counted <= COLUMNS[version]
    # toplevel exists from 1.9: only then are nested statements filtered out
    assert ("WHERE s.toplevel" in main) == ("toplevel" in COLUMNS[version])
    # every version is normalized to the same keys, so checks judge any version alike
    assert out["rows"] == [ROW] and out["total_ms"] == 50000.0 and out["extension_version"] == version


THIS_DB = {"pg.server": {"database": "app"}}   # the URL's database: statements are judged in its scope


def test_every_version_shape_is_judged_alike(pg_judge):
    for version in COLUMNS:
        s = RecordingSession([dict(ROW)])
        facts = SnapshotFacts({"pg.stat_statements_status": _status(version)})
        stmts = jsonable(facts_statements.statements(s, facts))
        res = pg_judge("pg.statements.slow", {"pg.statements": stmts, **THIS_DB})
        f = res.of("pg.statements.slow")["app:queryid 42"]
        assert f.evidence["mean_ms"] == 2500.0 and f.evidence["mean_limit_ms"] == 1000, version


def test_the_recorded_columns_match_this_server(pg_db):
    pg_db.sql("CREATE EXTENSION pg_stat_statements")
    version = pg_db.sql("SELECT extversion FROM pg_extension WHERE extname = 'pg_stat_statements'")[0][0]
    if version not in COLUMNS:
        pytest.skip(f"no recorded column list for pg_stat_statements {version}")
    cols = {r[0] for r in pg_db.sql("SELECT column_name FROM information_schema.columns "
                                    "WHERE table_name = 'pg_stat_statements'")}
    assert cols == COLUMNS[version]


# ---- live scenarios ---------------------------------------------------------------

def _by_database(outcome, check_id, database):
    return [f for f in outcome.of(check_id).values() if f.evidence.get("database") == database]


def test_slow_statements_of_a_database(pg_db, pg_twin, pg_advise):
    for db in (pg_db, pg_twin):
        db.sql("CREATE EXTENSION pg_stat_statements")
    for _ in range(3):
        pg_db.sql("SELECT pg_sleep(%s)", (0.06,))
        pg_twin.sql("SELECT pg_sleep(%s)", (0.001,))
    lowered = {"pg.statements.slow": {"mean_ms": 50, "max_findings": 100000}}  # the cluster is shared
    out = pg_advise(pg_db.url, ["pg.statements.slow"], lowered, {"statement_limit": 100000})
    [f] = _by_database(out, "pg.statements.slow", pg_db.name)
    assert "pg_sleep($1)" in f.evidence["query"] and f.evidence["calls"] == 3
    assert f.evidence["mean_ms"] >= 50 and f.evidence["mean_limit_ms"] == 50
    assert not _by_database(out, "pg.statements.slow", pg_twin.name)
    # the guide's 1 s default does not flag a 60 ms statement
    default = pg_advise(pg_db.url, ["pg.statements.slow"], options={"statement_limit": 100000})
    assert not _by_database(default, "pg.statements.slow", pg_db.name)
    # with room for one statement, the cluster's top one and this database's top one are read
    top1 = pg_advise(pg_db.url, ["pg.statements.slow"], lowered, {"statement_limit": 1})
    assert _by_database(top1, "pg.statements.slow", pg_db.name)


def test_extension_created_or_not(pg_db, pg_twin, pg_advise):
    pg_twin.sql("CREATE EXTENSION pg_stat_statements")
    out = pg_advise(pg_db.url, ["pg.statements.*"])
    f = out.of("pg.statements.extension")["pg_stat_statements"]
    assert "not created in database " + pg_db.name in f.summary
    assert f.fix == "CREATE EXTENSION pg_stat_statements;"
    assert "not installed" in out.skip_reason("pg.statements.slow")
    assert "CREATE EXTENSION pg_stat_statements" in out.skip_reason("pg.statements.slow")
    healthy = pg_advise(pg_twin.url, ["pg.statements.extension"]).of("pg.statements.extension")
    assert "pg_stat_statements" not in healthy and "pg_read_all_stats" not in healthy


def test_role_without_pg_read_all_stats_sees_hidden_statements(pg_db, pg_advise):
    import psycopg
    pg_db.sql("CREATE EXTENSION pg_stat_statements")
    pg_db.sql("SELECT 1 AS planted_by_postgres")
    role = "advisor_t_" + uuid.uuid4().hex[:8]
    pg_db.sql(f'CREATE ROLE "{role}" LOGIN')
    try:
        url = pg_db.url.replace("postgres@", f"{role}@", 1)
        out = pg_advise(url, ["pg.statements.extension"], options={"statement_limit": 100000})
        f = out.of("pg.statements.extension")["pg_read_all_stats"]
        assert f.evidence["hidden_statements"] > 0 and f.fix == f'GRANT pg_read_all_stats TO "{role}";'
        # shared_preload_libraries is hidden from this role: still known to be preloaded
        assert "pg_stat_statements" not in out.of("pg.statements.extension")
    finally:
        with psycopg.connect(pg_db.admin_url, autocommit=True) as c:
            c.execute(f'DROP ROLE "{role}"')


# ---- recorded facts ----------------------------------------------------------------

SETTINGS = {"shared_preload_libraries": {"setting": "pg_qualstats"}}
SERVER = {"database": "app", "user": "advisor", "pg_read_all_stats": True}


def test_extension_not_preloaded_keeps_existing_libraries(pg_judge):
    res = pg_judge("pg.statements.extension",
                   {"pg.stat_statements_status": _status(None, preloaded=False) | {"available_version": "1.10"},
                    "pg.server": SERVER, "pg.settings": SETTINGS})
    f = res.of("pg.statements.extension")["pg_stat_statements"]
    # a list of quoted names: one string 'a, b' names ONE library and the server does not start
    assert f.fix.startswith("ALTER SYSTEM SET shared_preload_libraries = 'pg_qualstats', 'pg_stat_statements';\n"
                            "-- then restart PostgreSQL")
    assert f.fix.endswith("CREATE EXTENSION pg_stat_statements;") and "fix_kind" not in f.evidence


def test_extension_not_preloaded_and_libraries_unreadable_says_so(pg_judge):
    """Without pg_read_all_settings pg_settings has no shared_preload_libraries row: a value
    written blind would drop the libraries already loaded."""
    res = pg_judge("pg.statements.extension",
                   {"pg.stat_statements_status": _status(None, preloaded=False) | {"available_version": "1.10"},
                    "pg.server": SERVER, "pg.settings": {}})
    f = res.of("pg.statements.extension")["pg_stat_statements"]
    # nothing runnable as printed drops them: the current list is a placeholder to fill
    assert "ALTER SYSTEM SET shared_preload_libraries = {{libraries_already_loaded}} 'pg_stat_statements';" in f.fix
    assert "cannot read shared_preload_libraries" in f.fix and "SHOW shared_preload_libraries;" in f.fix
    assert f.evidence["fix_kind"] == "manual"
    assert f.evidence["shared_preload_libraries"] == "unreadable by this role"


def test_extension_missing_package_old_version_and_evictions(pg_judge):
    missing = pg_judge("pg.statements.extension",
                       {"pg.stat_statements_status": _status(None) | {"available_version": None},
                        "pg.server": SERVER, "pg.settings": SETTINGS})
    assert "contrib package" in missing.of("pg.statements.extension")["pg_stat_statements"].summary
    old = _status("1.9") | {"available_version": "1.10", "dealloc": 12}
    res = pg_judge("pg.statements.extension",
                   {"pg.stat_statements_status": old, "pg.server": SERVER, "pg.settings": SETTINGS,
                    "pg.statements": {"rows": [], "hidden_by_privilege": 0}})
    out = res.of("pg.statements.extension")
    assert out["pg_stat_statements"].fix == "ALTER EXTENSION pg_stat_statements UPDATE;"
    assert out["pg_stat_statements.max"].evidence["dealloc"] == 12
    assert out["pg_stat_statements.max"].fix.startswith("ALTER SYSTEM SET pg_stat_statements.max = 10000;")


def _stmts(*totals, db="app"):
    rows = [dict(ROW, queryid=str(i), total_ms=t, mean_ms=t / 100, calls=100, database=db)
            for i, t in enumerate(totals)]
    return {"pg.statements": {"rows": rows, "total_ms": sum(totals) + 1000, "count": len(rows) + 5}, **THIS_DB}


def test_top_total_shares_and_dominating_statement(pg_judge):
    out = pg_judge("pg.statements.top_total", _stmts(300_000.0, 60_000.0, 5_000.0)).of("pg.statements.top_total")
    assert set(out) == {"app:queryid 0", "app:queryid 1"}  # the third is under 10%
    top = out["app:queryid 0"]
    assert top.severity.name == "WARNING" and top.evidence["share_pct"] == 82.0 and top.evidence["rank"] == 1
    assert out["app:queryid 1"].severity.name == "INFO"
    # a large share of very little time is not a warning
    small = pg_judge("pg.statements.top_total", _stmts(3_000.0)).of("pg.statements.top_total")
    assert small["app:queryid 0"].severity.name == "INFO"
    assert not pg_judge("pg.statements.top_total",
                        {"pg.statements": {"rows": [], "total_ms": 0, "count": 0}, **THIS_DB}).of("pg.statements.top_total")


def test_slow_respects_min_calls_and_hidden_rows(pg_judge):
    rows = [dict(ROW, calls=1), dict(ROW, queryid="7", query="<insufficient privilege>"),
            dict(ROW, queryid="8", database=None),  # a dropped database's statement
            dict(ROW, queryid="9", calls=5, query="DROP DATABASE IF EXISTS x"),
            dict(ROW, queryid="10", calls=5, query="  vacuum (analyze) big")]
    facts = {"pg.statements": {"rows": rows, "total_ms": 1, "count": 3}, **THIS_DB}
    assert not pg_judge("pg.statements.slow", facts).of("pg.statements.slow")
    assert set(pg_judge("pg.statements.slow", facts, {"min_calls": 1}).of("pg.statements.slow")) == \
        {"app:queryid 42"}


def test_statements_spilling_to_temp_files(pg_db, pg_twin, pg_advise):
    for db, work_mem in ((pg_db, "64kB"), (pg_twin, "64MB")):
        db.sql("CREATE EXTENSION pg_stat_statements")
        db.sql(f"SET work_mem = '{work_mem}'")
        for _ in range(2):
            db.sql("SELECT g FROM generate_series(1, 200000) g ORDER BY g DESC LIMIT %s OFFSET 199990", (5,))
    lowered = {"pg.statements.temp_spill": {"min_bytes_per_call": 1024**2, "max_findings": 100000}}
    out = pg_advise(pg_db.url, ["pg.statements.temp_spill"], lowered, {"statement_limit": 100000})
    [f] = _by_database(out, "pg.statements.temp_spill", pg_db.name)
    assert "generate_series" in f.evidence["query"] and f.evidence["calls"] == 2
    assert f.evidence["temp_bytes_per_call"] >= 1024**2
    assert f.fix.startswith("SET work_mem = '") and 'ALTER ROLE "postgres" SET work_mem' in f.fix
    assert not _by_database(out, "pg.statements.temp_spill", pg_twin.name)


def test_temp_spill_suggests_twice_the_spill_rounded_up(pg_judge):
    row = dict(ROW, temp_blks_written=2 * 2560, calls=2)  # 20 MiB per call
    res = pg_judge("pg.statements.temp_spill", {"pg.statements": {"rows": [row], "total_ms": 1, "count": 1}, **THIS_DB,
                                               "pg.settings": {"block_size": {"value": 8192},
                                                               "work_mem": {"value": 4 * 1024**2}}})
    f = res.of("pg.statements.temp_spill")["app:queryid 42"]
    assert f.evidence["temp_bytes_per_call"] == 20 * 1024**2 and f.evidence["work_mem"] == "4.0 MiB"
    assert f.fix.startswith("SET work_mem = '64MB';")
    small = dict(row, temp_blks_written=2 * 100)
    assert not pg_judge("pg.statements.temp_spill", {"pg.statements": {"rows": [small]}, **THIS_DB,
                                                     "pg.settings": {}}).of("pg.statements.temp_spill")


def test_one_statements_fact_serves_index_advisor_with_this_databases_top(pg_db, pg_twin):
    """pg.statements ranks this database's statements apart from the cluster's top, up to
    the larger of statement_limit and index_statement_limit; the index advisor takes this
    database's top index_statement_limit from it (pg_twin's statements are not its)."""
    from advisor import engines
    from advisor.engines.postgres.facts_index_advisor import _workload_rows
    from advisor.facts import LiveFacts
    from advisor.targets import parse_target

    tag = uuid.uuid4().hex[:8]
    pg_db.sql("CREATE EXTENSION pg_stat_statements")
    for i in range(3):
        pg_db.sql(f"CREATE TABLE w{i}_{tag} (v int)")
        pg_db.sql(f"SELECT count(*) FROM w{i}_{tag} WHERE v = %s", (i,))
        pg_twin.sql(f"SELECT {i} AS x_{tag}")
    engine = engines.load("postgres")
    session = engine.connect(parse_target(pg_db.url), {"timeout": 10})
    try:
        facts = LiveFacts("postgres", session, {"statement_limit": 1, "index_statement_limit": 100000})
        mine = _workload_rows(facts)
    finally:
        engine.close(session)
    assert {r["database"] for r in mine} == {pg_db.name}
    assert sum(f"_{tag} WHERE v = $1" in r["query"] for r in mine) == 3
    assert not any(f"x_{tag}" in r["query"] for r in mine)
    capped = SnapshotFacts({"pg.server": {"database": pg_db.name}, "pg.statements": facts.get("pg.statements")},
                           options={"index_statement_limit": 2})
    assert _workload_rows(capped) == mine[:2]


def test_scope_is_the_urls_database_unless_all_databases(pg_judge):
    """A run against one database judges its statements only; all_databases widens it."""
    facts = _stmts(300_000.0, 60_000.0)
    facts["pg.statements"]["rows"][1]["database"] = "neighbour"
    scoped = pg_judge("pg.statements.top_total", facts).of("pg.statements.top_total")
    assert set(scoped) == {"app:queryid 0"}
    wide = pg_judge("pg.statements.top_total", facts, options={"all_databases": True}).of("pg.statements.top_total")
    assert set(wide) == {"app:queryid 0", "neighbour:queryid 1"}
