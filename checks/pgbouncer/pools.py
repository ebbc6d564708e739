"""Pools: clients queued for a server connection, and server logins that do not complete."""

from advisor.model import Severity
from advisor.registry import Threshold, check

from ._common import (
    DOCS,
    clients,
    database_row,
    ini_fix,
    pool_name,
    pool_size,
    pool_size_fix,
    servers,
    setting,
    setting_int,
)


def _mode(ctx, pool) -> str:
    return str(pool.get("pool_mode") or setting(ctx, "pool_mode", "session"))


def _cause(ctx, pool, size: int) -> tuple[str, str, str]:
    """Why a pool's clients wait: (cause, recommendation, fix)."""
    db = database_row(ctx, pool.get("database"))
    cap = int(db.get("max_connections") or setting_int(ctx, "max_db_connections"))
    current = int(db.get("current_connections") or 0)
    busy = int(pool.get("sv_active") or 0)
    waiting = int(pool.get("cl_waiting") or 0)
    if cap and current >= cap:
        return ("max_db_connections",
                f"database {pool.get('database')} has {current} of max_db_connections {cap} server connections: "
                "the cap, not the pool, makes clients wait. Raise it if PostgreSQL's max_connections leaves room "
                "(the sum over every PgBouncer and direct client must stay below it), else shorten transactions.",
                ini_fix([f"max_db_connections = {cap + waiting}"],
                        note="per database instead: max_db_connections=N on its line in [databases]"))
    if _mode(ctx, pool) == "session" and busy >= size:
        return ("session_mode",
                f"pool_mode is session: each of the {busy} busy servers belongs to one client for its whole "
                "connection, idle or not, so the other clients wait until one disconnects. Transaction mode "
                "returns the server after each transaction (see pgbouncer.pool_mode.session_many_clients for "
                "what the application must not rely on then).",
                ini_fix(["pool_mode = transaction"],
                        note="check the application first: session state (SET, temp tables, LISTEN, WITH HOLD "
                             "cursors, session advisory locks) does not survive transaction pooling"))
    if busy >= size:
        return ("pool_size",
                f"all {size} servers of the pool are busy: either transactions hold them too long (look for "
                "idle in transaction sessions in pg_stat_activity on PostgreSQL, and set idle_transaction_timeout) "
                "or the pool is too small for the load. Raise the pool only within PostgreSQL's max_connections.",
                pool_size_fix(ctx, pool, size + waiting))
    return ("servers_not_ready",
            f"only {busy} of {size} servers are busy ({int(pool.get('sv_login') or 0)} logging in): PostgreSQL is "
            "slow to accept new connections or refuses them (see server login failures in PgBouncer's log), "
            "or min_pool_size keeps none ready.",
            ini_fix([f"min_pool_size = {min(size, max(1, busy + waiting))}"],
                    note="keeps servers open ahead of demand; it does not help if PostgreSQL refuses logins"))


@check(id="pgbouncer.pools.clients_waiting", title="Clients waiting for a server connection", category="connections",
       severity=Severity.WARNING, reference=DOCS + " SHOW POOLS: cl_waiting, maxwait",
       facts=["pgbouncer.pools", "pgbouncer.databases", "pgbouncer.config"],
       thresholds={"maxwait_s": Threshold(1.0, "s", "PgBouncer docs: a growing maxwait means the pool does not "
                                          "serve requests quickly enough; 1 s: db-advisor (longer than a "
                                          "typical OLTP transaction)"),
                   "critical_pct": Threshold(50, "% of query_wait_timeout",
                                             "PgBouncer drops a client that waits query_wait_timeout (120 s "
                                             "default); half of it: db-advisor")})
def clients_waiting(ctx):
    """cl_waiting counts clients that sent a query and got no server connection yet; maxwait is how
    long the oldest has waited. The pool is exhausted: the application sees latency (and errors
    once query_wait_timeout passes) while PostgreSQL may look idle. The finding says which limit
    holds the clients back: max_db_connections reached, session mode with every server owned by a
    client, all servers busy (long transactions, or a pool too small), or servers not logging in.
    Fix: the pgbouncer.ini line for that cause, applied with RELOAD."""
    qwt = setting_int(ctx, "query_wait_timeout", 120)
    for pool in ctx.fact("pgbouncer.pools"):
        waiting, waited = int(pool.get("cl_waiting") or 0), float(pool.get("maxwait_s") or 0)
        if waiting <= 0 or waited < ctx.threshold("maxwait_s"):
            continue
        size = pool_size(ctx, pool)
        cause, advice, fix = _cause(ctx, pool, size)
        critical = qwt > 0 and waited >= qwt * ctx.threshold("critical_pct") / 100
        yield ctx.finding(
            object=pool_name(pool), severity=Severity.CRITICAL if critical else None,
            summary=f"{waiting} clients waiting in pool {pool_name(pool)}, the oldest for {waited:.1f}s "
                    f"({cause.replace('_', ' ')})",
            evidence={"cl_waiting": waiting, "maxwait_s": waited, "cl_active": pool.get("cl_active"),
                      "sv_active": pool.get("sv_active"), "sv_idle": pool.get("sv_idle"),
                      "sv_login": pool.get("sv_login"), "pool_size": size, "pool_mode": _mode(ctx, pool),
                      "servers": servers(pool), "clients": clients(pool), "cause": cause,
                      "query_wait_timeout_s": qwt},
            recommendation=advice, fix=fix)


@check(id="pgbouncer.pools.server_login_stalled", title="Server connections stuck logging in", category="connections",
       severity=Severity.WARNING, reference=DOCS + " SHOW POOLS: sv_login; server_login_retry",
       facts=["pgbouncer.pools", "pgbouncer.config"])
def server_login_stalled(ctx):
    """A pool with clients waiting and no server connection but ones still logging in (sv_login)
    cannot reach PostgreSQL: wrong host/port/dbname in [databases], a password PostgreSQL refuses,
    pg_hba.conf, or PostgreSQL at max_connections. PgBouncer retries every server_login_retry
    seconds and tells waiting clients "pgbouncer cannot connect to server". The failures themselves
    are in PgBouncer's log ("server login failed"), which the console does not show."""
    for pool in ctx.fact("pgbouncer.pools"):
        login, waiting = int(pool.get("sv_login") or 0), int(pool.get("cl_waiting") or 0)
        ready = servers(pool) - login
        if not (waiting and ready == 0):
            continue
        yield ctx.finding(
            object=pool_name(pool),
            summary=f"pool {pool_name(pool)}: {waiting} clients waiting, no server connection ready"
                    f" ({login} logging in)",
            evidence={"cl_waiting": waiting, "sv_login": login, "maxwait_s": pool.get("maxwait_s"),
                      "server_login_retry_s": setting_int(ctx, "server_login_retry", 15), "fix_kind": "manual"},
            recommendation="Read PgBouncer's log for 'server login failed' / 'closing because' lines; test the "
                           "[databases] connection string with psql from the PgBouncer host, and check "
                           "PostgreSQL's max_connections, pg_hba.conf and the password in auth_file / auth_query.",
        )
