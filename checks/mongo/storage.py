"""Storage and schema: free space in collections, large documents, too many collections."""

from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_bytes

from ._common import coll_js, mongosh

PMM_FRAG = "Percona PMM MongoDB advisor (fragmentation: storageSize > size and > 100 MB)"
ATLAS_SCHEMA = "Atlas schema suggestions / MongoDB schema anti-patterns"


@check(
    id="mongo.storage.free_space", title="Collections with much reusable free space",
    category="storage", severity=Severity.INFO, facts=["mongo.collections"], reference=PMM_FRAG,
    thresholds={"min_free_bytes": Threshold(100 * 1024**2, "bytes", PMM_FRAG),
                "min_free_pct": Threshold(50, "% of storageSize", "db-advisor default: half the file is free")},
)
def free_space(ctx):
    """WiredTiger keeps the space of deleted documents in the collection's file for
    reuse (freeStorageSize, MongoDB 4.4+); it is not returned to the OS. A collection
    whose file is mostly free space after a large delete wastes disk and backup
    time. On older servers, storageSize (compressed) larger than size (uncompressed)
    is the sign. Fix: compact the collection (blocking before 8.0 on that member;
    run it on secondaries first, then step down), or resync a member."""
    min_b, min_pct = ctx.threshold("min_free_bytes"), ctx.threshold("min_free_pct")
    for c in ctx.fact("mongo.collections")["rows"]:
        storage, size, free = c.get("storageSize"), c.get("size"), c.get("freeStorageSize")
        if not storage:
            continue
        if free is None and size is not None and storage > size:
            free = storage - size  # pre-4.4: allocated beyond the uncompressed data
        if free is None or free < min_b or 100.0 * free / storage < min_pct:
            continue
        yield ctx.finding(
            object=f"{c['db']}.{c['collection']}",
            summary=f"{c['db']}.{c['collection']}: {human_bytes(free)} of its {human_bytes(storage)} "
                    f"file is free space ({100.0 * free / storage:.0f}%)",
            evidence={"storageSize": storage, "freeStorageSize": c.get("freeStorageSize"), "size": size,
                      "free_bytes": free, "min_free_bytes": min_b, "min_free_pct": min_pct},
            recommendation="If the collection will not grow back, compact it (one member at a time, "
                           "secondaries first) to return the space to the OS.",
            fix="// on each secondary first (connect to it with directConnection=true), then rs.stepDown() "
                "the primary and run it there; heavy I/O on that member, and before 4.4 it blocks the collection\n"
                + mongosh(ctx, f"db.getSiblingDB(\"{c['db']}\").runCommand({{compact: \"{c['collection']}\"}})"))


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
