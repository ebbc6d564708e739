"""Traffic from SHOW STATS: how long clients wait for a server on average."""

from advisor.model import Severity
from advisor.registry import Threshold, check

from ._common import DOCS

_MS = 1000.0  # SHOW STATS times are in microseconds


@check(id="pgbouncer.stats.avg_wait", counters=True, title="Clients wait for a server connection on average",
       category="connections", severity=Severity.WARNING, reference=DOCS + " SHOW STATS: total_wait_time",
       facts=["pgbouncer.stats"],
       thresholds={"wait_ms": Threshold(10, "ms per server assignment", "db-advisor: a wait comparable to an "
                                        "OLTP query's own time; PgBouncer docs: wait time is time clients spent "
                                        "waiting for a server"),
                   "min_assignments": Threshold(100, "assignments", "db-advisor: fewer say too little")})
def avg_wait(ctx):
    """total_wait_time is the time clients spent queued for a server connection. Divided by the
    server assignments (total_server_assignment_count from 1.23, else transactions) it is the wait
    each transaction adds before it starts: a pool that is too small, or servers held by long or
    idle-in-transaction sessions. Judged over a --sample window when given, else since PgBouncer
    started. Fix: see pgbouncer.pools.clients_waiting for the cause while it happens."""
    for row in ctx.fact("pgbouncer.stats"):
        n = row.get("total_server_assignment_count") or row.get("total_xact_count") or 0
        wait_us = row.get("total_wait_time") or 0
        if n < ctx.threshold("min_assignments"):
            continue
        mean_ms = wait_us / n / _MS
        if mean_ms < ctx.threshold("wait_ms"):
            continue
        db = row.get("database")
        yield ctx.finding(
            object=str(db),
            summary=f"database {db}: clients waited {mean_ms:.1f} ms for a server per assignment on average",
            evidence={"mean_wait_ms": round(mean_ms, 3), "assignments": n, "total_wait_time_us": wait_us,
                      "avg_wait_time_us": row.get("avg_wait_time"), "avg_xact_time_us": row.get("avg_xact_time"),
                      "avg_query_time_us": row.get("avg_query_time"), "avg_xact_count": row.get("avg_xact_count"),
                      "fix_kind": "manual"},
            recommendation="Clients queue inside PgBouncer: compare avg_xact_time with the wait; long transactions "
                           "(idle in transaction on PostgreSQL) hold servers, else the pool is too small for the "
                           "rate. Raise default_pool_size (or the database's pool_size) within PostgreSQL's "
                           "max_connections, or set idle_transaction_timeout.")
