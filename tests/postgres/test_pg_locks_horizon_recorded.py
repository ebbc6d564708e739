"""Locks and the xmin horizon judged on recorded facts: cases the live tests cannot plant here
(a standby's hot_standby_feedback, a prepared transaction as a lock root, hidden sessions, a
cycle not yet detected) and the SQL of versions that do not run here (pg_locks.waitstart, 14+)."""

from __future__ import annotations

from support import RecordingPgSession

from advisor.engines.postgres import facts_locks
from advisor.model import Severity
from checks.postgres.locks import roots_of

SETTINGS = {"autovacuum_freeze_max_age": {"value": 200_000_000}}


def _s(pid, blocked_by=None, **kw):
    row = {"pid": pid, "blocked_by": blocked_by, "wait_s": kw.pop("wait_s", None), "mode": None,
           "locktype": "relation", "relation": None, "state": None, "query": None}
    row.update(kw)
    return row


def test_roots_follow_chains_and_cycles():
    sessions = [_s(1), _s(2, [1]), _s(3, [2]), _s(4, [1, 3]), _s(7, [8]), _s(8, [7]), _s(9, [0])]
    roots = roots_of(sessions)
    assert roots[1] == {2, 3, 4} and roots[0] == {9}
    assert roots[7] == {7} and roots[8] == {8}  # a cycle the deadlock detector has not broken yet


def test_prepared_transaction_as_the_root_blocker(pg_judge):
    facts = {"pg.locks": {"sessions": [_s(0), _s(42, [0], wait_s=120, relation="public.t",
                                                  mode="AccessExclusiveLock", state="active",
                                                  query="ALTER TABLE t ADD x int")],
                          "waiting": 1, "limit": 1000}}
    f = pg_judge("pg.locks.blocking", facts).of("pg.locks.blocking")["pid 0"]
    assert "a prepared transaction" in f.summary and f.evidence["fix_kind"] == "manual"
    assert "pg_prepared_xacts" in f.fix and "{{gid}}" in f.fix


def test_hidden_root_and_active_root(pg_judge):
    facts = {"pg.locks": {"sessions": [
        _s(10, backend_start="2024-01-01T00:00:00+00:00"),  # no pg_read_all_stats: state hidden
        _s(11, [10], wait_s=400),
        _s(20, state="active", query="UPDATE big SET x = 1", xact_s=900.0,
           backend_start="2024-01-01T00:00:00+00:00"),
        _s(21, [20], wait_s=31), _s(22, [20], wait_s=5)], "waiting": 3, "limit": 1000}}
    out = pg_judge("pg.locks.blocking", facts).of("pg.locks.blocking")
    hidden, active = out["pid 10"], out["pid 20"]
    assert "hidden" in hidden.summary and hidden.severity == Severity.CRITICAL  # >= 300 s
    assert active.severity == Severity.WARNING and active.evidence["blocked_sessions"] == 2
    assert [w["pid"] for w in active.evidence["waiters"]] == [21]  # 22 waits under 30 s
    assert active.fix.splitlines()[1].startswith("SELECT pg_cancel_backend(20) FROM pg_stat_activity "
                                                 "WHERE pid = 20 AND backend_start = ")


def test_standby_feedback_holds_the_horizon(pg_judge):
    facts = {"pg.xmin_holders": {"sessions": [], "prepared": [],
                                 "standbys": [{"pid": 5, "name": "replica1", "client": "10.0.0.2",
                                               "state": "streaming", "xmin_age": 150_000_000}]},
             "pg.replication_slots": [{"name": "replica1", "active": True, "xmin_age": 150_000_000,
                                       "catalog_xmin_age": None}],
             "pg.settings": SETTINGS}
    out = pg_judge("pg.vacuum.xmin_horizon", facts).of("pg.vacuum.xmin_horizon")
    # the standby's feedback reaches the primary through its slot: both are named, the slot first
    slot, standby = out["slot replica1"], out["standby replica1"]
    assert slot.evidence["holds_the_horizon"] and standby.evidence["holds_the_horizon"]
    assert standby.severity == Severity.CRITICAL  # 75% of autovacuum_freeze_max_age
    assert standby.evidence["fix_kind"] == "manual" and "hot_standby_feedback" in standby.fix
    assert slot.evidence["fix_kind"] == "manual"  # an active slot is not dropped


def test_pre14_lock_waits_start_with_the_query():
    class Facts:
        options = {}

    pg13, pg17 = RecordingPgSession(130000), RecordingPgSession(170000)
    facts_locks.locks(pg13, Facts())
    facts_locks.locks(pg17, Facts())
    assert "waitstart" not in pg13.sent[0] and "coalesce(l.waitstart, a.query_start)" in pg17.sent[0]
