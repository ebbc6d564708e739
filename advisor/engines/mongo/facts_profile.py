"""The database profiler: its level per database ({profile: -1} only reads it) and the
newest system.profile entries, normalized to query shapes.

Literal values in filters are replaced by "?" unless options.profile_values is
true, so reports and snapshots carry the shape of a query, not customer data."""

from __future__ import annotations

from typing import Any

from advisor.errors import FactUnavailable
from advisor.facts import provides
from advisor.window import Counters

from .facts_catalog import user_databases

PROFILE_ENABLE = ("grant the enableProfiler action on the database (role dbAdmin, or the custom role "
                  "advisorProfileReader of docs/mongo.md); the advisor only sends {profile: -1}, which reads")
PROFILE_READ = ("grant find on <db>.system.profile (read does not cover system collections): role dbAdmin "
                "on the database, or the custom role advisorProfileReader of docs/mongo.md")
_OPS = ["query", "update", "remove", "command"]
_FIELDS = ("ns", "op", "command", "planSummary", "docsExamined", "keysExamined", "nreturned",
           "millis", "hasSortStage", "ts")


@provides("mongo", "mongo.profile_status")
def profile_status(s, facts) -> dict[str, Any]:
    """{db: {"was": 0|1|2, "slowms": int, "sampleRate": float}} for every user database."""
    levels, unreadable = {}, {}
    for db in user_databases(facts):
        try:
            doc = s.command({"profile": -1}, db, enable=PROFILE_ENABLE)
        except FactUnavailable as e:
            unreadable[db] = e.describe()
            continue
        levels[db] = {"was": doc.get("was"), "slowms": doc.get("slowms"),
                      "sampleRate": doc.get("sampleRate"), "filter": doc.get("filter")}
    if not levels and unreadable:
        raise FactUnavailable("the profiling level of no database could be read", PROFILE_ENABLE)
    return {"databases": levels, "unreadable": unreadable}


def redact(value: Any) -> Any:
    """Keep operators and field names, replace literal values by "?"."""
    if isinstance(value, dict):
        if value and all(str(k).startswith("$") for k in value):
            return {k: redact(v) for k, v in value.items()}
        if any(str(k).startswith("$") for k in value):
            return {k: (redact(v) if str(k).startswith("$") else "?") for k, v in value.items()}
        return {k: redact_field(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value] if value and isinstance(value[0], dict) else ["?"]
    return "?"


def redact_field(value: Any) -> Any:
    """The value of a field in a filter: an operator document keeps its operators."""
    if isinstance(value, dict) and value and all(str(k).startswith("$") for k in value):
        return {k: redact(v) for k, v in value.items()}
    return "?"


def _filter_and_sort(op: str, cmd: dict[str, Any]) -> tuple[dict, dict | None]:
    if op == "query":
        return cmd.get("filter") or {}, cmd.get("sort")
    if op in ("update", "remove"):
        return cmd.get("q") or {}, None
    if "aggregate" in cmd:
        flt, sort = {}, None
        for stage in cmd.get("pipeline") or []:
            if "$match" in stage and not flt and sort is None:
                flt = stage["$match"]
            elif "$sort" in stage and sort is None:
                sort = stage["$sort"]
            else:
                break
        return flt, sort
    if "count" in cmd or "distinct" in cmd:
        return cmd.get("query") or {}, None
    if "findAndModify" in cmd or "findandmodify" in cmd:
        return cmd.get("query") or {}, cmd.get("sort")
    return {}, None


def shape_profile_entry(doc: dict[str, Any], keep_values: bool = False) -> dict[str, Any]:
    op = doc.get("op", "")
    flt, sort = _filter_and_sort(op, doc.get("command") or {})
    if not keep_values:
        flt = {k: (redact(v) if str(k).startswith("$") else redact_field(v)) for k, v in flt.items()}
    return {"ns": doc.get("ns"), "op": op, "filter": flt, "sort": dict(sort) if sort else None,
            "planSummary": doc.get("planSummary") or "",
            "docsExamined": int(doc.get("docsExamined") or 0),
            "keysExamined": int(doc.get("keysExamined") or 0),
            "nreturned": int(doc.get("nreturned") or 0), "millis": int(doc.get("millis") or 0),
            "hasSortStage": bool(doc.get("hasSortStage") or doc.get("scanAndOrder")),
            "ts": doc.get("ts")}


# in a window: the entries written during it (newer than the newest one at its start)
@provides("mongo", "mongo.profile", counters=[Counters((), path=("rows",), after="ts")])
def profile(s, facts) -> dict[str, Any]:
    """Newest options.profile_limit (default 1000) query/update/remove/command entries of
    system.profile in every database whose profiler is on (the profiler is never switched on)."""
    status = facts.get("mongo.profile_status")["databases"]
    limit = int(facts.options.get("profile_limit", 1000))
    keep = bool(facts.options.get("profile_values", False))
    rows, truncated, unreadable = [], False, {}
    for db, st in status.items():
        if not st.get("was"):
            continue
        try:
            docs = s.find(db, "system.profile", {"op": {"$in": _OPS}}, sort=[("ts", -1)],
                          limit=limit + 1, projection={f: 1 for f in _FIELDS} | {"_id": 0},
                          enable=PROFILE_READ.replace("<db>", db))
        except FactUnavailable as e:
            unreadable[db] = e.describe()
            continue
        truncated = truncated or len(docs) > limit
        rows.extend(shape_profile_entry(d, keep) for d in docs[:limit]
                    if not str(d.get("ns", "")).split(".", 1)[-1].startswith("system."))
    if unreadable and not rows:
        raise FactUnavailable("system.profile could not be read", next(iter(unreadable.values())))
    return {"rows": rows, "truncated": truncated, "limit": limit, "unreadable": unreadable}
