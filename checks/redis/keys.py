"""Sampled keyspace: big keys by type, top key prefixes by memory, collections past compact encodings."""

from advisor.errors import FactUnavailable
from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_bytes

from ._common import RI, config_fix

BIG = {  # type -> (threshold name, default, what the length counts)
    "string": ("string_bytes", 100_000, "bytes"),
    "hash": ("hash_fields", 5000, "fields"),
    "set": ("set_members", 1000, "members"),
    "list": ("list_elements", 1000, "elements"),
    "zset": ("zset_members", 5000, "members"),
    "stream": ("stream_entries", 100_000, "entries"),
}
ADVICE = {
    "string": "Compress the value or split it; large strings block the server while being read or written.",
    "hash": "Split the hash into buckets (e.g. by id range) so HGETALL/DEL stay cheap.",
    "set": "Split the set, or use a HyperLogLog / Bloom filter if only counts or membership matter.",
    "list": "Trim the list (LTRIM) or split it; consider list-compress-depth for long lists.",
    "zset": "Split the sorted set by range or trim it (ZREMRANGEBYRANK).",
    "stream": "Cap the stream with XADD MAXLEN ~ N or XTRIM.",
}
MAX_FINDINGS = 20


def _sample(ctx) -> dict:
    s = ctx.fact("redis.key_sample")
    if not s.get("sampled"):
        raise FactUnavailable("no keys to sample (empty keyspace)")
    return s


def _coverage(s: dict) -> dict:
    """How much was sampled, and the keyspace lookups (hits + misses) the sample itself added."""
    lookups = s.get("lookups") or {}
    return {"sampled_keys": s["sampled"], "total_keys": s["total_keys"],
            "sampled_pct": round(100 * s["fraction"], 2), "stopped_by": s["stopped"],
            "keyspace_lookups_added": lookups.get("sent"), "keyspace_lookup_budget": lookups.get("budget")}


@check(id="redis.keys.big", title="Big keys (sampled)", category="memory", severity=Severity.WARNING,
       facts=["redis.key_sample"], reference=RI + "; redis-cli --bigkeys / --memkeys",
       thresholds={**{name: Threshold(default, unit, RI + (" (no zset/stream rule there: same order as hash)"
                                                         if t in ("zset", "stream") else ""))
                      for t, (name, default, unit) in BIG.items()},
                   "memory_bytes": Threshold(10 * 1024**2, "bytes", "db-advisor: any single key above 10 MB")})
def big_keys(ctx):
    """Big keys make single commands slow (HGETALL, SMEMBERS, DEL of a big key block the
    server), unbalance cluster slots and make replication and eviction lumpy. The advisor finds
    them by sampling with SCAN (bounded COUNT, time budget and key cap, never KEYS) and MEMORY
    USAGE ... SAMPLES (which counts no keyspace hit); only the biggest keys get TYPE and the
    per-type length command, within the lookup budget (1% of the sampled keys, at least 100). Thresholds follow RedisInsight: strings
    over 100,000 bytes, hashes over 5000 fields, sets and lists over 1000 elements. Fix: split
    or trim the key; delete big keys with UNLINK (non-blocking), not DEL."""
    s = _sample(ctx)
    seen, found = set(), []
    candidates = [r for rows in s["top_length"].values() for r in rows] + s["top_memory"]
    for r in candidates:
        ident = (r["db"], r["key"])
        if ident in seen:
            continue
        name, _, unit = BIG.get(r["type"], (None, None, None))
        over_len = name is not None and (r.get("length") or 0) > ctx.threshold(name)
        over_mem = (r.get("memory") or 0) > ctx.threshold("memory_bytes")
        if over_len or over_mem:
            seen.add(ident)
            found.append((r, name, unit))
    found.sort(key=lambda x: -(x[0].get("memory") or 0))
    for r, name, unit in found[:MAX_FINDINGS]:
        size = f"{r['length']} {unit}" if r.get("length") is not None else "?"
        yield ctx.finding(
            object=f"db{r['db']}:{r['key']}" + ("..." if r.get("truncated") else ""),
            summary=f"big {r['type'] + ' key' if r['type'] else 'key (type not read)'}: {size}, {human_bytes(r.get('memory'))}"
                    + (f" (encoding {r['encoding']})" if r["encoding"] != "-" else ""),
            evidence={"type": r["type"], "length": r.get("length"), "length_unit": unit,
                      "memory_bytes": r.get("memory"), "encoding": r["encoding"], "ttl_s": r.get("ttl_s"),
                      "threshold_length": ctx.threshold(name) if name else None,
                      "threshold_memory_bytes": ctx.threshold("memory_bytes"),
                      "more_big_keys_not_shown": max(0, len(found) - MAX_FINDINGS), **_coverage(s)},
            recommendation=ADVICE.get(r["type"], "Split the key.") + " Remove big keys with UNLINK, not DEL.",
        )


@check(id="redis.keys.prefixes", title="Top key prefixes by memory (sampled)", category="memory",
       severity=Severity.INFO, facts=["redis.key_sample"], reference=RI + " (top namespaces by memory, TTL buckets)",
       thresholds={"top": Threshold(10, "prefixes", RI)})
def prefixes(ctx):
    """Which key families hold the memory, from the sample, extrapolated to the whole keyspace
    by the sampled fraction; with the TTL distribution (RedisInsight's buckets). Use it to find
    the feature whose keys need a TTL, smaller values or another data structure."""
    s = _sample(ctx)
    factor = 1 / s["fraction"] if s["fraction"] else 1
    top = s["prefixes"][:ctx.threshold("top")]
    sampled_memory = s.get("memory", sum(t.get("memory", 0) for t in s["by_type"].values())) or 1
    rows = [{"prefix": p["prefix"], "sampled_keys": p["keys"], "memory_bytes": p["memory"],
             "memory_pct": round(100 * p["memory"] / sampled_memory, 1),
             "estimated_total_bytes": round(p["memory"] * factor), "no_ttl_keys": p["no_ttl"],
             "ttl_checked_keys": p.get("ttl_checked", p["keys"])} for p in top]
    head = ", ".join(f"{r['prefix']} {r['memory_pct']}%" for r in rows[:3])
    yield ctx.finding(
        object="keyspace",
        summary=f"memory by key prefix (sample of {s['sampled']} / {s['total_keys']} keys): {head}",
        evidence={"prefixes": rows, "distinct_prefixes": s["distinct_prefixes"], "ttl_buckets": s["ttl_buckets"],
                  "by_type": s["by_type"], **_coverage(s)},
        recommendation="Check that the biggest families are expected; give cache families a TTL.",
    )


# type -> (encoding used while small, config limits, old name before Redis 7)
COMPACT = {
    "hash": ("hash-max-listpack-entries", "hash-max-ziplist-entries"),
    "zset": ("zset-max-listpack-entries", "zset-max-ziplist-entries"),
    "set": ("set-max-listpack-entries", None),  # Redis 7.2+: small non-integer sets as listpack
}
COMPACT_ENCODINGS = {"listpack", "ziplist", "intset"}
REDIS_DOCS = "Redis docs, memory optimization (special encoding of small aggregate data types)"
CONVERSION = ("existing keys keep their encoding: a hashtable/skiplist never converts back to a listpack on "
              "a write, only when the key is rebuilt (restart or replica resync loading the RDB/AOF, "
              "DUMP+RESTORE, or rewriting the key)")


@check(id="redis.keys.encoding_limits", title="Collections just past the compact-encoding limits",
       category="memory", severity=Severity.INFO, facts=["redis.key_sample", "redis.config"], reference=REDIS_DOCS,
       thresholds={"share_pct": Threshold(20, "%", "db-advisor: share of a type's sampled keys"),
                   "min_keys": Threshold(100, "keys", "db-advisor: ignore a handful of keys"),
                   "max_limit": Threshold(512, "entries", REDIS_DOCS + " (a few hundred stays O(1)-like)")})
def encoding_limits(ctx):
    """Small hashes, sorted sets and sets are stored as compact listpacks (or intsets) up to
    *-max-listpack-entries elements, typically using 5-10x less memory. When many collections are
    just past the limit they use the big hashtable/skiplist encoding; raising the limit up to a
    few hundred keeps them compact. The reverse is flagged too: a limit above 512 makes
    operations on listpacks linear and slow."""
    s = _sample(ctx)
    cfg = ctx.fact("redis.config")
    for typ, names in COMPACT.items():
        name = next((n for n in names if n and n in cfg), None)
        if name is None:
            continue
        limit = int(cfg[name])
        if limit > ctx.threshold("max_limit"):
            yield ctx.finding(
                object=name, severity=Severity.WARNING,
                summary=f"{name} {limit} is above {ctx.threshold('max_limit')}: operations on such "
                        f"listpacks are linear scans",
                evidence={name: limit, "max_limit": ctx.threshold("max_limit")},
                recommendation=f"Lower {name} to 128-512.",
                fix=config_fix(ctx, {name: 128}, caveat="listpacks above the new limit convert to the big "
                               "encoding at their next insert or reload: memory grows as they do"))
            continue
        hist = s.get("encodings", {}).get(typ, {})
        # the histogram covers the uniformly typed keys only: scale counts to the whole sample
        scale = (s.get("typed") or {}).get("scale") or 1
        typed = sum(sum(b.values()) for b in hist.values())
        total = round(typed * scale)
        near = round(scale * sum(n for enc, buckets in hist.items() if enc not in COMPACT_ENCODINGS
                                 for b, n in buckets.items() if limit < int(b) <= ctx.threshold("max_limit")))
        if not total or near < ctx.threshold("min_keys") or 100 * near / total < ctx.threshold("share_pct"):
            continue
        yield ctx.finding(
            object=name,
            summary=f"{near} of {total} sampled {typ}es have {limit + 1}-{ctx.threshold('max_limit')} elements "
                    f"and lost the compact encoding ({name} {limit})"
                    + (f" (estimated from {typed} keys whose type was read)" if scale != 1 else ""),
            evidence={name: limit, "near_limit_keys": near, "sampled_keys_of_type": total,
                      "typed_keys_of_type": typed,
                      "share_pct": round(100 * near / total, 1), "length_histogram": hist, **_coverage(s)},
            recommendation=f"Raise {name} to {ctx.threshold('max_limit')} so new and rebuilt collections "
                           "of that size stay listpacks; measure memory before and after. " + CONVERSION,
            fix=config_fix(ctx, {name: ctx.threshold("max_limit")}, caveat=CONVERSION),
        )
