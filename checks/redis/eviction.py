"""Eviction policy versus use: noeviction with a limit, volatile-* without TTLs, evictions and OOM rejections."""

from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_duration

from ._common import config_fix, info, keyspace, setting, setting_int

REF = "guide: Redis Performance Tuning, Memory Optimization (eviction policies)"
SYSTEM_OF_RECORD = ("ONLY if every key may be lost (a cache): allkeys-lru deletes any key when memory is full, "
                    "queues, sessions and locks included, without an error to anyone.\n"
                    "If Redis is the system of record, do not run this: keep noeviction, raise maxmemory or "
                    "shrink the data, and alert on used_memory / maxmemory.")


@check(id="redis.eviction.noeviction", title="noeviction policy with a memory limit",
       category="memory", severity=Severity.WARNING, facts=["redis.info", "redis.config"], reference=REF)
def noeviction(ctx):
    """With maxmemory set and maxmemory-policy noeviction, every write that needs memory fails
    with "OOM command not allowed" once the limit is reached. Right for a primary data store that
    must never lose keys (then alert on memory); wrong for a cache. Fix: allkeys-lru (guide) or
    allkeys-lfu for caches."""
    if setting_int(ctx, "maxmemory") == 0 or setting(ctx, "maxmemory-policy") != "noeviction":
        return
    yield ctx.finding(
        object="maxmemory-policy",
        summary="maxmemory is set with policy noeviction: writes fail with OOM errors when memory is full",
        evidence={"maxmemory": setting_int(ctx, "maxmemory"), "maxmemory_policy": "noeviction"},
        recommendation="For a cache use allkeys-lru (or allkeys-lfu). If Redis is the system of record, "
                       "keep noeviction but alert on used_memory / maxmemory.",
        fix=config_fix(ctx, {"maxmemory-policy": "allkeys-lru"}, caveat=SYSTEM_OF_RECORD),
    )


@check(id="redis.eviction.volatile_without_ttl", title="volatile-* policy with keys that never expire",
       category="memory", severity=Severity.WARNING, facts=["redis.info", "redis.config"], reference=REF,
       thresholds={"no_ttl_pct": Threshold(10, "%", "db-advisor: share of keys the policy can never evict")})
def volatile_without_ttl(ctx):
    """volatile-lru/lfu/ttl/random evict only keys that have a TTL. Keys without one are never
    evicted: if most keys have no TTL, Redis behaves like noeviction and rejects writes when full.
    Fix: give cache keys a TTL, or switch to an allkeys-* policy."""
    policy = setting(ctx, "maxmemory-policy")
    if not policy.startswith("volatile-"):
        return
    ks = keyspace(ctx)
    keys = sum(v.get("keys", 0) for v in ks.values())
    expires = sum(v.get("expires", 0) for v in ks.values())
    if not keys:
        return
    no_ttl_pct = 100.0 * (keys - expires) / keys
    if no_ttl_pct < ctx.threshold("no_ttl_pct"):
        return
    yield ctx.finding(
        object="maxmemory-policy",
        severity=Severity.CRITICAL if expires == 0 and setting_int(ctx, "maxmemory") else None,
        summary=f"policy {policy} can evict only keys with a TTL, but {no_ttl_pct:.0f}% of "
                f"{keys} keys have none",
        evidence={"maxmemory_policy": policy, "keys": keys, "keys_with_ttl": expires,
                  "no_ttl_pct": round(no_ttl_pct, 1), "threshold_pct": ctx.threshold("no_ttl_pct"),
                  "per_db": {f"db{n}": v for n, v in sorted(ks.items())}},
        recommendation="Set TTLs on the keys that may be evicted (SET key value EX seconds), or use "
                       "allkeys-lru so that any key can make room, if every key may be lost.",
        fix=config_fix(ctx, {"maxmemory-policy": "allkeys-lru"},
                       caveat=SYSTEM_OF_RECORD.replace("deletes any key", "makes the keys without a TTL "
                                                       "evictable too")),
    )


@check(id="redis.eviction.evicted_keys", counters=True, title="Keys evicted for lack of memory", category="memory",
       severity=Severity.INFO, facts=["redis.info"], reference="Redis INFO stats evicted_keys; PMM Redis dashboards",
       thresholds={"per_hour": Threshold(1, "keys/h", "db-advisor: any steady eviction is worth knowing")})
def evicted_keys(ctx):
    """evicted_keys counts keys removed because maxmemory was reached. For a cache that may be
    intended; if the hit ratio suffers or the keys are not cache entries, data is being lost.
    Fix: more memory (maxmemory), shorter TTLs, or smaller values."""
    stats = info(ctx, "stats")
    n = stats.get("evicted_keys", 0)
    uptime = max(1, info(ctx, "server").get("uptime_in_seconds", 1))
    rate = n * 3600 / uptime
    if n == 0 or rate < ctx.threshold("per_hour"):
        return
    yield ctx.finding(
        object="evicted_keys",
        summary=f"{n} keys evicted in {human_duration(uptime)} ({rate:.0f}/h)",
        evidence={"evicted_keys": n, "uptime_s": uptime, "per_hour": round(rate, 1),
                  "threshold_per_hour": ctx.threshold("per_hour")},
        recommendation="If these are cache entries, check the hit ratio; otherwise raise maxmemory "
                       "or reduce the data set before live data is evicted.",
    )


@check(id="redis.eviction.oom_rejections", counters=True, title="Writes rejected with OOM errors", category="memory",
       severity=Severity.CRITICAL, facts=["redis.info"], reference="Redis INFO errorstats (errorstat_OOM)")
def oom_rejections(ctx):
    """errorstat_OOM counts commands refused with "OOM command not allowed when used memory >
    'maxmemory'": the application's writes failed. Fix: raise maxmemory, let the policy evict
    (allkeys-lru), or reduce the data."""
    oom = info(ctx, "errorstats").get("errorstat_OOM", {})
    count = oom.get("count", 0) if isinstance(oom, dict) else 0
    if not count:
        return
    yield ctx.finding(
        object="errorstat_OOM",
        summary=f"{count} commands were rejected with OOM since start (memory full, nothing evictable)",
        evidence={"errorstat_OOM": count, "maxmemory_policy": info(ctx, "memory").get("maxmemory_policy")},
        recommendation="Writes are failing: raise maxmemory, choose an evicting policy (a cache only), or "
                       "shrink the data. The count is since the start: it stays until a restart.",
        fix=config_fix(ctx, {"maxmemory-policy": "allkeys-lru"}, caveat=SYSTEM_OF_RECORD),
    )
