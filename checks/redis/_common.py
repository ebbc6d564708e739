"""Helpers shared by the Redis checks: INFO sections, settings with an INFO fallback, sizes."""

from __future__ import annotations

import re
from typing import Any

from advisor.errors import FactUnavailable

# Settings that INFO also shows, for servers where CONFIG GET is blocked (managed services).
_INFO_FALLBACK = {
    "maxmemory": ("memory", "maxmemory"),
    "maxmemory-policy": ("memory", "maxmemory_policy"),
    "appendonly": ("persistence", "aof_enabled"),
    "maxclients": ("clients", "maxclients"),
    "repl-backlog-size": ("replication", "repl_backlog_size"),
}
MB = 1024**2
MEMORY_DOCTOR_MIN = 5 * MB      # MEMORY DOCTOR says nothing below 5 MB of used memory
MEMORY_DOCTOR_FINDING = 10 * MB  # and reports a problem only when it is worth more than 10 MB
DOCTOR_REF = "Redis MEMORY DOCTOR (src/object.c getMemoryDoctorReport)"


def info(ctx, section: str) -> dict[str, Any]:
    return ctx.fact("redis.info").get(section, {})


def setting(ctx, name: str) -> Any:
    """A config value as text: CONFIG GET when readable, else the INFO field with the same meaning."""
    try:
        return ctx.fact("redis.config")[name]
    except FactUnavailable as e:
        if name not in _INFO_FALLBACK:
            raise
        section, field = _INFO_FALLBACK[name]
        value = ctx.fact("redis.info").get(section, {}).get(field)
        if value is None:
            raise e
        if name == "appendonly":
            return "yes" if value == 1 else "no"
        return str(value)
    except KeyError:
        raise FactUnavailable(f"setting {name!r} does not exist on this server version") from None


def setting_int(ctx, name: str) -> int:
    return int(float(setting(ctx, name)))


def redis_size(n: int) -> str:
    """Bytes -> a size redis.conf accepts (1gb = 1024^3), rounded down to whole MB."""
    for unit, mult in (("gb", 1024**3), ("mb", MB)):
        if n >= mult and n % mult == 0:
            return f"{n // mult}{unit}"
    return f"{max(n // MB, 1)}mb"


def cli(ctx) -> str:
    """`redis-cli -h HOST -p PORT` for this target; the password comes from REDISCLI_AUTH, never
    from the fix. A target known only by an inventory name gets {{host}} / {{port}} placeholders."""
    m = re.match(r"^redis://(\[[^\]]+\]|[^:/\[]+)(?::(\d+))?(?:/\d*)?$", getattr(ctx, "target", "") or "")
    if not m:
        return "redis-cli -h {{host}} -p {{port}}"
    return f"redis-cli -h {m.group(1).strip('[]')} -p {m.group(2) or 6379}"


def _conf_value(value: Any) -> str:
    v = str(value)
    return f'"{v}"' if (" " in v or v == "") else v


MANAGED = ("# managed services (ElastiCache, MemoryDB, Memorystore, Azure Cache) refuse CONFIG SET and "
           "CONFIG REWRITE: set it in the parameter group / console instead")


def config_fix(ctx, settings: dict[str, Any], caveat: str | None = None) -> str:
    """A fix that changes settings live and persists them, runnable as printed (a shell script):
    the caveat first (comment lines), CONFIG SET per setting, CONFIG REWRITE, then how to persist
    where there is no writable redis.conf (Helm) and that managed services refuse it."""
    lines = [f"# {ln}" for ln in (caveat or "").splitlines() if ln.strip()]
    c = cli(ctx)
    lines += [f"{c} CONFIG SET {k} {_conf_value(v)}" for k, v in settings.items()]
    lines[-1] += "    # live, no restart; this server only: repeat on every replica"
    conf = "; ".join(f"{k} {_conf_value(v)}" for k, v in settings.items())
    lines += [f"{c} CONFIG REWRITE    # persist: rewrites the redis.conf the server was started with",
              f"# no writable redis.conf (Kubernetes/Helm rebuild it at each start): put '{conf}' in the "
              "chart's Redis configuration (values.yaml) and roll the pods",
              MANAGED]
    return "\n".join(lines)


def persist_acl(ctx, c: str) -> str:
    """The line that makes an ACL change survive a restart: ACL SAVE with an aclfile, else CONFIG REWRITE."""
    try:
        aclfile = ctx.fact("redis.config").get("aclfile", "")
    except FactUnavailable:
        aclfile = None
    if aclfile:
        return f"{c} ACL SAVE    # persist into the aclfile"
    return (f"{c} CONFIG REWRITE    # persist into redis.conf" + ("" if aclfile == "" else
            " (ACL SAVE instead when the server uses an aclfile)"))


def keyspace(ctx) -> dict[int, dict[str, int]]:
    return {int(k[2:]): v for k, v in info(ctx, "keyspace").items()
            if k.startswith("db") and isinstance(v, dict)}


def server_now(ctx) -> float | None:
    """The server's clock at INFO time (seconds), so snapshots judge ages as of when they were taken."""
    usec = info(ctx, "server").get("server_time_usec")
    return usec / 1e6 if usec else None


RI = "RedisInsight Database Analysis recommendations"
