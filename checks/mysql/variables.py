"""pt-variable-advisor's rules that still mean something on MySQL 5.7 / 8.x and MariaDB 10.6+.

Rules already judged elsewhere (durability, buffer pool, redo, tmp tables, query cache, binlog
retention, relay log limit, versions) are not repeated; docs/mysql.md lists every one of the
tool's rules with the check that covers it or why it is obsolete.
"""

from __future__ import annotations

from advisor.model import Severity
from advisor.registry import Threshold, check

from ._common import num, on, set_global

PT_VA = "pt-variable-advisor"


@check(
    id="mysql.variables.force_recovery",
    title="innodb_force_recovery set (server running in crash-recovery mode)",
    category="durability",
    severity=Severity.CRITICAL,
    facts=["mysql.variables"],
    reference=f"{PT_VA} (innodb_force_recovery); MySQL docs 17.20.3 (Forcing InnoDB Recovery)",
)
def force_recovery(ctx):
    """innodb_force_recovery > 0 is an emergency setting for dumping data out of a damaged
    InnoDB: background operations are skipped (purge at >= 2, change-buffer merge at >= 3), and
    from 4 on InnoDB is read-only and may serve inconsistent data. A server left running with it
    set is not healthy: take the dump, rebuild, and remove the setting. Not dynamic: my.cnf and a
    restart."""
    v = ctx.fact("mysql.variables")
    level = num(v, "innodb_force_recovery", 0) or 0
    if level <= 0:
        return
    yield ctx.finding(
        object="innodb_force_recovery",
        summary=f"innodb_force_recovery = {level:g}: InnoDB is in forced recovery mode"
                + (" (read-only, data possibly inconsistent)" if level >= 4 else ""),
        evidence={"innodb_force_recovery": level, "fix_kind": "config"},
        recommendation="Dump what is needed, rebuild or restore the instance, then start without the setting.",
        fix="# remove innodb_force_recovery from [mysqld] in my.cnf, then restart the server",
    )


@check(
    id="mysql.variables.skip_errors",
    title="Replication errors skipped (slave_skip_errors / replica_skip_errors)",
    category="replication",
    severity=Severity.CRITICAL,
    facts=["mysql.variables"],
    reference=f"{PT_VA} (slave_skip_errors: CRIT 'You should not set this option')",
)
def skip_errors(ctx):
    """slave_skip_errors (replica_skip_errors on MySQL 8.0.26+) makes the applier silently skip
    events that fail with the listed errors (1062 duplicate key and 1032 row not found are the
    usual ones, 'all' the worst): every skip is a replica whose data differs from the source,
    which nobody sees until a failover. Remove it, check the data (pt-table-checksum), fix the
    cause of the errors. Not dynamic: my.cnf and a restart."""
    v = ctx.fact("mysql.variables")
    name = "replica_skip_errors" if "replica_skip_errors" in v else "slave_skip_errors"
    value = str(v.get(name, "OFF"))
    if value.upper() in ("OFF", "", "NONE"):
        return
    yield ctx.finding(
        object=name,
        summary=f"{name} = {value}: replication errors are skipped and the replica's data may differ from the source",
        evidence={name: value, "fix_kind": "config"},
        recommendation="Remove the setting, compare the replica with its source (pt-table-checksum) and repair "
                       "or re-clone it.",
        fix=f"# remove {name} from [mysqld] in my.cnf, then restart the server",
    )


@check(
    id="mysql.variables.general_log",
    title="General query log on",
    category="configuration",
    severity=Severity.WARNING,
    facts=["mysql.variables", "mysql.server"],
    reference=f"{PT_VA} (log / general_log); MySQL docs 7.4.3 (The General Query Log)",
)
def general_log(ctx):
    """The general query log writes every statement every client sends, with its text and
    values: on a busy server it costs I/O and a global mutex, fills the disk, and stores
    passwords and personal data in clear text in a file (or in the mysql.general_log table when
    log_output = TABLE). Use it for minutes while debugging, never as a permanent setting;
    performance_schema and the slow log give workload statistics without it. Dynamic."""
    v = ctx.fact("mysql.variables")
    if not on(v.get("general_log", "OFF")):
        return
    yield ctx.finding(
        object="general_log",
        summary=f"general_log is ON: every statement is written to {v.get('general_log_file') or 'the general log'}"
                + (" and the mysql.general_log table" if "TABLE" in str(v.get("log_output", "")).upper() else ""),
        evidence={"general_log": v.get("general_log"), "general_log_file": v.get("general_log_file"),
                  "log_output": v.get("log_output")},
        recommendation="Turn the general log off; use the slow query log and performance_schema for workload analysis.",
        fix=set_global(ctx, "general_log = OFF", "dynamic, immediate"),
    )


@check(
    id="mysql.variables.sql_mode",
    title="sql_mode without strict mode",
    category="configuration",
    severity=Severity.WARNING,
    facts=["mysql.variables", "mysql.server"],
    reference=f"{PT_VA} (sql_mode); MySQL docs 7.1.11 (Server SQL Modes: strict mode is the default since 5.7)",
)
def sql_mode(ctx):
    """Without STRICT_TRANS_TABLES (or STRICT_ALL_TABLES) the server accepts invalid data with a
    warning: too long strings are truncated, out-of-range numbers clipped, invalid dates stored
    as zero dates. Strict mode has been the default since MySQL 5.7 and MariaDB 10.2.4; a server
    without it has usually been relaxed for an old application. The change is dynamic but only
    for new sessions, and statements the application sends that relied on silent truncation will
    then fail: test the application first."""
    v = ctx.fact("mysql.variables")
    mode = str(v.get("sql_mode", ""))
    flags = [m for m in mode.split(",") if m]
    if "STRICT_TRANS_TABLES" in flags or "STRICT_ALL_TABLES" in flags:
        return
    wanted = ",".join(["STRICT_TRANS_TABLES", *flags])
    yield ctx.finding(
        object="sql_mode",
        summary=f"sql_mode has no strict mode ({mode or 'empty'}): invalid values are truncated or clipped with a warning",
        evidence={"sql_mode": mode},
        recommendation="Add STRICT_TRANS_TABLES after testing the application against it.",
        fix=set_global(ctx, f"sql_mode = '{wanted}'", "dynamic, new sessions only; test the application first"),
    )


@check(
    id="mysql.variables.max_connections",
    title="max_connections very high for the connections actually used",
    category="connections",
    severity=Severity.WARNING,
    facts=["mysql.variables", "mysql.status", "mysql.server"],
    reference=f"{PT_VA} (max_connections > 1000)",
    thresholds={"max_connections": Threshold(1000, "connections", f"{PT_VA}: max_connections > 1000"),
                "used_pct": Threshold(25, "%", "db-advisor default: peak use below a quarter of the limit")},
)
def max_connections(ctx):
    """A very high max_connections (pt-variable-advisor warns above 1000) is a promise the
    server cannot keep: each connection can allocate its session buffers, so a burst of
    connections (an application retry storm) exhausts memory or CPU instead of being refused
    early. Reported when the peak since startup (Max_used_connections) stayed below a quarter of
    the limit: the limit can come down to a margin above the peak; a pooler in front (ProxySQL,
    MaxScale) absorbs bursts. Dynamic."""
    v, st = ctx.fact("mysql.variables"), ctx.fact("mysql.status")
    limit = num(v, "max_connections")
    peak = num(st, "max_used_connections")
    if limit is None or peak is None or limit <= ctx.threshold("max_connections"):
        return
    if peak >= limit * ctx.threshold("used_pct") / 100:
        return
    yield ctx.finding(
        object="max_connections",
        summary=f"max_connections = {limit:g} but at most {peak:g} were used since startup",
        evidence={"max_connections": limit, "max_used_connections": peak, "uptime_s": st.get("uptime"),
                  "threshold": ctx.threshold("max_connections")},
        recommendation="Lower max_connections to the observed peak plus a margin (and pool connections in the "
                       "application or a proxy).",
        fix=set_global(ctx, "max_connections = {{connections}}", "dynamic; existing sessions stay"),
    )


@check(
    id="mysql.variables.delay_key_write",
    title="delay_key_write = ALL (MyISAM index blocks flushed late)",
    category="durability",
    severity=Severity.WARNING,
    facts=["mysql.variables", "mysql.server"],
    reference=f"{PT_VA} (delay_key_write)",
)
def delay_key_write(ctx):
    """delay_key_write = ALL keeps every MyISAM table's changed index blocks in the key cache
    until the table is closed: after a crash the indexes are corrupt and need REPAIR TABLE.
    pt-variable-advisor warns on ON too, but ON (the default) only affects tables created with
    DELAY_KEY_WRITE = 1, so only ALL is reported. InnoDB tables are unaffected. Dynamic."""
    v = ctx.fact("mysql.variables")
    if str(v.get("delay_key_write", "ON")).upper() != "ALL":
        return
    yield ctx.finding(
        object="delay_key_write",
        summary="delay_key_write = ALL: MyISAM indexes are corrupt after a crash",
        evidence={"delay_key_write": v.get("delay_key_write")},
        recommendation="Set it back to ON (only tables that ask for it) or OFF.",
        fix=set_global(ctx, "delay_key_write = ON"),
    )


# the rest of pt-variable-advisor's rules that still apply: (variable, condition, severity, why, fix value)
def _rules(ctx, v):
    iso = str(v.get("transaction_isolation", v.get("tx_isolation", ""))).upper().replace("_", "-")
    log_output = str(v.get("log_output", "")).upper()
    logs_on = on(v.get("general_log", "OFF")) or on(v.get("slow_query_log", "OFF"))
    net = "replica_net_timeout" if "replica_net_timeout" in v else "slave_net_timeout"
    return [
        ("innodb_fast_shutdown", num(v, "innodb_fast_shutdown") == 2, Severity.WARNING,
         "the next start runs crash recovery (2 skips the clean flush at shutdown)", "innodb_fast_shutdown = 1"),
        ("optimizer_prune_level", num(v, "optimizer_prune_level") == 0, Severity.WARNING,
         "the optimizer searches every join order: many-table joins take seconds to plan", "optimizer_prune_level = 1"),
        ("log_output", "TABLE" in log_output and logs_on, Severity.WARNING,
         "the general / slow log go to CSV tables in mysql, slower than a file and not rotated",
         "log_output = 'FILE'"),
        (net, (num(v, net) or 0) > 60, Severity.WARNING,
         "a replica notices a dead source connection only after this many seconds", f"{net} = 60"),
        ("transaction_isolation", iso in ("READ-UNCOMMITTED", "SERIALIZABLE"), Severity.WARNING,
         "READ-UNCOMMITTED reads uncommitted data; SERIALIZABLE turns plain SELECTs into locking reads",
         ("transaction_isolation" if "transaction_isolation" in v else "tx_isolation") + " = 'REPEATABLE-READ'"),
        ("flush", on(v.get("flush", "OFF")), Severity.WARNING,
         "every MyISAM change is synced to disk at once: slow", "flush = OFF"),
        ("flush_time", (num(v, "flush_time") or 0) > 0, Severity.WARNING,
         "all tables are closed and synced every flush_time seconds", "flush_time = 0"),
        ("innodb_lock_wait_timeout", (num(v, "innodb_lock_wait_timeout") or 0) > 120, Severity.INFO,
         "a blocked statement waits minutes before error 1205 and holds its connection meanwhile",
         "innodb_lock_wait_timeout = 50"),
        ("connect_timeout", (num(v, "connect_timeout") or 0) > 10, Severity.INFO,
         "half-open connections hold a slot longer during the handshake (DoS exposure)", "connect_timeout = 10"),
    ]


@check(
    id="mysql.variables.risky_settings",
    title="Other settings pt-variable-advisor warns about",
    category="configuration",
    severity=Severity.WARNING,
    facts=["mysql.variables", "mysql.server"],
    reference=f"{PT_VA} (innodb_fast_shutdown, optimizer_prune_level, log_output, slave_net_timeout, "
              "tx_isolation-2, flush, flush_time, innodb_lock_wait_timeout, connect_timeout)",
)
def risky_settings(ctx):
    """The rest of pt-variable-advisor's warnings that still apply to current versions, each
    with why it matters: innodb_fast_shutdown = 2 (crash recovery at the next start),
    optimizer_prune_level = 0 (exhaustive join planning), log_output = TABLE with a log on,
    slave_net_timeout / replica_net_timeout above 60 s, READ-UNCOMMITTED or SERIALIZABLE as the
    server default, flush = ON and flush_time > 0 (MyISAM syncing), innodb_lock_wait_timeout
    above 120 s and connect_timeout above 10 s (information). All are dynamic."""
    v = ctx.fact("mysql.variables")
    for name, hit, sev, why, fixed in _rules(ctx, v):
        if not hit:
            continue
        shown = name if name in v else ("tx_isolation" if name == "transaction_isolation" else name)
        yield ctx.finding(
            object=name,
            severity=sev,
            summary=f"{name} = {v.get(shown)}: {why}",
            evidence={name: v.get(shown), "rule": PT_VA},
            recommendation=f"Set {fixed} unless the current value was chosen for a measured reason.",
            fix=set_global(ctx, fixed),
        )
