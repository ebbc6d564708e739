"""Databases, collections with storage statistics, and indexes with usage summed over members."""

from __future__ import annotations

import time
from typing import Any

from advisor.errors import FactUnavailable, TargetLost
from advisor.facts import provides

from .session import CLUSTER_MONITOR, read_grant

SYSTEM_DBS = ("admin", "local", "config")
_STAT_KEYS = ("count", "size", "avgObjSize", "storageSize", "freeStorageSize", "capped",
              "nindexes", "totalIndexSize")


@provides("mongo", "mongo.databases")
def databases(s, facts) -> dict[str, Any]:
    """listDatabases (with authorizedDatabases, so a user with read on some dbs sees those)."""
    doc = s.command({"listDatabases": 1, "authorizedDatabases": True}, enable=CLUSTER_MONITOR)
    return {"rows": [{"name": d["name"], "sizeOnDisk": d.get("sizeOnDisk"), "empty": d.get("empty")}
                     for d in doc.get("databases", [])],
            "totalSize": doc.get("totalSize")}


def _deadline(facts) -> float:
    """Catalog walks stop after options.catalog_budget seconds (default 60) and say so."""
    return time.monotonic() + float(facts.options.get("catalog_budget", 60))


def user_databases(facts) -> list[str]:
    include_system = bool(facts.options.get("include_system_dbs", False))
    return [d["name"] for d in facts.get("mongo.databases")["rows"]
            if include_system or d["name"] not in SYSTEM_DBS]


def shape_coll_stats(doc: dict[str, Any]) -> dict[str, Any]:
    st = doc.get("storageStats") or {}
    return {k: st.get(k) for k in _STAT_KEYS}


@provides("mongo", "mongo.collections")
def collections(s, facts) -> dict[str, Any]:
    """Collections of the user databases with $collStats storageStats, bounded by
    options.collection_limit (default 2000). Views are counted, not measured."""
    limit = int(facts.options.get("collection_limit", 2000))
    rows, unreadable, views, truncated = [], {}, 0, False
    deadline = _deadline(facts)
    for db in user_databases(facts):
        if truncated:
            break
        try:
            listed = s.list_collections(db, enable=read_grant(db), limit=limit + 1)
        except FactUnavailable as e:
            unreadable[db] = e.describe()
            continue
        for c in listed:
            name, ctype = c.get("name", ""), c.get("type", "collection")
            if ctype == "view":
                views += 1
                continue
            if name.startswith("system."):
                continue
            if len(rows) >= limit or time.monotonic() > deadline:
                truncated = True
                break
            row = {"db": db, "collection": name, "type": ctype}
            try:
                stats = s.aggregate(db, name, [{"$collStats": {"storageStats": {}}}],
                                    enable=read_grant(db) + " (or clusterMonitor)", limit=1)
                row.update(shape_coll_stats(stats[0] if stats else {}))
            except FactUnavailable as e:
                row["stats_error"] = e.describe()
            rows.append(row)
    return {"rows": rows, "views": views, "unreadable": unreadable, "truncated": truncated,
            "limit": limit}


def shape_index(db: str, coll: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"db": db, "collection": coll, "name": spec.get("name"),
            "key": [[f, d] for f, d in (spec.get("key") or {}).items()],
            "unique": bool(spec.get("unique")), "sparse": bool(spec.get("sparse")),
            "partialFilterExpression": spec.get("partialFilterExpression"),
            "collation": spec.get("collation"), "hidden": bool(spec.get("hidden")),
            "expireAfterSeconds": spec.get("expireAfterSeconds"),
            "ops": None, "since": None, "hosts": [], "ops_by_host": {}, "members_read": 0}


def add_index_stats(row: dict[str, Any], stats: list[dict[str, Any]]) -> None:
    """Sum $indexStats accesses over hosts; `since` is the oldest counter start."""
    for st in stats:
        host = st.get("host") or "?"
        ops = int((st.get("accesses") or {}).get("ops") or 0)
        since = (st.get("accesses") or {}).get("since")
        row["ops_by_host"][host] = row["ops_by_host"].get(host, 0) + ops
        row["ops"] = (row["ops"] or 0) + ops
        if host not in row["hosts"]:
            row["hosts"].append(host)
        if since is not None and (row["since"] is None or since < row["since"]):
            row["since"] = since


@provides("mongo", "mongo.indexes")
def indexes(s, facts) -> dict[str, Any]:
    """listIndexes of every collection, with $indexStats summed over every member.

    Counters are per host and reset on restart: a replica set is read member by
    member (direct connections), a sharded cluster through mongos (one row per shard).
    `members_read` says on how many of `members` the counters could be read (the
    `host` inside $indexStats is the server's own name, which may differ from the
    address the driver uses)."""
    colls = facts.get("mongo.collections")
    hello = facts.get("mongo.topology")["hello"]
    hosts = s.member_hosts() if s.topology.startswith("ReplicaSet") else [None]
    rows, errors, truncated = [], {}, colls.get("truncated", False)
    lost: set[str] = set()   # members that stopped answering: not asked again
    deadline = _deadline(facts)
    for c in colls["rows"]:
        db, name = c["db"], c["collection"]
        if time.monotonic() > deadline:
            truncated = True
            break
        if c.get("type") == "timeseries":
            continue
        try:
            specs = s.list_indexes(db, name, enable=read_grant(db))
        except FactUnavailable as e:
            errors[f"{db}.{name}"] = e.describe()
            continue
        by_name = {sp["name"]: shape_index(db, name, sp)
                   for sp in specs}
        for host in hosts:
            if host in lost:
                continue
            client = s.member(host) if host else None
            try:
                stats = s.aggregate(db, name, [{"$indexStats": {}}], client=client,
                                    enable=CLUSTER_MONITOR + " (indexStats action)")
            except FactUnavailable as e:
                errors[f"{db}.{name}@{host or 'target'}"] = e.describe()
                continue
            except TargetLost as e:
                if host is None:
                    raise
                lost.add(host)   # one member down must not end the run: its counters are missing
                errors[f"member {host}"] = f"member unreachable: {e}"
                continue
            for row in by_name.values():
                row["members_read"] += 1
                row["ops"] = row["ops"] or 0   # read, even if the index has no row yet
            for st in stats:
                if st.get("name") in by_name:
                    add_index_stats(by_name[st["name"]], [st])
        rows.extend(by_name.values())
    return {"rows": rows, "members": [h for h in hosts if h], "errors": errors, "truncated": truncated,
            "replica_set": hello.get("setName"), "lost_members": sorted(lost),
            "members_expected": len(hello.get("hosts") or []) + len(hello.get("passives") or []),
            "direct_member": s.topology == "Single" and bool(hello.get("setName"))}
