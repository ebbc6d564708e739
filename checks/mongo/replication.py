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
                evidence={"topology": rs.get("topology")},
                recommendation="Run production as a three-member replica set (also needed for "
                               "transactions and change streams).",
                fix="# mongod.conf\nreplication:\n  replSetName: rs0\n# then: rs.initiate()")
        return
    for m in rs.get("members", []):
        if m.get("health") == 0 or m.get("stateStr") not in HEALTHY:
            yield ctx.finding(
                object=m.get("name"),
                summary=f"replica-set member {m.get('name')} is {m.get('stateStr')} "
                        f"(health {m.get('health')})",
                evidence={"set": rs.get("set"), **m},
                recommendation="Check the member's log, disk and network; if it fell off the "
                               "oplog, resync it (initial sync).",
                fix="rs.status().members.filter(m => m.health != 1 || !['PRIMARY','SECONDARY','ARBITER']"
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
                          "lag_threshold_seconds": ctx.threshold("lag_seconds")},
                recommendation="Check the secondary's disk and network, long index builds and "
                               "whether it has the same hardware as the primary.",
                fix="rs.printSecondaryReplicationInfo()")


@check(
    id="mongo.repl.oplog_window", title="Oplog window shorter than 24 hours", category="replication",
    severity=Severity.WARNING, facts=["mongo.oplog"], reference=PMM,
    thresholds={"min_hours": Threshold(24, "h", PMM)},
)
def oplog_window(ctx):
    """The oplog window (time between the first and last oplog entry) is how long a
    member may be down or lag before it can only come back through a full initial
    sync. Under 24 h a weekend outage or a long maintenance cannot be caught up.
    Fix: grow the oplog at runtime with replSetResizeOplog on every member, or set
    storage.oplogMinRetentionHours (4.4+)."""
    o = ctx.fact("mongo.oplog")
    if not o.get("enabled") or o.get("window_seconds") is None:
        return
    hours = o["window_seconds"] / 3600
    if hours < ctx.threshold("min_hours"):
        size = o.get("maxSize")
        want_mb = None
        if size and hours > 0:
            want_mb = int(size / 1024**2 * ctx.threshold("min_hours") / hours * 1.2)
        yield ctx.finding(
            object="local.oplog.rs",
            summary=f"oplog window is {human_duration(o['window_seconds'])} "
                    f"(< {ctx.threshold('min_hours')} h)",
            evidence={"window_seconds": o["window_seconds"], "oplog_max_bytes": size,
                      "oplog_used_bytes": o.get("size"), "min_hours": ctx.threshold("min_hours")},
            recommendation="Grow the oplog so that it holds at least a day of writes (with 20% "
                           "headroom), on every member.",
            fix=(f"db.adminCommand({{replSetResizeOplog: 1, size: {want_mb}}})  // MB, on each member"
                 if want_mb else "db.adminCommand({replSetResizeOplog: 1, minRetentionHours: 24})"))
