"""Keyspace hit ratio."""

from advisor.model import Severity
from advisor.registry import Threshold, check

from ._common import info

SRC = "common Redis alert rule (cache hit ratio < 80%); the guide gives no Redis figure"


@check(id="redis.cache.hit_ratio", counters=True, title="Low keyspace hit ratio", category="cache", severity=Severity.WARNING,
       facts=["redis.info"], reference="Redis INFO stats keyspace_hits / keyspace_misses",
       thresholds={"min_ratio_pct": Threshold(80, "%", SRC),
                   "min_lookups": Threshold(10_000, "lookups", "db-advisor: too few lookups to judge")})
def hit_ratio(ctx):
    """keyspace_hits / (hits + misses) since the last restart or CONFIG RESETSTAT. For a cache,
    a low ratio means most reads go to the backing store anyway: keys expire too early, are
    evicted (see evicted_keys), or the application reads keys it never writes. Fix: longer TTLs,
    more memory, or fix the key naming/lookup pattern."""
    stats = info(ctx, "stats")
    hits, misses = stats.get("keyspace_hits", 0), stats.get("keyspace_misses", 0)
    lookups = hits + misses
    if lookups < ctx.threshold("min_lookups"):
        return
    ratio = 100 * hits / lookups
    if ratio >= ctx.threshold("min_ratio_pct"):
        return
    yield ctx.finding(
        object="keyspace_hits",
        summary=f"keyspace hit ratio {ratio:.1f}% (< {ctx.threshold('min_ratio_pct')}%) over {lookups} lookups",
        evidence={"keyspace_hits": hits, "keyspace_misses": misses, "hit_ratio_pct": round(ratio, 2),
                  "threshold_pct": ctx.threshold("min_ratio_pct"), "evicted_keys": stats.get("evicted_keys"),
                  "expired_keys": stats.get("expired_keys")},
        recommendation="If Redis is a cache: check evictions (raise maxmemory), TTLs that are too short, and "
                       "reads of keys the application never writes. Ignore if misses are expected (existence checks).",
    )
