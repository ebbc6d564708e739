"""Helpers shared by the Redis checks: INFO sections, settings with an INFO fallback, sizes."""

from __future__ import annotations

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


def config_fix(name: str, value: Any) -> str:
    """The redis.conf line and the live command (for the operator to run; the advisor never writes)."""
    v = f'"{value}"' if (" " in str(value) or value == "") else value
    return f"{name} {v}    # redis.conf\nredis-cli CONFIG SET {name} {v}    # live, then CONFIG REWRITE"


def keyspace(ctx) -> dict[int, dict[str, int]]:
    return {int(k[2:]): v for k, v in info(ctx, "keyspace").items()
            if k.startswith("db") and isinstance(v, dict)}


def server_now(ctx) -> float | None:
    """The server's clock at INFO time (seconds), so snapshots judge ages as of when they were taken."""
    usec = info(ctx, "server").get("server_time_usec")
    return usec / 1e6 if usec else None
