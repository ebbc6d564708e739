"""maxmemory: unset, larger than the guide's 75% of RAM, or nearly reached."""

from advisor.errors import FactUnavailable
from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.sizing.formulas import redis_maxmemory
from advisor.units import human_bytes, pct

from ._common import config_fix, info, redis_size, setting, setting_int

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
