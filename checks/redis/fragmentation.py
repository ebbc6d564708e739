"""MEMORY DOCTOR's signals with its size gates: fragmentation, swapping, allocator/RSS overhead, peak, cached scripts."""

from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_bytes

from ._common import DOCTOR_REF, MEMORY_DOCTOR_FINDING, MEMORY_DOCTOR_MIN, cli, config_fix, info

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
