"""Against the real PostgreSQL: plant slow statements in a scratch database, assert the
suggestion (HypoPG-validated and unvalidated), and its absence on a healthy twin."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.postgres

SCHEMA = """
CREATE EXTENSION pg_stat_statements;
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, is_gift boolean NOT NULL,
                     created_at timestamptz NOT NULL, note text);
INSERT INTO orders SELECT g, 1 + (g * 7919) % 5000, g % 2 = 0, now() - (g || ' s')::interval, 'n' || g
FROM generate_series(1, 30000) g;
CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL);
INSERT INTO customers SELECT g, 'u' || g || '@x' FROM generate_series(1, 5000) g;
ANALYZE;
"""
WORKLOAD = [
    ("SELECT * FROM orders WHERE customer_id = %s AND created_at > now() - %s::interval", (42, "30 days")),
    ("SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.email = %s", ("u7@x",)),
    ("SELECT count(*) FROM orders WHERE is_gift = %s", (True,)),
    ("SELECT id FROM orders WHERE lower(note) = %s", ("n5",)),
]


def plant(db, calls=15):
    db.sql(SCHEMA)
    for sql, params in WORKLOAD:
        for _ in range(calls):
            db.sql(sql, params)


def findings(run_cli_json, url, check):
    code, report, err = run_cli_json("run", url, "--checks", check)
    assert not report["errors"], report["errors"]
    return report["findings"], report["skipped"]


def index_set(found):
    return {(f["evidence"]["table"], tuple(f["evidence"]["columns"])) for f in found}


def test_hypopg_validated_suggestions_and_healthy_twin(pg_db, run_cli_json):
    plant(pg_db)
    pg_db.sql("CREATE EXTENSION hypopg")
    found, skipped = findings(run_cli_json, pg_db.url, "pg.index.suggested")
    assert not skipped
    assert index_set(found) == {("public.orders", ("customer_id", "created_at")), ("public.customers", ("email",))}
    for f in found:
        assert f["severity"] == "warning" and f["evidence"]["validated"] is True
        assert f["fix"].startswith("CREATE INDEX CONCURRENTLY")
        st = f["evidence"]["statements"][0]
        assert st["cost_after"] < st["cost_before"] / 2 and f["evidence"]["estimated_saved_ms"] > 0
    # nothing real was created, and the session left no hypothetical index behind
    assert pg_db.sql("SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'idx_%'")[0][0] == 0

    # healthy twin: the suggested indexes exist -> no suggestion
    for f in found:
        pg_db.sql(f["fix"])
    found, _ = findings(run_cli_json, pg_db.url, "pg.index.suggested")
    assert found == []


def test_without_hypopg_suggestions_are_unvalidated(pg_db, run_cli_json):
    plant(pg_db, calls=5)
    found, _ = findings(run_cli_json, pg_db.url, "pg.index.suggested")
    assert ("public.orders", ("customer_id", "created_at")) in index_set(found)
    assert ("public.orders", ("is_gift",)) not in index_set(found)   # low-selectivity trap
    for f in found:
        assert f["severity"] == "info" and f["evidence"]["validated"] is False
        assert "CREATE EXTENSION hypopg" in f["recommendation"]


def test_function_on_column_reported_with_expression_index(pg_db, run_cli_json):
    plant(pg_db, calls=5)
    found, _ = findings(run_cli_json, pg_db.url, "pg.query.unindexable")
    kinds = {(f["evidence"]["kind"], f["evidence"]["table"]) for f in found}
    assert kinds == {("function_on_column", "public.orders")}
    assert "((LOWER(note)))" in found[0]["fix"] and found[0]["severity"] == "info"
    # with HypoPG the expression index is validated: the planner uses it, the cost collapses
    pg_db.sql("CREATE EXTENSION hypopg")
    (f,) = findings(run_cli_json, pg_db.url, "pg.query.unindexable")[0]
    v = f["evidence"]["expression_index_validation"]
    assert f["severity"] == "warning" and v["used"] and v["cost_after"] < v["cost_before"] / 2


def test_healthy_database_has_no_unindexable_finding(pg_db, run_cli_json):
    pg_db.sql(SCHEMA)
    for _ in range(5):
        pg_db.sql("SELECT * FROM orders WHERE id = %s", (7,))
    found, _ = findings(run_cli_json, pg_db.url, "pg.query.unindexable")
    assert found == []
    found, _ = findings(run_cli_json, pg_db.url, "pg.index.suggested")
    assert found == []


def test_statements_of_other_databases_are_ignored(pg_db, pg_admin_url, run_cli_json):
    import psycopg
    plant(pg_db, calls=3)
    with psycopg.connect(pg_db.admin_url, autocommit=True) as c:
        other = pg_db.name + "_twin"
        c.execute(f'CREATE DATABASE "{other}"')
    try:
        twin_url = pg_db.url.rsplit("/", 1)[0] + "/" + other
        with psycopg.connect(twin_url, autocommit=True) as t:
            t.execute("CREATE EXTENSION pg_stat_statements")
            t.execute("CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, is_gift boolean, "
                      "created_at timestamptz, note text)")
            t.execute("INSERT INTO orders SELECT g, g, true, now(), '' FROM generate_series(1, 1000) g")
        found, _ = findings(run_cli_json, twin_url, "pg.index.suggested")
        assert found == []
    finally:
        with psycopg.connect(pg_db.admin_url, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{other}" WITH (FORCE)')


def test_snapshot_then_analyze_gives_the_same_suggestions(pg_db, run_cli, run_cli_json, tmp_path):
    plant(pg_db, calls=5)
    pg_db.sql("CREATE EXTENSION hypopg")
    snap = tmp_path / "snap.json"
    code, out, err = run_cli("snapshot", pg_db.url, "--checks", "pg.index.suggested", "-o", snap)
    assert snap.exists(), err
    live, _ = findings(run_cli_json, pg_db.url, "pg.index.suggested")
    code, offline, err = run_cli_json("analyze", snap, "--checks", "pg.index.suggested")
    assert index_set(offline["findings"]) == index_set(live) != set()
    assert [f["evidence"]["validated"] for f in offline["findings"]] == [True] * len(live)


def test_least_privileged_user_gets_unvalidated_suggestions_not_errors(pg_db, run_cli_json):
    """pg_read_all_stats only: query texts are visible, the tables are not: HypoPG cannot
    EXPLAIN them, so suggestions fall back to unvalidated with the reason."""
    plant(pg_db, calls=5)
    pg_db.sql("CREATE EXTENSION hypopg")
    role = pg_db.name + "_ro"
    pg_db.sql(f'CREATE ROLE "{role}" LOGIN; GRANT pg_read_all_stats TO "{role}"')
    try:
        url = pg_db.url.replace("postgres@", f"{role}@", 1)
        found, skipped = findings(run_cli_json, url, "pg.index.suggested")
        assert not skipped
        assert ("public.orders", ("customer_id", "created_at")) in index_set(found)
        for f in found:
            assert f["evidence"]["validated"] is False and "permission denied" in f["recommendation"]
    finally:
        pg_db.sql(f'DROP OWNED BY "{role}"; DROP ROLE "{role}"')
