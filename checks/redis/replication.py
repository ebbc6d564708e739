"""Replication: link down, lag, and a backlog too small for the write rate."""

from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_bytes, human_duration

from ._common import config_fix, info, redis_size, setting_int

REF = "Redis INFO replication; PMM / common alert rules (link down, lag)"


def _replicas(repl: dict) -> list[dict]:
    return [dict(v, name=k) for k, v in sorted(repl.items())
            if k.startswith("slave") and k[5:].isdigit() and isinstance(v, dict)]


@check(id="redis.replication.link_down", title="Replication link down", category="replication",
       severity=Severity.CRITICAL, facts=["redis.info"], reference=REF)
def link_down(ctx):
    """On a replica, master_link_status:down means it no longer receives writes: it serves stale
    data and a failover to it would lose them. On a master, a replica whose state is not
    'online' is still syncing or stuck. Fix: check network, masterauth, and the master's log
    (full sync failing for output-buffer limits or disk)."""
    repl = info(ctx, "replication")
    if repl.get("role") == "slave" and repl.get("master_link_status") != "up":
        down = repl.get("master_link_down_since_seconds")
        yield ctx.finding(
            object=f"{repl.get('master_host')}:{repl.get('master_port')}",
            summary=f"replica's link to master {repl.get('master_host')}:{repl.get('master_port')} is "
                    f"{repl.get('master_link_status')}" + (f" for {down} s" if down is not None else ""),
            evidence={k: repl.get(k) for k in ("master_host", "master_port", "master_link_status",
                                               "master_link_down_since_seconds", "master_sync_in_progress")},
            recommendation="Check connectivity and masterauth/masteruser, then the master's log.",
        )
    for r in _replicas(repl):
        if r.get("state") != "online":
            yield ctx.finding(
                object=f"{r.get('ip')}:{r.get('port')}", severity=Severity.WARNING,
                summary=f"replica {r.get('ip')}:{r.get('port')} is in state {r.get('state')!r}",
                evidence=r, recommendation="A replica stuck syncing: check client-output-buffer-limit replica "
                                           "and repl-timeout, and the replica's log.",
            )


@check(id="redis.replication.lag", title="Replication lag", category="replication", severity=Severity.WARNING,
       facts=["redis.info"], reference=REF,
       thresholds={"lag_seconds": Threshold(10, "s", "common alert rule (replica lag > 10 s)"),
                   "lag_bytes": Threshold(10 * 1024**2, "bytes", "db-advisor: 10 MB of replication stream behind")})
def lag(ctx):
    """A lagging replica serves stale reads and would lose the lagging writes in a failover. On
    the master each replica's lag (seconds since its last ACK) and offset gap are judged; on a
    replica, master_last_io_seconds_ago. Fix: network capacity, a faster replica, fewer big
    writes (MULTI/EXEC of huge values)."""
    repl = info(ctx, "replication")
    offset = repl.get("master_repl_offset", 0)
    for r in _replicas(repl):
        gap = max(0, offset - r.get("offset", offset))
        if r.get("lag", 0) > ctx.threshold("lag_seconds") or gap > ctx.threshold("lag_bytes"):
            yield ctx.finding(
                object=f"{r.get('ip')}:{r.get('port')}",
                summary=f"replica {r.get('ip')}:{r.get('port')} lags {r.get('lag')} s and "
                        f"{human_bytes(gap)} behind",
                evidence={"lag_s": r.get("lag"), "offset_gap_bytes": gap, "master_repl_offset": offset,
                          "replica_offset": r.get("offset"), "lag_seconds": ctx.threshold("lag_seconds"),
                          "lag_bytes": ctx.threshold("lag_bytes"),
                          "repl_backlog_size": repl.get("repl_backlog_size")},
                recommendation="Check the replica's network and load; a gap beyond repl-backlog-size forces a full resync.",
            )
    io = repl.get("master_last_io_seconds_ago", -1)
    if repl.get("role") == "slave" and repl.get("master_link_status") == "up" and io > ctx.threshold("lag_seconds"):
        yield ctx.finding(
            object=f"{repl.get('master_host')}:{repl.get('master_port')}",
            summary=f"no data from the master for {io} s",
            evidence={"master_last_io_seconds_ago": io, "lag_seconds": ctx.threshold("lag_seconds")},
            recommendation="The master is idle or the link is stalled: check the network and the master.",
        )


@check(id="redis.replication.backlog", title="Replication backlog too small for the write rate",
       category="replication", severity=Severity.WARNING, facts=["redis.info", "redis.config"],
       reference="Redis replication docs (repl-backlog-size: partial resync after a disconnect)",
       thresholds={"seconds": Threshold(60, "s", "db-advisor: survive a one-minute disconnect without full sync")})
def backlog(ctx):
    """After a short disconnect a replica resumes from the backlog (partial resync); if more was
    written than repl-backlog-size meanwhile, it needs a full resync: a fork and an RDB transfer
    of the whole data set. Size the backlog for the write rate times the longest disconnect to
    survive (60 s by default here). Judged on the master only: a replica's master_repl_offset is
    the master's lifetime offset (PSYNC2 keeps it across restarts), so it says nothing about a
    rate over the replica's uptime. On the master the rate is the replication stream written
    under the current replication ID (since start, or since second_repl_offset when the ID
    changed at a restart from RDB or a promotion) over uptime: an average, and a lower bound
    (the offset only grows while a backlog exists)."""
    repl = info(ctx, "replication")
    if repl.get("role") != "master" or not _replicas(repl):
        return
    size = setting_int(ctx, "repl-backlog-size")
    uptime = max(1, info(ctx, "server").get("uptime_in_seconds", 1))
    offset, second = repl.get("master_repl_offset", 0), repl.get("second_repl_offset", -1)
    if second is not None and second > 0:
        written = max(0, offset - second + 1)
        basis = ("(master_repl_offset - second_repl_offset) / uptime_in_seconds: the stream since the "
                 "replication ID changed (restart from RDB or promotion), a lower bound")
    else:
        written = offset
        basis = "master_repl_offset / uptime_in_seconds: the stream since this master started, a lower bound"
    rate = written / uptime
    need = int(rate * ctx.threshold("seconds"))
    if not rate or need <= size:
        return
    target = max(need, 2 * size)
    target = -(-target // 1024**2) * 1024**2  # whole MB
    yield ctx.finding(
        object="repl-backlog-size",
        summary=f"repl-backlog-size {human_bytes(size)} holds {size / rate:.0f} s of writes "
                f"at {human_bytes(rate)}/s averaged over {human_duration(uptime)} (want {ctx.threshold('seconds')} s)",
        evidence={"repl_backlog_size": size, "write_rate_bytes_per_s": round(rate), "write_rate_basis": basis,
                  "replication_bytes_counted": written, "master_repl_offset": offset,
                  "second_repl_offset": second, "uptime_s": uptime, "target_seconds": ctx.threshold("seconds")},
        recommendation=f"Raise repl-backlog-size to {redis_size(target)} so a short disconnect does not force a "
                       "full resync (the rate is an average: peaks need more).",
        fix=config_fix(ctx, {"repl-backlog-size": redis_size(target)},
                       caveat="the backlog uses up to this much memory while replicas exist (not counted in "
                              "maxmemory); set the same on every replica, which becomes the master after a failover"),
    )
