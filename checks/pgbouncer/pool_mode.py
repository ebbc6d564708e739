"""Pool mode: session pooling with more clients than servers, and what transaction mode asks."""

from advisor.model import Severity
from advisor.registry import Threshold, check

from ._common import DOCS, GUIDE, clients, ini_fix, pool_name, pool_size, setting, version


def caveats(ctx) -> str:
    """What an application must not rely on in transaction mode, for this PgBouncer's version."""
    v = version(ctx)
    prepared = ("protocol-level prepared statements work with max_prepared_statements > 0 (PgBouncer 1.21+)"
                if v and v >= (1, 21) else
                "protocol-level prepared statements (JDBC prepareThreshold, asyncpg, psycopg prepare) break "
                "before PgBouncer 1.21: upgrade and set max_prepared_statements, or disable them in the driver")
    return ("Transaction mode hands the server back after each transaction, so session state does not "
            "carry over: SET/RESET (use SET LOCAL), temporary tables kept past a transaction, LISTEN, "
            "WITH HOLD cursors and session-level advisory locks (pg_advisory_lock; use "
            f"pg_advisory_xact_lock) misbehave; {prepared}.")


@check(id="pgbouncer.pool_mode.session_many_clients", title="Session pooling with more clients than servers",
       category="connections", severity=Severity.WARNING, reference=GUIDE + " (Pool Mode Selection); " + DOCS,
       facts=["pgbouncer.pools", "pgbouncer.databases", "pgbouncer.config", "pgbouncer.version"],
       thresholds={"clients_per_server": Threshold(2, "clients per server", "db-advisor: past twice the pool, "
                                                   "session pooling multiplexes nothing and clients queue; the "
                                                   "guide recommends transaction mode for most applications")})
def session_many_clients(ctx):
    """In session mode a client keeps its server connection for as long as it stays connected,
    idle or not: a pool with more clients than servers makes the rest wait for a disconnect, and
    PgBouncer saves nothing over direct connections. The guide recommends transaction mode for
    most applications. Fix: pool_mode = transaction once the application does not depend on
    session state (the finding lists what breaks, prepared statements before 1.21 included)."""
    for pool in ctx.fact("pgbouncer.pools"):
        mode = str(pool.get("pool_mode") or setting(ctx, "pool_mode", "session"))
        size, n = pool_size(ctx, pool), clients(pool)
        if mode != "session" or n <= max(1, size) * ctx.threshold("clients_per_server"):
            continue
        lines = ["pool_mode = transaction"]
        v = version(ctx)
        if v and v >= (1, 21) and int(float(setting(ctx, "max_prepared_statements", 0) or 0)) == 0:
            lines.append("max_prepared_statements = 200")
        yield ctx.finding(
            object=pool_name(pool),
            summary=f"pool {pool_name(pool)} runs in session mode with {n} clients for {size} servers",
            evidence={"pool_mode": mode, "clients": n, "cl_waiting": pool.get("cl_waiting"), "pool_size": size},
            recommendation=caveats(ctx) + " Per database instead: pool_mode=transaction on its line in [databases].",
            fix=ini_fix(lines, note="test the application in transaction mode first (see the recommendation)"))
