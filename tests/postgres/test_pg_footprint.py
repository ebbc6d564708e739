"""A full run leaves the table counters of user tables alone (issue 14, footprint): the catalog
and statistics reads, pg_stats for the index advisor and EXPLAIN / HypoPG scan no user table."""

from __future__ import annotations

import time

import psycopg
import pytest

pytestmark = pytest.mark.postgres

SCHEMA = """
CREATE EXTENSION pg_stat_statements;
CREATE EXTENSION hypopg;
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, created_at timestamptz NOT NULL,
                     note text);
INSERT INTO orders SELECT g, 1 + (g * 7919) % 5000, now() - (g || ' s')::interval, 'n' || g
FROM generate_series(1, 30000) g;
CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL);
INSERT INTO customers SELECT g, 'u' || g || '@x' FROM generate_series(1, 5000) g;
CREATE TABLE canary (id int);
INSERT INTO canary VALUES (1);
ANALYZE;
"""
WORKLOAD = [  # slow statements the index advisor explains with hypothetical indexes
    ("SELECT * FROM orders WHERE customer_id = %s AND created_at > now() - %s::interval", (42, "30 days")),
    ("SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.email = %s", ("u7@x",)),
]
COUNTERS = """
SELECT t.relname, t.seq_scan, t.seq_tup_read, coalesce(t.idx_scan, 0), coalesce(t.idx_tup_fetch, 0),
       t.n_tup_ins, t.n_tup_upd, t.n_tup_del, s.heap_blks_read, s.heap_blks_hit,
       coalesce(s.idx_blks_read, 0), coalesce(s.idx_blks_hit, 0), coalesce(s.toast_blks_hit, 0)
FROM pg_stat_user_tables t JOIN pg_statio_user_tables s USING (relid) ORDER BY 1
"""


def counters(url: str) -> dict[str, tuple]:
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("SELECT pg_stat_clear_snapshot()")
        return {r[0]: r[1:] for r in c.execute(COUNTERS).fetchall()}


def flushed_session(url: str, statements) -> None:
    """Run statements in a session of their own; its counters are flushed when it ends (PG15
    also flushes on pg_stat_force_next_flush)."""
    with psycopg.connect(url, autocommit=True) as c:
        for sql, params in statements:
            c.execute(sql, params)
        c.execute("SELECT pg_stat_force_next_flush()")
        c.execute("SELECT 1")


def settled_counters(url: str, before: dict) -> dict:
    """The counters once every session that ended before this call has flushed its own: a
    canary seq scan in a session that ends after them must be visible first."""
    flushed_session(url, [("SELECT count(*) FROM canary", None)])
    deadline = time.monotonic() + 15
    while (after := counters(url))["canary"][0] == before["canary"][0]:
        assert time.monotonic() < deadline, "the canary's seq scan never became visible"
        time.sleep(0.2)
    return after


@pytest.fixture
def advisor_role(pg_login_role):
    """advisor_role(grant_track_counts) -> URL of pg_db as a pg_monitor role that may read the
    tables (EXPLAIN needs it), optionally with SET on track_counts (PG15+)."""
    return lambda grant: pg_login_role("GRANT pg_monitor TO {role}",
                                       "GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}",
                                       *(["GRANT SET ON PARAMETER track_counts TO {role}"] if grant else []))


@pytest.mark.parametrize("who", ["superuser", "granted"])
def test_full_run_leaves_user_table_counters_unchanged(pg_db, run_cli, advisor_role, who):
    pg_db.sql(SCHEMA)
    flushed_session(pg_db.url, WORKLOAD * 15)
    url = pg_db.url if who == "superuser" else advisor_role(True)
    before = counters(pg_db.url)
    code, _, err = run_cli("run", url, "--memory", "8GiB", "--fail-on", "never")
    assert code == 0, err
    after = settled_counters(pg_db.url, before)
    del before["canary"], after["canary"]
    assert after == before, [(k, before[k], after[k]) for k in before if before[k] != after[k]]


def test_without_track_counts_the_planner_probes_show(pg_db, run_cli, advisor_role):
    """The residual footprint of a role that may not turn track_counts off: planning a merge
    join reads the ends of the join column's index (get_actual_variable_range), which counts as
    index scans; no sequential scan, no tuple read from a table."""
    pg_db.sql(SCHEMA)
    flushed_session(pg_db.url, WORKLOAD * 15)
    url = advisor_role(False)
    before = counters(pg_db.url)
    code, _, err = run_cli("run", url, "--memory", "8GiB", "--fail-on", "never")
    assert code == 0, err
    after = settled_counters(pg_db.url, before)
    assert after["customers"][2] > before["customers"][2]  # idx_scan
    for table in ("customers", "orders"):
        assert after[table][:2] == before[table][:2]  # seq_scan, seq_tup_read
