"""Query shapes from the profiler and serverStatus: collection scans, in-memory sorts, targeting."""

from __future__ import annotations

from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_duration

from ._common import ratio
from ._shapes import (
    ATLAS_PA,
    ESR,
    covered_by_existing,
    existing_keys,
    group_shapes,
    index_fix,
    key_text,
    suggest_esr_index,
)

ATLAS_QT = "Atlas alert 'Query Targeting: Scanned Objects / Returned' (default > 1000)"


PROF = "  // this member only, until its restart: operationProfiling in mongod.conf keeps it"


def _since(ctx) -> str:
    return f"in the {human_duration(ctx.window_s)} window" if ctx.window_s else "since startup"


@check(
    id="mongo.query.targeting", counters=True, title="Documents scanned per document returned (server-wide)",
    category="queries", severity=Severity.WARNING, facts=["mongo.server_status"], reference=ATLAS_QT,
    thresholds={"max_scanned_per_returned": Threshold(1000, "docs", ATLAS_QT),
                "min_scanned": Threshold(1000000, "docs", "db-advisor default: ignore idle servers")},
)
def query_targeting(ctx):
    """metrics.queryExecutor.scannedObjects counts documents read by queries;
    metrics.document.returned counts documents returned. A high ratio means queries
    read many documents to return few: missing or unselective indexes, often
    collection scans (metrics.queryExecutor.collectionScans.total). The counters
    are cumulative since startup. Fix: turn the profiler on (slowms) to find the
    shapes, then create indexes by the ESR rule (see mongo.query.collscan)."""
    st = ctx.fact("mongo.server_status")
    qe, doc = st.get("queryExecutor") or {}, st.get("document") or {}
    scanned, returned = qe.get("scannedObjects") or 0, doc.get("returned") or 0
    if scanned < ctx.threshold("min_scanned"):
        return
    per = scanned / max(returned, 1)
    cs = qe.get("collectionScans") or {}
    if per > ctx.threshold("max_scanned_per_returned"):
        yield ctx.finding(
            object="metrics.queryExecutor",
            summary=f"queries scanned {per:,.0f} documents per document returned "
                    f"({cs.get('total', 0):,} collection scans {_since(ctx)})",
            evidence={"scannedObjects": scanned, "returned": returned, "scanned_keys": qe.get("scanned"),
                      "scanned_per_returned": round(per, 1), "collectionScans": cs,
                      "uptime_seconds": st.get("uptime"),
                      "max_scanned_per_returned": ctx.threshold("max_scanned_per_returned"),
                      "fix_kind": "manual"},
            recommendation="Find the query shapes behind it with the profiler and index them "
                           "(equality fields, then sort, then range).",
            fix="db.setProfilingLevel(1, {slowms: 100})  // per database, then rerun the advisor;" + PROF[4:])


@check(
    id="mongo.query.collscan", title="Collection scans by query shape (profiler), with an ESR index",
    category="queries", severity=Severity.WARNING, facts=["mongo.profile", "mongo.indexes"],
    reference=ATLAS_PA + "; " + ESR,
    thresholds={"min_wasted_docs": Threshold(500, "docs", ATLAS_PA)},
)
def collscan_shapes(ctx):
    """Profiled operations whose plan is a COLLSCAN, grouped by namespace, filter
    shape and sort, ranked by documents examined minus returned. Shapes that waste
    more than min_wasted_docs get an index suggestion ordered by the ESR rule:
    equality fields first, then sort fields, then range fields (suggest_esr_index),
    unless an existing index already has that prefix. Only what the profiler kept
    is seen (options.profile_limit newest entries per database). Fix: create the
    suggested index (rolling, member by member, on a busy replica set)."""
    prof = ctx.fact("mongo.profile")
    existing = existing_keys(ctx)
    for g in group_shapes(prof["rows"], lambda r: r.get("planSummary", "").startswith("COLLSCAN")):
        wasted = g["docsExamined"] - g["nreturned"]
        if wasted <= ctx.threshold("min_wasted_docs"):
            continue
        key = suggest_esr_index(g["filter"], g["sort"])
        covered = bool(key) and covered_by_existing(key, existing.get(g["ns"], []))
        yield ctx.finding(
            object=g["ns"],
            summary=f"{g['count']} collection scan(s) on {g['ns']} examined {g['docsExamined']:,} "
                    f"documents to return {g['nreturned']:,}" +
                    (f"; suggested index {key_text(key)}" if key and not covered else ""),
            evidence={"filter": g["filter"], "sort": g["sort"], "ops": g["ops"], "count": g["count"],
                      "docsExamined": g["docsExamined"], "nreturned": g["nreturned"],
                      "millis_total": g["millis"], "min_wasted_docs": ctx.threshold("min_wasted_docs"),
                      "suggested_index": key, "existing_index_has_prefix": covered,
                      "profile_truncated": prof.get("truncated")},
            recommendation=("An index with this key exists but was not chosen: check the filter's "
                            "types and collation, or hint it." if covered else
                            "Create the index (equality, sort, range order) and re-check the plan with "
                            "explain('executionStats')." if key else
                            "The filter has no indexable field (e.g. only $or/$expr/$where): rewrite "
                            "the query or index each $or branch."),
            fix=None if covered else index_fix(ctx, g["ns"], key))


@check(
    id="mongo.query.sort", counters=True, title="In-memory (blocking) sorts", category="queries",
    severity=Severity.WARNING, facts=["mongo.server_status", "mongo.profile", "mongo.indexes"],
    reference="MongoDB docs: serverStatus metrics.operation.scanAndOrder; system.profile hasSortStage; " + ESR,
    thresholds={"max_sort_pct": Threshold(1, "% of queries", "db-advisor default"),
                "min_queries": Threshold(10000, "queries", "db-advisor default: ignore idle servers")},
)
def in_memory_sorts(ctx):
    """A sort no index can provide is done in memory (a blocking SORT stage,
    metrics.operation.scanAndOrder; hasSortStage in the profiler). It reads every
    matching document before returning the first, and fails above 100 MB unless
    allowDiskUse spills to disk. Fix: an index whose key has the sort fields after
    the equality fields (ESR), in the same or exactly reversed directions.
    Per-shape findings need the profiler; a collection scan that also sorts gets
    the same ESR key here and from mongo.query.collscan (one index fixes both)."""
    st = ctx.fact("mongo.server_status")
    sorts = (st.get("operation") or {}).get("scanAndOrder") or 0
    queries = ((st.get("opcounters") or {}).get("query") or 0)
    share = ratio(sorts, queries)
    if queries >= ctx.threshold("min_queries") and share is not None \
            and 100 * share > ctx.threshold("max_sort_pct"):
        yield ctx.finding(
            object="metrics.operation.scanAndOrder",
            summary=f"{sorts:,} in-memory sorts {_since(ctx)} ({100 * share:.1f}% of {queries:,} queries)",
            evidence={"scanAndOrder": sorts, "opcounters.query": queries, "sort_pct": round(100 * share, 2),
                      "max_sort_pct": ctx.threshold("max_sort_pct"), "fix_kind": "manual"},
            recommendation="Index the sort: equality fields first, then the sort fields in the "
                           "query's order and direction (see per-shape findings when the profiler is on).",
            fix="db.setProfilingLevel(1, {slowms: 100})  // per database, to see which shapes sort;" + PROF[4:])
    prof = ctx.optional("mongo.profile")
    if prof is None:
        return
    existing = existing_keys(ctx)
    for g in group_shapes(prof["rows"], lambda r: r.get("hasSortStage")):
        key = suggest_esr_index(g["filter"], g["sort"])
        covered = bool(key) and covered_by_existing(key, existing.get(g["ns"], []))
        yield ctx.finding(
            object=g["ns"],
            summary=f"{g['count']} operation(s) on {g['ns']} sorted {g['nreturned']:,} documents in memory"
                    + (f"; suggested index {key_text(key)}" if key and not covered else ""),
            evidence={"filter": g["filter"], "sort": g["sort"], "plans": g["plans"], "count": g["count"],
                      "docsExamined": g["docsExamined"], "nreturned": g["nreturned"],
                      "millis_total": g["millis"], "suggested_index": key,
                      "existing_index_has_prefix": covered},
            recommendation="Create an index that returns documents in sort order: equality fields, "
                           "then the sort fields with the same (or all reversed) directions.",
            fix=None if covered else index_fix(ctx, g["ns"], key))
