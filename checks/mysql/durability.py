"""Durability and I/O settings, with their trade-offs."""

from advisor.model import Severity
from advisor.registry import check

from ._common import GUIDE, config_fix, mariadb, num, on, set_global, version

PT_VA = "pt-variable-advisor (innodb_flush_log_at_trx_commit, sync_binlog, log_bin, innodb_doublewrite)"


@check(
    id="mysql.durability.settings",
    title="Durability settings that can lose committed transactions",
    category="durability",
    severity=Severity.WARNING,
    facts=["mysql.variables", "mysql.server"],
    reference=PT_VA + "; Percona PMM (sync_binlog != 1); " + GUIDE,
)
def durability(ctx):
    """innodb_flush_log_at_trx_commit = 1 writes and syncs the redo log at every commit
    (full ACID). 2 (what the guide's example uses for speed) writes at commit and syncs
    once a second: an OS crash or power loss loses up to a second of commits, a mysqld
    crash loses nothing. 0 loses up to a second even on a mysqld crash. With the binary
    log on, sync_binlog != 1 can lose binlog events a replica or point-in-time recovery
    needs, or leave binlog and InnoDB disagreeing after a crash. innodb_doublewrite = OFF
    risks torn pages. A binary log that is off means no point-in-time recovery and no
    replication. Each is reported with its trade-off; keep the relaxed value only where
    losing the last second of writes is acceptable (replicas, bulk loads)."""
    v = ctx.fact("mysql.variables")
    flush = num(v, "innodb_flush_log_at_trx_commit")
    if flush is not None and flush != 1:
        yield ctx.finding(
            object="innodb_flush_log_at_trx_commit",
            severity=Severity.WARNING if flush == 0 else Severity.INFO,
            summary=f"innodb_flush_log_at_trx_commit = {flush:g}: up to ~1 s of commits lost on "
                    + ("any crash" if flush == 0 else "an OS crash or power loss"),
            evidence={"innodb_flush_log_at_trx_commit": flush, "durable_value": 1,
                      "guide_example": 2},
            recommendation="Use 1 on a primary that must not lose commits; 2 is a deliberate trade "
                           "(faster commits) acceptable on replicas or reloadable data.",
            fix=set_global(ctx, {"innodb_flush_log_at_trx_commit": 1}, "slower commits: each one waits for an fsync"),
        )
    binlog = on(v.get("log_bin", "OFF"))
    sync = num(v, "sync_binlog")
    if binlog and sync is not None and sync != 1:
        yield ctx.finding(
            object="sync_binlog",
            summary=f"sync_binlog = {sync:g} with the binary log on: binlog events can be lost on a crash",
            evidence={"sync_binlog": sync, "log_bin": v.get("log_bin"), "durable_value": 1},
            recommendation="Set sync_binlog = 1 so replicas and point-in-time recovery never miss a "
                           "committed transaction (costs an fsync per group commit).",
            fix=set_global(ctx, {"sync_binlog": 1}, "costs an fsync per binlog group commit"),
        )
    if not binlog:
        yield ctx.finding(
            object="log_bin", severity=Severity.INFO,
            summary="binary log is off: no point-in-time recovery and no replication",
            evidence={"log_bin": v.get("log_bin"), "fix_kind": "config"},
            recommendation="Enable the binary log on anything whose data must be recoverable to a point "
                           "in time (needs a restart); skip it on throw-away or rebuildable instances. "
                           "server_id must be unique among the servers that replicate together.",
            fix=config_fix({"log_bin": "mysql-bin", "server_id": "{{server_id}}", "sync_binlog": 1,
                            **({"expire_logs_days": 7} if mariadb(ctx) and version(ctx) < (10, 6, 1)
                               else {"binlog_expire_logs_seconds": 604800})},
                           "log_bin is not dynamic; binlogs need disk for 7 days of writes"),
        )
    if "innodb_doublewrite" in v and str(v["innodb_doublewrite"]).upper() in ("OFF", "0"):
        yield ctx.finding(
            object="innodb_doublewrite", severity=Severity.CRITICAL,
            summary="innodb_doublewrite is OFF: a torn page after a crash cannot be repaired",
            evidence={"innodb_doublewrite": v["innodb_doublewrite"], "fix_kind": "config"},
            recommendation="Turn the doublewrite buffer back on unless the storage guarantees atomic "
                           "16 KiB writes.",
            fix=config_fix({"innodb_doublewrite": "ON"}),
        )


