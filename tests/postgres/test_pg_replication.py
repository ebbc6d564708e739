"""Replication: a real inactive slot planted on the local server; lag judged on recorded facts
(this server has no replica)."""

from __future__ import annotations

import uuid

import pytest

from advisor.model import Severity

GiB = 1024**3


@pytest.fixture
def physical_slot(pg_db):
    """An inactive physical slot that reserves WAL at once (needs superuser); dropped after."""
    name = "advisor_t_" + uuid.uuid4().hex[:8]
    pg_db.sql("SELECT pg_create_physical_replication_slot(%s, true)", (name,))
    try:
        yield name
    finally:
        pg_db.sql("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                  "WHERE slot_name = %s", (name,))


def test_inactive_slot_found_and_gone_after_drop(pg_db, pg_advise, physical_slot):
    pg_db.sql("CREATE TABLE wal_maker AS SELECT g FROM generate_series(1, 20000) g")  # some WAL
    out = pg_advise(pg_db.url, ["pg.replication.inactive_slots"]).of("pg.replication.inactive_slots")
    f = out[f"slot {physical_slot}"]
    assert f.severity == Severity.WARNING
    assert f.evidence["type"] == "physical" and f.evidence["active"] is False
    assert f.evidence["wal_status"] == "reserved" and f.evidence["retained_bytes"] > 0
    assert f.fix.startswith(f"SELECT pg_drop_replication_slot('{physical_slot}');  -- irreversible")
    pg_db.sql("SELECT pg_drop_replication_slot(%s)", (physical_slot,))
    after = pg_advise(pg_db.url, ["pg.replication.inactive_slots"]).of("pg.replication.inactive_slots")
    assert f"slot {physical_slot}" not in after


def test_primary_without_standbys_reports_no_lag(pg_db, pg_advise):
    out = pg_advise(pg_db.url, ["pg.replication.lag"])
    assert out.findings == [] and out.skipped == []


def slot(name, **kw):
    s = {"name": name, "type": "logical", "plugin": "pgoutput", "database": "app", "active": False,
         "temporary": False, "wal_status": "extended", "safe_wal_size": None, "retained_bytes": 0,
         "xmin_age": None, "catalog_xmin_age": 1000}
    s.update(kw)
    return s


def test_slot_levels(pg_judge):
    out = pg_judge("pg.replication.inactive_slots", {"pg.replication_slots": [
        slot("busy", active=True, retained_bytes=50 * GiB),
        slot("temp", temporary=True),
        slot("big", retained_bytes=20 * GiB),
        slot("lost", wal_status="lost", retained_bytes=None),
        slot("small", retained_bytes=16 * 1024**2)]}).of("pg.replication.inactive_slots")
    assert {k: f.severity for k, f in out.items()} == {
        "slot big": Severity.CRITICAL, "slot lost": Severity.CRITICAL, "slot small": Severity.WARNING}


def test_replica_lag_levels(pg_judge):
    def judge(lag_s, lag_bytes=0):
        facts = {"pg.replication": {"role": "replica", "replay_lag_s": lag_s, "replay_lag_bytes": lag_bytes,
                                    "last_replay_at": "2026-11-26T12:00:00+00:00", "standbys": []}}
        found = list(pg_judge("pg.replication.lag", facts).of("pg.replication.lag").values())
        return found[0].severity if found else None
    assert judge(0) is None
    assert judge(45) == Severity.WARNING
    assert judge(900) == Severity.CRITICAL
    assert judge(1, 2 * GiB) == Severity.WARNING


def test_replica_not_streaming_is_its_own_finding_not_lag(pg_judge):
    """Recorded from a PostgreSQL 15 standby fed by log shipping, 1 h after the primary's last
    transaction (facts of a collector before the fix: replay_lag_s = time since last replay)."""
    facts = {"pg.replication": {"role": "replica", "no_stream": True, "replay_lag_s": 3600.0,
                                "replay_lag_bytes": None, "last_replay_age_s": 3600.0,
                                "last_replay_at": "2026-11-26T11:00:00+00:00", "standbys": []}}
    out = pg_judge("pg.replication.lag", facts).of("pg.replication.lag")
    assert list(out) == ["wal receiver"]
    f = out["wal receiver"]
    assert f.severity == Severity.WARNING and "lag cannot be measured" in f.summary
    assert "behind" not in f.summary and f.evidence["last_replay_age_s_not_lag"] == 3600.0


def test_primary_standby_lag_and_hidden_columns(pg_judge):
    standby = {"name": "replica-1", "client": "10.0.0.7", "state": "streaming", "sync_state": "async",
               "write_lag_s": 0.1, "flush_lag_s": 0.2, "replay_lag_s": 25.0, "replay_lag_bytes": 10**6}
    out = pg_judge("pg.replication.lag", {"pg.replication": {"role": "primary", "standbys": [standby],
                                                             "hidden": 0}})
    f = out.of("pg.replication.lag")["standby replica-1"]
    assert f.severity == Severity.WARNING and f.evidence["replay_lag_s"] == 25.0
    hidden = pg_judge("pg.replication.lag", {"pg.replication": {
        "role": "primary", "standbys": [dict(standby, state=None, replay_lag_s=None)], "hidden": 1}})
    assert hidden.findings == [] and "GRANT pg_monitor" in hidden.skip_reason("pg.replication.lag")
