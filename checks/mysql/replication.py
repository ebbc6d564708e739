"""Replication health: the replica's threads, errors, lag and safety settings; the source's
binary log format, retention and connected replicas.

sync_binlog and a binary log that is off are judged by mysql.durability.settings (not here).
"""

from __future__ import annotations

from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import one_line

from ._common import mariadb, num, on, set_global, version

MYSQL_DOCS = "MySQL 8.4 Reference Manual 19.1.7 (Common Replication Administration Tasks)"
MARIADB_DOCS = "MariaDB docs: SHOW REPLICA STATUS, Multi-Source Replication, GTID"
MIXIN = "mysqld_exporter mixin alert MySQLReplicationLag (> 30 s)"
REF = f"{MYSQL_DOCS}; {MARIADB_DOCS}"


def _channels(ctx):
    """The replication channels; none on a server that is not a replica (nothing to judge)."""
    return ctx.fact("mysql.replica_status")["channels"]


def _name(c) -> str:
    return f"channel '{c['channel']}'" if c["channel"] else "replication"


def _stmt(ctx, c, what: str) -> str:
    """STOP/START/... REPLICA|SLAVE for this channel, in the server's wording."""
    ch = c["channel"]
    if mariadb(ctx):
        word = "REPLICA" if version(ctx) >= (10, 5, 1) else "SLAVE"
        return f"{what} {word} '{ch}'" if ch else f"{what} {word}"
    word = "REPLICA" if version(ctx) >= (8, 0, 22) else "SLAVE"
    return f"{what} {word}" + (f" FOR CHANNEL '{ch}'" if ch else "")


def _show(ctx, c) -> str:
    if mariadb(ctx):
        word = "REPLICA" if version(ctx) >= (10, 5, 1) else "SLAVE"
        return f"SHOW {word} '{c['channel']}' STATUS" if c["channel"] else f"SHOW ALL {word}S STATUS"
    return ("SHOW REPLICA STATUS" if version(ctx) >= (8, 0, 22) else "SHOW SLAVE STATUS") + \
        (f" FOR CHANNEL '{c['channel']}'" if c["channel"] else "")


def _source(c) -> str:
    return f"{c['source_host']}:{c['source_port']}" if c["source_host"] else "?"


@check(
    id="mysql.replication.threads",
    title="Replica I/O or SQL thread not running (replication broken)",
    category="replication",
    severity=Severity.CRITICAL,
    facts=["mysql.replica_status", "mysql.server"],
    reference=REF,
)
def threads(ctx):
    """A replica copies the source's binary log with its I/O (receiver) thread and applies it
    with its SQL (applier) thread. Either one stopped means the replica falls further behind
    every second and is not a valid failover target. The finding carries the last error number
    and text for each thread (on MySQL 8 the applier workers' own errors from
    performance_schema.replication_applier_status_by_worker, since the coordinator only says
    'see the workers'). I/O errors (2003 cannot connect, 1045 access denied, 13114 / 1236
    binlog purged on the source) are fixed on the network, account or source; SQL errors (1062
    duplicate key, 1032 row not found) mean the replica's data diverged from the source: find
    out why before skipping anything, and re-clone if unsure. A replica whose threads were
    stopped on purpose (maintenance, a delayed replica paused) is reported too: restart them
    when done."""
    for c in _channels(ctx):
        io_ok = str(c["io_running"]).lower() == "yes"
        sql_ok = str(c["sql_running"]).lower() == "yes"
        if io_ok and sql_ok:
            continue
        broken = []
        if not io_ok:
            broken.append(f"I/O thread {str(c['io_running']).lower()}"
                          + (f" (error {c['last_io_errno']}: {one_line(c['last_io_error'], 160)})"
                             if c["last_io_errno"] else ""))
        if not sql_ok:
            err = c["worker_errors"][0] if c.get("worker_errors") else None
            errno, text = (err["errno"], err["error"]) if err else (c["last_sql_errno"], c["last_sql_error"])
            broken.append("SQL thread stopped" + (f" (error {errno}: {one_line(text, 160)})" if errno else ""))
        data_error = not sql_ok and bool(c["last_sql_errno"])
        if data_error:
            rec = ("The applier stopped on an error: the replica's data no longer matches the source. "
                   "Read the error, compare the row on both servers (pt-table-checksum), repair it, "
                   "then restart the applier; re-clone the replica when the divergence is not understood. "
                   "Skipping the event (sql_slave_skip_counter / an empty GTID transaction) hides the "
                   "divergence and is a last resort.")
        elif not io_ok and c["last_io_errno"]:
            rec = ("The receiver cannot read from the source: check the network path, the replication "
                   "account and password, and that the source still has the binary log the replica asks "
                   "for (error 1236 means it was purged: re-clone). Then restart the I/O thread.")
        else:
            rec = "The threads were stopped without an error: start them (after planned maintenance)."
        start = _stmt(ctx, c, "START") + ";"
        fix = (f"-- inspect first: {_show(ctx, c)};\n" + start +
               "  -- no lock on user tables; persists (the threads restart with the server unless "
               "skip_slave_start / skip_replica_start is set)")
        yield ctx.finding(
            object=_name(c),
            summary=f"{_name(c)} from {_source(c)} is broken: {'; '.join(broken)}",
            evidence={"channel": c["channel"], "source": _source(c), "io_running": c["io_running"],
                      "sql_running": c["sql_running"], "last_io_errno": c["last_io_errno"],
                      "last_io_error": c["last_io_error"], "last_sql_errno": c["last_sql_errno"],
                      "last_sql_error": c["last_sql_error"], "worker_errors": c.get("worker_errors", []),
                      "seconds_behind": c["seconds_behind"],
                      **({"fix_kind": "manual"} if data_error or c["last_io_errno"] else {})},
            recommendation=rec,
            fix=fix,
        )


def _backlog(c) -> int | None:
    """Bytes received but not applied, when both positions are in the same source binlog file."""
    if c["source_log_file"] and c["source_log_file"] == c["exec_log_file"] \
            and c["read_pos"] is not None and c["exec_pos"] is not None:
        return max(0, int(c["read_pos"]) - int(c["exec_pos"]))
    return None


@check(
    id="mysql.replication.lag",
    title="Replica lag (Seconds_Behind_Source) and relay log backlog",
    category="replication",
    severity=Severity.WARNING,
    facts=["mysql.replica_status", "mysql.server"],
    reference=f"{MIXIN}; {REF}",
    thresholds={"lag_s": Threshold(30, "s", MIXIN),
                "critical_lag_s": Threshold(3600, "s", "MySQLTuner / anchors.md: longest transaction > 1 h "
                                             "(one hour of lag is an hour of lost reads on failover)")},
)
def lag(ctx):
    """Seconds_Behind_Master (Seconds_Behind_Source on MySQL 8.0.22+) is the age of the event
    the applier is executing, minus the clock difference to the source. Its blind spots: it is
    NULL whenever the applier is stopped (the lag is then unknown and growing), it is 0 while
    the receiver is the one behind (a slow network or a stalled source connection looks like no
    lag), it jumps when a long transaction starts to apply, and a deliberately delayed replica
    (SQL_Delay) is behind by design (subtracted here). So the relay log backlog (bytes received
    but not applied, Read_Master_Log_Pos - Exec_Master_Log_Pos in the same binlog file) is shown
    too, and on MySQL 8 the age of the transactions the applier workers are executing, from
    their original commit time on the source (performance_schema
    .replication_applier_status_by_worker), is used when it is larger. Causes: a single-threaded applier (raise replica_parallel_workers /
    slave_parallel_threads), large transactions or DDL on the source, tables without a primary
    key under row-based replication, a smaller replica. Lag above the threshold is a warning,
    above an hour critical."""
    warn, crit = ctx.threshold("lag_s"), ctx.threshold("critical_lag_s")
    for c in _channels(ctx):
        behind, backlog = c["seconds_behind"], _backlog(c)
        delay = num(c, "sql_delay", 0) or 0
        if behind is None:
            if str(c["sql_running"]).lower() == "yes":
                continue  # receiver down: mysql.replication.threads says so
            if backlog:
                yield ctx.finding(
                    object=_name(c),
                    summary=f"{_name(c)}: lag unknown (applier stopped, Seconds_Behind is NULL) with "
                            f"{backlog:,} bytes of relay log waiting to be applied",
                    evidence={"channel": c["channel"], "seconds_behind": None, "relay_backlog_bytes": backlog,
                              "relay_log_space": c["relay_log_space"], "sql_running": c["sql_running"]},
                    recommendation="The replica falls further behind every second the applier stays stopped; "
                                   "fix the applier (see mysql.replication.threads) and watch the backlog drain.",
                    fix=_stmt(ctx, c, "START") + ";  -- after the applier's error is understood",
                )
            continue
        applier = c.get("applier_lag_s")  # MySQL 8 performance_schema, None elsewhere
        effective = max(0, int(behind) - int(delay), int(float(applier or 0)) - int(delay))
        if effective <= warn:
            continue
        yield ctx.finding(
            object=_name(c),
            severity=Severity.CRITICAL if effective > crit else None,
            summary=f"{_name(c)} is {effective:,} s behind its source {_source(c)}"
                    + (f" (beyond its SQL_Delay of {delay:g} s)" if delay else ""),
            evidence={"channel": c["channel"], "seconds_behind": behind, "sql_delay": delay,
                      "applier_lag_s": applier, "lag_s": effective, "relay_backlog_bytes": backlog, "relay_log_space": c["relay_log_space"],
                      "threshold_s": warn, "critical_s": crit, "fix_kind": "manual"},
            recommendation="Find what the applier is doing (SHOW PROCESSLIST: the replica's SQL / worker threads); "
                           "enable a parallel applier, split large transactions on the source, add primary keys "
                           "to tables without one; do not send reads that need fresh data to this replica meanwhile.",
            fix=_parallel_fix(ctx),
        )


def _parallel_fix(ctx) -> str:
    """More applier threads: MariaDB changes it with every connection stopped; MySQL 8 applies
    it at the next applier start."""
    if mariadb(ctx):
        word = "REPLICAS" if version(ctx) >= (10, 5, 1) else "SLAVES"
        return (f"STOP ALL {word};\nSET GLOBAL slave_parallel_threads = {{{{workers}}}};\nSTART ALL {word};"
                "  -- replication pauses a moment; persist: slave_parallel_threads under [mysqld]")
    name = "replica_parallel_workers" if version(ctx) >= (8, 0, 26) else "slave_parallel_workers"
    stop, start = ("STOP REPLICA SQL_THREAD", "START REPLICA SQL_THREAD") if version(ctx) >= (8, 0, 22) else \
        ("STOP SLAVE SQL_THREAD", "START SLAVE SQL_THREAD")
    persist = "SET PERSIST" if version(ctx) >= (8, 0, 0) else "SET GLOBAL"
    return (f"{stop};\n{persist} {name} = {{{{workers}}}};\n{start};  -- applies at the applier's start"
            + ("; SET PERSIST survives restarts" if persist == "SET PERSIST" else "; persist it in my.cnf"))


@check(
    id="mysql.replication.read_only",
    title="Replica accepts writes (read_only / super_read_only off)",
    category="replication",
    severity=Severity.WARNING,
    facts=["mysql.replica_status", "mysql.variables", "mysql.server"],
    reference=REF + "; MySQL docs: super_read_only",
)
def read_only(ctx):
    """A replica with read_only = OFF accepts writes from applications (a misconfigured pool,
    a failover script pointing the wrong way): the write lands only on the replica, the data
    diverges silently and the next replicated change to that row stops the applier (error 1062
    or 1032). read_only = ON blocks every account without SUPER / READ_ONLY ADMIN; MySQL's
    super_read_only = ON blocks those too. The replication applier itself is never blocked.
    Multi-source replicas and intermediate sources that take local writes on purpose are the
    exception: keep the setting off there deliberately."""
    if not _channels(ctx):
        return
    v = ctx.fact("mysql.variables")
    ro = on(v.get("read_only", "OFF"))
    sro = on(v.get("super_read_only", "OFF"))
    if mariadb(ctx):
        if ro:
            return
        fix = ("SET GLOBAL read_only = ON;  -- waits for open write transactions / LOCK TABLES; "
               "persist: read_only = ON under [mysqld] in my.cnf")
    else:
        if sro:
            return
        fix = ("SET PERSIST super_read_only = ON;  -- also sets read_only; waits for open write "
               "transactions; SET PERSIST survives restarts (5.7: SET GLOBAL and my.cnf)"
               if version(ctx) >= (8, 0, 0) else
               "SET GLOBAL super_read_only = ON;  -- and super_read_only = ON in my.cnf")
    yield ctx.finding(
        object="read_only",
        summary="this replica accepts writes: " + ("read_only is OFF" if not ro else "super_read_only is OFF"),
        evidence={"read_only": v.get("read_only"), "super_read_only": v.get("super_read_only")},
        recommendation="Make the replica read-only so only the replication applier changes its data.",
        fix=fix,
    )


def _gtid_domains(pos: str) -> dict[str, int]:
    """MariaDB GTID position '0-1-100,1-2-5' -> {'0-1': 100, '1-2': 5} (domain-server: seq)."""
    out = {}
    for part in (pos or "").replace("\n", "").split(","):
        bits = part.strip().split("-")
        if len(bits) == 3 and bits[2].isdigit():
            out[f"{bits[0]}-{bits[1]}"] = int(bits[2])
    return out


@check(
    id="mysql.replication.gtid",
    title="GTID replication not used, or transactions written on the replica",
    category="replication",
    severity=Severity.WARNING,
    facts=["mysql.replica_status", "mysql.replication_source", "mysql.variables", "mysql.server"],
    reference=REF + "; MySQL docs 19.1.3 (Replication with GTIDs), MariaDB docs: GTID",
)
def gtid(ctx):
    """With GTIDs a replica knows exactly which transactions it has, so it can be pointed at a
    new source after a failover without computing binlog positions. On MariaDB the replica
    should use MASTER_USE_GTID = slave_pos (Using_Gtid = No means file/position replication);
    on MySQL gtid_mode = ON with SOURCE_AUTO_POSITION = 1 (gtid_mode ON but Auto_Position = 0
    keeps file positions, gtid_mode differing from the source stops replication, and a
    permissive mode left from an unfinished online migration mixes GTID and anonymous
    transactions). A transaction executed on the replica itself (a GTID with the replica's own
    server_uuid on MySQL, or the replica's own server_id in gtid_binlog_state on MariaDB) is an
    errant transaction: the source never had it, and it breaks the next failover. A server that
    used to be the source carries such GTIDs legitimately."""
    v = ctx.fact("mysql.variables")
    src = ctx.fact("mysql.replication_source")
    channels = _channels(ctx)
    if not channels:
        return
    for c in channels:
        if mariadb(ctx):
            if str(c["using_gtid"] or "No").lower() == "no":
                yield ctx.finding(
                    object=_name(c),
                    summary=f"{_name(c)} replicates by binlog file and position, not by GTID (Using_Gtid = No)",
                    evidence={"channel": c["channel"], "using_gtid": c["using_gtid"],
                              "gtid_slave_pos": src["gtid"].get("slave_pos")},
                    recommendation="Switch the replica to GTID positioning so failover needs no binlog arithmetic.",
                    fix=f"{_stmt(ctx, c, 'STOP')};\n"
                        + (f"CHANGE MASTER '{c['channel']}' TO" if c["channel"] else "CHANGE MASTER TO")
                        + f" MASTER_USE_GTID = slave_pos;\n{_stmt(ctx, c, 'START')};"
                          "  -- replication pauses a moment; the setting is stored in the replica's master.info",
                )
        else:
            mode = str(v.get("gtid_mode", "OFF")).upper()
            if mode == "ON" and str(c["auto_position"]) in ("0", "None"):
                word = version(ctx) >= (8, 0, 23)
                yield ctx.finding(
                    object=_name(c),
                    summary=f"{_name(c)}: gtid_mode is ON but the channel uses file positions (Auto_Position = 0)",
                    evidence={"channel": c["channel"], "gtid_mode": mode, "auto_position": c["auto_position"]},
                    recommendation="Use GTID auto-positioning so the replica can follow a failover.",
                    fix=f"{_stmt(ctx, c, 'STOP')};\n"
                        + ("CHANGE REPLICATION SOURCE TO SOURCE_AUTO_POSITION = 1" if word
                           else "CHANGE MASTER TO MASTER_AUTO_POSITION = 1")
                        + (f" FOR CHANNEL '{c['channel']}'" if c["channel"] else "")
                        + f";\n{_stmt(ctx, c, 'START')};  -- stored in the replica's connection metadata",
                )
    mode = str(v.get("gtid_mode", "")).upper()
    if not mariadb(ctx) and mode in ("OFF_PERMISSIVE", "ON_PERMISSIVE"):
        yield ctx.finding(
            object="gtid_mode",
            summary=f"gtid_mode = {mode}: a GTID migration was left half-way (anonymous and GTID transactions mix)",
            evidence={"gtid_mode": mode, "enforce_gtid_consistency": v.get("enforce_gtid_consistency"),
                      "fix_kind": "manual"},
            recommendation="Finish the online GTID migration one step at a time on every server (source and "
                           "replicas), or step back to OFF; permissive modes are meant to be transitional.",
            fix="-- on every server, one step at a time, after Ongoing_anonymous_transaction_count = 0:\n"
                "SET PERSIST enforce_gtid_consistency = ON;\nSET PERSIST gtid_mode = ON_PERMISSIVE;\n"
                "SET PERSIST gtid_mode = ON;  -- MySQL docs 19.1.4 (Changing GTID Mode on Online Servers)",
        )
    errant = _errant(ctx, v, src)
    if errant:
        yield ctx.finding(
            object="errant transactions",
            summary=f"transactions were written on this replica itself: {errant}",
            evidence={"local_gtids": errant, "server_id": v.get("server_id"), "server_uuid": v.get("server_uuid"),
                      "fix_kind": "manual"},
            recommendation="Find what wrote on the replica (make it read-only: mysql.replication.read_only); "
                           "apply the same change on the source or re-clone the replica, so a failover does not "
                           "replay or miss these transactions.",
            fix="-- compare with the source: SELECT GTID_SUBTRACT('<replica gtid_executed>', "
                "'<source gtid_executed>');  (MySQL)  -- or gtid_binlog_pos (MariaDB)",
        )


def _errant(ctx, v, src) -> str | None:
    if mariadb(ctx):
        sid = str(v.get("server_id"))
        mine = {k: n for k, n in _gtid_domains(src["gtid"].get("binlog_state")).items() if k.split("-")[1] == sid}
        return ",".join(f"{k}-{n}" for k, n in mine.items()) or None
    uuid = str(v.get("server_uuid") or "")
    executed = str(src["gtid"].get("executed") or "").replace("\n", "")
    mine = [p.strip() for p in executed.split(",") if uuid and p.strip().lower().startswith(uuid.lower())]
    return ",".join(mine) or None


@check(
    id="mysql.replication.relay_log_space",
    title="Relay logs large or at relay_log_space_limit",
    category="replication",
    severity=Severity.WARNING,
    facts=["mysql.replica_status", "mysql.variables", "mysql.server"],
    reference=REF + "; pt-variable-advisor (relay_log_space_limit)",
    thresholds={"max_bytes": Threshold(10 * 1024**3, "bytes", "db-advisor default (10 GiB of unapplied relay log)"),
                "limit_pct": Threshold(90, "%", "db-advisor default: the receiver pauses at 100%")},
)
def relay_log_space(ctx):
    """Relay logs hold what the receiver fetched and the applier has not yet purged. They grow
    while the applier lags or is stopped and can fill the replica's disk. relay_log_space_limit
    (0 = unlimited) caps them: at the limit the receiver stops fetching, so the replica no
    longer holds the source's latest transactions (pt-variable-advisor warns against setting
    it for that reason). Reported above 10 GiB or at 90% of the limit; the cure is the applier
    (see mysql.replication.lag / threads), not deleting relay logs by hand."""
    v = ctx.fact("mysql.variables")
    limit = num(v, "relay_log_space_limit", 0) or 0
    for c in _channels(ctx):
        space = c["relay_log_space"] or 0
        near = limit and space >= limit * ctx.threshold("limit_pct") / 100
        if space <= ctx.threshold("max_bytes") and not near:
            continue
        yield ctx.finding(
            object=_name(c),
            summary=f"{_name(c)}: relay logs hold {space / 1024**2:,.0f} MiB"
                    + (f", {100 * space / limit:.0f}% of relay_log_space_limit: the receiver pauses at the limit"
                       if near else ""),
            evidence={"channel": c["channel"], "relay_log_space": space, "relay_log_space_limit": limit,
                      "relay_backlog_bytes": _backlog(c), "threshold_bytes": ctx.threshold("max_bytes"),
                      "fix_kind": "manual"},
            recommendation="Get the applier to catch up (see the lag and thread findings); make sure the relay "
                           "log directory has room; do not delete relay logs by hand.",
            fix="-- the relay logs shrink as the applier catches up: " + _stmt(ctx, c, "START") + " SQL_THREAD;",
        )


@check(
    id="mysql.replication.failover_ready",
    title="Replica that cannot take over as source (binary log or replica updates off)",
    category="replication",
    severity=Severity.WARNING,
    facts=["mysql.replica_status", "mysql.variables", "mysql.server"],
    reference=REF + "; MySQL docs: log_replica_updates (ON by default since 8.0); MariaDB docs: log_slave_updates "
                    "(OFF by default)",
)
def failover_ready(ctx):
    """A replica promoted after the source fails must give the other replicas the transactions
    they miss, from its own binary log: with log_bin OFF it has none, and with
    log_slave_updates / log_replica_updates OFF its binary log holds only local writes, not the
    replicated ones, so the other replicas cannot be re-pointed to it by GTID. MySQL 8 turns
    both on by default; MariaDB leaves log_slave_updates OFF. Replicas that only serve reads
    and are never promoted can keep them off (less I/O). Neither is dynamic: my.cnf and a
    restart."""
    if not _channels(ctx):
        return
    v = ctx.fact("mysql.variables")
    upd = next((n for n in ("log_replica_updates", "log_slave_updates") if n in v), "log_slave_updates")
    missing = [n for n in ("log_bin", upd) if not on(v.get(n, "OFF"))]
    if not missing:
        return
    yield ctx.finding(
        object="failover",
        summary="this replica cannot serve as the new source after a failover: " + " and ".join(
            f"{n} is OFF" for n in missing),
        evidence={"log_bin": v.get("log_bin"), upd: v.get(upd), "fix_kind": "config"},
        recommendation="Turn on the binary log and replicated updates on every replica that may be promoted.",
        fix="[mysqld]\n" + ("log_bin = mysql-bin\n" if "log_bin" in missing else "")
            + f"{upd} = ON\n# restart the replica (neither setting is dynamic); the binlog then needs retention "
              "and disk like the source's",
    )


@check(
    id="mysql.replication.binlog_format",
    title="Statement-based binary logging",
    category="replication",
    severity=Severity.WARNING,
    facts=["mysql.variables", "mysql.server"],
    reference="MySQL docs 19.2.1.1 (Advantages and Disadvantages of Statement-Based and Row-Based Replication)",
)
def binlog_format(ctx):
    """binlog_format = STATEMENT replicates the SQL text: nondeterministic statements (UPDATE
    ... LIMIT without ORDER BY, UUID(), SYSDATE(), user-defined functions) give different data on
    the replica and in a point-in-time restore. ROW is MySQL's default since 5.7.7; MariaDB's
    default MIXED switches to rows for unsafe statements and is not reported. The change is
    dynamic but only affects new sessions; replicas must run a version that reads row events
    (all current ones do)."""
    v = ctx.fact("mysql.variables")
    fmt = str(v.get("binlog_format", "")).upper()
    if not on(v.get("log_bin", "OFF")) or fmt != "STATEMENT":
        return
    yield ctx.finding(
        object="binlog_format",
        summary="binlog_format = STATEMENT: nondeterministic statements can leave replicas and restores different",
        evidence={"binlog_format": fmt, "log_bin": v.get("log_bin")},
        recommendation="Use ROW (or MIXED on MariaDB).",
        fix=set_global(ctx, "binlog_format = 'ROW'", "new sessions only"),
    )


@check(
    id="mysql.replication.binlog_retention",
    title="Binary logs never purged, or kept for less than a backup cycle",
    category="replication",
    severity=Severity.WARNING,
    facts=["mysql.variables", "mysql.server", "mysql.replica_status"],
    reference="pt-variable-advisor (expire_logs_days); MySQL docs: binlog_expire_logs_seconds (default 30 days)",
    thresholds={"min_days": Threshold(7, "days", "a weekly full backup: point-in-time recovery needs the "
                                      "binlogs since the last one (MySQL 8 default keeps 30 days)")},
)
def binlog_retention(ctx):
    """With the binary log on, binlog_expire_logs_seconds (MySQL 8, MariaDB 10.6+) or
    expire_logs_days (older; MariaDB keeps both in step) decide when binlogs are purged. 0 means
    never: the disk fills (pt-variable-advisor WARN expire_logs_days). Shorter than the backup
    cycle means a point-in-time restore from the last full backup is impossible; shorter than a
    replica's worst outage means that replica cannot catch up after it (error 1236, re-clone).
    On a replica the retention is compared with its own lag as well (a chained replica's
    binlogs feed the next one)."""
    v = ctx.fact("mysql.variables")
    if not on(v.get("log_bin", "OFF")):
        return
    secs = num(v, "binlog_expire_logs_seconds")
    days = num(v, "expire_logs_days")
    retention = secs if secs else (days * 86400 if days else 0)
    want = ctx.threshold("min_days") * 86400
    lag = max((c["seconds_behind"] or 0 for c in ctx.fact("mysql.replica_status")["channels"]), default=0)
    modern = "binlog_expire_logs_seconds" in v
    setting = "binlog_expire_logs_seconds = {{seconds}}" if modern else "expire_logs_days = {{days}}"
    persist = set_global(ctx, setting)
    if retention == 0:
        summary = "binary logs are never purged (no expiry set): the binlog directory grows until the disk is full"
    elif retention < want or retention < lag:
        summary = (f"binary logs are kept {retention / 86400:g} days: less than "
                   + (f"this replica's lag ({lag:,} s)" if retention < lag else f"{want / 86400:g} days of backups"))
    else:
        return
    yield ctx.finding(
        object="binlog retention",
        summary=summary,
        evidence={"binlog_expire_logs_seconds": secs, "expire_logs_days": days, "retention_s": retention,
                  "threshold_days": want / 86400, "replica_lag_s": lag},
        recommendation="Keep binlogs at least as long as the full-backup cycle and the longest replica outage "
                       "you want to survive, and watch the disk.",
        fix=persist,
    )


@check(
    id="mysql.replication.replicas",
    title="Fewer replicas connected than expected",
    category="replication",
    severity=Severity.WARNING,
    facts=["mysql.replication_source", "mysql.variables"],
    reference=REF,
    thresholds={"expected_replicas": Threshold(0, "replicas", "your topology: set it per target "
                                               "([thresholds] mysql.replication.replicas.expected_replicas); 0 = not judged")},
)
def replicas(ctx):
    """A source sees each connected replica as a binlog dump thread. When the topology says N
    replicas should be attached (threshold expected_replicas, 0 = not judged) and fewer are, a
    replica is down or disconnected and failover capacity is reduced; read the replica side
    (mysql.replication.threads on its URL) for the reason."""
    want = ctx.threshold("expected_replicas")
    if not want:
        return  # topology unknown: not judged
    dumps = ctx.fact("mysql.replication_source")["dump_threads"]
    if len(dumps) >= want:
        return
    yield ctx.finding(
        object="replicas",
        summary=f"{len(dumps)} replica(s) connected, {want} expected",
        evidence={"connected": [f"{d['user']}@{d['host']}" for d in dumps], "expected": want,
                  "log_bin": ctx.fact("mysql.variables").get("log_bin"), "fix_kind": "manual"},
        recommendation="Check each missing replica's threads and error (run the advisor on its URL).",
        fix="-- on each replica: SHOW REPLICA STATUS (MySQL 8.0.22+) / SHOW ALL REPLICAS STATUS (MariaDB)",
    )
