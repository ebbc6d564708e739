"""Connections: sessions planted in scratch databases (the server is shared, so live tests look
for *their* sessions), thresholds judged on recorded facts."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from advisor.model import Severity


def activity(**kw):
    a = {"max_connections": 100, "superuser_reserved": 3, "reserved": 0, "client_backends": 1,
         "sessions": 1, "truncated": False, "by_state": {}, "by_database": {}, "by_user": {},
         "hidden": 0, "idle_in_transaction": [], "idle_in_transaction_count": 0, "longest_active": []}
    a.update(kw)
    return a


def session(pid, age, state="idle in transaction"):
    return {"pid": pid, "database": "app", "user": "web", "application": "api", "client": "10.0.0.5",
            "state": state, "wait_event_type": None, "wait_event": None, "xact_s": age,
            "query_s": age, "state_s": age, "query": "SELECT 1"}


@pytest.fixture
def sessions(pg_db):
    """Open extra sessions to the scratch database; all closed afterwards."""
    conns = []

    def _open(n=1, **kw):
        new = [psycopg.connect(pg_db.url, **kw) for _ in range(n)]
        conns.extend(new)
        return new
    yield _open
    for c in conns:
        c.close()


def pids(finding, key):
    return {s["pid"] for s in finding.evidence[key]} if finding else set()


def the(outcome, check_id):
    found = list(outcome.of(check_id).values())
    assert len(found) <= 1
    return found[0] if found else None


def test_idle_in_transaction_found_with_its_pid_and_fix(pg_db, pg_advise, sessions):
    stuck, = sessions(1)  # psycopg opens a transaction on the first statement
    stuck.execute("SELECT 1")
    done, = sessions(1, autocommit=True)
    done.execute("SELECT 1")
    time.sleep(1.2)
    out = pg_advise(pg_db.url, ["pg.connections.idle_in_transaction"],
                    thresholds={"pg.connections.idle_in_transaction": {"min_age_s": 1}})
    f = the(out, "pg.connections.idle_in_transaction")
    assert stuck.info.backend_pid in pids(f, "sessions")
    assert done.info.backend_pid not in pids(f, "sessions")
    assert f"SELECT pg_terminate_backend({stuck.info.backend_pid});" in f.fix
    assert "idle_in_transaction_session_timeout" in f.fix  # unset on this server
    stuck.rollback()
    time.sleep(0.1)
    out = pg_advise(pg_db.url, ["pg.connections.idle_in_transaction"],
                    thresholds={"pg.connections.idle_in_transaction": {"min_age_s": 1}})
    assert stuck.info.backend_pid not in pids(the(out, "pg.connections.idle_in_transaction"), "sessions")


def test_long_running_query_found_while_it_runs(pg_db, pg_advise, sessions):
    runner, idle = sessions(2, autocommit=True)
    def sleep():
        with pytest.raises(psycopg.errors.QueryCanceled):
            runner.execute("SELECT pg_sleep(30)")
    t = threading.Thread(target=sleep)
    t.start()
    try:
        time.sleep(1.5)
        out = pg_advise(pg_db.url, ["pg.connections.long_running"],
                        thresholds={"pg.connections.long_running": {"min_s": 1}})
        f = the(out, "pg.connections.long_running")
        assert runner.info.backend_pid in pids(f, "running")
        assert idle.info.backend_pid not in pids(f, "running")
        assert f"SELECT pg_cancel_backend({runner.info.backend_pid});" in f.fix
        mine = next(s for s in f.evidence["running"] if s["pid"] == runner.info.backend_pid)
        assert "pg_sleep" in mine["query"] and mine["waiting_on"] == "Timeout:PgSleep"
    finally:
        idle.execute("SELECT pg_cancel_backend(%s)", (runner.info.backend_pid,))
        t.join()


def test_activity_counts_planted_sessions_and_usage_finding(pg_db, pg_advise, sessions):
    sessions(3, autocommit=True)
    out = pg_advise(pg_db.url, ["pg.connections.usage", "pg.connections.pooling"],
                    thresholds={"pg.connections.usage": {"info_pct": 0},
                                "pg.connections.pooling": {"min_idle": 3, "idle_pct": 0}})
    usage = the(out, "pg.connections.usage")
    # the fixture's own session + 3 planted ones (the advisor does not count itself)
    assert usage.evidence["top_databases"].get(pg_db.name) == 4
    slots = pg_db.sql("SELECT current_setting('max_connections')::int "
                      "- current_setting('superuser_reserved_connections')::int")[0][0]
    assert usage.evidence["usable"] == slots and usage.severity == Severity.INFO
    pool = the(out, "pg.connections.pooling")
    assert pool.evidence["idle"] >= 4 and "pool_mode = transaction" in pool.fix


@pytest.mark.parametrize("used, reserved, expected", [
    (50, 0, None), (70, 0, Severity.INFO), (88, 0, Severity.WARNING), (93, 0, Severity.CRITICAL),
    (88, 5, Severity.CRITICAL),  # PostgreSQL 16 reserved_connections shrink the usable slots
])
def test_usage_levels(pg_judge, used, reserved, expected):
    out = pg_judge("pg.connections.usage", {"pg.activity": activity(client_backends=used, reserved=reserved)})
    f = the(out, "pg.connections.usage")
    assert (f.severity if f else None) == expected


def test_idle_in_transaction_levels_and_timeout(pg_judge):
    settings = {"idle_in_transaction_session_timeout": 600000}
    out = pg_judge("pg.connections.idle_in_transaction", {
        "pg.activity": activity(idle_in_transaction=[session(7, 7200), session(8, 30)],
                                idle_in_transaction_count=2), "pg.session_defaults": settings})
    f = the(out, "pg.connections.idle_in_transaction")
    assert f.severity == Severity.CRITICAL and pids(f, "sessions") == {7}
    assert "ALTER SYSTEM" not in f.fix  # the timeout is set already
    young = pg_judge("pg.connections.idle_in_transaction", {
        "pg.activity": activity(idle_in_transaction=[session(8, 30)], idle_in_transaction_count=1),
        "pg.session_defaults": settings})
    assert the(young, "pg.connections.idle_in_transaction") is None


def test_hidden_sessions_skip_with_the_grant(pg_judge):
    for check_id in ("pg.connections.idle_in_transaction", "pg.connections.long_running"):
        out = pg_judge(check_id, {"pg.activity": activity(hidden=2), "pg.session_defaults": {}})
        assert out.findings == []
        assert "GRANT pg_monitor" in out.skip_reason(check_id)


def test_pooling_levels(pg_judge):
    many = pg_judge("pg.connections.pooling", {"pg.activity": activity(
        client_backends=600, by_state={"idle": 100, "active": 500})})
    assert the(many, "pg.connections.pooling").severity == Severity.WARNING
    idle = pg_judge("pg.connections.pooling", {"pg.activity": activity(
        client_backends=80, by_state={"idle": 70, "active": 10})})
    assert the(idle, "pg.connections.pooling").severity == Severity.INFO
    busy = pg_judge("pg.connections.pooling", {"pg.activity": activity(
        client_backends=80, by_state={"idle": 20, "active": 60})})
    assert the(busy, "pg.connections.pooling") is None


def test_password_literals_never_leave_the_server(pg_db, pg_advise, sessions):
    """A session stuck inside ALTER ROLE ... PASSWORD: its query text is reported without it."""
    from advisor.engines.postgres.facts_activity import redact
    assert redact("ALTER ROLE bob PASSWORD 'hunter2' VALID UNTIL 'infinity'") == \
        "ALTER ROLE bob PASSWORD '***' VALID UNTIL 'infinity'"
    assert redact("create user a with password 'it''s'") == "create user a with password '***'"
    stuck, = sessions(1)
    stuck.execute("CREATE TEMP TABLE pw_probe AS SELECT 'PASSWORD ''hunter2''' AS q")  # literal in the text
    time.sleep(1.1)
    out = pg_advise(pg_db.url, ["pg.connections.idle_in_transaction"],
                    thresholds={"pg.connections.idle_in_transaction": {"min_age_s": 1}})
    f = the(out, "pg.connections.idle_in_transaction")
    mine = [s for s in f.evidence["sessions"] if s["pid"] == stuck.info.backend_pid]
    assert mine and "pw_probe" in mine[0]["query"] and "hunter2" not in mine[0]["query"]
    stuck.rollback()
