"""Replica-set state (replSetGetStatus) and the oplog window (local.oplog.rs)."""

from __future__ import annotations

from typing import Any

from advisor.facts import provides

from .session import CLUSTER_MONITOR, read_grant


def _is_replica_set(facts) -> bool:
    return bool(facts.get("mongo.topology")["hello"].get("setName"))


def shape_replset(doc: dict[str, Any]) -> dict[str, Any]:
    members = [{k: m.get(k) for k in ("name", "stateStr", "health", "optimeDate", "self",
                                       "syncSourceHost", "uptime")}
               for m in doc.get("members") or []]
    return {"enabled": True, "set": doc.get("set"), "date": doc.get("date"), "members": members}


@provides("mongo", "mongo.replset")
def replset(s, facts) -> dict[str, Any]:
    """Members with state and last applied optime; {"enabled": False} on a standalone."""
    if not _is_replica_set(facts):
        return {"enabled": False, "topology": facts.get("mongo.topology")["type"]}
    return shape_replset(s.command({"replSetGetStatus": 1}, enable=CLUSTER_MONITOR))


def _ts_seconds(entry: dict[str, Any] | None) -> float | None:
    ts = (entry or {}).get("ts")
    if ts is None:
        return None
    return float(getattr(ts, "time", ts))  # bson Timestamp -> seconds since the epoch


@provides("mongo", "mongo.oplog")
def oplog(s, facts) -> dict[str, Any]:
    """First and last oplog entry times and the configured size: the replication window."""
    if not _is_replica_set(facts):
        return {"enabled": False}
    enable = read_grant("local")
    first = s.find("local", "oplog.rs", {}, sort=[("$natural", 1)], limit=1,
                   projection={"ts": 1, "_id": 0}, enable=enable)
    last = s.find("local", "oplog.rs", {}, sort=[("$natural", -1)], limit=1,
                  projection={"ts": 1, "_id": 0}, enable=enable)
    stats = s.aggregate("local", "oplog.rs", [{"$collStats": {"storageStats": {}}}],
                        enable=CLUSTER_MONITOR, limit=1)
    st = (stats[0].get("storageStats") if stats else None) or {}
    t0, t1 = _ts_seconds(first[0] if first else None), _ts_seconds(last[0] if last else None)
    return {"enabled": True, "first_ts": t0, "last_ts": t1,
            "window_seconds": (t1 - t0) if t0 is not None and t1 is not None else None,
            "maxSize": st.get("maxSize"), "size": st.get("size")}
