"""Scenarios the shared server cannot show (it runs autovacuum = off, has no replica, and must not
be reconfigured): a private primary + streaming replica started from this machine's PostgreSQL
binaries for this module, in a temp directory, on free ports; stopped and removed afterwards."""

from __future__ import annotations

import time

import psycopg
import pytest

from servers import private_cluster

from advisor.model import Severity


@pytest.fixture(scope="module")
def cluster():
    with private_cluster() as c:
        c.initdb("primary")
        # autovacuum on, but its launcher never gets round to our tables during the test
        c.primary = c.start("primary", "autovacuum=on", "autovacuum_naptime=2147483",
                            "checkpoint_completion_target=0.5", "wal_level=replica", "max_wal_senders=4",
                            "max_connections=12",  # 9 usable: a full server is cheap to plant
                            "shared_preload_libraries=''")
        c.basebackup("primary", "replica")
        c.replica = c.start("replica", "shared_preload_libraries=''")
        yield c


def sql(url: str, *statements: str):
    with psycopg.connect(url, autocommit=True) as conn:
        for s in statements:
            rows = conn.execute(s).fetchall() if s.lstrip().upper().startswith("SELECT") else conn.execute(s)
        return rows


def test_autovacuum_lagging_on_a_server_with_autovacuum_on(cluster, pg_advise):
    sql(cluster.primary,
        "CREATE TABLE lag_me (id int)", "INSERT INTO lag_me SELECT generate_series(1, 10000)",
        "ANALYZE lag_me", "DELETE FROM lag_me WHERE id <= 5000",
        "CREATE TABLE keeps_up (id int)", "INSERT INTO keeps_up SELECT generate_series(1, 10000)",
        "ANALYZE keeps_up", "DELETE FROM keeps_up WHERE id <= 100")  # under 50 + 0.2 x 10000
    time.sleep(1.1)  # the deleting sessions have ended: their counters are flushed
    th = {"pg.maintenance.autovacuum_lagging": {"warning_age_s": 0}}  # seconds of uptime stand in for a day
    out = pg_advise(cluster.primary, ["pg.maintenance.autovacuum_lagging"], thresholds=th).of(
        "pg.maintenance.autovacuum_lagging")
    assert set(out) == {"public.lag_me"}
    f = out["public.lag_me"]
    assert f.evidence["n_dead_tup"] == 5000 and f.evidence["autovacuum_trigger"] == 2050
    assert "never vacuumed" in f.summary and f.severity == Severity.WARNING
    sql(cluster.primary, "VACUUM lag_me")
    time.sleep(0.1)
    assert pg_advise(cluster.primary, ["pg.maintenance.autovacuum_lagging"], thresholds=th).findings == []


def test_checkpoint_settings_and_requested_checkpoints(cluster, pg_advise, pg_db):
    sql(cluster.primary, *["CHECKPOINT"] * 10)  # manual checkpoints count as requested
    out = pg_advise(cluster.primary, ["pg.config.checkpoints"]).of("pg.config.checkpoints")
    assert out["checkpoint_completion_target"].evidence["checkpoint_completion_target"] == 0.5
    assert out["max_wal_size"].evidence["requested"] >= 10
    assert out["max_wal_size"].evidence["view"] == "pg_stat_bgwriter"
    # the shared server (0.9, few checkpoints) is the healthy twin for the setting
    shared = pg_advise(pg_db.url, ["pg.config.checkpoints"]).of("pg.config.checkpoints")
    assert "checkpoint_completion_target" not in shared


def test_replica_and_standby_lag(cluster, pg_advise):
    sql(cluster.primary, "CREATE TABLE ticks (t timestamptz)", "INSERT INTO ticks VALUES (now())")
    deadline = time.monotonic() + 10
    while sql(cluster.replica, "SELECT pg_last_xact_replay_timestamp()")[0][0] is None:
        assert time.monotonic() < deadline, "the replica never replayed"
        time.sleep(0.1)
    healthy = pg_advise(cluster.replica, ["pg.replication.*"])
    assert healthy.findings == [] and healthy.skipped == []

    cluster.reload("replica", "recovery_min_apply_delay = '1h'")  # received, not replayed
    time.sleep(0.3)
    sql(cluster.primary, "INSERT INTO ticks VALUES (now())")
    time.sleep(1.5)
    th = {"pg.replication.lag": {"warning_s": 1, "warning_bytes": 1}}
    replica = pg_advise(cluster.replica, ["pg.replication.lag"], thresholds=th).of("pg.replication.lag")
    f = replica["replica"]
    assert f.evidence["replay_lag_s"] >= 1 and f.evidence["replay_lag_bytes"] > 0
    primary = pg_advise(cluster.primary, ["pg.replication.lag"], thresholds=th).of("pg.replication.lag")
    standby = primary["standby walreceiver"]
    assert standby.evidence["state"] == "streaming" and standby.evidence["replay_lag_bytes"] > 0


def test_connection_usage_near_max_connections(cluster, pg_advise):
    """12 max_connections - 3 superuser_reserved = 9 usable slots."""
    conns = [psycopg.connect(cluster.primary, autocommit=True) for _ in range(7)]
    try:
        # 7 + the advisor's own session = 8 of 9 (89%): check_postgres would not warn yet
        f = pg_advise(cluster.primary, ["pg.connections.usage"]).of("pg.connections.usage")[None]
        assert f.severity == Severity.INFO and f.evidence["client_backends"] == 8
        assert f.evidence["usable"] == 9
        conns.append(psycopg.connect(cluster.primary, autocommit=True))  # 9 of 9
        f = pg_advise(cluster.primary, ["pg.connections.usage"]).of("pg.connections.usage")[None]
        assert f.severity == Severity.CRITICAL and f.evidence["used_pct"] == 100.0
    finally:
        for c in conns:
            c.close()
    time.sleep(0.2)
    assert pg_advise(cluster.primary, ["pg.connections.usage"]).findings == []  # 1 of 9


def test_replica_without_streaming_is_not_reported_as_lagging(cluster, pg_advise):
    """A standby with no primary_conninfo (archive/log shipping without an archive here):
    pg_last_wal_receive_lsn() is NULL. The time since its last replayed transaction only
    says how idle the primary is: it must not be reported as lag."""
    sql(cluster.primary, "CREATE TABLE IF NOT EXISTS ticks (t timestamptz)", "INSERT INTO ticks VALUES (now())")
    cluster.basebackup("primary", "shipped")
    cluster.append("shipped", "primary_conninfo = ''", "postgresql.auto.conf")  # no WAL receiver
    url = cluster.start("shipped", "shared_preload_libraries=''")
    time.sleep(1.2)
    assert sql(url, "SELECT pg_last_wal_receive_lsn() IS NULL")[0][0] is True
    th = {"pg.replication.lag": {"warning_s": 1, "warning_bytes": 1}}
    out = pg_advise(url, ["pg.replication.lag"], thresholds=th).of("pg.replication.lag")
    assert set(out) == {"wal receiver"}
    f = out["wal receiver"]
    assert "not streaming" in f.summary and "cannot be measured" in f.summary
    assert f.evidence["no_stream"] is True
