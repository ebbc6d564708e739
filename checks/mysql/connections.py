"""Connections: headroom under max_connections, failed connects, thread cache."""

from advisor.model import Severity
from advisor.registry import Threshold, check

from ._common import MYSQLTUNER, UPTIME_FLOOR, counters_age, num, set_global, young_note, young_severity


@check(
    id="mysql.connections.usage",
    title="Max_used_connections close to max_connections",
    category="connections",
    severity=Severity.WARNING,
    facts=["mysql.status", "mysql.variables", "mysql.server"],
    reference=MYSQLTUNER + " (> 85%); Percona PMM (> 80%)",
    thresholds={"max_pct": Threshold(85.0, "%", MYSQLTUNER + ": connection usage > 85%")},
)
def usage(ctx):
    """Max_used_connections is the peak since startup. Close to max_connections, the next
    burst gets 'Too many connections'. Either raise max_connections (each connection may
    allocate per-session buffers: check memory) or, better, pool connections in the
    application / ProxySQL. Max_used_connections_time (MySQL 8) says when the peak was."""
    st, v = ctx.fact("mysql.status"), ctx.fact("mysql.variables")
    peak, limit = num(st, "max_used_connections", 0), num(v, "max_connections", 0)
    if not limit:
        return
    pct = 100.0 * peak / limit
    if pct > ctx.threshold("max_pct"):
        yield ctx.finding(
            object="max_connections",
            severity=Severity.CRITICAL if peak >= limit else None,
            summary=f"peak {peak:g} connections of max_connections {limit:g} ({pct:.0f}%)",
            evidence={"max_used_connections": peak, "max_connections": limit, "pct": round(pct, 1),
                      "max_used_connections_time": st.get("max_used_connections_time"),
                      "threshold_pct": ctx.threshold("max_pct")},
            recommendation="Pool connections in the application (or ProxySQL), or raise max_connections "
                           "after checking memory for per-session buffers.",
            fix=set_global(ctx, {"max_connections": int(limit * 1.5)},
                           "each connection may allocate per-session buffers: check mysql.memory.worst_case"),
        )


@check(
    id="mysql.connections.aborted", counters=True,
    title="Aborted connection attempts",
    category="connections",
    severity=Severity.WARNING,
    facts=["mysql.status"],
    reference=MYSQLTUNER + " (aborted connects > 3% of connections)",
    thresholds={"max_pct": Threshold(3.0, "%", MYSQLTUNER + ": aborted connects > 3%"),
                "min_connections": Threshold(100, "connections", "too few connections since startup to judge"),
                "min_uptime_s": UPTIME_FLOOR},
)
def aborted(ctx):
    """Aborted_connects counts connection attempts that failed: wrong password, unknown
    database, no privilege, handshake timeout (connect_timeout) or a client/network that
    gave up. A high share means a misconfigured client, a port scan or brute force. Find
    which with performance_schema.host_cache (SUM_CONNECT_ERRORS, COUNT_AUTHENTICATION_ERRORS)
    or the error log (log_warnings / log_error_verbosity >= 2)."""
    st = ctx.fact("mysql.status")
    conns, bad = num(st, "connections", 0), num(st, "aborted_connects", 0)
    if conns < ctx.threshold("min_connections"):
        return
    pct = 100.0 * bad / conns
    if pct > ctx.threshold("max_pct"):
        yield ctx.finding(
            object="aborted_connects", severity=young_severity(ctx),
            summary=f"{bad:,} of {conns:,} connection attempts aborted ({pct:.1f}%)" + young_note(ctx),
            # a diagnostic query: what to change depends on what it shows
            evidence={"aborted_connects": bad, "connections": conns, "pct": round(pct, 2),
                      "threshold_pct": ctx.threshold("max_pct"), **counters_age(ctx), "fix_kind": "manual"},
            recommendation="Find the failing clients (performance_schema.host_cache, the error log) and fix "
                           "their credentials or network; block scanners at the firewall.",
            fix="SELECT IP, HOST, SUM_CONNECT_ERRORS, COUNT_AUTHENTICATION_ERRORS "
                "FROM performance_schema.host_cache ORDER BY SUM_CONNECT_ERRORS DESC;  -- diagnosis only",
        )


@check(
    id="mysql.connections.thread_cache", counters=True,
    title="Thread cache hit rate",
    category="connections",
    severity=Severity.INFO,
    facts=["mysql.status", "mysql.variables", "mysql.server"],
    reference=MYSQLTUNER + " (thread cache hit rate <= 50%); guide: thread_cache_size = 100",
    thresholds={"min_hit_pct": Threshold(50.0, "%", MYSQLTUNER + ": thread cache hit rate <= 50%"),
                "min_connections": Threshold(100, "connections", "too few connections since startup to judge"),
                "min_uptime_s": UPTIME_FLOOR},
)
def thread_cache(ctx):
    """Each new connection needs a thread; thread_cache_size keeps finished ones for reuse.
    Hit rate = 1 - Threads_created / Connections. A low rate with many short connections
    costs a thread creation per connect. Raise thread_cache_size (the guide uses 100;
    dynamic). Not relevant with thread_handling = pool-of-threads (MariaDB thread pool)."""
    st, v = ctx.fact("mysql.status"), ctx.fact("mysql.variables")
    conns, created = num(st, "connections", 0), num(st, "threads_created", 0)
    if conns < ctx.threshold("min_connections") or "pool" in str(v.get("thread_handling", "")):
        return
    hit = 100.0 * (1 - created / conns)
    if hit <= ctx.threshold("min_hit_pct"):
        size = num(v, "thread_cache_size", 0)
        want = max(100, int(size * 2))
        yield ctx.finding(
            object="thread_cache_size",
            summary=f"thread cache hit rate {hit:.0f}% ({created:,} threads created for {conns:,} connections)"
                    + young_note(ctx),
            evidence={"threads_created": created, "connections": conns, "hit_pct": round(hit, 1),
                      "thread_cache_size": size, "threshold_min_hit_pct": ctx.threshold("min_hit_pct"),
                      **counters_age(ctx)},
            recommendation=f"Raise thread_cache_size to {want} (guide: 100).",
            fix=set_global(ctx, {"thread_cache_size": want}),
        )
