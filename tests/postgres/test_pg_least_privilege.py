"""`advisor run` as a plain LOGIN role, with and without pg_monitor: no crash, no error, and
every check that cannot see enough is skipped with the GRANT that fixes it."""

from __future__ import annotations

import pytest

NEEDS_MONITOR = ("pg.connections.idle_in_transaction", "pg.connections.long_running")


@pytest.fixture
def login_role(pg_login_role):
    """login_role(pg_monitor: bool) -> URL of the scratch database as a new role; dropped after."""
    return lambda monitor: pg_login_role(*(["GRANT pg_monitor TO {role}"] if monitor else []))


def _run(run_cli_json, url):
    code, doc, err = run_cli_json("run", url, "--memory", "8GiB", "--fail-on", "never")
    assert code == 0, err
    assert "Traceback" not in err
    assert doc["errors"] == [], doc["errors"]
    return doc, {s["check"]: s["reason"] for s in doc["skipped"]}


def test_without_pg_monitor_hidden_sessions_are_skipped_with_the_grant(pg_db, login_role, run_cli_json):
    # the fixture's admin session (another role) is open: its state is hidden from a plain role
    pg_db.sql("CREATE TABLE t (id int PRIMARY KEY)")
    doc, skipped = _run(run_cli_json, login_role(monitor=False))
    for check_id in NEEDS_MONITOR:
        assert check_id in skipped, skipped
        assert "hidden from this user" in skipped[check_id]
        assert "GRANT pg_monitor TO" in skipped[check_id]
    assert doc["targets"][0]["server_version"]
    # the rest of the PostgreSQL checks ran: settings, tables and catalogs need no grant
    ran = {f["check"] for f in doc["findings"]} | {"pg.maintenance.bloat"}
    assert "pg.config.slow_query_log" in ran or pg_db.sql("SHOW log_min_duration_statement")[0][0] != "-1"
    assert not any(c.startswith(("pg.maintenance.", "pg.memory.", "pg.config.")) for c in skipped)


def test_with_pg_monitor_nothing_is_hidden(pg_db, login_role, run_cli_json):
    _, skipped = _run(run_cli_json, login_role(monitor=True))
    for check_id in NEEDS_MONITOR:
        assert check_id not in skipped, skipped[check_id]
    # what is still skipped has a reason that says how to enable it
    for check_id, reason in skipped.items():
        assert ";" in reason or "pass --" in reason, (check_id, reason)
