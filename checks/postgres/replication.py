"""Replication lag and replication slots that hold WAL for nobody."""

from __future__ import annotations

from advisor.errors import Skip
from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_bytes, human_duration


@check(
    id="pg.replication.lag",
    title="Replication lag",
    category="replication",
    severity=Severity.WARNING,
    facts=["pg.replication"],
    reference="PgHero replication lag; PostgreSQL docs, pg_stat_replication (write/flush/replay_lag)",
    thresholds={
        "warning_s": Threshold(10, "s", "PMM: replication lag > 10 s"),
        "critical_s": Threshold(300, "s", "five minutes behind: reads on the replica are stale"),
        "warning_bytes": Threshold(1024**3, "bytes", "1 GB of WAL not yet replayed"),
    },
)
def lag(ctx):
    """A replica that lags serves stale reads, and a failover to it loses or
    delays the transactions it has not replayed. On a replica the lag is the time
    since the last replayed transaction (0 when all received WAL is replayed); on
    a primary pg_stat_replication gives each standby's write, flush and replay
    lag. A replica whose WAL receiver is not streaming (pg_last_wal_receive_lsn()
    is NULL: archive/log shipping, or the receiver never connected) has no lag to
    measure: the time since its last replayed transaction only says how idle the
    primary is. That is reported as its own finding. Causes: an under-sized replica, long queries on the replica that
    conflict with replay (max_standby_streaming_delay), network throughput.
    Fix: find the bottleneck (I/O on the replica, network), and keep reporting
    queries from blocking replay."""
    r = ctx.fact("pg.replication")
    warn_s, crit_s, warn_b = (ctx.threshold(k) for k in ("warning_s", "critical_s", "warning_bytes"))
    th = {"threshold_warning_s": warn_s, "threshold_critical_s": crit_s, "threshold_warning_bytes": warn_b}
    if r["role"] == "replica" and r.get("no_stream"):
        yield ctx.finding(
            object="wal receiver",
            summary="this replica's WAL receiver is not streaming: replication lag cannot be measured",
            evidence={"no_stream": True, "last_replay_at": r.get("last_replay_at"),
                      "last_replay_age_s_not_lag": r.get("last_replay_age_s")},
            recommendation="If the replica should stream, check primary_conninfo, the primary's "
                           "pg_hba.conf and max_wal_senders, and the replica's log for WAL receiver "
                           "errors. If it is fed by archive/log shipping on purpose, watch the archive's "
                           "delay instead: the time since the last replayed transaction grows on an idle "
                           "primary and is not lag.")
        return
    if r["role"] == "replica":
        lag_s, lag_b = r.get("replay_lag_s") or 0, r.get("replay_lag_bytes") or 0
        if lag_s < warn_s and lag_b < warn_b:
            return
        yield ctx.finding(
            object="replica", severity=Severity.CRITICAL if lag_s >= crit_s else Severity.WARNING,
            summary=f"this replica is {human_duration(lag_s)} behind its primary "
                    f"({human_bytes(lag_b)} received but not replayed)",
            evidence={"replay_lag_s": lag_s, "replay_lag_bytes": lag_b,
                      "last_replay_at": r.get("last_replay_at"), **th},
            recommendation="Check the replica's I/O and CPU, and queries on it that conflict with "
                           "replay (pg_stat_database_conflicts).")
        return
    if r.get("hidden"):
        from advisor.engines.postgres.session import MONITOR_GRANT  # only on PostgreSQL runs
        raise Skip(f"lag columns of {r['hidden']} standby(s) are hidden from this user", MONITOR_GRANT)
    for sb in r["standbys"]:
        lag_s = max(sb.get(k) or 0 for k in ("write_lag_s", "flush_lag_s", "replay_lag_s"))
        lag_b = sb.get("replay_lag_bytes") or 0
        if lag_s < warn_s and lag_b < warn_b:
            continue
        name = sb.get("name") or sb.get("client") or "standby"
        yield ctx.finding(
            object=f"standby {name}", severity=Severity.CRITICAL if lag_s >= crit_s else Severity.WARNING,
            summary=f"standby {name} ({sb.get('client')}) replays {human_duration(sb.get('replay_lag_s'))} "
                    f"behind, {human_bytes(lag_b)} of WAL",
            evidence={k: sb.get(k) for k in ("name", "client", "state", "sync_state", "write_lag_s",
                                             "flush_lag_s", "replay_lag_s", "replay_lag_bytes")} | th,
            recommendation="Check the standby's I/O, the network, and replay conflicts on the standby.")


@check(
    id="pg.replication.inactive_slots",
    title="Inactive replication slots holding WAL",
    category="replication",
    severity=Severity.WARNING,
    facts=["pg.replication_slots"],
    reference="PgHero inactive replication slots; PostgreSQL docs, 27.2.6 Replication Slots",
    thresholds={
        "critical_bytes": Threshold(10 * 1024**3, "bytes",
                                    "10 GB of retained WAL: a disk-full risk on most volumes"),
    },
)
def inactive_slots(ctx):
    """A replication slot keeps every WAL segment its consumer has not confirmed,
    and (with xmin / catalog_xmin) keeps VACUUM from removing dead rows. When the
    standby or logical consumer is gone, the slot retains WAL until the disk
    fills and the server stops. wal_status 'lost' (PostgreSQL 13+) means the
    slot already lost WAL its consumer needs: that consumer must be rebuilt.
    Fix: if the consumer is gone for good, `SELECT pg_drop_replication_slot('name');`;
    bound the damage with max_slot_wal_keep_size."""
    crit = ctx.threshold("critical_bytes")
    for s in ctx.fact("pg.replication_slots"):
        if s.get("active") or s.get("temporary"):
            continue
        retained = s.get("retained_bytes") or 0
        lost = s.get("wal_status") in ("lost", "unreserved")
        sev = Severity.CRITICAL if lost or retained >= crit else Severity.WARNING
        state = f", wal_status {s['wal_status']}" if s.get("wal_status") else ""
        yield ctx.finding(
            object=f"slot {s['name']}", severity=sev,
            summary=f"{s['type']} replication slot {s['name']} is inactive and holds "
                    f"{human_bytes(retained)} of WAL{state}",
            evidence={k: s.get(k) for k in ("name", "type", "plugin", "database", "active", "wal_status",
                                            "safe_wal_size", "retained_bytes", "xmin_age",
                                            "catalog_xmin_age")} | {"threshold_critical_bytes": crit},
            recommendation="Reconnect its consumer, or drop the slot if the consumer is gone; set "
                           "max_slot_wal_keep_size so a slot can never fill the disk.",
            fix=f"SELECT pg_drop_replication_slot('{s['name']}');  -- irreversible: its consumer must "
                "then be rebuilt (new base backup / new subscription); no table lock")
