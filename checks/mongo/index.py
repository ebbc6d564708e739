"""Indexes: unused, redundant, too many per collection, and the ESR index advisor."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from advisor.errors import Skip
from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_duration

from ._common import coll_js, mongosh, parse_time, server_now
from ._shapes import (
    ATLAS_PA,
    ESR,
    covered_by_existing,
    existing_keys,
    group_shapes,
    index_fix,
    is_prefix,
    key_text,
    suggest_esr_index,
)

ATLAS = "Atlas Performance Advisor (unused: no use for >= 7 days; redundant: prefix, unless unique/sparse/partial differ)"


PMM_UNUSED = "Percona PMM MongoDB advisor (unused index: $indexStats ops = 0, not _id_, uptime > 30 days)"


def _by_collection(rows):
    out = defaultdict(list)
    for r in rows:
        out[(r["db"], r["collection"])].append(r)
    return out


@check(
    id="mongo.index.unused", title="Indexes never used on any member", category="indexes",
    severity=Severity.WARNING, facts=["mongo.indexes", "mongo.server_status"],
    reference=ATLAS + "; " + PMM_UNUSED,
    thresholds={"min_tracked_days": Threshold(7, "days", ATLAS + ": at least 7 days of counters")},
)
def unused_indexes(ctx):
    """$indexStats counts index accesses per host since the counter started
    (accesses.since: the index build or the last mongod restart). An index with
    0 ops summed over every member, tracked long enough, only costs writes, disk
    and cache. _id_ and unique indexes (they enforce a constraint) and TTL indexes
    (the TTL monitor's deletes are not counted) are never flagged. Counters
    younger than min_tracked_days (a fresh restart) are not judged. Fix: hide the
    index first (4.4+; reversible), watch, then drop it."""
    fact = ctx.fact("mongo.indexes")
    if fact["rows"] and all(r.get("ops") is None for r in fact["rows"]):
        raise Skip("$indexStats could not be read on any collection",
                   next(iter(fact.get("errors", {}).values()), None))
    if fact.get("direct_member"):
        raise Skip(f"connected directly to one member of replica set {fact.get('replica_set')}: "
                   "index usage on the other members is unknown",
                   "connect with the replica-set URL (mongodb://h1,h2,h3/?replicaSet=NAME), "
                   "without directConnection=true")
    if fact.get("lost_members"):
        raise Skip(f"member(s) {', '.join(fact['lost_members'])} stopped answering: their index usage "
                   "is unknown", "run again when every member is reachable")
    members = len(fact.get("members") or []) or 1
    if fact.get("replica_set") and members < fact.get("members_expected", 0):
        raise Skip(f"only {members} of {fact['members_expected']} replica-set members were reachable: "
                   "index usage on the others is unknown", "run the advisor where every member is reachable")
    now = server_now(ctx)
    min_days = ctx.threshold("min_tracked_days")
    for r in fact["rows"]:
        if r["name"] == "_id_" or r.get("unique") or r.get("expireAfterSeconds") is not None:
            continue
        if r.get("ops") is None or r.get("members_read", 1) < members:
            continue  # usage not read on every member: cannot say "unused"
        since = parse_time(r.get("since"))
        if r["ops"] != 0 or since is None:
            continue
        tracked = (now - since).total_seconds()
        if tracked < min_days * 86400:
            continue
        coll = coll_js(r["db"], r["collection"])
        yield ctx.finding(
            object=f"{r['db']}.{r['collection']}.{r['name']}",
            summary=f"index {r['name']} on {r['db']}.{r['collection']} has not been used in "
                    f"{human_duration(tracked)} on {len(r.get('hosts') or [])} member(s)",
            evidence={"ops": 0, "ops_by_host": r.get("ops_by_host"), "since": r.get("since"),
                      "tracked_days": round(tracked / 86400, 1), "min_tracked_days": min_days,
                      "key": r["key"], "hidden": r.get("hidden")},
            recommendation="Hide the index (the planner stops using it, writes still maintain it), "
                           "watch for slow queries for a while, then drop it.",
            fix="# hidden at once on every member (replicated), unhide with unhideIndex; no rebuild either way\n"
                + mongosh(ctx, f"{coll}.hideIndex(\"{r['name']}\")") + "\n"
                "# later, after a quiet period without slow queries on these fields (a drop needs a rebuild to undo):\n# "
                + mongosh(ctx, f"{coll}.dropIndex(\"{r['name']}\")"))


def _same_scope(a: dict, b: dict) -> bool:
    """b serves every document and query a serves: same partial filter and collation,
    and b is not sparse unless a is."""
    return (a.get("partialFilterExpression") == b.get("partialFilterExpression")
            and (a.get("collation") or None) == (b.get("collation") or None)
            and (a.get("sparse") or not b.get("sparse")))


def redundant_pairs(rows):
    """(redundant, covering) index pairs within each collection, by the prefix rule."""
    for _, idx in sorted(_by_collection(rows).items()):
        for a in idx:
            if a["name"] == "_id_" or a.get("unique") or a.get("expireAfterSeconds") is not None:
                continue
            for b in idx:
                if b is a or b.get("hidden") or not _same_scope(a, b):
                    continue
                if not is_prefix(a["key"], b["key"]):
                    continue
                if len(a["key"]) == len(b["key"]) and _same_scope(b, a) and a["name"] < b["name"]:
                    continue  # two equivalent indexes: report one of the two
                yield a, b
                break


@check(
    id="mongo.index.redundant", title="Indexes that are a prefix of another index",
    category="indexes", severity=Severity.WARNING, facts=["mongo.indexes"], reference=ATLAS,
)
def redundant_indexes(ctx):
    """An index whose key is a leading prefix of another index on the same
    collection (same directions, or all reversed) serves no query the longer
    index cannot. Not flagged: unique indexes (a constraint), TTL indexes, and
    pairs whose partialFilterExpression or collation differ, or where only the
    longer index is sparse (it would miss documents). Unlike keyhole's loose rule,
    the whole key must be a prefix, not just the first field. Fix: drop the
    shorter index after checking hint() usage in the application."""
    for a, b in redundant_pairs(ctx.fact("mongo.indexes")["rows"]):
        coll = coll_js(a["db"], a["collection"])
        yield ctx.finding(
            object=f"{a['db']}.{a['collection']}.{a['name']}",
            summary=f"index {a['name']} {key_text(a['key'])} on {a['db']}.{a['collection']} is "
                    f"covered by {b['name']} {key_text(b['key'])}",
            evidence={"index": a["name"], "key": a["key"], "covered_by": b["name"],
                      "covered_by_key": b["key"], "ops": a.get("ops"), "covering_ops": b.get("ops"),
                      "rule": "key is a prefix of the covering index; same partial filter, "
                              "collation and sparseness; not unique"},
            recommendation=f"Drop {a['name']}: queries on its fields use {b['name']}. "
                           "Check that no application code hints it by name first.",
            fix="# replicated to every member; a query that hints this index by name fails afterwards\n"
                + mongosh(ctx, f"{coll}.dropIndex(\"{a['name']}\")"))


@check(
    id="mongo.index.too_many", title="Collections with too many indexes", category="indexes",
    severity=Severity.WARNING, facts=["mongo.indexes"],
    reference="MongoDB schema anti-pattern 'Unnecessary Indexes' (Atlas flags > 30; hard limit 64)",
    thresholds={"max_indexes": Threshold(30, "indexes", "Atlas schema suggestions: more than 30 indexes "
                                                          "on a collection")},
)
def too_many_indexes(ctx):
    """Every index is updated on every insert and on updates of its fields, and
    competes for the WiredTiger cache. Many indexes on one collection usually
    means overlapping ones (see mongo.index.redundant) or per-query indexes that
    a compound index or a wildcard index could replace; the hard limit is 64.
    Fix: remove unused and redundant indexes, merge the rest by the ESR rule."""
    limit = ctx.threshold("max_indexes")
    for (db, coll), idx in sorted(_by_collection(ctx.fact("mongo.indexes")["rows"]).items()):
        if len(idx) > limit:
            unused = sorted(r["name"] for r in idx if r.get("ops") == 0 and r["name"] != "_id_")
            yield ctx.finding(
                object=f"{db}.{coll}", summary=f"{db}.{coll} has {len(idx)} indexes (> {limit})",
                evidence={"indexes": len(idx), "max_indexes": limit, "unused": unused[:20], "fix_kind": "manual"},
                recommendation="Drop unused and redundant indexes; merge single-field indexes into "
                               "compound indexes ordered by the ESR rule.",
                fix=mongosh(ctx, f"{coll_js(db, coll)}.aggregate([{{$indexStats: {{}}}}])"))


def _merge(cands: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A key that is a prefix of another key of the same collection is served by it."""
    cands = sorted(cands, key=lambda c: (c["ns"], -len(c["key"])))
    kept: list[dict[str, Any]] = []
    for c in cands:
        host = next((k for k in kept if k["ns"] == c["ns"] and is_prefix(c["key"], k["key"])), None)
        if host is None:
            kept.append(c)
        else:
            host["shapes"] += c["shapes"]
    return kept


@check(
    id="mongo.index.suggested",
    title="Compound index that would serve collection-scanning query shapes",
    category="indexes",
    severity=Severity.WARNING,
    facts=["mongo.profile", "mongo.indexes"],
    reference=ATLAS_PA + "; " + ESR,
    thresholds={
        "min_wasted_docs": Threshold(500, "docs", ATLAS_PA),
        "max_returned_ratio": Threshold(0.2, "ratio", "db-advisor: a shape returning over 20% of what it "
                                                      "scans gains little from an index"),
    },
)
def suggested_index(ctx):
    """The profiler's COLLSCAN operations are grouped by namespace, filter shape and sort;
    each shape that examines more than min_wasted_docs documents beyond those it returns
    gets an ESR-ordered key (equality fields, then sort fields, then range fields).
    Shapes returning most of what they scan are left out (low selectivity), keys an
    existing index already has as prefix are dropped, and a key that is a prefix of
    another key on the same collection is merged into it, so one index serves several
    shapes. Findings rank by the profiled time of the shapes served. Fix: createIndex
    with the key shown (rolling, member by member, on a busy replica set), then check
    explain('executionStats').
    """
    prof = ctx.fact("mongo.profile")
    existing = existing_keys(ctx)
    cands = []
    for g in group_shapes(prof["rows"], lambda r: (r.get("planSummary") or "").startswith("COLLSCAN")):
        wasted = g["docsExamined"] - g["nreturned"]
        if wasted <= ctx.threshold("min_wasted_docs"):
            continue
        if g["docsExamined"] and g["nreturned"] / g["docsExamined"] > ctx.threshold("max_returned_ratio"):
            continue
        key = suggest_esr_index(g["filter"], g["sort"])
        if not key or covered_by_existing(key, existing.get(g["ns"], [])):
            continue
        cands.append({"ns": g["ns"], "key": key, "shapes": [g]})
    ranked = sorted(_merge(cands), key=lambda c: (-sum(s["millis"] for s in c["shapes"]), c["ns"]))
    for rank, c in enumerate(ranked, 1):
        ms = sum(s["millis"] for s in c["shapes"])
        yield ctx.finding(
            object=f"{c['ns']} {key_text(c['key'])}",
            summary=f"index {key_text(c['key'])} on {c['ns']} would serve {len(c['shapes'])} collection-scanning "
                    f"shape(s) taking {human_duration(ms / 1000)} in the profile",
            evidence={"rank": rank, "ns": c["ns"], "key": c["key"], "profiled_millis": ms,
                      "shapes": [{"filter": s["filter"], "sort": s["sort"], "count": s["count"],
                                  "docsExamined": s["docsExamined"], "nreturned": s["nreturned"],
                                  "millis": s["millis"]} for s in c["shapes"][:10]],
                      "min_wasted_docs": ctx.threshold("min_wasted_docs"),
                      "max_returned_ratio": ctx.threshold("max_returned_ratio")},
            recommendation="Create the index (equality, sort, range order); it replaces the collection "
                           "scans of the shapes listed. Check with explain('executionStats').",
            fix=index_fix(ctx, c["ns"], c["key"]))
