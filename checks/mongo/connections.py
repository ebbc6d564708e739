"""Connections: usage of the connection limit, busy share, and the guide's tier table."""

from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.sizing.tiers import tier_connections, tier_for_memory

PMM = "Percona PMM MongoDB advisors (connections >= 75% of available; > 5000 connections)"
GUIDE = "guide: Resource Sizing Matrix, MongoDB (Connections column; maxIncomingConnections)"
LINUX_DEFAULT_MAX = 1000000  # net.maxIncomingConnections default on Linux (capped by ulimit -n)


@check(
    id="mongo.connections.usage", title="Connections near the limit, or mostly busy",
    category="connections", severity=Severity.WARNING, facts=["mongo.server_status"], reference=PMM,
    thresholds={
        "used_pct": Threshold(75, "% of current+available", PMM),
        "critical_pct": Threshold(90, "% of current+available", "check_postgres backends 90%/95% (analogue)"),
        "active_pct": Threshold(75, "% of current", PMM + ": active connections share"),
        "min_current": Threshold(20, "connections", "db-advisor default: too few connections to judge busy share"),
    },
)
def connections_usage(ctx):
    """serverStatus.connections: current + available is the effective limit
    (net.maxIncomingConnections or the file-descriptor limit, whichever is lower).
    Past it, new clients are refused. A high active share means most connections
    are running operations at once: the server is saturated and queues build.
    Fix: pool connections in the application (maxPoolSize per client x number of
    clients), raise ulimit -n / maxIncomingConnections only if the host can take it."""
    c = ctx.fact("mongo.server_status").get("connections") or {}
    cur, avail, active = c.get("current"), c.get("available"), c.get("active")
    if cur is None or avail is None:
        return
    limit = cur + avail
    used = 100.0 * cur / limit if limit else 0.0
    evidence = {"current": cur, "available": avail, "limit": limit, "used_pct": round(used, 1),
                "active": active, "used_pct_threshold": ctx.threshold("used_pct")}
    if used >= ctx.threshold("used_pct"):
        crit = used >= ctx.threshold("critical_pct")
        yield ctx.finding(
            object="connections", severity=Severity.CRITICAL if crit else Severity.WARNING,
            summary=f"{cur} of {limit} connections in use ({used:.0f}%)",
            evidence={**evidence, "fix_kind": "shell"},
            recommendation="Reduce connections with smaller driver pools (maxPoolSize) or fewer "
                           "client processes; raise the limit only if memory allows (~1 MB each).",
            fix="# the limit is connections + available: raise the open-files limit in the mongod systemd unit,\n"
                "# then restart (one member at a time); in Kubernetes the container runtime sets it\n"
                "systemctl edit mongod    # [Service] LimitNOFILE=64000\nsystemctl restart mongod")
    if active is not None and cur >= ctx.threshold("min_current"):
        busy = 100.0 * active / cur
        if busy >= ctx.threshold("active_pct"):
            yield ctx.finding(
                object="connections.active",
                summary=f"{active} of {cur} connections are running operations ({busy:.0f}%)",
                evidence={**evidence, "active_pct": round(busy, 1),
                          "active_pct_threshold": ctx.threshold("active_pct"), "fix_kind": "manual"},
                recommendation="The server is saturated: find the slow operations (db.currentOp(), "
                               "the profiler) and index them before adding clients.",
                fix="db.currentOp({active: true, secs_running: {$gte: 1}})")


@check(
    id="mongo.connections.tier", title="Connections vs the guide's tier for this host size",
    category="connections", severity=Severity.WARNING,
    facts=["mongo.server_status", "mongo.host_info", "mongo.cmdline"], reference=GUIDE,
    thresholds={"max_connections": Threshold(5000, "connections", PMM + ": connections > 5000")},
)
def connections_tier(ctx):
    """The guide sizes MongoDB connections by host tier (4 GB: 1000, 8 GB: 2000,
    16 GB: 5000, 32 GB: 10000) and sets net.maxIncomingConnections accordingly.
    Each connection costs about 1 MB of RAM plus a thread. More connections than the
    tier, or no cap at all (the Linux default is 1,000,000, limited only by ulimit),
    lets a connection storm exhaust memory. Fix: cap net.maxIncomingConnections at
    the tier's value and pool connections in the application."""
    c = ctx.fact("mongo.server_status").get("connections") or {}
    hi_mem = (ctx.optional("mongo.host_info") or {}).get("memory_bytes")
    memory, source = ctx.require_memory(hi_mem, "hostInfo")
    tier = tier_for_memory("mongodb", memory)
    want = tier_connections("mongodb", memory)
    cmdline = ctx.optional("mongo.cmdline")
    configured = cmdline.get("maxIncomingConnections") if cmdline is not None else "unknown"
    cur = c.get("current") or 0
    evidence = {"current": cur, "tier": tier, "tier_connections": want, "memory_bytes": memory,
                "memory_source": source, "maxIncomingConnections": configured,
                "max_connections": ctx.threshold("max_connections"), "fix_kind": "config"}
    fix = (f"# mongod.conf on every member, then a rolling restart (secondaries first): connections past it are "
           f"refused\nnet:\n  maxIncomingConnections: {want}")
    if cur > want or cur > ctx.threshold("max_connections"):
        yield ctx.finding(
            object="connections", evidence=evidence, fix=fix,
            summary=f"{cur} connections open; the guide's {tier} tier ({memory // 1024**3} GB) "
                    f"plans for {want}",
            recommendation="Pool connections in the application (one MongoClient per process, "
                           "bounded maxPoolSize) or move to a larger tier.")
    elif configured is None or (isinstance(configured, int) and configured > 2 * want):
        shown = LINUX_DEFAULT_MAX if configured is None else configured
        yield ctx.finding(
            object="net.maxIncomingConnections", severity=Severity.INFO, evidence=evidence, fix=fix,
            summary=f"net.maxIncomingConnections is {shown:,}{' (default)' if configured is None else ''};"
                    f" the guide caps the {tier} tier at {want}",
            recommendation="Cap incoming connections at the tier's value so a connection storm "
                           "is refused instead of exhausting memory.")


