"""Fixtures for the CI-integration tests: a database seeded with docker/seed/postgres.sql."""

from __future__ import annotations

import json

import pytest

# tests/ci is a package, so this module is `ci.conftest` and `conftest` is still tests/conftest.py
# here; test modules import these names from .conftest, never from `conftest` (ambiguous there).
from support import MySqlScratch, PgScratch  # noqa: F401
from servers import RedisServer  # noqa: F401


@pytest.fixture(scope="session")
def seeded_pg(pg_admin_url):
    """A scratch database with the demo's planted problems (read-only for the tests)."""
    from advisor.demo import seed_postgres
    db = PgScratch(pg_admin_url)
    try:
        seed_postgres(db.url)
        yield db
    finally:
        db.drop()


@pytest.fixture
def require_checks():
    """Fail unless these checks are registered (tests/support.py: a renamed check must not skip)."""
    from support import require_checks as _require
    return _require


def found(report: dict) -> set[tuple[str, str | None]]:
    return {(f["check"], f["object"]) for f in report["findings"]}


def load_json(text: str) -> dict:
    return json.loads(text)
