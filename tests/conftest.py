"""Shared fixtures: real servers, scratch databases, and the CLI."""

from __future__ import annotations

import io
import json
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from servers import RedisServer, server_url  # noqa: E402
from support import MySqlScratch, PgScratch, subprocess_cli  # noqa: E402,F401

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


# ---- PostgreSQL ----

@pytest.fixture(scope="session")
def pg_admin_url():
    url = server_url("postgres")
    if url is None:
        pytest.skip("no PostgreSQL server (set ADVISOR_TEST_PG_URL or run scripts/prepare-local-servers)")
    return url


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
