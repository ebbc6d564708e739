"""Server identity, status counters, host and startup options (admin commands)."""

from __future__ import annotations

from typing import Any

from advisor.facts import provides
from advisor.window import Counters

from .session import CLUSTER_MONITOR

# serverStatus is large (hundreds of sections); keep what the checks judge.
_CACHE_KEYS = (
    "maximum bytes configured", "bytes currently in the cache", "tracked dirty bytes in the cache",
    "pages read into cache", "pages requested from the cache", "pages evicted by application threads",
    "pages written from cache", "application threads page read from disk to cache count",
    "modified pages evicted", "unmodified pages evicted",
)


def _pick(doc: dict | None, *keys: str) -> dict[str, Any]:
    doc = doc or {}
    return {k: doc[k] for k in keys if k in doc}


def shape_server_status(doc: dict[str, Any]) -> dict[str, Any]:
    """The parts of serverStatus the checks use, in the server's own field names."""
    wt = doc.get("wiredTiger") or {}
    metrics = doc.get("metrics") or {}
    qe = metrics.get("queryExecutor") or {}
    tickets = wt.get("concurrentTransactions") or (doc.get("queues") or {}).get("execution") or {}
    return {
        "host": doc.get("host"), "version": doc.get("version"), "process": doc.get("process"),
        "uptime": doc.get("uptime"), "localTime": doc.get("localTime"),
        "storageEngine": (doc.get("storageEngine") or {}).get("name"),
        "connections": _pick(doc.get("connections"), "current", "available", "active",
                             "totalCreated", "rejected"),
        "wiredTiger": {"cache": _pick(wt.get("cache"), *_CACHE_KEYS)} if wt else None,
        "tickets": {k: _pick(v, "out", "available", "totalTickets")
                    for k, v in tickets.items() if k in ("read", "write")},
        "queryExecutor": {"scanned": qe.get("scanned"), "scannedObjects": qe.get("scannedObjects"),
                          "collectionScans": qe.get("collectionScans")},
        "operation": _pick(metrics.get("operation"), "scanAndOrder", "writeConflicts"),
        "document": _pick(metrics.get("document"), "returned", "inserted", "updated", "deleted"),
        "opcounters": doc.get("opcounters"),
        "asserts": doc.get("asserts"),
        "repl": _pick(doc.get("repl"), "setName", "isWritablePrimary", "ismaster", "secondary",
                      "hosts", "me", "primary"),
    }


@provides("mongo", "mongo.build_info")
def build_info(s, facts) -> dict[str, Any]:
    doc = s.command({"buildInfo": 1}, enable=None)
    return _pick(doc, "version", "versionArray", "gitVersion", "modules", "storageEngines")


# the cumulative parts of the shaped serverStatus; gauges (cache bytes, connections.current,
# tickets) and uptime keep their end value
SERVER_STATUS_COUNTERS = [
    Counters(("insert", "query", "update", "delete", "getmore", "command"), path=("opcounters",)),
    Counters(("scanned", "scannedObjects"), path=("queryExecutor",)),
    Counters(("total", "nonTailable"), path=("queryExecutor", "collectionScans")),
    Counters(("scanAndOrder", "writeConflicts"), path=("operation",)),
    Counters(("returned", "inserted", "updated", "deleted"), path=("document",)),
    Counters(("totalCreated", "rejected"), path=("connections",)),
    Counters(("pages read into cache", "pages requested from the cache", "pages evicted by application threads",
              "pages written from cache", "application threads page read from disk to cache count",
              "modified pages evicted", "unmodified pages evicted"), path=("wiredTiger", "cache")),
    Counters(("regular", "warning", "msg", "user", "rollovers"), path=("asserts",)),
]


@provides("mongo", "mongo.server_status", counters=SERVER_STATUS_COUNTERS)
def server_status(s, facts) -> dict[str, Any]:
    return shape_server_status(s.command({"serverStatus": 1}))


@provides("mongo", "mongo.topology")
def topology(s, facts) -> dict[str, Any]:
    """What the driver sees: topology type, data-bearing members, and this node's hello."""
    hello = s.command({"hello": 1}, enable=None)
    return {"type": s.topology, "members": s.member_hosts(),
            "hello": _pick(hello, "setName", "isWritablePrimary", "secondary", "msg", "hosts",
                           "passives", "arbiters", "me", "maxWireVersion")}


def shape_host_info(doc: dict[str, Any]) -> dict[str, Any]:
    sysinfo = doc.get("system") or {}
    mem_mb = sysinfo.get("memSizeMB")
    limit_mb = sysinfo.get("memLimitMB")
    # In a container memLimitMB is the cgroup limit; mongod sizes its cache from it.
    usable = min(x for x in (mem_mb, limit_mb) if x) if (mem_mb or limit_mb) else None
    return {"hostname": sysinfo.get("hostname"), "memSizeMB": mem_mb, "memLimitMB": limit_mb,
            "memory_bytes": int(usable * 1024 * 1024) if usable else None,
            "numCores": sysinfo.get("numCores"), "cpuArch": sysinfo.get("cpuArch"),
            "os": (doc.get("os") or {}).get("name"),
            "maxOpenFiles": (doc.get("extra") or {}).get("maxOpenFiles")}


@provides("mongo", "mongo.host_info")
def host_info(s, facts) -> dict[str, Any]:
    return shape_host_info(s.command({"hostInfo": 1}))


def shape_cmdline(doc: dict[str, Any]) -> dict[str, Any]:
    """getCmdLineOpts.parsed, with the defaults that matter made explicit."""
    parsed = doc.get("parsed") or {}
    net = parsed.get("net") or {}
    sec = parsed.get("security") or {}
    wt = ((parsed.get("storage") or {}).get("wiredTiger") or {}).get("engineConfig") or {}
    prof = parsed.get("operationProfiling") or {}
    return {
        "argv": doc.get("argv"),
        "bindIp": net.get("bindIp"), "bindIpAll": bool(net.get("bindIpAll")),
        "port": net.get("port"), "maxIncomingConnections": net.get("maxIncomingConnections"),
        "tls_mode": (net.get("tls") or net.get("ssl") or {}).get("mode"),
        "authorization": sec.get("authorization"), "keyFile": bool(sec.get("keyFile")),
        "clusterAuthMode": sec.get("clusterAuthMode"),
        "transitionToAuth": bool(sec.get("transitionToAuth")),
        "cacheSizeGB": wt.get("cacheSizeGB"),
        "profile_mode": prof.get("mode"), "slowOpThresholdMs": prof.get("slowOpThresholdMs"),
        "replSetName": (parsed.get("replication") or {}).get("replSetName"),
        "oplogSizeMB": (parsed.get("replication") or {}).get("oplogSizeMB"),
        "oplogMinRetentionHours": (parsed.get("storage") or {}).get("oplogMinRetentionHours"),
    }


@provides("mongo", "mongo.cmdline")
def cmdline(s, facts) -> dict[str, Any]:
    return shape_cmdline(s.command({"getCmdLineOpts": 1}, enable=CLUSTER_MONITOR))
