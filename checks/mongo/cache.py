"""WiredTiger cache: size against the guide, fill and dirty ratios, eviction, read ratio."""

from advisor.errors import Skip
from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.sizing.formulas import mongo_wiredtiger_cache
from advisor.units import human_bytes, human_duration

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
                "over_pct": ctx.threshold("over_pct"), "under_pct": ctx.threshold("under_pct"),
                "fix_kind": "config"}
    fix = (f"# mongod.conf on every member, then a rolling restart (secondaries first):\nstorage:\n  wiredTiger:\n"
           f"    engineConfig:\n      cacheSizeGB: {gb}\n"
           f"# or at once on one member, until its restart (shrinking evicts pages, a short stall):\n"
           f"# db.adminCommand({{setParameter: 1, wiredTigerEngineRuntimeConfig: "
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


YOUNG = ("MySQLTuner ('started within the last 24 hours: recommendations may be inaccurate'): "
         "counters since startup need a day of traffic")
YOUNG_THRESHOLD = Threshold(24, "h", YOUNG, "below this uptime cumulative counters do not escalate beyond info")


def _age(ctx) -> tuple[float | None, dict]:
    """The seconds the counters cover (a --sample window, else serverStatus.uptime) and the
    evidence fields that say so."""
    if ctx.window_s:
        return ctx.window_s, {"counters_since": "window start", "counters_age": human_duration(ctx.window_s),
                              "min_uptime_hours": ctx.threshold("min_uptime_hours")}
    up = ctx.fact("mongo.server_status").get("uptime")
    return up, {"counters_since": "mongod start", "uptime_s": up,
                "counters_age": human_duration(up) if up is not None else "unknown",
                "min_uptime_hours": ctx.threshold("min_uptime_hours")}


def _young(ctx, up: float | None) -> bool:
    # a window is what the DBA chose to judge: the uptime floor is for counters since startup
    return not ctx.window_s and up is not None and up < ctx.threshold("min_uptime_hours") * 3600


@check(
    id="mongo.cache.pressure", title="WiredTiger cache full, dirty, or evicting in application threads",
    category="cache", severity=Severity.WARNING, facts=["mongo.server_status"],
    reference=WT_EVICTION + "; MongoDB docs: serverStatus.wiredTiger.cache",
    thresholds={
        "fill_pct": Threshold(95, "%", WT_EVICTION + ": eviction_trigger"),
        "dirty_pct": Threshold(20, "%", WT_EVICTION + ": eviction_dirty_trigger"),
        "app_eviction_pct": Threshold(5, "% of evicted pages",
                                      "db-advisor default: eviction is the eviction threads' job; application "
                                      "threads help only past the triggers (WiredTiger eviction docs)",
                                      "warn when application threads evicted more than this share of all "
                                      "evicted pages"),
        "min_uptime_hours": YOUNG_THRESHOLD,
    },
)
def cache_pressure(ctx):
    """When the cache reaches eviction_trigger (95% full) or eviction_dirty_trigger
    (20% dirty), WiredTiger makes application threads evict pages themselves, so
    queries stall. Fill and dirty shares are read now; application-thread eviction is
    judged as its share of all evicted pages since startup (a few pages at a burst are
    normal). Below a day of uptime the counters are young: info only, with their age.
    Fix: a larger cache (more RAM), fewer/lighter indexes, or faster disks for
    checkpoints when the dirty share is the problem."""
    c = _cache(ctx)
    maxb = c.get("maximum bytes configured")
    fill = ratio(c.get("bytes currently in the cache"), maxb)
    dirty = ratio(c.get("tracked dirty bytes in the cache"), maxb)
    app = c.get("pages evicted by application threads") or 0
    evicted = (c.get("modified pages evicted") or 0) + (c.get("unmodified pages evicted") or 0)
    app_share = ratio(app, evicted)
    up, age = _age(ctx)
    evidence = {"max_bytes": maxb, "bytes_in_cache": c.get("bytes currently in the cache"),
                "dirty_bytes": c.get("tracked dirty bytes in the cache"),
                "fill_pct": None if fill is None else round(100 * fill, 1),
                "dirty_pct": None if dirty is None else round(100 * dirty, 1),
                "pages_evicted_by_application_threads": app, "pages_evicted": evicted or None,
                "application_eviction_pct": None if app_share is None else round(100 * app_share, 2),
                "application_evictions_per_hour": round(3600 * app / up, 1) if up else None,
                "fill_pct_threshold": ctx.threshold("fill_pct"),
                "dirty_pct_threshold": ctx.threshold("dirty_pct"),
                "app_eviction_pct_threshold": ctx.threshold("app_eviction_pct"), **age,
                "fix_kind": "manual"}
    problems, counters = [], False
    if fill is not None and 100 * fill >= ctx.threshold("fill_pct"):
        problems.append(f"cache {100 * fill:.0f}% full")
    if dirty is not None and 100 * dirty >= ctx.threshold("dirty_pct"):
        problems.append(f"{100 * dirty:.0f}% dirty")
    if app_share is not None and 100 * app_share > ctx.threshold("app_eviction_pct"):
        counters = True
        problems.append(f"{100 * app_share:.1f}% of evicted pages ({app}) evicted by application threads "
                        f"in {age['counters_age']}")
    if problems:
        young = counters and len(problems) == 1 and _young(ctx, up)
        yield ctx.finding(
            object="wiredTiger.cache", summary="WiredTiger cache under pressure: " + ", ".join(problems)
            + (f" (counters only {age['counters_age']} old)" if young else ""),
            severity=Severity.INFO if young else None, evidence=evidence,
            recommendation="Give the cache more memory (larger host, or cacheSizeGB up to 50% of "
                           "(RAM - 1 GB)), drop unused indexes (they occupy cache), and check disk "
                           "write latency when the dirty share is high.",
            fix="db.serverStatus().wiredTiger.cache  // diagnosis: watch the same counters after the change")


@check(
    id="mongo.cache.read_ratio", counters=True, title="WiredTiger cache read ratio (pages read from disk)",
    category="cache", severity=Severity.WARNING, facts=["mongo.server_status"],
    reference="MongoDB docs: serverStatus.wiredTiger.cache (pages read into cache / requested)",
    thresholds={
        "min_hit_pct": Threshold(95, "%", "db-advisor default, as the 95-99% hit rates PgHero and "
                                          "postgresqltuner expect of a buffer cache"),
        "min_requests": Threshold(100000, "pages", "db-advisor default: too few requests to judge"),
        "min_uptime_hours": YOUNG_THRESHOLD,
    },
)
def cache_read_ratio(ctx):
    """Every page a query needs that is not in the WiredTiger cache is read from
    the file cache or disk. The share of requests served from cache should stay
    high; a low ratio means the working set does not fit. The ratio is cumulative
    since startup, and right after a restart the cache is cold: below a day of
    uptime it is reported as info, with the counters' age. Fix: more cache/RAM, or
    smaller working set (indexes that avoid collection scans, archiving)."""
    c = _cache(ctx)
    req = c.get("pages requested from the cache") or 0
    read = c.get("pages read into cache") or 0
    if req < ctx.threshold("min_requests"):
        return
    hit = 100.0 * (1 - read / req)
    if hit < ctx.threshold("min_hit_pct"):
        up, age = _age(ctx)
        young = _young(ctx, up)
        yield ctx.finding(
            object="wiredTiger.cache", severity=Severity.INFO if young else None,
            summary=f"only {hit:.1f}% of page requests were served from the WiredTiger cache "
                    + (f"in the {age['counters_age']} window" if ctx.window_s
                       else f"since mongod started {age['counters_age']} ago")
                    + (" (a cold cache after a restart?)" if young else ""),
            evidence={"pages_requested": req, "pages_read_into_cache": read, "hit_pct": round(hit, 2),
                      "min_hit_pct": ctx.threshold("min_hit_pct"), **age, "fix_kind": "manual"},
            recommendation="The working set does not fit the cache: add memory (cacheSizeGB = 50% of "
                           "(RAM - 1 GB)), remove collection scans (see mongo.query.*), drop unused "
                           "indexes.",
            fix="db.serverStatus().wiredTiger.cache[\"pages read into cache\"]  // diagnosis: compare over time")
