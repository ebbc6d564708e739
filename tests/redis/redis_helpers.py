"""Helpers for the Redis tests: clients, server state, report lookups."""

from __future__ import annotations

import time

import redis

from servers import RedisServer

# everything a full run may send (plus the test's own INFO): no KEYS, no CONFIG SET, no write
READ_ONLY_COMMANDS = {
    "auth", "ping", "info", "config|get", "acl|users", "acl|getuser", "slowlog|len", "slowlog|get",
    "client|list", "client|setname", "latency|latest", "cluster|nodes", "select", "scan", "type",
    "memory|usage", "pttl", "strlen", "llen", "hlen", "scard", "zcard", "xlen", "object|encoding"}


def client(srv: RedisServer, db: int = 0, password: str | None = None, **kw) -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=srv.port, db=db, password=password, **kw)


def state(r: redis.Redis) -> dict:
    """Key count per db and the whole configuration: must be identical before and after a run."""
    ks = {k: v["keys"] for k, v in r.info("keyspace").items()}
    return {"keyspace": ks, "config": r.config_get("*")}


def findings(report: dict, check: str | None = None) -> list[dict]:
    fs = report["findings"]
    return [f for f in fs if check is None or f["check"] == check]


def skipped(report: dict) -> dict[str, str]:
    return {s["check"]: s["reason"] for s in report["skipped"]}


def wait_for(condition, seconds: float = 15.0) -> None:
    """Poll until the server reached the planted state (the machine may be busy)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "planted state not reached in time"
        time.sleep(0.05)
