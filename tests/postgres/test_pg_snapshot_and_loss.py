"""Snapshot/analyze round trip on PostgreSQL, and a backend killed in the middle of a run."""

from __future__ import annotations

import json
from urllib.parse import urlsplit, urlunsplit

import psycopg

from advisor import registry
from advisor.facts import providers

# Facts that describe the whole server's moving state (sessions, other databases' statements,
# slots other tests create): two reads a second apart may differ, so their checks are compared
# only on the database-local facts.
VOLATILE_FACTS = {"pg.activity", "pg.statements", "pg.stat_statements_status", "pg.replication",
                  "pg.replication_slots", "pg.checkpoints", "pg.databases"}


def _with_password(url: str, password: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, f"{p.username or 'postgres'}:{password}@{p.hostname}:{p.port or 5432}",
                       p.path, "", ""))


def _plant(db) -> None:
    db.sql("CREATE TABLE churn (id int PRIMARY KEY, pad text)")
    db.sql("INSERT INTO churn SELECT g, 'x' FROM generate_series(1, 20000) g")
    db.sql("DELETE FROM churn WHERE id <= 15000")
    db.sql("CREATE TABLE nopk (a int)")
    db.sql("ALTER TABLE nopk SET (autovacuum_enabled = false)")
    db.sql(f'ALTER DATABASE "{db.name}" SET random_page_cost = 4')


def _key(f: dict) -> tuple:
    return (f["check"], f["object"], f["severity"], json.dumps(f["evidence"], sort_keys=True),
            f["fix"])


def test_snapshot_then_analyze_gives_the_run_findings(pg_db, pg_flush, run_cli, run_cli_json, tmp_path):
    _plant(pg_db)
    pg_flush(pg_db)
    url = _with_password(pg_db.url, "s3cret-pw")  # trust auth ignores it; it must never be written
    stable = [c.id for c in registry.select("postgres") if not VOLATILE_FACTS & set(c.facts)]
    sel = [a for c in stable for a in ("--checks", c)]
    snap = tmp_path / "snap.json"

    code, _, err = run_cli("snapshot", url, "-o", snap, "--memory", "16GiB", *sel)
    assert code == 0, err
    text = snap.read_text()
    assert "s3cret-pw" not in text
    _, analyzed, _ = run_cli_json("analyze", snap, "--fail-on", "never", *sel)
    _, live, _ = run_cli_json("run", url, "--memory", "16GiB", "--fail-on", "never", *sel)

    assert "s3cret-pw" not in json.dumps(live) + json.dumps(analyzed)
    assert {f["check"] for f in live["findings"]} >= {"pg.maintenance.bloat",
                                                        "pg.maintenance.autovacuum_disabled_table",
                                                        "pg.memory.shared_buffers"}
    assert sorted(map(_key, analyzed["findings"])) == sorted(map(_key, live["findings"]))
    assert analyzed["skipped"] == live["skipped"]
    assert analyzed["errors"] == live["errors"] == []
    for doc in (live, analyzed):
        t = doc["targets"][0]
        assert t["server_version"] and "s3cret-pw" not in t["url"]
    assert analyzed["targets"][0]["score"] == live["targets"][0]["score"]


def test_backend_killed_mid_run_gives_partial_report(pg_db, run_cli_json, monkeypatch):
    """The test kills the advisor's own backend (application_name 'db-advisor') right before
    the advisor reads pg.tables: the report keeps what was judged, lists an error, no traceback."""
    pg_db.sql("CREATE TABLE t (id int)")
    pg_db.sql(f'ALTER DATABASE "{pg_db.name}" SET random_page_cost = 4')
    table_provider = providers("postgres")["pg.tables"]
    killed = []

    def kill_then_read(session, facts):
        with psycopg.connect(pg_db.admin_url, autocommit=True) as admin:
            killed.extend(r[0] for r in admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'db-advisor' AND datname = %s", (pg_db.name,)))
        return table_provider(session, facts)

    monkeypatch.setitem(providers("postgres"), "pg.tables", kill_then_read)
    # checks run in id order: random_page_cost is judged, then the first maintenance check
    # asks for pg.tables and the connection dies under it
    code, doc, err = run_cli_json("run", pg_db.url, "--fail-on", "never",
                                  "--checks", "pg.config.random_page_cost", "--checks", "pg.maintenance.*")
    assert killed == [True]
    assert code == 3 and "Traceback" not in err  # a partial report is not a clean bill of health
    assert doc["targets"][0]["complete"] is False
    assert len(doc["errors"]) == 1
    msg = doc["errors"][0]["message"]
    assert msg.startswith("connection lost during pg.maintenance.autovacuum_disabled_table: ")
    assert "terminating connection" in msg and msg.endswith("report is partial")
    assert len([ln for ln in err.splitlines() if ln.strip()]) == 1 and "connection lost" in err
    assert [f["check"] for f in doc["findings"]] == ["pg.config.random_page_cost"]
    not_run = {s["check"] for s in doc["skipped"] if "connection to the target was lost" in s["reason"]}
    maintenance = [c.id for c in registry.select("postgres", ["pg.maintenance.*"])]
    assert maintenance[0] == "pg.maintenance.autovacuum_disabled_table"
    assert not_run == set(maintenance[1:])
    assert doc["targets"][0]["server_version"]
