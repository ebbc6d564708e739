"""INFO, CONFIG GET, ACL flags and cluster topology: the facts most Redis checks need."""

from __future__ import annotations

import re
from typing import Any

from advisor.errors import FactUnavailable
from advisor.facts import provides
from advisor.window import Counters

# CONFIG values that are secrets: we keep only whether they are set.
_SECRET_CONFIG = re.compile(r"pass|auth|secret", re.I)
_ACL_GETUSER_CAP = 100


def _text(b: Any) -> str:
    return b.decode("utf-8", "replace") if isinstance(b, (bytes, bytearray)) else str(b)


def _number(v: str) -> Any:
    try:
        return int(v)
    except ValueError:
        pass
    try:
        return float(v)
    except ValueError:
        return v


def parse_info(raw: bytes | str) -> dict[str, dict[str, Any]]:
    """INFO text -> {section: {field: value}}; 'a=1,b=2' values become dicts."""
    sections: dict[str, dict[str, Any]] = {}
    current = sections.setdefault("server", {})
    for line in _text(raw).splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            current = sections.setdefault(line.lstrip("# ").strip().lower(), {})
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        parts = value.split(",")
        if "=" in value and all("=" in p for p in parts):
            current[key] = {k: _number(v) for k, _, v in (p.partition("=") for p in parts)}
        else:
            current[key] = _number(value)
    return sections


@provides("redis", "redis.info", counters=[
    Counters(("keyspace_hits", "keyspace_misses", "evicted_keys", "expired_keys", "rejected_connections",
              "total_commands_processed", "total_connections_received", "total_net_input_bytes",
              "total_net_output_bytes", "sync_full", "sync_partial_ok", "sync_partial_err",
              "total_error_replies", "expired_time_cap_reached_count", "total_eviction_exceeded_time",
              "io_threaded_reads_processed", "io_threaded_writes_processed"), path=("stats",)),
    Counters(("calls", "usec", "rejected_calls", "failed_calls"), key="*", path=("commandstats",),
             derive=lambda r: {**r, "usec_per_call": r["usec"] / r["calls"] if r.get("calls") else 0.0}),
    Counters(("count",), key="*", path=("errorstats",))])
def info(s, facts) -> dict[str, dict[str, Any]]:
    """INFO everything (commandstats, errorstats, latencystats included); plain INFO before 6."""
    try:
        raw = s.run("INFO", "everything")
    except FactUnavailable:
        raw = s.run("INFO")
    return parse_info(raw)


def parse_config(reply: list) -> dict[str, str]:
    pairs = [_text(x) for x in reply]
    out = dict(zip(pairs[0::2], pairs[1::2]))
    for k in out:
        if _SECRET_CONFIG.search(k) and k not in ("tls-auth-clients",):
            out[k] = "(set)" if out[k] else ""
    return out


@provides("redis", "redis.config")
def config(s, facts) -> dict[str, str]:
    """CONFIG GET * with secrets reduced to '(set)' / ''. Blocked on many managed services."""
    try:
        return parse_config(s.run("CONFIG", "GET", "*"))
    except FactUnavailable as e:
        raise FactUnavailable(f"configuration not readable: {e.reason}",
                              "grant +config|get (ACL SETUSER <user> +config|get), or review the settings "
                              "in your provider's console") from None


@provides("redis", "redis.acl")
def acl(s, facts) -> dict[str, Any]:
    """Each ACL user's flags (on/off, nopass, ...) -- never the password hashes."""
    names = sorted(_text(u) for u in s.run("ACL", "USERS"))
    users = {}
    for name in names[:_ACL_GETUSER_CAP]:
        reply = s.run("ACL", "GETUSER", name)
        fields = dict(zip((_text(k) for k in reply[0::2]), reply[1::2]))
        users[name] = {"flags": [_text(f) for f in fields.get("flags", [])],
                       "passwords": len(fields.get("passwords", []))}
    return {"users": users, "total": len(names)}


def parse_cluster_nodes(raw: bytes | str) -> list[dict[str, Any]]:
    nodes = []
    for line in _text(raw).splitlines():
        f = line.split()
        if len(f) < 8:
            continue
        flags = f[2].split(",")
        nodes.append({"id": f[0], "addr": f[1].split("@")[0], "flags": flags,
                      "role": "master" if "master" in flags else "replica" if "slave" in flags else "?",
                      "master_id": None if f[3] == "-" else f[3], "link": f[7],
                      "slots": f[8:], "myself": "myself" in flags})
    return nodes


@provides("redis", "redis.cluster")
def cluster(s, facts) -> dict[str, Any]:
    """Cluster mode and, when on, every node of CLUSTER NODES (address, role, link, slots)."""
    enabled = facts.get("redis.info").get("cluster", {}).get("cluster_enabled") == 1
    if not enabled:
        return {"enabled": False, "nodes": []}
    nodes = parse_cluster_nodes(s.run("CLUSTER", "NODES"))
    for n in nodes:  # a node that never met another one does not know its own IP
        if n["addr"].startswith(":"):
            n["addr"] = f"{s.url_options.get('host', '127.0.0.1')}{n['addr']}"
    return {"enabled": True, "nodes": nodes}
