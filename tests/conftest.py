"""Shared fixtures: real servers, scratch databases, and the CLI."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import uuid
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from servers import RedisServer, server_url  # noqa: E402

pytest_plugins = ["pytester"]  # tests/ci runs user test suites that use the db_advisor fixture


@pytest.fixture
def run_cli():
    """Run `advisor ARGS` in-process; returns (exit_code, stdout, stderr)."""
    from advisor.cli import main

    def _run(*args: str):
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main([str(a) for a in args])
        return code, out.getvalue(), err.getvalue()

    return _run


@pytest.fixture
def run_cli_json(run_cli):
    def _run(*args: str):
        code, out, err = run_cli(*args, "--json")
        return code, json.loads(out), err
    return _run


def subprocess_cli(*args: str, timeout: float = 120, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the real `python -m advisor` (tests that need a separate process)."""
    return subprocess.run([sys.executable, "-m", "advisor", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env=env)


# ---- PostgreSQL ----

def _with_db(url: str, db: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, "/" + db, p.query, p.fragment))


@pytest.fixture(scope="session")
def pg_admin_url():
    url = server_url("postgres")
    if url is None:
        pytest.skip("no PostgreSQL server (set ADVISOR_TEST_PG_URL or run scripts/prepare-local-servers)")
    return url


class PgScratch:
    """A scratch database; `sql()` runs statements in it as the admin user."""

    def __init__(self, admin_url: str):
        import psycopg
        self.name = "advisor_t_" + uuid.uuid4().hex[:10]
        self.admin_url = admin_url
        with psycopg.connect(admin_url, autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{self.name}"')
        self.url = _with_db(admin_url, self.name)
        self.conn = psycopg.connect(self.url, autocommit=True)

    def sql(self, statement: str, params=None):
        with self.conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall() if cur.description else None

    def drop(self) -> None:
        import psycopg
        self.conn.close()
        with psycopg.connect(self.admin_url, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture
def pg_db(pg_admin_url):
    db = PgScratch(pg_admin_url)
    try:
        yield db
    finally:
        db.drop()


# ---- MySQL / MariaDB ----

@pytest.fixture(scope="session")
def mysql_admin_url():
    url = server_url("mysql")
    if url is None:
        pytest.skip("no MySQL/MariaDB server (set ADVISOR_TEST_MYSQL_URL or run scripts/prepare-local-servers)")
    return url


class MySqlScratch:
    """A scratch schema; `sql()` runs statements in it as the admin user."""

    def __init__(self, admin_url: str):
        import pymysql
        p = urlsplit(admin_url)
        self.name = "advisor_t_" + uuid.uuid4().hex[:10]
        self.kw = dict(host=p.hostname or "127.0.0.1", port=p.port or 3306, user=p.username or "root",
                       password=p.password or "", autocommit=True)
        self.conn = pymysql.connect(**self.kw)
        self.sql(f"CREATE DATABASE `{self.name}`")
        self.sql(f"USE `{self.name}`")
        self.url = _with_db(admin_url, self.name)

    def sql(self, statement: str, params=None):
        with self.conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall()

    def drop(self) -> None:
        self.sql(f"DROP DATABASE IF EXISTS `{self.name}`")
        self.conn.close()


@pytest.fixture
def mysql_db(mysql_admin_url):
    db = MySqlScratch(mysql_admin_url)
    try:
        yield db
    finally:
        db.drop()


# ---- Redis ----

@pytest.fixture
def redis_server():
    """A fresh redis-server on its own port; extra config via indirect params."""
    srv = RedisServer().start()
    try:
        yield srv
    finally:
        srv.stop()
