"""The db_advisor fixture, as a user's test suite sees it: real suites run by pytester
against scratch databases on the local PostgreSQL (one with planted problems, one healthy twin)."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCHEMA_CHECKS = ["pg.schema.no_primary_key", "pg.index.duplicate"]
# each suite runs in its own interpreter, as a user's would (in-process runs would share
# the advisor's check registry and open connections with this session)
INNER_ARGS = ("-p", "no:cacheprovider")

SUITE = '''
def test_migrations_leave_a_healthy_schema(db_advisor):
    report = db_advisor({url!r}, fail_on="warning", checks={checks!r}{extra})
    assert report.targets[0].reachable
'''


def _plant(db, healthy: bool) -> None:
    """What a migration might leave behind: a table without a primary key and a duplicate index."""
    pk = "PRIMARY KEY" if healthy else ""
    db.sql(f"CREATE TABLE events (id bigint {pk}, kind text NOT NULL, at timestamptz NOT NULL)")
    db.sql("INSERT INTO events SELECT g, 'k' || g % 7, now() FROM generate_series(1, 2000) g")
    db.sql("ANALYZE events")
    db.sql("CREATE INDEX events_kind_idx ON events (kind)")
    if not healthy:
        db.sql("CREATE INDEX events_kind_idx2 ON events (kind)")


def _suite(pytester, url: str, extra: str = "") -> pytest.RunResult:
    pytester.makepyfile(SUITE.format(url=url, checks=SCHEMA_CHECKS, extra=extra))
    return pytester.runpytest_subprocess(*INNER_ARGS)


@pytest.fixture
def schema_checks(require_checks):
    require_checks(*SCHEMA_CHECKS)


@pytest.mark.postgres
def test_failing_suite_lists_findings_readably(pytester, pg_db, schema_checks):
    _plant(pg_db, healthy=False)
    result = _suite(pytester, pg_db.url)
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "AssertionError: db-advisor: 2 finding(s) at or above warning" in out
    # check, object, summary and fix of each finding
    result.stdout.fnmatch_lines([
        "*WARNING  pg.index.duplicate  public.events_kind_idx2*",
        "*fix: DROP INDEX*events_kind_idx2*",
        "*WARNING  pg.schema.no_primary_key  public.events*",
    ])
    assert "Traceback" not in out  # __tracebackhide__: the user's line, not the advisor's internals


@pytest.mark.postgres
def test_healthy_twin_passes_and_gets_the_report(pytester, pg_db, schema_checks):
    _plant(pg_db, healthy=True)
    _suite(pytester, pg_db.url).assert_outcomes(passed=1)


@pytest.mark.postgres
def test_ignore_by_check_and_object_glob(pytester, pg_db, schema_checks):
    _plant(pg_db, healthy=False)
    pytester.makepyfile(f'''
def test_both_ignored(db_advisor):
    # one pattern per finding: a check glob, and check-glob:object-glob
    report = db_advisor({pg_db.url!r}, checks={SCHEMA_CHECKS!r},
                        ignore=["pg.schema.*", "pg.index.duplicate:public.events_*"])
    assert len(report.muted) == 2 and not report.findings

def test_one_ignored(db_advisor):
    db_advisor({pg_db.url!r}, checks={SCHEMA_CHECKS!r}, ignore=["pg.schema.*"])
''')
    result = pytester.runpytest_subprocess(*INNER_ARGS)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*test_one_ignored*", "*1 finding(s) at or above warning*", "*pg.index.duplicate*"])


@pytest.mark.postgres
def test_fail_on_critical_lets_warnings_pass(pytester, pg_db, schema_checks):
    _plant(pg_db, healthy=False)
    pytester.makepyfile(f'''
def test_only_critical(db_advisor):
    report = db_advisor({pg_db.url!r}, fail_on="critical", checks={SCHEMA_CHECKS!r})
    assert {{f.check for f in report.findings}} == {set(SCHEMA_CHECKS)!r}
''')
    pytester.runpytest_subprocess(*INNER_ARGS).assert_outcomes(passed=1)


@pytest.mark.postgres
def test_project_mutes_apply(pytester, pg_db, schema_checks):
    """The fixture honours [[mute]] of the project's advisor.toml, like the CLI."""
    _plant(pg_db, healthy=False)
    pytester.makefile(".toml", advisor='''
[[mute]]
check = "pg.index.duplicate"
object = "public.events_kind_idx2"
reason = "dropped by migration 0042"

[[mute]]
check = "pg.schema.no_primary_key"
reason = "append-only log, accepted"
''')
    _suite(pytester, pg_db.url).assert_outcomes(passed=1)


def test_unreachable_database_fails_with_one_clear_message(pytester):
    from servers import free_port
    url = f"postgresql://app:s3cret@127.0.0.1:{free_port()}/app"
    pytester.makepyfile(f'''
def test_db(db_advisor):
    db_advisor({url!r}, timeout=2)
''')
    result = pytester.runpytest_subprocess(*INNER_ARGS)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["E * AssertionError: db-advisor could not inspect postgresql://app:***@127.0.0.1:*"])
    # the user's own source line shows the URL they wrote; the advisor's message never does
    assert not [ln for ln in result.outlines if ln.startswith("E ") and "s3cret" in ln]


def test_plugin_is_registered_and_imports_nothing_heavy():
    code = ("import sys, importlib.metadata as md; "
            "eps = [e.value for e in md.entry_points(group='pytest11') if e.name == 'db_advisor']; "
            "import advisor.pytest_plugin; "
            "print(eps, sorted(m for m in sys.modules if m.startswith('advisor') or m in ('psycopg', 'pymysql')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['advisor.pytest_plugin'] ['advisor', 'advisor.pytest_plugin']"


@pytest.mark.mysql
def test_failing_suite_on_mariadb(pytester, mysql_db, require_checks):
    """MariaDB: the MySQL checks read the whole server, so only the failing side is asserted here
    (a healthy twin on a shared server would still see other schemas' tables)."""
    require_checks("mysql.schema.no_primary_key")
    mysql_db.sql("CREATE TABLE events (at timestamp NOT NULL, kind varchar(16) NOT NULL) ENGINE=InnoDB")
    pytester.makepyfile(f'''
def test_schema(db_advisor):
    db_advisor({mysql_db.url!r}, checks=["mysql.schema.no_primary_key"])
''')
    result = pytester.runpytest_subprocess(*INNER_ARGS)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*WARNING  mysql.schema.no_primary_key  {mysql_db.name}.events*"])


@pytest.mark.redis
def test_failing_and_passing_suites_on_redis(pytester, redis_server, require_checks):
    import redis
    from .conftest import RedisServer
    require_checks("redis.keys.big")
    r = redis.Redis.from_url(redis_server.url)
    r.rpush("queue:jobs", *range(5000))  # a list above RedisInsight's 1000 elements
    r.close()
    healthy = RedisServer().start()
    try:
        redis.Redis.from_url(healthy.url).rpush("queue:jobs", *range(10))
        pytester.makepyfile(f'''
def test_big_keys(db_advisor):
    db_advisor({redis_server.url!r}, checks=["redis.keys.big"])

def test_healthy_twin(db_advisor):
    db_advisor({healthy.url!r}, checks=["redis.keys.big"])
''')
        result = pytester.runpytest_subprocess(*INNER_ARGS)
    finally:
        healthy.stop()
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*test_big_keys*", "*WARNING  redis.keys.big  db0:queue:jobs*"])
