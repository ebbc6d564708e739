"""Observability and keyspace layout: latency monitor, slow log settings, logical databases, version."""

from advisor.model import Severity
from advisor.registry import Threshold, check

from ._common import cli, config_fix, info, keyspace, setting_int

RI = "RedisInsight Database Analysis recommendations"


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


@check(id="redis.slowlog.disabled", title="Slow log disabled or too short", category="observability",
       severity=Severity.INFO, facts=["redis.config"], reference="Redis SLOWLOG defaults (10,000 us, 128 entries)")
def slowlog_disabled(ctx):
    """slowlog-log-slower-than below 0 disables the slow log; slowlog-max-len 0 keeps nothing.
    Without it nobody can tell which commands stall the server. Fix: the defaults (10000 us, 128)."""
    slower, keep = setting_int(ctx, "slowlog-log-slower-than"), setting_int(ctx, "slowlog-max-len")
    if slower >= 0 and keep > 0:
        return
    yield ctx.finding(
        object="slowlog-log-slower-than" if slower < 0 else "slowlog-max-len",
        summary=f"slow log records nothing (slowlog-log-slower-than {slower}, slowlog-max-len {keep})",
        evidence={"slowlog-log-slower-than": slower, "slowlog-max-len": keep},
        recommendation="Restore the slow log with its defaults.",
        fix=config_fix(ctx, {"slowlog-log-slower-than": 10000, "slowlog-max-len": 128}),
    )


@check(id="redis.keyspace.many_dbs", title="Several logical databases in use", category="configuration",
       severity=Severity.INFO, facts=["redis.info"], reference=RI + " (more than one logical database in use)",
       thresholds={"max_dbs": Threshold(1, "databases", RI)})
def many_dbs(ctx):
    """Logical databases (SELECT n) share one thread, one memory limit and one eviction pool;
    Redis Cluster supports only db 0, and many clients and tools look at db 0 only. Separate
    instances (or key prefixes) isolate workloads better."""
    used = {f"db{n}": v.get("keys", 0) for n, v in sorted(keyspace(ctx).items()) if v.get("keys")}
    if len(used) <= ctx.threshold("max_dbs"):
        return
    yield ctx.finding(
        object="keyspace", summary=f"{len(used)} logical databases hold keys: {', '.join(used)}",
        evidence={"databases": used, "max_dbs": ctx.threshold("max_dbs")},
        recommendation="Move each workload to its own instance (or to key prefixes in db 0) before "
                       "adopting Redis Cluster.",
    )


@check(id="redis.server.version", title="Old Redis version", category="configuration", severity=Severity.INFO,
       facts=["redis.info"], reference=RI + " (version < 7); Redis release notes",
       thresholds={"min_major": Threshold(7, "major version", RI)})
def old_version(ctx):
    """Redis before 7 lacks listpack encodings, ACL selectors, Functions and many memory and
    latency fixes (6.x reached end of life). Valkey reports its own version and is judged on it."""
    server = info(ctx, "server")
    version = str(server.get("valkey_version") or server.get("redis_version") or "")
    if not version or "valkey_version" in server:
        return
    major = int(version.split(".")[0])
    if major >= ctx.threshold("min_major"):
        return
    yield ctx.finding(
        object="redis_version", summary=f"Redis {version} is older than {ctx.threshold('min_major')}.0",
        evidence={"redis_version": version, "min_major": ctx.threshold("min_major")},
        recommendation="Plan an upgrade to a supported Redis 7.x (or Valkey).",
    )
