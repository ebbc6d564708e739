"""The session on the real server: read-only, bounded, least privilege, credentials, bad input."""

from __future__ import annotations

import json
import os
import time
import uuid
from urllib.parse import urlsplit

import pytest

from advisor.engines import mysql as engine
from advisor.errors import FactUnavailable
from advisor.targets import parse_target
from support import subprocess_cli
from mysql_helpers import run_advisor


def _hostport(url):
    p = urlsplit(url)
    return f"{p.hostname}:{p.port or 3306}"


@pytest.fixture
def session(mysql_db):
    s = engine.connect(parse_target(mysql_db.url), {"timeout": 2})
    yield s
    engine.close(s)


def test_vendor_and_version_detected(session):
    assert session.vendor in ("mariadb", "mysql")
    assert session.version >= (5, 7, 0)
    row = session.query("SELECT @@session.tx_read_only AS ro")[0]
    assert int(row["ro"]) == 1


def test_session_cannot_write(session, mysql_db):
    mysql_db.sql("CREATE TABLE w (id INT PRIMARY KEY)")
    with pytest.raises(FactUnavailable, match="READ ONLY|read only|read-only"):
        session.query("INSERT INTO w VALUES (1)")
    assert mysql_db.sql("SELECT COUNT(*) FROM w")[0][0] == 0


def test_every_statement_is_bounded_by_the_timeout(session):
    t0 = time.monotonic()
    heavy = ("SELECT SUM(a.seq * b.seq) AS n FROM seq_1_to_100000 a JOIN seq_1_to_100000 b"
             if session.mariadb else
             "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 100000000) "
             "SELECT /*+ SET_VAR(cte_max_recursion_depth = 1000000000) */ COUNT(*) AS n FROM s")
    with pytest.raises(FactUnavailable, match="timed out"):
        session.query(heavy)
    assert time.monotonic() - t0 < 6
    assert session.query("SELECT 1 AS one")[0]["one"] == 1  # the session survives


@pytest.fixture
def limited_user(mysql_db):
    """An account with no privilege beyond its own scratch schema, and a password."""
    name, pw = "advisor_t_" + uuid.uuid4().hex[:8], "Pw-" + uuid.uuid4().hex[:12]
    mysql_db.sql(f"CREATE USER '{name}'@'%' IDENTIFIED BY '{pw}'")
    mysql_db.sql(f"GRANT SELECT ON `{mysql_db.name}`.* TO '{name}'@'%'")
    try:
        yield name, pw
    finally:
        mysql_db.sql(f"DROP USER IF EXISTS '{name}'@'%'")


def test_least_privilege_skips_with_the_grant_then_grants_unlock(mysql_db, limited_user):
    name, pw = limited_user
    url = f"mysql://{name}:{pw}@{_hostport(mysql_db.url)}/{mysql_db.name}"
    result = run_advisor(url)
    assert not result.errors and result.reachable
    skipped = {s.check: s.reason for s in result.skipped}
    assert "GRANT SELECT ON performance_schema.* TO" in skipped["mysql.queries.slow_mean"]
    assert "GRANT SELECT ON mysql.global_priv" in skipped["mysql.security.no_password"] or \
        "GRANT SELECT ON mysql.user" in skipped["mysql.security.no_password"]
    assert "GRANT PROCESS" in skipped["mysql.innodb.long_transactions"]
    assert "mysql.observability.slow_log" not in skipped  # SHOW GLOBAL VARIABLES needs no privilege
    mysql_db.sql(f"GRANT PROCESS ON *.* TO '{name}'@'%'")
    mysql_db.sql(f"GRANT SELECT ON performance_schema.* TO '{name}'@'%'")
    again = {s.check for s in run_advisor(url).skipped}
    assert not again & {"mysql.queries.slow_mean", "mysql.index.unused", "mysql.innodb.long_transactions"}
    assert pw not in json.dumps([s.reason for s in result.skipped])


def test_password_from_mysql_pwd(mysql_db, limited_user):
    name, pw = limited_user
    url = f"mysql://{name}@{_hostport(mysql_db.url)}/{mysql_db.name}"
    env = {**os.environ, "MYSQL_PWD": pw}
    ok = subprocess_cli("run", "--checks", "mysql.observability.*", "--fail-on", "never", url, env=env)
    assert ok.returncode == 0, ok.stderr
    env["MYSQL_PWD"] = "wrong"
    bad = subprocess_cli("run", "--checks", "mysql.observability.*", url, env=env)
    assert bad.returncode == 3 and "Access denied" in bad.stderr and "wrong" not in bad.stderr


@pytest.mark.parametrize("path, fragment", [("/no_such_db_advisor", "Unknown database"), ("", "Access denied")])
def test_bad_input_exits_3_in_one_line(run_cli, mysql_admin_url, path, fragment):
    hp = _hostport(mysql_admin_url)
    url = f"mariadb://root:s3cret-pw@{hp}{path}" if not path.startswith("/no") else \
        f"mysql://{urlsplit(mysql_admin_url).username or 'root'}@{hp}{path}"
    code, out, err = run_cli("run", url)
    assert code == 3
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in err
    assert "s3cret-pw" not in out + err


def test_accounts_without_password_planted_and_dropped(mysql_db):
    """Account hygiene on the real server: a passwordless account from anywhere, an anonymous
    account (on a TEST-NET host nobody connects from) and a remote root; a healthy twin
    with a password is not reported."""
    tag = uuid.uuid4().hex[:8]
    bad, good = f"advisor_t_nopw_{tag}", f"advisor_t_ok_{tag}"
    created = [f"'{bad}'@'%'", f"'{good}'@'%'", "''@'192.0.2.77'", "'root'@'192.0.2.%'"]
    try:
        mysql_db.sql(f"CREATE USER '{bad}'@'%'")
        mysql_db.sql(f"CREATE USER '{good}'@'%' IDENTIFIED BY 'Ok-{tag}-pw'")
        mysql_db.sql("CREATE USER ''@'192.0.2.77'")
        mysql_db.sql(f"CREATE USER 'root'@'192.0.2.%' IDENTIFIED BY 'Root-{tag}-pw'")
        result = run_advisor(mysql_db.url, checks=["mysql.security.*"])
    finally:
        for acct in created:
            mysql_db.sql(f"DROP USER IF EXISTS {acct}")
    by_check = {}
    for f in result.findings:
        by_check.setdefault(f.check, set()).add(f.object)
    assert f"'{bad}'@'%'" in by_check["mysql.security.no_password"]
    assert f"'{good}'@'%'" not in by_check["mysql.security.no_password"]
    assert "''@'192.0.2.77'" in by_check["mysql.security.anonymous"]
    assert "'root'@'192.0.2.%'" in by_check["mysql.security.root_remote"]
    assert not any(good in o for objs in by_check.values() for o in objs)


def test_killed_connection_gives_a_partial_report(mysql_db):
    """The server drops the advisor's connection mid-run: TargetLost, not a crash."""
    from advisor.errors import TargetLost

    s = engine.connect(parse_target(mysql_db.url), {"timeout": 5})
    try:
        conn_id = s.query("SELECT CONNECTION_ID() AS id")[0]["id"]
        mysql_db.sql(f"KILL {int(conn_id)}")
        with pytest.raises(TargetLost):
            s.query("SELECT 1 AS one")
    finally:
        engine.close(s)


def test_url_to_connection_arguments(monkeypatch):
    from advisor.engines.mysql.session import _connect_kwargs

    monkeypatch.setenv("MYSQL_PWD", "from-env")
    kw = _connect_kwargs(parse_target("mariadb://bob@db.example:3307/app?ssl=true"), 4.0)
    assert (kw["host"], kw["port"], kw["user"], kw["password"], kw["database"]) == \
        ("db.example", 3307, "bob", "from-env", "app")
    assert kw["connect_timeout"] == kw["read_timeout"] == kw["write_timeout"] == 4.0
    assert kw["ssl"] == {"check_hostname": False}
    kw = _connect_kwargs(parse_target("mysql://bob:p%40ss@db/?ssl_ca=/etc/ca.pem"), 4.0)
    assert kw["password"] == "p@ss" and kw["database"] is None and kw["ssl"] == {"ca": "/etc/ca.pem"}
