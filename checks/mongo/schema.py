"""Schema shape: documents near the size limit, too many collections."""

from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_bytes

from ._common import coll_js, mongosh

ATLAS_SCHEMA = "Atlas schema suggestions / MongoDB schema anti-patterns"


@check(
    id="mongo.schema.large_documents", title="Collections with very large average documents",
    category="schema", severity=Severity.WARNING, facts=["mongo.collections"],
    reference=ATLAS_SCHEMA + " ('Bloated Documents'); BSON limit 16 MB",
    thresholds={"max_avg_bytes": Threshold(1024**2, "bytes", "db-advisor default (1/16 of the 16 MB BSON limit)")},
)
def large_documents(ctx):
    """Large documents (often unbounded arrays or embedded history) are read and
    written whole: every update rewrites them, fewer fit in the cache, and growth
    ends at the 16 MB BSON limit. Fix: move the growing part to its own collection
    (subset / bucket / outlier patterns) and project only the fields you need."""
    limit = ctx.threshold("max_avg_bytes")
    for c in ctx.fact("mongo.collections")["rows"]:
        avg = c.get("avgObjSize") or 0
        if avg > limit and c.get("count"):
            yield ctx.finding(
                object=f"{c['db']}.{c['collection']}",
                summary=f"{c['db']}.{c['collection']}: average document is {human_bytes(avg)}",
                evidence={"avgObjSize": avg, "count": c.get("count"), "size": c.get("size"), "fix_kind": "manual",
                          "max_avg_bytes": limit},
                recommendation="Split the growing part (arrays, history) into another collection; "
                               "keep hot fields in a small document.",
                fix=mongosh(ctx, f"{coll_js(c['db'], c['collection'])}.aggregate([{{$project: "
                                 f"{{s: {{$bsonSize: \"$$ROOT\"}}}}}}, {{$sort: {{s: -1}}}}, {{$limit: 5}}])"))


@check(
    id="mongo.schema.too_many_collections", title="Too many collections", category="schema",
    severity=Severity.WARNING, facts=["mongo.collections"],
    reference=ATLAS_SCHEMA + " ('Reduce the Number of Collections', > 10,000)",
    thresholds={"max_collections": Threshold(10000, "collections", ATLAS_SCHEMA + ": more than 10,000 collections")},
)
def too_many_collections(ctx):
    """Every collection and index is a WiredTiger file with its own handle, cache
    overhead and checkpoint work; tens of thousands of them slow startup,
    checkpoints and initial syncs. Usually one collection per tenant/day/sensor.
    Fix: merge them into fewer collections with a discriminator field (and an
    index on it), or time-series collections."""
    colls = ctx.fact("mongo.collections")
    n = len(colls["rows"])
    limit = ctx.threshold("max_collections")
    if n > limit or (colls.get("truncated") and colls.get("limit", 0) >= limit):
        per_db = {}
        for c in colls["rows"]:
            per_db[c["db"]] = per_db.get(c["db"], 0) + 1
        yield ctx.finding(
            object="collections",
            summary=f"{n:,}{'+' if colls.get('truncated') else ''} collections (> {limit:,})",
            evidence={"collections": n, "truncated": colls.get("truncated"), "max_collections": limit,
                      "largest_databases": dict(sorted(per_db.items(), key=lambda x: -x[1])[:5])},
            recommendation="Merge per-tenant or per-period collections into one with a discriminator "
                           "field, or use a time-series collection.",
            fix=None)
