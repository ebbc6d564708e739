"""Wrong credentials, unknown databases, least-privileged users, a missing extension, a tiny
--timeout and a server lost mid-run, against the REAL local servers through the CLI.
Roles/users/ACL users are created for the test and dropped after."""

from __future__ import annotations

import json
import uuid
from urllib.parse import urlsplit

import pytest

from qa_helpers import SECRET, CuttingProxy, assert_contract, report_of
from servers import RedisServer
from support import subprocess_cli


def _hostport(url: str) -> tuple[str, int]:
    p = urlsplit(url)
    return p.hostname or "127.0.0.1", p.port


def _no_crash(p) -> dict:
    """A completed run: exit 0/1, nothing on stderr, no check crashed, no password anywhere."""
    assert p.returncode in (0, 1), p.stderr
    assert p.stderr == "" and SECRET not in p.stdout
    doc = report_of(p)
    assert doc["errors"] == [], doc["errors"]
    return doc


# ---- PostgreSQL ---------------------------------------------------------------------------

def test_pg_unknown_database_and_role_exit_3(pg_admin_url):
    host, port = _hostport(pg_admin_url)
    p = subprocess_cli("run", f"postgresql://postgres:{SECRET}@{host}:{port}/no_such_db_qa")
    assert_contract(p, 3, 'database "no_such_db_qa" does not exist')
    p = subprocess_cli("run", f"postgresql://no_such_role_qa:{SECRET}@{host}:{port}/postgres")
    assert_contract(p, 3, 'role "no_such_role_qa" does not exist')


@pytest.fixture
def pg_low_role(pg_db):
    name = "qa_low_" + uuid.uuid4().hex[:8]
    pg_db.sql(f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{SECRET}'")
    host, port = _hostport(pg_db.url)
    yield f"postgresql://{name}:{SECRET}@{host}:{port}/{pg_db.name}"
    pg_db.sql(f'DROP ROLE IF EXISTS "{name}"')


def test_pg_plain_login_role_without_pg_stat_statements(pg_db, pg_low_role):
    """No pg_monitor, pg_stat_statements preloaded but not created in the database: every
    check runs or is skipped with the way to enable it; no crash, no password."""
    pg_db.sql("CREATE TABLE t (id int PRIMARY KEY, v text)")
    p = subprocess_cli("run", "--json", "--memory", "8GiB", "--fail-on", "never", pg_low_role)
    doc = _no_crash(p)
    reasons = {s["check"]: s["reason"] for s in doc["skipped"]}
    stmt = [r for c, r in reasons.items() if c.startswith("pg.statements") or c.startswith("pg.query")]
    assert stmt and all("pg_stat_statements is not installed in this database" in r
                        and "CREATE EXTENSION pg_stat_statements" in r for r in stmt)
    assert all(r.strip() for r in reasons.values())


def test_pg_tiny_timeout_skips_with_the_reason(pg_db):
    p = subprocess_cli("run", "--json", "--timeout", "0.0001", "--fail-on", "never", pg_db.url)
    doc = _no_crash(p)
    timed_out = [s for s in doc["skipped"] if "timed out" in s["reason"]]
    assert timed_out, doc["skipped"]  # 1 ms statement_timeout, not 0 (= unbounded)


# ---- MySQL / MariaDB ------------------------------------------------------------------------

@pytest.fixture
def mysql_low_user(mysql_db):
    name = "qa_low_" + uuid.uuid4().hex[:8]
    mysql_db.sql(f"CREATE USER '{name}'@'%' IDENTIFIED BY '{SECRET}'")
    host, port = _hostport(mysql_db.url)
    yield name, f"mysql://{name}:{SECRET}@{host}:{port}"
    mysql_db.sql(f"DROP USER IF EXISTS '{name}'@'%'")


def test_mysql_wrong_password_and_unknown_database_exit_3(mysql_low_user):
    name, url = mysql_low_user
    assert_contract(subprocess_cli("run", url.replace(SECRET, SECRET + "x") + "/"), 3, "Access denied")
    assert_contract(subprocess_cli("run", url + "/no_such_db_qa"), 3, "no_such_db_qa")


def test_mysql_user_with_usage_only(mysql_low_user):
    """USAGE only: performance_schema, sys and the accounts table are out of reach; each
    check that needs them is skipped with the GRANT to give."""
    _, url = mysql_low_user
    doc = _no_crash(subprocess_cli("run", "--json", "--memory", "8GiB", "--fail-on", "never", url + "/"))
    reasons = [s["reason"] for s in doc["skipped"]]
    assert any("permission denied" in r.lower() or "denied" in r.lower() for r in reasons), reasons
    assert any("GRANT" in r for r in reasons), reasons


def test_mysql_tiny_timeout_gives_a_clean_result(mysql_db):
    """--timeout 0.001: at most one stderr line (the partial-report notice), never a traceback."""
    p = subprocess_cli("run", "--json", "--timeout", "0.001", "--fail-on", "never", mysql_db.url)
    assert p.returncode in (0, 3) and "Traceback" not in p.stderr
    assert len([ln for ln in p.stderr.splitlines() if ln.strip()]) <= 1


# ---- Redis ------------------------------------------------------------------------------------

@pytest.fixture
def redis_auth():
    srv = RedisServer("--requirepass", SECRET).start()
    yield srv
    srv.stop()


def test_redis_wrong_password_and_db_out_of_range_exit_3(redis_auth):
    base = f"redis://:{SECRET}x@127.0.0.1:{redis_auth.port}/0"
    assert_contract(subprocess_cli("run", base), 3, "authentication failed", ":***@")
    assert_contract(subprocess_cli("run", f"redis://:{SECRET}@127.0.0.1:{redis_auth.port}/99"), 3,
                    "DB index is out of range")


def test_redis_acl_user_with_ping_and_info_only(redis_auth):
    import redis
    r = redis.Redis(port=redis_auth.port, password=SECRET)
    r.execute_command("ACL", "SETUSER", "qa_low", "on", f">{SECRET}", "~*", "+ping", "+info")
    r.set("k", "v")
    try:
        url = f"redis://qa_low:{SECRET}@127.0.0.1:{redis_auth.port}/0"
        doc = _no_crash(subprocess_cli("run", "--json", "--memory", "1GiB", "--fail-on", "never", url))
    finally:
        r.execute_command("ACL", "DELUSER", "qa_low")
        r.close()
    reasons = [s["reason"] for s in doc["skipped"]]
    assert any("ACL SETUSER" in r for r in reasons), reasons


# ---- a server that goes away in the middle of the run -------------------------------------------

def _lost_mid_run(url: str) -> str:
    p = subprocess_cli("run", "--json", "--fail-on", "never", "--timeout", "5", url)
    line = assert_contract(p, 3, "connection lost", "report is partial")
    doc = report_of(p)
    assert doc["targets"][0]["complete"] is False
    assert any("connection to the target was lost" in s["reason"] for s in doc["skipped"])
    assert doc["targets"][0]["server_version"]  # read before the cut
    return line


def test_pg_lost_mid_run(pg_db):
    host, port = _hostport(pg_db.url)
    proxy = CuttingProxy(port, cut_after=12_000)
    try:  # trust authentication ignores the planted password; it must still never be shown
        _lost_mid_run(f"postgresql://postgres:{SECRET}@127.0.0.1:{proxy.port}/{pg_db.name}")
    finally:
        proxy.close()
    assert proxy.cuts >= 1


def test_mysql_lost_mid_run(mysql_db):
    host, port = _hostport(mysql_db.url)
    proxy = CuttingProxy(port, cut_after=30_000)
    try:
        _lost_mid_run(f"mysql://root@127.0.0.1:{proxy.port}/{mysql_db.name}")
    finally:
        proxy.close()
    assert proxy.cuts >= 1


def test_redis_lost_mid_run(redis_server):
    import redis
    r = redis.Redis(port=redis_server.port)
    r.mset({f"user:{i}": "x" * 50 for i in range(3000)})
    r.close()
    proxy = CuttingProxy(redis_server.port, cut_after=20_000)
    try:
        _lost_mid_run(f"redis://127.0.0.1:{proxy.port}/0")
    finally:
        proxy.close()
    assert proxy.cuts >= 1


# ---- secrets the server itself recorded -----------------------------------------------------------

def test_pg_role_passwords_in_pg_stat_statements_never_reach_snapshot_or_report(pg_db, tmp_path):
    """Utility statements keep their literals in pg_stat_statements: CREATE/ALTER ROLE ...
    PASSWORD '...' must be masked before it is written anywhere."""
    role = "qa_pw_" + uuid.uuid4().hex[:8]
    pg_db.sql("CREATE EXTENSION pg_stat_statements")
    try:
        pg_db.sql(f"CREATE ROLE {role} LOGIN PASSWORD '{SECRET}'")
        pg_db.sql(f"ALTER ROLE {role} ENCRYPTED PASSWORD '{SECRET}''quoted' VALID UNTIL 'infinity'")
        snap = tmp_path / "snap.json"
        p = subprocess_cli("snapshot", pg_db.url, "-o", snap)
        assert p.returncode == 0, p.stderr
        text = snap.read_text()
        assert f"{role} login password '***'" in text.lower()  # the statement is there, masked
        assert SECRET not in text
        run = subprocess_cli("run", "--json", "--fail-on", "never", pg_db.url)
        assert SECRET not in run.stdout + run.stderr
    finally:
        pg_db.sql(f"DROP ROLE IF EXISTS {role}")


def test_snapshots_and_reports_never_hold_the_url_password(mysql_low_user, redis_auth, tmp_path):
    """The password of every target URL stays out of snapshot files and JSON reports
    (Redis: CONFIG GET * holds requirepass, reduced to '(set)')."""
    _, mysql_url = mysql_low_user
    redis_url = f"redis://:{SECRET}@127.0.0.1:{redis_auth.port}/0"
    snap = tmp_path / "snap.json"
    p = subprocess_cli("snapshot", mysql_url + "/", redis_url, "-o", snap)
    assert p.returncode == 0, p.stderr
    text = snap.read_text()
    assert SECRET not in text + p.stderr
    assert json.loads(text)["targets"][1]["facts"]["redis.config"]["requirepass"] == "(set)"
    out = tmp_path / "report.json"
    p = subprocess_cli("analyze", snap, "--json", "-o", out)
    assert p.returncode in (0, 1) and SECRET not in out.read_text() + p.stdout + p.stderr
