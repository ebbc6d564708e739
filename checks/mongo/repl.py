"""Replica sets: member health, replication lag, oplog window."""

from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_duration

from ._common import parse_time

PMM = "Percona PMM MongoDB advisors (replication lag > 10 s; oplog window < 24 h)"


HEALTHY = {"PRIMARY", "SECONDARY", "ARBITER"}


@check(
    id="mongo.repl.members", title="Replica-set members down or in a bad state; standalone server",
    category="replication", severity=Severity.CRITICAL, facts=["mongo.replset"],
    reference="MongoDB docs: replSetGetStatus (members[].health, stateStr)",
)
def repl_members(ctx):
    """A member with health 0 or in a state other than PRIMARY/SECONDARY/ARBITER
    (RECOVERING, STARTUP2, DOWN, ROLLBACK, UNKNOWN) does not protect the data and may
    cost the set its majority. A standalone mongod keeps one copy: no automatic
    failover. Fix: bring the member back (logs, disk, network) or resync it; run
    production as a replica set of at least three data-bearing members."""
    rs = ctx.fact("mongo.replset")
    if not rs.get("enabled"):
        if rs.get("topology") == "Single":
            yield ctx.finding(
                object="replication", severity=Severity.INFO,
                summary="standalone mongod: one copy of the data, no automatic failover",
                evidence={"topology": rs.get("topology"), "fix_kind": "manual"},
                recommendation="Run production as a three-member replica set (also needed for "
                               "transactions and change streams).",
                fix="# mongod.conf (restart), then rs.initiate() and rs.add() two more members; applications "
                    "must connect with ?replicaSet=rs0\nreplication:\n  replSetName: rs0")
        return
    for m in rs.get("members", []):
        if m.get("health") == 0 or m.get("stateStr") not in HEALTHY:
            yield ctx.finding(
                object=m.get("name"),
                summary=f"replica-set member {m.get('name')} is {m.get('stateStr')} "
                        f"(health {m.get('health')})",
                evidence={"set": rs.get("set"), **m, "fix_kind": "manual"},
                recommendation="Check the member's log, disk and network; if it fell off the "
                               "oplog, resync it (initial sync).",
                fix="// diagnosis; the remedy (restart, disk, resync) depends on the member's log\n"
                    "rs.status().members.filter(m => m.health != 1 || !['PRIMARY','SECONDARY','ARBITER']"
                    ".includes(m.stateStr))")


@check(
    id="mongo.repl.lag", title="Secondaries lagging behind the primary", category="replication",
    severity=Severity.WARNING, facts=["mongo.replset"], reference=PMM,
    thresholds={"lag_seconds": Threshold(10, "s", PMM),
                "critical_seconds": Threshold(300, "s", "db-advisor default: minutes of lag = stale reads "
                                                        "and long failover catch-up")},
)
def repl_lag(ctx):
    """Lag = primary's last applied optime - secondary's. A lagging secondary serves
    stale reads, makes w:majority writes wait and, if it falls off the oplog, needs a
    full resync. Fix: find the cause (disk I/O on the secondary, network, an index
    build, a secondary with a smaller host) and keep members on equal hardware."""
    rs = ctx.fact("mongo.replset")
    if not rs.get("enabled"):
        return
    members = rs.get("members", [])
    primary = next((m for m in members if m.get("stateStr") == "PRIMARY"), None)
    p_time = parse_time(primary.get("optimeDate")) if primary else None
    if p_time is None:
        return
    for m in members:
        if m.get("stateStr") != "SECONDARY":
            continue
        t = parse_time(m.get("optimeDate"))
        if t is None:
            continue
        lag = (p_time - t).total_seconds()
        if lag > ctx.threshold("lag_seconds"):
            crit = lag > ctx.threshold("critical_seconds")
            yield ctx.finding(
                object=m.get("name"), severity=Severity.CRITICAL if crit else Severity.WARNING,
                summary=f"secondary {m.get('name')} is {human_duration(lag)} behind the primary",
                evidence={"primary": primary.get("name"), "primary_optime": primary.get("optimeDate"),
                          "member_optime": m.get("optimeDate"), "lag_seconds": lag,
                          "lag_threshold_seconds": ctx.threshold("lag_seconds"), "fix_kind": "manual"},
                recommendation="Check the secondary's disk and network, long index builds and "
                               "whether it has the same hardware as the primary.",
                fix="rs.printSecondaryReplicationInfo()  // diagnosis: the cause is on the secondary")


FULL = ("MongoDB docs (oplog size): the oplog is capped; WiredTiger truncates it in chunks (truncate "
        "markers), so a full oplog stays near maxSize")


@check(
    id="mongo.repl.oplog_window", title="Oplog window shorter than 24 hours", category="replication",
    severity=Severity.WARNING, facts=["mongo.oplog"], reference=PMM,
    thresholds={"min_hours": Threshold(24, "h", PMM),
                "full_pct": Threshold(90, "% of maxSize", FULL, "below this the oplog is still filling: "
                                                                 "its window is only its age")},
)
def oplog_window(ctx):
    """The oplog window (time between the first and last oplog entry) is how long a
    member may be down or lag before it can only come back through a full initial
    sync. Under 24 h a weekend outage or a long maintenance cannot be caught up.
    Judged only once the oplog is full (size near maxSize): on a young or resynced
    member the window is just the age of the oldest entry and says nothing about
    capacity, so it is reported as info without a resize.
    Fix: grow the oplog at runtime with replSetResizeOplog on every member, or set
    storage.oplogMinRetentionHours (4.4+)."""
    o = ctx.fact("mongo.oplog")
    if not o.get("enabled") or o.get("window_seconds") is None:
        return
    hours = o["window_seconds"] / 3600
    if hours >= ctx.threshold("min_hours"):
        return
    size, used = o.get("maxSize"), o.get("size")
    evidence = {"window_seconds": o["window_seconds"], "oplog_max_bytes": size, "oplog_used_bytes": used,
                "min_hours": ctx.threshold("min_hours"), "full_pct_threshold": ctx.threshold("full_pct")}
    if size and used is not None and 100 * used < ctx.threshold("full_pct") * size:
        evidence.update(full_pct=round(100 * used / size, 1),
                        projected_full_window_seconds=round(o["window_seconds"] * size / used) if used else None)
        yield ctx.finding(
            object="local.oplog.rs", severity=Severity.INFO,
            summary=f"oplog window is {human_duration(o['window_seconds'])}, but the oplog is only "
                    f"{100 * used / size:.0f}% full: the window is its age, not its capacity",
            evidence=evidence,
            recommendation="Nothing to resize yet (a young or resynced member). Judge again once the oplog "
                           "is full; projected_full_window_seconds extrapolates the write rate since its "
                           "first entry.")
        return
    want_mb = int(size / 1024**2 * ctx.threshold("min_hours") / hours * 1.2) if size and hours > 0 else None
    run = "  // in mongosh on each member in turn (not replicated); online, no restart, kept across restarts"
    yield ctx.finding(
        object="local.oplog.rs",
        summary=f"oplog window is {human_duration(o['window_seconds'])} "
                f"(< {ctx.threshold('min_hours')} h)",
        evidence=evidence,
        recommendation="Grow the oplog so that it holds at least a day of writes (with 20% "
                       "headroom), on every member; the disk needs that much free space.",
        fix=(f"db.adminCommand({{replSetResizeOplog: 1, size: {want_mb}}}){run}  (size in MB)"
             if want_mb else f"db.adminCommand({{replSetResizeOplog: 1, minRetentionHours: 24}}){run}  (4.4+)"))
