"""Storage and schema: free space in collections, large documents, too many collections."""

from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_bytes

from ._common import mongosh

PMM_FRAG = "Percona PMM MongoDB advisor (fragmentation: storageSize > size and > 100 MB)"


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



