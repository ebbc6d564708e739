"""Persistence: none, RDB only, AOF fsync policy, failed saves, stale saves and slow forks."""

from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_duration

from ._common import cli, config_fix, info, server_now, setting

GUIDE = "guide: Redis Performance Tuning, Persistence Tuning (hybrid RDB + AOF everysec)"

AOF_ON = ("turning AOF on live starts a rewrite of the whole data set (a fork, see latest_fork_usec) "
          "and needs disk room for the AOF beside the RDB;\n"
          "until INFO persistence shows aof_rewrite_in_progress:0 Redis refuses to shut down "
          "(\"Writing initial AOF, can't exit\"): wait for it before any restart")
THP_FIX = ("echo never > /sys/kernel/mm/transparent_hugepage/enabled    # as root on the host; lost at reboot\n"
           "# persist: kernel command line transparent_hugepage=never (GRUB_CMDLINE_LINUX, update-grub, reboot)"
           " or a systemd oneshot unit running the line above before redis-server\n"
           "# Kubernetes: THP is a node setting: node tuning (e.g. a tuned profile / privileged DaemonSet on the "
           "node), not the Redis pod\n"
           "# redis-server reads the setting at start: restart it (or fail over) afterwards")


def _rdb_rules(ctx) -> str:
    return setting(ctx, "save").strip()


@check(id="redis.persistence.none", title="No persistence (no RDB snapshots, no AOF)",
       category="durability", severity=Severity.WARNING, facts=["redis.info", "redis.config"], reference=GUIDE)
def no_persistence(ctx):
    """With save "" and appendonly no, a restart or crash loses every key. Fine for a pure cache
    that can be refilled (then mute this check); otherwise enable the guide's hybrid: RDB
    snapshots plus AOF with appendfsync everysec (at most about one second of writes lost)."""
    if _rdb_rules(ctx) or setting(ctx, "appendonly") == "yes":
        return
    keys = sum(v.get("keys", 0) for v in info(ctx, "keyspace").values() if isinstance(v, dict))
    yield ctx.finding(
        object="persistence",
        # an empty instance has nothing to lose yet: the setting is worth knowing, not a warning
        severity=None if keys else Severity.INFO,
        summary=(f"no RDB save rules and AOF off: a restart loses all {keys:,} keys" if keys else
                 "no RDB save rules and AOF off: nothing written will survive a restart"),
        evidence={"save": "", "appendonly": "no", "keys": keys},
        recommendation="Unless this is a disposable cache, enable RDB + AOF everysec (guide).",
        fix=config_fix(ctx, {"save": "900 1 300 10 60 10000", "appendonly": "yes", "appendfsync": "everysec"},
                       caveat=AOF_ON),
    )


@check(id="redis.persistence.rdb_only", title="RDB snapshots only (no AOF)", category="durability",
       severity=Severity.INFO, facts=["redis.info", "redis.config"], reference=GUIDE)
def rdb_only(ctx):
    """RDB alone loses every write since the last snapshot on a crash (minutes with the usual
    save rules). The guide's hybrid adds AOF with appendfsync everysec, which bounds the loss to
    about one second; aof-use-rdb-preamble keeps restarts fast."""
    rules = _rdb_rules(ctx)
    if not rules or setting(ctx, "appendonly") == "yes":
        return
    yield ctx.finding(
        object="appendonly",
        summary=f"RDB only (save \"{rules}\"): a crash loses the writes since the last snapshot",
        evidence={"save": rules, "appendonly": "no"},
        recommendation="If losing minutes of writes is not acceptable, turn on AOF with appendfsync everysec.",
        fix=config_fix(ctx, {"appendonly": "yes"}, caveat=AOF_ON),
    )


@check(id="redis.persistence.aof_fsync", title="AOF fsync policy other than everysec", category="durability",
       severity=Severity.WARNING, facts=["redis.config", "redis.info"], reference=GUIDE)
def aof_fsync(ctx):
    """appendfsync always fsyncs every write (each write waits for the disk: throughput drops by
    orders of magnitude); appendfsync no leaves flushing to the OS (tens of seconds of writes can
    be lost). The guide recommends everysec. aof-use-rdb-preamble no makes rewrites and restarts
    slower."""
    if setting(ctx, "appendonly") != "yes":
        return
    policy = setting(ctx, "appendfsync")
    if policy != "everysec":
        effect = ("every write waits for fsync: high latency, low throughput" if policy == "always"
                  else "the OS decides when to flush: up to ~30 s of writes lost on a crash")
        yield ctx.finding(
            object="appendfsync", summary=f"appendfsync {policy}: {effect}",
            evidence={"appendonly": "yes", "appendfsync": policy, "recommended": "everysec"},
            recommendation="Use appendfsync everysec (guide): at most about one second of writes lost.",
            fix=config_fix(ctx, {"appendfsync": "everysec"}),
        )
    if ctx.fact("redis.config").get("aof-use-rdb-preamble") == "no":
        yield ctx.finding(
            object="aof-use-rdb-preamble", severity=Severity.INFO,
            summary="aof-use-rdb-preamble no: AOF rewrites and restarts replay every command",
            evidence={"aof-use-rdb-preamble": "no"},
            recommendation="Enable the RDB preamble (hybrid persistence) for compact AOFs and fast restarts.",
            fix=config_fix(ctx, {"aof-use-rdb-preamble": "yes"},
                           caveat="takes effect at the next AOF rewrite (BGREWRITEAOF)"),
        )


@check(id="redis.persistence.failed", title="Last RDB save or AOF write failed", category="durability",
       severity=Severity.CRITICAL, facts=["redis.info"], reference="common alert rule: rdb_last_bgsave_status / "
       "aof_last_write_status != ok")
def failed(ctx):
    """A failed BGSAVE (disk full, permissions, fork failure) means no recent snapshot; with
    stop-writes-on-bgsave-error yes Redis then refuses writes. A failed AOF write or rewrite
    means the log is behind. Fix: read the Redis log for the cause (disk space, dir
    permissions, vm.overcommit_memory=1 for fork) and trigger BGSAVE after fixing it."""
    p = info(ctx, "persistence")
    for field in ("rdb_last_bgsave_status", "aof_last_bgrewrite_status", "aof_last_write_status"):
        status = p.get(field)
        if status is None or status == "ok":
            continue
        if field.startswith("aof") and p.get("aof_enabled") != 1:
            continue
        yield ctx.finding(
            object=field, summary=f"{field} is {status!r}",
            evidence={field: status, "rdb_last_save_time": p.get("rdb_last_save_time"),
                      "rdb_changes_since_last_save": p.get("rdb_changes_since_last_save"),
                      "fix_kind": "manual"},
            recommendation="Check the Redis log for the cause (disk full, permissions on dir, fork failing "
                           "for lack of memory: vm.overcommit_memory=1), fix it, then run BGSAVE / BGREWRITEAOF.",
            fix=f"# only after the cause in the Redis log is fixed, else it fails again\n{cli(ctx)} "
                + ("BGSAVE" if field.startswith("rdb") else "BGREWRITEAOF"),
        )


@check(id="redis.persistence.stale_save", title="No successful RDB save for a long time",
       category="durability", severity=Severity.WARNING, facts=["redis.info", "redis.config"],
       reference="common alert rule: no successful save in 24 h",
       thresholds={"max_age_hours": Threshold(24, "h", "common alert rule (no successful save in 24 h)")})
def stale_save(ctx):
    """Save rules are configured and there are unsaved changes, yet the last successful RDB
    snapshot is older than 24 hours: saves are failing or the rules never trigger. A crash
    would lose everything since then. Fix: look at rdb_last_bgsave_status and the log; adjust
    the save rules."""
    p = info(ctx, "persistence")
    now, last = server_now(ctx), p.get("rdb_last_save_time")
    if not _rdb_rules(ctx) or not now or not last or not p.get("rdb_changes_since_last_save"):
        return
    age = now - last
    if age < ctx.threshold("max_age_hours") * 3600:
        return
    yield ctx.finding(
        object="rdb_last_save_time",
        summary=f"last successful RDB save {human_duration(age)} ago with "
                f"{p['rdb_changes_since_last_save']} unsaved changes",
        evidence={"rdb_last_save_age_s": round(age), "rdb_changes_since_last_save": p["rdb_changes_since_last_save"],
                  "save": _rdb_rules(ctx), "max_age_hours": ctx.threshold("max_age_hours")},
        recommendation="Find why saves do not happen or fail (INFO persistence, Redis log); take a BGSAVE now.",
        fix=f"{cli(ctx)} BGSAVE    # a snapshot now (a fork); then find why the save rules did not run",
    )


@check(id="redis.persistence.slow_fork", title="Slow fork for BGSAVE / AOF rewrite", category="durability",
       severity=Severity.WARNING, facts=["redis.info"],
       reference="Redis latency docs (fork time per GB; LATENCY DOCTOR fork event)",
       thresholds={"fork_ms": Threshold(500, "ms", "Redis latency docs: fork stalls the server for its whole duration")})
def slow_fork(ctx):
    """latest_fork_usec is how long the last fork (BGSAVE, AOF rewrite, full sync) stopped the
    server: no command runs during it. Forks cost roughly 10-20 ms per GB on physical hosts and
    far more on some VMs or with Transparent Huge Pages. Fix: disable THP, use smaller instances
    (shard), or persist from a replica."""
    usec = info(ctx, "stats").get("latest_fork_usec", 0)
    if usec < ctx.threshold("fork_ms") * 1000:
        return
    used = info(ctx, "memory").get("used_memory", 0)
    yield ctx.finding(
        object="latest_fork_usec",
        summary=f"last fork took {usec / 1000:.0f} ms (> {ctx.threshold('fork_ms')} ms) for "
                f"{used / 1024**3:.1f} GB: the server was frozen meanwhile",
        evidence={"latest_fork_usec": usec, "used_memory": used, "threshold_ms": ctx.threshold("fork_ms"),
                  "fix_kind": "shell"},
        recommendation="Disable Transparent Huge Pages, keep instances smaller, or run persistence on a replica.",
        fix=THP_FIX,
    )
