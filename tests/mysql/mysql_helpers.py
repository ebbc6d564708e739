"""MySQL / MariaDB test helpers: live runs, finding filters, a module-scoped scratch pair."""

from __future__ import annotations

import pytest

from support import MySqlScratch


def run_advisor(url: str, checks: list[str] | None = None, memory: int | None = None,
                thresholds: dict | None = None, options: dict | None = None):
    """One live run; returns the TargetResult."""
    from advisor.model import Host
    from advisor.runner import RunOptions, inspect_target
    from advisor.targets import parse_target

    opts = RunOptions(timeout=10, host=Host(memory_bytes=memory), include=checks or ["mysql.*"],
                      thresholds=thresholds or {},
                      engine_options={"mysql": {"statement_limit": 5000, **(options or {})}})
    return inspect_target(parse_target(url), opts)


def of(result, check_id: str, schema: str | None = None) -> list:
    """Findings of one check, optionally only those about objects of `schema`."""
    out = [f for f in result.findings if f.check == check_id]
    if schema is not None:
        out = [f for f in out if (f.object or "").startswith(schema + ".")
               or (f.object or "").startswith(schema + ":") or f.evidence.get("schema") == schema]
    return out


@pytest.fixture(scope="module")
def scratch_pair(mysql_admin_url):
    """(planted, healthy): two scratch schemas dropped at the end of the module."""
    planted, healthy = MySqlScratch(mysql_admin_url), MySqlScratch(mysql_admin_url)
    try:
        yield planted, healthy
    finally:
        planted.drop()
        healthy.drop()


def fill(db: MySqlScratch, table: str, n: int, columns: str, values: str) -> None:
    """INSERT n generated rows (MariaDB Sequence engine or a recursive CTE on MySQL 8)."""
    try:
        db.sql(f"INSERT INTO {table} ({columns}) SELECT {values} FROM seq_1_to_{n}")
    except Exception:
        db.sql(f"INSERT INTO {table} ({columns}) WITH RECURSIVE s(seq) AS (SELECT 1 UNION ALL "
               f"SELECT seq + 1 FROM s WHERE seq < {n}) SELECT {values} FROM s")
