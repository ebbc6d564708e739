"""Clients: near maxclients, rejected connections, blocked clients, big output buffers."""

from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_bytes

from ._common import DOCTOR_REF, config_fix, info, setting_int

REF = "Redis INFO clients/stats; RedisInsight (connected clients)"


@check(id="redis.clients.near_max", title="Connected clients close to maxclients", category="connections",
       severity=Severity.WARNING, facts=["redis.info", "redis.config"], reference=REF,
       thresholds={"used_pct": Threshold(80, "%", "common alert rule (connections > 80% of the limit)")})
def near_max(ctx):
    """When connected_clients reaches maxclients, new connections are refused ("max number of
    clients reached"). Usually a connection leak or pools sized per process without a cap.
    Fix: bound the client pools; raise maxclients only with the file-descriptor limit."""
    n, cap = info(ctx, "clients").get("connected_clients", 0), setting_int(ctx, "maxclients")
    if not cap or 100 * n / cap < ctx.threshold("used_pct"):
        return
    yield ctx.finding(
        object="maxclients", summary=f"{n} of maxclients {cap} connections in use ({100 * n / cap:.0f}%)",
        evidence={"connected_clients": n, "maxclients": cap, "threshold_pct": ctx.threshold("used_pct"),
                  "fix_kind": "manual"},
        recommendation="Cap the application's connection pools (the fix itself: an application change); "
                       "look for idle leaked connections (CLIENT LIST idle=...), and set timeout to close them.",
        fix=config_fix(ctx, {"timeout": 300}, caveat="a safety net, not the fix: closes connections idle for "
                       "300 s (not Pub/Sub subscribers); pools that keep idle connections open will see them "
                       "dropped and reconnect"),
    )


@check(id="redis.clients.rejected", counters=True, title="Connections rejected (maxclients reached)", category="connections",
       severity=Severity.WARNING, facts=["redis.info"], reference="common alert rule: rejected_connections increasing")
def rejected(ctx):
    """rejected_connections counts connections refused because maxclients was reached: clients
    saw errors. Fix: find the connection leak or raise maxclients (and ulimit -n)."""
    n = info(ctx, "stats").get("rejected_connections", 0)
    if not n:
        return
    yield ctx.finding(
        object="rejected_connections", summary=f"{n} connections rejected since start (maxclients reached)",
        evidence={"rejected_connections": n, "connected_clients": info(ctx, "clients").get("connected_clients"),
                  "maxclients": info(ctx, "clients").get("maxclients")},
        recommendation="Cap client pools or raise maxclients together with the open-files limit.",
    )


@check(id="redis.clients.blocked", title="Clients blocked on BLPOP/XREAD/WAIT", category="connections",
       severity=Severity.INFO, facts=["redis.info"], reference="Redis INFO clients blocked_clients",
       thresholds={"blocked": Threshold(50, "clients", "db-advisor: more than a few worker pools")})
def blocked(ctx):
    """blocked_clients are waiting in BLPOP/BRPOP/BLMOVE/XREAD BLOCK/WAIT. Normal for queue
    workers; a growing number means producers stopped or consumers leak connections."""
    n = info(ctx, "clients").get("blocked_clients", 0)
    if n <= ctx.threshold("blocked"):
        return
    yield ctx.finding(
        object="blocked_clients", summary=f"{n} clients blocked in blocking commands",
        evidence={"blocked_clients": n, "connected_clients": info(ctx, "clients").get("connected_clients"),
                  "threshold": ctx.threshold("blocked")},
        recommendation="Confirm these are queue workers; check that producers are alive and workers "
                       "use a timeout on blocking calls.",
    )


@check(id="redis.clients.output_buffers", title="Large client output buffers", category="memory",
       severity=Severity.WARNING, facts=["redis.info", "redis.clients"], reference=DOCTOR_REF,
       thresholds={"avg_client_bytes": Threshold(200 * 1024, "bytes", DOCTOR_REF + " (average client buffers > 200 KB)"),
                   "replica_bytes": Threshold(10 * 1024**2, "bytes", DOCTOR_REF + " (replica buffers > 10 MB)")})
def output_buffers(ctx):
    """Output buffers hold replies a client has not read yet (slow consumers, pub/sub
    subscribers, huge replies such as HGETALL on big keys) and replication streams. They count
    against memory and can trigger evictions. MEMORY DOCTOR flags an average above 200 KB per
    client and replica buffers above 10 MB. Fix: find the client (CLIENT LIST omem), make it
    read faster or ask less. client-output-buffer-limit pubsub 32mb 8mb 60 is already the
    default; a tighter limit disconnects the clients that pass it."""
    mem, clients = info(ctx, "memory"), info(ctx, "clients")
    n = max(1, clients.get("connected_clients", 1))
    normal, replicas = mem.get("mem_clients_normal", 0), mem.get("mem_clients_slaves", 0)
    clients_fact = ctx.optional("redis.clients")
    heavy = clients_fact["top_omem"][:5] if clients_fact is not None else None
    if normal / n > ctx.threshold("avg_client_bytes"):
        yield ctx.finding(
            object="mem_clients_normal",
            summary=f"clients use {human_bytes(normal)} of buffers ({human_bytes(normal / n)} each on average)",
            evidence={"mem_clients_normal": normal, "connected_clients": n, "avg_bytes": round(normal / n),
                      "threshold_avg_bytes": ctx.threshold("avg_client_bytes"), "top_output_buffers": heavy},
            recommendation="Find the clients with big omem (CLIENT LIST): slow readers, pub/sub subscribers "
                           "that fall behind, or commands returning huge replies. The limits are Redis's "
                           "defaults unless changed (normal 0 0 0 = unlimited, pubsub 32mb 8mb 60); a tighter "
                           "limit disconnects the client that passes it, so choose it per class knowingly.",
            fix=None,
        )
    if replicas > ctx.threshold("replica_bytes"):
        yield ctx.finding(
            object="mem_clients_slaves",
            summary=f"replica output buffers use {human_bytes(replicas)}",
            evidence={"mem_clients_slaves": replicas, "threshold_bytes": ctx.threshold("replica_bytes")},
            recommendation="Replicas are not keeping up (network or replica too slow); check replication lag.",
        )
