"""Slow log, connected clients and the latency monitor: what the server has been doing."""

from __future__ import annotations

from typing import Any

from advisor.errors import FactUnavailable
from advisor.facts import provides

from .facts_server import _number, _text

SLOWLOG_ENTRIES = 128      # SLOWLOG GET reads at most this many (option slowlog_entries)
ARG_CHARS = 64             # each argument of a slow command is cut to this length
MAX_ARGS = 8               # and at most this many arguments are kept
CLIENT_LIST_MAX = 10_000   # CLIENT LIST is skipped above this many clients (option client_list_max)
TOP_CLIENTS = 10


def _arg(a: Any) -> str:
    t = _text(a)
    return t if len(t) <= ARG_CHARS else t[:ARG_CHARS] + f"...({len(t)} chars)"


def parse_slowlog(reply: list) -> list[dict[str, Any]]:
    out = []
    for item in reply:
        args = item[3] if isinstance(item[3], list) else item[4]  # Redis Enterprise adds a field
        extra = item[4:] if isinstance(item[3], list) else item[5:]
        shown = [_arg(a) for a in args[:MAX_ARGS]]
        if len(args) > MAX_ARGS:
            shown.append(f"...({len(args) - MAX_ARGS} more args)")
        out.append({"id": int(item[0]), "start_time": int(item[1]), "duration_us": int(item[2]),
                    "command": _text(args[0]).upper() if args else "?", "args": shown,
                    "client": _text(extra[0]) if extra else None,
                    "client_name": _text(extra[1]) if len(extra) > 1 else None})
    return out


@provides("redis", "redis.slowlog")
def slowlog(s, facts) -> dict[str, Any]:
    """The newest slow-log entries (arguments truncated) and the log's total length."""
    n = int(facts.options.get("slowlog_entries", SLOWLOG_ENTRIES))
    return {"len": int(s.run("SLOWLOG", "LEN")), "entries": parse_slowlog(s.run("SLOWLOG", "GET", n)),
            "read_max": n}


def parse_client_list(raw: bytes | str) -> list[dict[str, Any]]:
    clients = []
    for line in _text(raw).splitlines():
        fields = dict(p.partition("=")[::2] for p in line.split(" ") if "=" in p)
        clients.append({k: _number(v) for k, v in fields.items()})
    return clients


@provides("redis", "redis.clients")
def clients(s, facts) -> dict[str, Any]:
    """CLIENT LIST summarized: counts by kind, output-buffer memory, the heaviest clients."""
    limit = int(facts.options.get("client_list_max", CLIENT_LIST_MAX))
    connected = facts.get("redis.info").get("clients", {}).get("connected_clients", 0)
    if connected > limit:
        raise FactUnavailable(f"{connected} clients connected: CLIENT LIST skipped above {limit}",
                              "raise [options.redis] client_list_max to read it anyway")
    rows = parse_client_list(s.run("CLIENT", "LIST"))
    kinds: dict[str, int] = {}
    for c in rows:
        flags = str(c.get("flags", ""))
        kind = "replica" if "S" in flags else "master" if "M" in flags else \
            "pubsub" if "P" in flags else "blocked" if "b" in flags else "normal"
        c["kind"] = kind
        kinds[kind] = kinds.get(kind, 0) + 1
    keep = ("id", "addr", "name", "kind", "age", "idle", "db", "cmd", "omem", "tot-mem", "qbuf", "oll")

    def top(field: str) -> list[dict[str, Any]]:
        ranked = sorted(rows, key=lambda c: -(c.get(field) or 0))[:TOP_CLIENTS]
        return [{k: c.get(k) for k in keep} for c in ranked if c.get(field)]

    return {"count": len(rows), "kinds": kinds,
            "omem_total": sum(c.get("omem") or 0 for c in rows),
            "top_omem": top("omem"), "top_total_memory": top("tot-mem")}


@provides("redis", "redis.latency")
def latency(s, facts) -> list[dict[str, Any]]:
    """LATENCY LATEST: the latest and maximum latency spike per event (empty when the monitor is off)."""
    return [{"event": _text(e[0]), "time": int(e[1]), "latest_ms": int(e[2]), "max_ms": int(e[3])}
            for e in s.run("LATENCY", "LATEST")]
