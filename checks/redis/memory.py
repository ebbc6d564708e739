"""maxmemory: unset, larger than the guide's 75% of RAM, or nearly reached."""

from advisor.errors import FactUnavailable
from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.sizing.formulas import redis_maxmemory
from advisor.units import human_bytes, pct

from ._common import (
    DOCTOR_REF,
    MEMORY_DOCTOR_FINDING,
    MEMORY_DOCTOR_MIN,
    cli,
    config_fix,
    info,
    redis_size,
    setting,
    setting_int,
)

GUIDE = "guide: Resource Sizing Matrix, Redis (maxmemory = 75% of total memory)"


NODE_RAM = "INFO total_system_memory"
NODE_CAVEAT = ("total_system_memory is the node's RAM, not a container's memory limit (Redis does not report "
               "its cgroup limit): in Kubernetes a maxmemory sized from it can exceed the pod's limit and get "
               "Redis OOM-killed. Pass --memory (the pod's limit) for a value.")


def _host_memory(ctx) -> tuple[int, str]:
    """--memory, else INFO total_system_memory (the node's RAM: see NODE_CAVEAT)."""
    return ctx.require_memory(info(ctx, "memory").get("total_system_memory"), NODE_RAM)


POLICY = ("{{maxmemory_policy}}: the policy at the limit; with noeviction (the default) writes then fail with OOM "
          "errors: allkeys-lru only if every key may be lost (a cache), noeviction for a system of record")


def _maxmemory_fix(ctx, target: int, source: str, used: int, policy: bool = False) -> tuple[str, dict]:
    """The fix and evidence fields: a value only from --memory; from the node's RAM a placeholder.
    `policy`: the limit is new and the policy is noeviction, so the DBA chooses one with it."""
    lower = f"used_memory is {human_bytes(used)} now: below it Redis evicts at once (noeviction: refuses writes)"
    extra = {"maxmemory-policy": "{{maxmemory_policy}}"} if policy else {}
    lower += "\n" + POLICY if policy else ""
    if source != NODE_RAM:
        return config_fix(ctx, {"maxmemory": redis_size(target), **extra}, caveat=lower), {}
    caveat = (f"{{{{maxmemory}}}}: 75% of the memory Redis may use (the container's limit in Kubernetes); "
              f"75% of this node's RAM would be {redis_size(target)}, too much under any smaller limit\n" + lower)
    return config_fix(ctx, {"maxmemory": "{{maxmemory}}", **extra}, caveat=caveat), {
        "memory_is_node_ram": True, "memory_note": NODE_CAVEAT}


@check(id="redis.memory.maxmemory_unset", title="maxmemory is not set", category="memory",
       severity=Severity.WARNING, facts=["redis.info", "redis.config"], reference=GUIDE)
def maxmemory_unset(ctx):
    """With maxmemory 0 Redis grows until the kernel's OOM killer ends it (or the host swaps,
    which makes every command slow); no eviction policy ever applies. Fix: set maxmemory to the
    guide's 75% of the memory available to Redis (leave 25% for fork copy-on-write, buffers and
    fragmentation) and choose a maxmemory-policy. That memory is --memory (in Kubernetes the
    pod's limit); without it INFO total_system_memory is the node's RAM, which Redis reports
    instead of its cgroup limit, so the fix then asks for the value ({{maxmemory}})."""
    if setting_int(ctx, "maxmemory") != 0:
        return
    memory, source = _host_memory(ctx)
    target = redis_maxmemory(memory)
    used = info(ctx, "memory").get("used_memory", 0)
    try:
        noeviction = setting(ctx, "maxmemory-policy") == "noeviction"
    except FactUnavailable:
        noeviction = True      # unknown: let the DBA choose it with the limit
    fix, extra = _maxmemory_fix(ctx, target, source, used, policy=noeviction)
    yield ctx.finding(
        object="maxmemory",
        summary=f"maxmemory is 0 (unlimited): Redis can grow until the OOM killer stops it "
                f"(now {human_bytes(used)} used)",
        evidence={"maxmemory": 0, "used_memory": used, "memory_bytes": memory, "memory_source": source,
                  "recommended_maxmemory": None if extra else target, "guide_share": "75%", **extra},
        recommendation=(f"Set maxmemory to {redis_size(target)} (75% of {human_bytes(memory)} from {source})"
                        if not extra else f"Set maxmemory to 75% of the memory Redis may use. {NODE_CAVEAT}")
                       + " Choose a maxmemory-policy that fits the data (allkeys-lru only for a cache).",
        fix=fix,
    )


@check(id="redis.memory.maxmemory_too_high", title="maxmemory above 75% of system memory",
       category="memory", severity=Severity.WARNING, facts=["redis.info", "redis.config"], reference=GUIDE,
       thresholds={"max_share_pct": Threshold(75, "%", GUIDE)})
def maxmemory_too_high(ctx):
    """maxmemory close to (or above) the machine's RAM leaves nothing for the copy-on-write pages
    of a BGSAVE/AOF rewrite fork, client buffers and allocator fragmentation: the host swaps or
    the OOM killer strikes during a save. Fix: lower maxmemory to 75% of memory (guide); judged
    on the node's RAM (no --memory) the finding holds for any smaller container limit, but the
    value is left to the DBA."""
    maxmemory = setting_int(ctx, "maxmemory")
    if maxmemory == 0:
        return
    memory, source = _host_memory(ctx)
    limit = memory * ctx.threshold("max_share_pct") // 100
    if maxmemory <= limit:
        return
    target = redis_maxmemory(memory)
    fix, extra = _maxmemory_fix(ctx, target, source, info(ctx, "memory").get("used_memory", 0))
    yield ctx.finding(
        object="maxmemory",
        summary=f"maxmemory {human_bytes(maxmemory)} is {pct(maxmemory, memory):.0f}% of "
                f"{human_bytes(memory)} (limit {ctx.threshold('max_share_pct')}%)"
                + (" of the node's RAM: a container limit can only be smaller" if extra else ""),
        evidence={"maxmemory": maxmemory, "memory_bytes": memory, "memory_source": source,
                  "share_pct": round(pct(maxmemory, memory), 1), "max_share_pct": ctx.threshold("max_share_pct"),
                  **extra},
        recommendation=(f"Lower maxmemory to {redis_size(target)}" if not extra else
                        f"Lower maxmemory to 75% of the memory Redis may use ({NODE_CAVEAT})")
                       + ": a fork for persistence can need as much memory again as the pages written during it.",
        fix=fix,
    )


@check(id="redis.memory.near_limit", title="used_memory close to maxmemory", category="memory",
       severity=Severity.WARNING, facts=["redis.info", "redis.config"],
       reference="common alert rule: used_memory / maxmemory > 90%",
       thresholds={"used_pct": Threshold(90, "%", "common alert rule (used_memory / maxmemory > 90%)")})
def near_limit(ctx):
    """When used_memory reaches maxmemory, Redis evicts keys (or, with noeviction, rejects writes
    with OOM errors). Close to the limit, a burst of writes starts evictions the application may
    not expect. Fix: raise maxmemory if the host has room, shrink the data (TTLs, smaller
    encodings), or shard."""
    maxmemory = setting_int(ctx, "maxmemory")
    if maxmemory == 0:
        return
    used = info(ctx, "memory").get("used_memory", 0)
    share = pct(used, maxmemory)
    if share < ctx.threshold("used_pct"):
        return
    policy = setting(ctx, "maxmemory-policy")
    yield ctx.finding(
        object="maxmemory",
        severity=Severity.CRITICAL if policy == "noeviction" and share >= 98 else None,
        summary=f"used_memory {human_bytes(used)} is {share:.0f}% of maxmemory {human_bytes(maxmemory)} "
                f"(policy {policy})",
        evidence={"used_memory": used, "maxmemory": maxmemory, "used_pct": round(share, 1),
                  "threshold_pct": ctx.threshold("used_pct"), "maxmemory_policy": policy},
        recommendation="Raise maxmemory (within 75% of host memory), expire or shrink data, or shard; "
                       "with noeviction, writes fail with OOM errors once the limit is reached.",
        fix=None,
    )


GUIDE = "guide: Redis Performance Tuning, Memory Usage Analysis (mem_fragmentation_ratio > 1.5)"


def _memory(ctx) -> dict | None:
    """INFO memory, or None below MEMORY DOCTOR's 5 MB floor where ratios mean nothing."""
    m = info(ctx, "memory")
    return m if m.get("used_memory", 0) >= MEMORY_DOCTOR_MIN else None


def _signals(m: dict) -> dict:
    keys = ("used_memory", "used_memory_rss", "mem_fragmentation_ratio", "mem_fragmentation_bytes",
            "allocator_frag_ratio", "allocator_frag_bytes", "allocator_rss_ratio", "allocator_rss_bytes",
            "rss_overhead_ratio", "rss_overhead_bytes", "used_memory_peak", "mem_allocator")
    return {k: m[k] for k in keys if k in m}


def _defrag_advice(ctx, m: dict) -> tuple[str, str | None]:
    if "jemalloc" not in str(m.get("mem_allocator", "")):
        return ("Active defragmentation needs jemalloc (this server uses "
                f"{m.get('mem_allocator', '?')}); a restart (or failover) is the remedy.", None)
    cfg = ctx.optional("redis.config")
    on = str(cfg.get("activedefrag", "")) == "yes" if cfg is not None else None
    if on:
        return ("activedefrag is already on: lower active-defrag-threshold-lower or raise "
                "active-defrag-cycle-max so it keeps up.",
                config_fix(ctx, {"active-defrag-cycle-max": 50}, caveat="defragmentation may then use up to 50% of a CPU"))
    return ("Turn on active defragmentation (jemalloc): it moves values to reclaim the holes "
            "left by deleted keys, using limited CPU.",
            config_fix(ctx, {"activedefrag": "yes"}, caveat="uses 1-25% of a CPU while fragmentation is above "
                       "active-defrag-threshold-lower (10%); refused when Redis was built without jemalloc's defrag"))


@check(id="redis.memory.fragmentation", title="High memory fragmentation ratio", category="memory",
       severity=Severity.WARNING, facts=["redis.info", "redis.config"], reference=GUIDE,
       thresholds={"ratio": Threshold(1.5, "ratio", GUIDE),
                   "min_bytes": Threshold(MEMORY_DOCTOR_FINDING, "bytes", DOCTOR_REF + ": findings above 10 MB")})
def fragmentation(ctx):
    """mem_fragmentation_ratio = RSS / used_memory. Above 1.5 (guide) the process holds much more
    RAM than its data: usually allocator fragmentation after many deletes or value-size changes.
    Gated like MEMORY DOCTOR: silent below 5 MB used or when the excess is under 10 MB, because
    a small instance's ratio is dominated by fixed overhead (the process's own RSS outside the
    allocator, rss_overhead_bytes, is left out of the 10 MB gate). Fix: activedefrag yes (jemalloc);
    otherwise restart or fail over to a fresh replica."""
    m = _memory(ctx)
    if not m:
        return
    ratio = m.get("mem_fragmentation_ratio", 0)
    excess = m.get("mem_fragmentation_bytes", m.get("used_memory_rss", 0) - m.get("used_memory", 0))
    # the process's own RSS (binary, stacks, Lua) is not fragmentation: keep it out of the size gate
    allocator_excess = excess - max(0, m.get("rss_overhead_bytes", 0))
    if ratio <= ctx.threshold("ratio") or allocator_excess < ctx.threshold("min_bytes"):
        return
    advice, fix = _defrag_advice(ctx, m)
    yield ctx.finding(
        object="mem_fragmentation_ratio",
        summary=f"mem_fragmentation_ratio {ratio:.2f} (> {ctx.threshold('ratio')}): "
                f"{human_bytes(excess)} of RSS beyond the data",
        evidence={**_signals(m), "allocator_excess_bytes": allocator_excess,
                  "threshold_ratio": ctx.threshold("ratio"), "min_bytes": ctx.threshold("min_bytes")},
        recommendation=advice, fix=fix,
    )


@check(id="redis.memory.swapping", title="RSS below used memory (swapping)", category="memory",
       severity=Severity.CRITICAL, facts=["redis.info"], reference=GUIDE + "; below 1.0 = swapping",
       thresholds={"ratio": Threshold(1.0, "ratio", "guide: Redis Memory Usage Analysis (ratio below 1.0 = swapping)")})
def swapping(ctx):
    """mem_fragmentation_ratio below 1.0 means part of Redis's memory is not resident: the OS has
    swapped it out, and commands touching those pages wait for disk (latency of milliseconds
    instead of microseconds). Fix: give the host more RAM or lower maxmemory; disable swap for the
    Redis host (vm.swappiness=1)."""
    m = _memory(ctx)
    if not m:
        return
    ratio = m.get("mem_fragmentation_ratio", 1.0)
    missing = m.get("used_memory", 0) - m.get("used_memory_rss", 0)
    if ratio >= ctx.threshold("ratio") or missing < MEMORY_DOCTOR_FINDING:
        return
    yield ctx.finding(
        object="mem_fragmentation_ratio",
        summary=f"mem_fragmentation_ratio {ratio:.2f} < 1.0: about {human_bytes(missing)} of Redis memory is swapped out",
        evidence={**_signals(m), "threshold_ratio": ctx.threshold("ratio"), "fix_kind": "shell"},
        recommendation="Redis must stay in RAM: add memory or lower maxmemory, and keep swap from "
                       "taking Redis pages (sysctl vm.swappiness=1).",
        fix="sysctl -w vm.swappiness=1    # as root on the host; lost at reboot\n"
            "echo 'vm.swappiness = 1' > /etc/sysctl.d/60-redis.conf    # persist (read at boot)\n"
            "# Kubernetes: vm.swappiness is a node-level sysctl: set it on the node (node tuning), not in the pod",
    )


@check(id="redis.memory.allocator_fragmentation", title="Allocator fragmentation (activedefrag would help)",
       category="memory", severity=Severity.WARNING, facts=["redis.info", "redis.config"], reference=DOCTOR_REF,
       thresholds={"ratio": Threshold(1.1, "ratio", DOCTOR_REF + " (allocator_frag_ratio > 1.1)")})
def allocator_fragmentation(ctx):
    """allocator_frag_ratio measures holes inside the allocator's pages (allocated vs active):
    the part of fragmentation that active defragmentation can reclaim. MEMORY DOCTOR reports it
    above 1.1 when the holes are worth more than 10 MB. Fix: activedefrag yes."""
    m = _memory(ctx)
    if not m or "allocator_frag_ratio" not in m:
        return
    ratio, waste = m["allocator_frag_ratio"], m.get("allocator_frag_bytes", 0)
    if ratio <= ctx.threshold("ratio") or waste < MEMORY_DOCTOR_FINDING:
        return
    advice, fix = _defrag_advice(ctx, m)
    yield ctx.finding(
        object="allocator_frag_ratio",
        summary=f"allocator_frag_ratio {ratio:.2f} (> {ctx.threshold('ratio')}): {human_bytes(waste)} in allocator holes",
        evidence={**_signals(m), "threshold_ratio": ctx.threshold("ratio"), "min_bytes": MEMORY_DOCTOR_FINDING},
        recommendation=advice, fix=fix,
    )


@check(id="redis.memory.rss_overhead", title="RSS overhead outside the data (allocator or process)",
       category="memory", severity=Severity.INFO, facts=["redis.info"], reference=DOCTOR_REF,
       thresholds={"ratio": Threshold(1.1, "ratio", DOCTOR_REF + " (allocator_rss_ratio / rss_overhead_ratio > 1.1)")})
def rss_overhead(ctx):
    """allocator_rss_ratio > 1.1: the allocator keeps freed pages resident (MEMORY PURGE returns
    them to the OS). rss_overhead_ratio > 1.1: the process holds memory outside the allocator
    (Lua, modules, copy-on-write after a fork). MEMORY DOCTOR reports each above 10 MB."""
    m = _memory(ctx)
    if not m:
        return
    rules = [("allocator_rss_ratio", "allocator_rss_bytes", "the allocator keeps freed pages resident",
              "Run MEMORY PURGE (jemalloc) at a quiet time to return them to the OS.",
              f"{cli(ctx)} MEMORY PURGE    # jemalloc only; brief CPU work, nothing to persist"),
             ("rss_overhead_ratio", "rss_overhead_bytes", "the process holds memory outside the allocator",
              "Look for a large Lua/functions footprint, modules, or a recent fork; a restart releases it.", None)]
    for ratio_key, bytes_key, what, advice, fix in rules:
        ratio, extra = m.get(ratio_key), m.get(bytes_key, 0)
        if ratio is None or ratio <= ctx.threshold("ratio") or extra < MEMORY_DOCTOR_FINDING:
            continue
        yield ctx.finding(
            object=ratio_key, summary=f"{ratio_key} {ratio:.2f}: {what} ({human_bytes(extra)})",
            evidence={ratio_key: ratio, bytes_key: extra, "threshold_ratio": ctx.threshold("ratio"),
                      "min_bytes": MEMORY_DOCTOR_FINDING},
            recommendation=advice, fix=fix,
        )


@check(id="redis.memory.peak", title="Memory peak far above current use", category="memory",
       severity=Severity.INFO, facts=["redis.info"], reference=DOCTOR_REF,
       thresholds={"peak_pct": Threshold(150, "%", DOCTOR_REF + " (peak > 150% of used)")})
def peak(ctx):
    """used_memory_peak more than 150% of used_memory: memory freed since the peak is often still
    held as RSS (fragmentation), and the peak is what the host must be sized for. MEMORY DOCTOR
    reports it; check what caused the peak (a bulk load, big replica/client buffers)."""
    m = _memory(ctx)
    if not m:
        return
    used, top = m.get("used_memory", 0), m.get("used_memory_peak", 0)
    if top * 100 <= used * ctx.threshold("peak_pct") or top - used < MEMORY_DOCTOR_FINDING:
        return
    yield ctx.finding(
        object="used_memory_peak",
        summary=f"peak memory {human_bytes(top)} is {100 * top / used:.0f}% of current {human_bytes(used)}",
        evidence={"used_memory": used, "used_memory_peak": top, "peak_pct": round(100 * top / used),
                  "threshold_pct": ctx.threshold("peak_pct")},
        recommendation="Size the host (and maxmemory headroom) for the peak, find what caused it, and "
                       "watch fragmentation: freed memory may not have returned to the OS.",
    )


@check(id="redis.memory.cached_scripts", title="Many cached Lua scripts (EVAL with inlined values)",
       category="memory", severity=Severity.WARNING, facts=["redis.info"], reference=DOCTOR_REF,
       thresholds={"scripts": Threshold(1000, "scripts", DOCTOR_REF + " (more than 1000 cached scripts)")})
def cached_scripts(ctx):
    """Every distinct EVAL body is compiled and cached until SCRIPT FLUSH or a restart. Thousands of
    cached scripts mean the application builds scripts with values inlined instead of passing
    them as KEYS/ARGV: memory grows without bound and each new body is compiled again.
    MEMORY DOCTOR reports more than 1000. Fix: parameterize the script (EVALSHA, or Functions in
    Redis 7), then SCRIPT FLUSH ASYNC."""
    m = info(ctx, "memory")
    n = m.get("number_of_cached_scripts", 0)
    if n <= ctx.threshold("scripts"):
        return
    used = m.get("used_memory_scripts_eval", m.get("used_memory_lua", 0))
    yield ctx.finding(
        object="number_of_cached_scripts",
        summary=f"{n} Lua scripts are cached ({human_bytes(used)}): scripts are built with inlined values",
        evidence={"number_of_cached_scripts": n, "used_memory_scripts_eval": used,
                  "threshold": ctx.threshold("scripts")},
        recommendation="Pass changing values as KEYS/ARGV so one script is reused (EVALSHA or Redis 7 "
                       "Functions); then drop the cache.",
        fix=f"{cli(ctx)} SCRIPT FLUSH ASYNC    # relief only: the cache fills again until the "
            "application passes values as ARGV; EVALSHA of a flushed script answers NOSCRIPT (clients resend it)",
    )
