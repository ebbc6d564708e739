"""Pool sizing: server connection caps, the reserve pool, client limits and file descriptors."""

from typing import Any

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


_LOCAL = {"", "localhost", "127.0.0.1", "::1", None}


def _where(host: Any, port: Any) -> tuple[str, int]:
    """A backend address as PgBouncer and the advisor may spell it (a Unix socket is local)."""
    h = str(host or "")
    return ("local" if h in _LOCAL or h.startswith("/") else h.lower(), int(port or 5432))


@check(id="pgbouncer.sizing.postgres_max_connections",
       title="Server connections PgBouncer may open vs PostgreSQL's max_connections", category="connections",
       severity=Severity.WARNING,
       reference=GUIDE + "; PostgreSQL docs 20.3 max_connections, superuser_reserved_connections; "
                 + DOCS + " max_db_connections",
       facts=["pgbouncer.postgres_peers", "pgbouncer.databases", "pgbouncer.config", "pgbouncer.pools"])
def postgres_max_connections(ctx):
    """When the PostgreSQL behind this PgBouncer is a target of the same run (or inventory), its
    real limits are known: max_connections minus superuser_reserved_connections (and
    reserved_connections, PG16+), minus the connections that do not come through PgBouncer.
    PgBouncer may open, per database, max_db_connections servers when set, else pool_size
    (default_pool_size) plus reserve_pool_size for every user that has a pool. When that sum
    is more than PostgreSQL accepts, clients get "too many clients" errors from PostgreSQL at
    peak instead of waiting in PgBouncer's queue. A backend is matched to a target by host and
    port; with one PostgreSQL target in the run it is assumed to be the one (kubectl
    port-forward hides the real address). Without a PostgreSQL target in the run there is
    nothing to compare with and the check stays silent. Fix: a max_db_connections that fits."""
    peers = ctx.fact("pgbouncer.postgres_peers")
    dbs = ctx.fact("pgbouncer.databases")
    pools = ctx.optional("pgbouncer.pools", [])
    default_size, reserve = setting_int(ctx, "default_pool_size", 20), setting_int(ctx, "reserve_pool_size", 0)
    global_cap = setting_int(ctx, "max_db_connections", 0)
    users: dict[str, set] = {}
    open_servers: dict[str, int] = {}
    for p in pools:
        users.setdefault(p["database"], set()).add(p.get("user"))
        open_servers[p["database"]] = open_servers.get(p["database"], 0) + sum(
            int(p.get(k) or 0) for k in ("sv_active", "sv_idle", "sv_used", "sv_tested", "sv_login"))
    groups: dict[tuple, list] = {}
    for d in dbs:
        groups.setdefault(_where(d.get("host"), d.get("port")), []).append(d)
    by_where = {_where(p["host"], p["port"]): p for p in peers}
    for where, members in sorted(groups.items()):
        peer, how = by_where.get(where), "host and port"
        if peer is None and len(peers) == 1:
            peer, how = peers[0], "the only PostgreSQL target of the run"
        if peer is None or "max_connections" not in peer:
            continue
        possible = 0
        for d in members:
            own_cap = int(d.get("max_connections") or d.get("max_db_connections") or 0) or global_cap
            pool = int(d.get("pool_size") or default_size) + int(d.get("reserve_pool_size") or reserve)
            possible += own_cap or pool * max(1, len(users.get(d["name"], ())))
        accepted = peer["max_connections"] - peer.get("superuser_reserved", 3) - peer.get("reserved", 0)
        via_bouncer = sum(open_servers.get(d["name"], 0) for d in members)
        direct = max(0, peer.get("client_backends", 0) - via_bouncer)
        room = accepted - direct
        if possible <= room:
            continue
        per_db = max(1, room // len(members))
        yield ctx.finding(
            object=f"{where[0]}:{where[1]}",
            summary=f"PgBouncer may open {possible} server connections to {peer['target']}, which accepts "
                    f"{room} more ({accepted} allowed, {direct} used by direct clients)",
            evidence={"postgres_target": peer["target"], "matched_by": how, "possible_server_connections": possible,
                      "postgres_max_connections": peer["max_connections"],
                      "postgres_accepts": accepted, "direct_connections": direct, "databases": [d["name"] for d in members],
                      "max_db_connections": global_cap, "default_pool_size": default_size,
                      "reserve_pool_size": reserve},
            recommendation="Cap PgBouncer's server connections below what PostgreSQL accepts (count every "
                           "PgBouncer process), or raise PostgreSQL's max_connections (a restart, and more "
                           "memory per connection).",
            fix=ini_fix([f"max_db_connections = {per_db}"],
                        note=f"{room} connections left on {peer['target']} for {len(members)} database(s)"))
