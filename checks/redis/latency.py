"""Latency monitor: disabled, and recorded spikes."""

from advisor.model import Severity
from advisor.registry import Threshold, check

from ._common import cli, config_fix, setting_int


@check(id="redis.latency.monitor_disabled", title="Latency monitor disabled", category="observability",
       severity=Severity.INFO, facts=["redis.config"], reference="Redis LATENCY DOCTOR (needs latency-monitor-threshold > 0)")
def latency_monitor_disabled(ctx):
    """latency-monitor-threshold 0 (the default) turns the latency monitor off, so LATENCY
    LATEST / LATENCY DOCTOR have nothing to say when users report stalls (fork, expire cycles,
    AOF fsync, slow commands). Fix: latency-monitor-threshold 100 (ms); its cost is negligible."""
    if setting_int(ctx, "latency-monitor-threshold") != 0:
        return
    yield ctx.finding(
        object="latency-monitor-threshold", summary="latency monitor is off (latency-monitor-threshold 0)",
        evidence={"latency-monitor-threshold": 0},
        recommendation="Enable it so latency spikes are recorded by cause (LATENCY LATEST, LATENCY DOCTOR).",
        fix=config_fix(ctx, {"latency-monitor-threshold": 100}),
    )


@check(id="redis.latency.spikes", title="Latency spikes recorded by the latency monitor", category="observability",
       severity=Severity.WARNING, facts=["redis.latency"], reference="Redis LATENCY LATEST / LATENCY DOCTOR",
       thresholds={"max_ms": Threshold(100, "ms", "Redis latency docs (spikes above 100 ms are user-visible)")})
def latency_spikes(ctx):
    """LATENCY LATEST lists, per event (command, fast-command, fork, aof-fsync-always,
    expire-cycle, eviction-cycle...), the latest and worst spike above the threshold. Events
    above 100 ms are stalls users notice. Fix depends on the event: fork -> THP off and smaller
    instances; aof-* -> disk; command -> see the slow log."""
    for e in ctx.fact("redis.latency"):
        if e["max_ms"] < ctx.threshold("max_ms"):
            continue
        yield ctx.finding(
            object=e["event"], summary=f"latency event {e['event']}: worst {e['max_ms']} ms, latest {e['latest_ms']} ms",
            evidence={**e, "threshold_ms": ctx.threshold("max_ms"), "fix_kind": "manual"},
            recommendation="Run LATENCY DOCTOR for advice on this event; fork -> disable THP / smaller "
                           "instance, aof-* -> faster disk or appendfsync everysec, command -> slow log.",
            fix=f"{cli(ctx)} LATENCY DOCTOR    # diagnosis: the remedy depends on the event",
        )
