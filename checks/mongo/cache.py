"""WiredTiger cache: size against the guide, fill and dirty ratios, eviction, read ratio."""

from advisor.errors import Skip
from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.sizing.formulas import mongo_wiredtiger_cache
from advisor.units import human_bytes

from ._common import ratio

GUIDE = "guide: Resource Sizing Matrix, MongoDB (WiredTiger Cache = 50% of (Memory - 1GB))"
WT_EVICTION = "WiredTiger eviction defaults (eviction_trigger=95%, eviction_dirty_trigger=20%)"


def _cache(ctx) -> dict:
    wt = ctx.fact("mongo.server_status").get("wiredTiger")
    if not wt:
        raise Skip("the storage engine is not WiredTiger (no wiredTiger section in serverStatus)")
    return wt["cache"]


@check(
    id="mongo.cache.size", title="WiredTiger cache size vs 50% of (RAM - 1 GB)", category="memory",
    severity=Severity.WARNING, facts=["mongo.server_status", "mongo.host_info"], reference=GUIDE,
    thresholds={
        "over_pct": Threshold(110, "% of recommended", GUIDE, "warn above this share of the guide's size"),
        "under_pct": Threshold(50, "% of recommended", GUIDE, "warn below this share of the guide's size"),
    },
)
def cache_size(ctx):
    """The WiredTiger cache holds the working set. MongoDB's default (and the guide's
    rule) is 50% of (RAM - 1 GB), at least 256 MB; the rest of memory is the OS file
    cache (which holds compressed data), connections and aggregation memory. A much
    larger cache risks the OOM killer; a much smaller one (a leftover cacheSizeGB)
    wastes memory and forces reads. RAM is --memory, else hostInfo (memLimitMB in a
    container, which is what mongod itself sizes against).
    Fix: set storage.wiredTiger.engineConfig.cacheSizeGB in mongod.conf (restart), or
    resize at runtime with setParameter wiredTigerEngineRuntimeConfig."""
    cache = _cache(ctx)
    configured = cache.get("maximum bytes configured")
    if not configured:
        return
    hi_mem = (ctx.optional("mongo.host_info") or {}).get("memory_bytes")
    memory, source = ctx.require_memory(hi_mem, "hostInfo")
    want = mongo_wiredtiger_cache(memory)
    share = 100.0 * configured / want
    gb = round(want / 1024**3, 1)
    evidence = {"configured_bytes": configured, "recommended_bytes": want, "memory_bytes": memory,
                "memory_source": source, "pct_of_recommended": round(share, 1),
                "over_pct": ctx.threshold("over_pct"), "under_pct": ctx.threshold("under_pct")}
    fix = (f"# mongod.conf\nstorage:\n  wiredTiger:\n    engineConfig:\n      cacheSizeGB: {gb}\n"
           f"# or at runtime: db.adminCommand({{setParameter: 1, wiredTigerEngineRuntimeConfig: "
           f"\"cache_size={max(1, round(want / 1024**2))}M\"}})")
    if share > ctx.threshold("over_pct"):
        yield ctx.finding(
            object="wiredTiger.cache", severity=Severity.WARNING,
            summary=f"WiredTiger cache {human_bytes(configured)} is {share:.0f}% of the recommended "
                    f"{human_bytes(want)} for {human_bytes(memory)} RAM",
            evidence=evidence, fix=fix,
            recommendation="Shrink the cache to 50% of (RAM - 1 GB): the OS file cache, connections "
                           "and in-memory sorts need the rest, or the OOM killer ends mongod.")
    elif share < ctx.threshold("under_pct"):
        yield ctx.finding(
            object="wiredTiger.cache", severity=Severity.INFO,
            summary=f"WiredTiger cache {human_bytes(configured)} is only {share:.0f}% of the "
                    f"recommended {human_bytes(want)} for {human_bytes(memory)} RAM",
            evidence=evidence, fix=fix,
            recommendation="Unless other processes share this host, let the cache grow to 50% of "
                           "(RAM - 1 GB) so more of the working set stays in memory.")


@check(
    id="mongo.cache.pressure", title="WiredTiger cache full, dirty, or evicting in application threads",
    category="cache", severity=Severity.WARNING, facts=["mongo.server_status"],
    reference=WT_EVICTION + "; MongoDB docs: serverStatus.wiredTiger.cache",
    thresholds={
        "fill_pct": Threshold(95, "%", WT_EVICTION + ": eviction_trigger"),
        "dirty_pct": Threshold(20, "%", WT_EVICTION + ": eviction_dirty_trigger"),
        "app_evictions": Threshold(0, "pages", "PMM / MongoDB docs: application threads should not evict",
                                   "warn when pages evicted by application threads exceed this"),
    },
)
def cache_pressure(ctx):
    """When the cache reaches eviction_trigger (95% full) or eviction_dirty_trigger
    (20% dirty), WiredTiger makes application threads evict pages themselves, so
    queries stall. "pages evicted by application threads" > 0 means it happened
    since startup. Fix: a larger cache (more RAM), fewer/lighter indexes, or faster
    disks for checkpoints when the dirty share is the problem."""
    c = _cache(ctx)
    maxb = c.get("maximum bytes configured")
    fill = ratio(c.get("bytes currently in the cache"), maxb)
    dirty = ratio(c.get("tracked dirty bytes in the cache"), maxb)
    app = c.get("pages evicted by application threads") or 0
    evidence = {"max_bytes": maxb, "bytes_in_cache": c.get("bytes currently in the cache"),
                "dirty_bytes": c.get("tracked dirty bytes in the cache"),
                "fill_pct": None if fill is None else round(100 * fill, 1),
                "dirty_pct": None if dirty is None else round(100 * dirty, 1),
                "pages_evicted_by_application_threads": app,
                "fill_pct_threshold": ctx.threshold("fill_pct"),
                "dirty_pct_threshold": ctx.threshold("dirty_pct")}
    problems = []
    if fill is not None and 100 * fill >= ctx.threshold("fill_pct"):
        problems.append(f"cache {100 * fill:.0f}% full")
    if dirty is not None and 100 * dirty >= ctx.threshold("dirty_pct"):
        problems.append(f"{100 * dirty:.0f}% dirty")
    if app > ctx.threshold("app_evictions"):
        problems.append(f"{app} pages evicted by application threads")
    if problems:
        yield ctx.finding(
            object="wiredTiger.cache", summary="WiredTiger cache under pressure: " + ", ".join(problems),
            evidence=evidence,
            recommendation="Give the cache more memory (larger host, or cacheSizeGB up to 50% of "
                           "(RAM - 1 GB)), drop unused indexes (they occupy cache), and check disk "
                           "write latency when the dirty share is high.",
            fix="db.serverStatus().wiredTiger.cache  // watch the same counters after the change")


@check(
    id="mongo.cache.read_ratio", title="WiredTiger cache read ratio (pages read from disk)",
    category="cache", severity=Severity.WARNING, facts=["mongo.server_status"],
    reference="MongoDB docs: serverStatus.wiredTiger.cache (pages read into cache / requested)",
    thresholds={
        "min_hit_pct": Threshold(95, "%", "db-advisor default, as the 95-99% hit rates PgHero and "
                                          "postgresqltuner expect of a buffer cache"),
        "min_requests": Threshold(100000, "pages", "db-advisor default: too few requests to judge"),
    },
)
def cache_read_ratio(ctx):
    """Every page a query needs that is not in the WiredTiger cache is read from
    the file cache or disk. The share of requests served from cache should stay
    high; a low ratio means the working set does not fit. Fix: more cache/RAM, or
    smaller working set (indexes that avoid collection scans, archiving)."""
    c = _cache(ctx)
    req = c.get("pages requested from the cache") or 0
    read = c.get("pages read into cache") or 0
    if req < ctx.threshold("min_requests"):
        return
    hit = 100.0 * (1 - read / req)
    if hit < ctx.threshold("min_hit_pct"):
        yield ctx.finding(
            object="wiredTiger.cache",
            summary=f"only {hit:.1f}% of page requests were served from the WiredTiger cache",
            evidence={"pages_requested": req, "pages_read_into_cache": read, "hit_pct": round(hit, 2),
                      "min_hit_pct": ctx.threshold("min_hit_pct")},
            recommendation="The working set does not fit the cache: add memory (cacheSizeGB = 50% of "
                           "(RAM - 1 GB)), remove collection scans (see mongo.query.*), drop unused "
                           "indexes.",
            fix="db.serverStatus().wiredTiger.cache[\"pages read into cache\"]  // compare over time")
