"""Pool sizing: server connection caps, the reserve pool, client limits and file descriptors."""

from advisor.model import Severity
from advisor.registry import Threshold, check

from ._common import DOCS, GUIDE, GUIDE_VALUES, ini_fix, setting_int


@check(id="pgbouncer.sizing.no_db_connection_cap", title="No cap on server connections per database",
       category="connections", severity=Severity.INFO, reference=GUIDE + "; " + DOCS + " max_db_connections",
       facts=["pgbouncer.config", "pgbouncer.lists"],
       thresholds={"max_db_connections": Threshold(GUIDE_VALUES["max_db_connections"], "connections",
                                                   GUIDE + " (PGBOUNCER_MAX_DB_CONNECTIONS 100)")})
def no_db_connection_cap(ctx):
    """max_db_connections = 0 lets every (database, user) pool open default_pool_size servers of its
    own: with many users the pools together can pass PostgreSQL's max_connections, and PostgreSQL
    then refuses logins ("too many clients"). The guide caps it at 100 per database. Fix: set
    max_db_connections below PostgreSQL's max_connections minus the direct connections."""
    if setting_int(ctx, "max_db_connections") > 0:
        return
    size, pools = setting_int(ctx, "default_pool_size", 20), int(ctx.fact("pgbouncer.lists").get("pools") or 0)
    cap = ctx.threshold("max_db_connections")
    yield ctx.finding(
        object="max_db_connections",
        summary=f"max_db_connections = 0 (unlimited): {pools} pools x default_pool_size {size} may open "
                f"{pools * size} server connections",
        evidence={"max_db_connections": 0, "default_pool_size": size, "pools": pools,
                  "possible_server_connections": pools * size, "guide_value": cap},
        recommendation=f"Cap server connections per database (the guide uses {cap}); keep the sum over all "
                       "PgBouncer processes below PostgreSQL's max_connections minus superuser_reserved_connections "
                       "and the connections that bypass PgBouncer.",
        fix=ini_fix([f"max_db_connections = {cap}"]))


@check(id="pgbouncer.sizing.no_reserve_pool", title="No reserve pool for bursts", category="connections",
       severity=Severity.INFO, reference=GUIDE + "; " + DOCS + " reserve_pool_size",
       facts=["pgbouncer.config"],
       thresholds={"reserve_pool_size": Threshold(GUIDE_VALUES["reserve_pool_size"], "connections",
                                                  GUIDE + " (PGBOUNCER_RESERVE_POOL_SIZE 10)")})
def no_reserve_pool(ctx):
    """reserve_pool_size = 0: when a pool is full, clients wait however long the queue gets. A
    reserve lets a pool open a few more servers for a client that has waited reserve_pool_timeout
    seconds (5 by default), absorbing bursts. The guide sets 10."""
    if setting_int(ctx, "reserve_pool_size") > 0:
        return
    want = ctx.threshold("reserve_pool_size")
    yield ctx.finding(
        object="reserve_pool_size", summary="reserve_pool_size = 0: no extra servers for bursts",
        evidence={"reserve_pool_size": 0, "reserve_pool_timeout_s": setting_int(ctx, "reserve_pool_timeout", 5),
                  "guide_value": want},
        recommendation=f"Set a reserve pool (the guide uses {want}); count it in the server connections "
                       "PostgreSQL must accept.",
        fix=ini_fix([f"reserve_pool_size = {want}", "reserve_pool_timeout = 5"]))


@check(id="pgbouncer.sizing.clients_near_max", title="Client connections close to max_client_conn",
       category="connections", severity=Severity.WARNING, reference=DOCS + " max_client_conn; SHOW LISTS",
       facts=["pgbouncer.config", "pgbouncer.lists"],
       thresholds={"used_pct": Threshold(80, "%", "common alert rule (connections > 80% of the limit)")})
def clients_near_max(ctx):
    """Once used_clients reaches max_client_conn PgBouncer refuses new clients ("no more
    connections allowed"). Fix: raise max_client_conn together with the process's open-files limit
    (each client takes a file descriptor), or find the application that leaks connections."""
    cap, used = setting_int(ctx, "max_client_conn", 100), int(ctx.fact("pgbouncer.lists").get("used_clients") or 0)
    if not cap or 100 * used / cap < ctx.threshold("used_pct"):
        return
    want = cap * 2
    yield ctx.finding(
        object="max_client_conn", summary=f"{used} of max_client_conn {cap} client connections in use "
                                          f"({100 * used / cap:.0f}%)",
        evidence={"used_clients": used, "max_client_conn": cap},
        recommendation="Raise max_client_conn (the guide runs 10000) and the open-files limit with it "
                       "(ulimit -n / LimitNOFILE: at least max_client_conn + the server connections + a margin).",
        fix=ini_fix([f"max_client_conn = {want}"],
                    note="the open-files limit must hold it: LimitNOFILE= in the systemd unit (then restart), "
                         "PgBouncer logs 'kernel file descriptor limit' at start"))


@check(id="pgbouncer.sizing.fd_limit", title="max_client_conn needs more file descriptors than a default limit",
       category="connections", severity=Severity.INFO, reference=DOCS + " max_client_conn (file descriptors)",
       facts=["pgbouncer.config", "pgbouncer.lists"],
       thresholds={"fd_limit": Threshold(1024, "file descriptors", "Linux default soft RLIMIT_NOFILE "
                                         "(ulimit -n); PgBouncer docs: max_client_conn + pools x pool size")})
def fd_limit(ctx):
    """Each client and server connection is a file descriptor. PgBouncer's docs estimate the need
    as max_client_conn + (pools x pool_size); past the process's open-files limit accept() fails.
    The console does not show the limit (PgBouncer logs it at start: "kernel file descriptor
    limit"), so this check compares the need with the common default soft limit of 1024."""
    cap = setting_int(ctx, "max_client_conn", 100)
    pools = int(ctx.fact("pgbouncer.lists").get("pools") or 0)
    need = cap + pools * (setting_int(ctx, "default_pool_size", 20) + setting_int(ctx, "reserve_pool_size"))
    if need <= ctx.threshold("fd_limit"):
        return
    yield ctx.finding(
        object="max_client_conn",
        summary=f"max_client_conn {cap} and {pools} pools need about {need} file descriptors: more than a "
                f"default limit of {ctx.threshold('fd_limit')}",
        evidence={"max_client_conn": cap, "pools": pools, "fd_needed": need, "fix_kind": "manual"},
        recommendation="Check the limit PgBouncer logged at start ('kernel file descriptor limit: N'); raise it "
                       f"to at least {need} with LimitNOFILE= in the systemd unit (or ulimit -n in the "
                       "container's entrypoint), then restart PgBouncer.",
        fix=f"# /etc/systemd/system/pgbouncer.service.d/limits.conf\n[Service]\nLimitNOFILE={max(need * 2, 4096)}\n"
            "# then: systemctl daemon-reload && systemctl restart pgbouncer (a restart drops the clients)")
