"""Forecasts from the run history: memory use reaching maxmemory."""

from advisor.forecast import THRESHOLDS, history_evidence, judge, left_text, rate, time_left
from advisor.model import Severity
from advisor.registry import check
from advisor.units import human_bytes


@check(
    id="redis.forecast.memory",
    title="used_memory reaching maxmemory soon at the observed rate",
    category="memory",
    severity=Severity.WARNING,
    facts=["redis.info", "redis.history"],
    reference="db-advisor forecast from the run history; guide: Redis maxmemory sizing",
    thresholds=THRESHOLDS,
)
def memory(ctx):
    """When used_memory reaches maxmemory, Redis evicts keys (an allkeys-* or volatile-*
    policy) or refuses writes with OOM errors (noeviction). This check takes the growth of
    used_memory since the previous run in the history and reports the time left until
    maxmemory. Without maxmemory there is no limit to forecast (redis.memory.maxmemory_unset
    says why that is a problem). Fix: raise maxmemory within the container's memory limit,
    set TTLs on keys that should expire, or shard."""
    history = ctx.fact("redis.history")
    memory = ctx.fact("redis.info").get("memory") or {}
    used, cap = memory.get("used_memory"), memory.get("maxmemory") or 0
    if not cap:
        return
    r = rate(history, "used_memory", used)
    if r is None:
        return
    left = time_left(cap - used, r.per_s)
    sev = judge(ctx, left)
    if sev is None:
        return
    yield ctx.finding(
        object=None, severity=sev,
        summary=f"used_memory reaches maxmemory ({human_bytes(cap)}) in {left_text(left)} at "
                f"{human_bytes(r.per_day)} a day (now {human_bytes(used)})",
        evidence={**history_evidence(history, left, **r.evidence(), maxmemory=cap,
                                     policy=memory.get("maxmemory_policy")), "fix_kind": "manual"},
        recommendation="Find which keys grow (redis.keys.* findings, `redis-cli --memkeys`), set TTLs "
                       "where data should expire, or raise maxmemory within the pod's memory limit "
                       "(and persist it in the config file or Helm values).",
        fix=None)
