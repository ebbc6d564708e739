"""InnoDB memory and logs: buffer pool size and efficiency, redo log size, purge backlog."""

from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.sizing.formulas import mysql_buffer_pool, mysql_redo_log, mysql_redo_setting
from advisor.units import config_size, human_bytes, human_duration

from ._common import (
    GUIDE,
    MYSQLTUNER,
    UPTIME_FLOOR,
    config_fix,
    counters_age,
    mariadb,
    num,
    set_global,
    since,
    span_s,
    version,
    young_note,
    young_severity,
)

BP_REF = GUIDE + ", InnoDB Optimization (innodb_buffer_pool_size = 70-80% of memory)"
BP_RESIZE = ("resized online in the background (MySQL 5.7.5+ / MariaDB 10.2+), rounded up to a multiple of "
             "innodb_buffer_pool_chunk_size x instances; shrinking evicts pages")


@check(
    id="mysql.innodb.buffer_pool_memory",
    title="InnoDB buffer pool size vs host memory (guide: 70-80%)",
    category="memory",
    severity=Severity.WARNING,
    facts=["mysql.variables", "mysql.tables", "mysql.server"],
    reference=BP_REF,
    thresholds={"min_pct": Threshold(70.0, "%", BP_REF), "max_pct": Threshold(80.0, "%", BP_REF)},
)
def buffer_pool_memory(ctx):
    """On a host dedicated to MySQL the guide sizes innodb_buffer_pool_size at 70-80% of
    memory; the rest is for connections (per-session buffers), the OS and its page cache.
    Above 80% the server risks swapping or the OOM killer (critical from 90%). Below 70% is only a problem when
    the data does not fit: a buffer pool larger than data + indexes buys nothing, so an
    undersized pool is reported only then. Needs --memory (the server does not expose host
    memory). The pool is resizable online (SET GLOBAL innodb_buffer_pool_size) since MySQL
    5.7.5 / MariaDB 10.2."""
    memory, source = ctx.require_memory()
    bp = num(ctx.fact("mysql.variables"), "innodb_buffer_pool_size", 0)
    low, high = mysql_buffer_pool(memory)
    data = sum(t["data_bytes"] + t["index_bytes"] for t in ctx.fact("mysql.tables")["rows"]
               if (t["engine"] or "").lower() == "innodb")
    pct = 100.0 * bp / memory
    ev = {"innodb_buffer_pool_size": bp, "memory_bytes": memory, "memory_source": source,
          "pct_of_memory": round(pct, 1), "innodb_data_index_bytes": data,
          "threshold_min_pct": ctx.threshold("min_pct"), "threshold_max_pct": ctx.threshold("max_pct")}
    if pct > ctx.threshold("max_pct"):
        target = high
        yield ctx.finding(
            object="innodb_buffer_pool_size",
            severity=Severity.CRITICAL if pct >= 90 else None,
            summary=f"buffer pool is {human_bytes(bp)}, {pct:.0f}% of {human_bytes(memory)} memory "
                    f"(guide: at most {ctx.threshold('max_pct'):g}%)",
            evidence=ev,
            recommendation="Shrink the buffer pool to leave room for connections and the OS; swapping "
                           "costs far more than a smaller cache.",
            fix=set_global(ctx, {"innodb_buffer_pool_size": target}, BP_RESIZE),
        )
    elif pct < ctx.threshold("min_pct") and data > bp:
        target = min(low, max(data * 5 // 4, bp))
        yield ctx.finding(
            object="innodb_buffer_pool_size",
            summary=f"buffer pool is {human_bytes(bp)}, {pct:.0f}% of memory, and InnoDB data + indexes "
                    f"({human_bytes(data)}) do not fit",
            evidence=ev,
            recommendation=f"Grow the buffer pool toward {ctx.threshold('min_pct'):g}% of memory "
                           "(or data + indexes + 25%, whichever is smaller) if the host is dedicated.",
            fix=set_global(ctx, {"innodb_buffer_pool_size": target}, BP_RESIZE),
        )


@check(
    id="mysql.innodb.buffer_pool_data",
    title="InnoDB buffer pool smaller than data + indexes",
    category="memory",
    severity=Severity.INFO,
    facts=["mysql.variables", "mysql.tables", "mysql.status", "mysql.server"],
    reference=MYSQLTUNER + " (buffer pool < InnoDB data + index size); pt-variable-advisor (pool left at default)",
    thresholds={"hit_pct_ok": Threshold(99.0, "%", "a pool smaller than the data is fine while the hit "
                                                   "rate stays above this"),
                "min_uptime_s": UPTIME_FLOOR},
)
def buffer_pool_data(ctx):
    """When InnoDB data + indexes exceed the buffer pool, only the hot part is cached; that
    is fine while the hit rate stays high, and a problem when it does not. Reported when
    the data does not fit and the hit rate is below 99% (or unknown): grow the pool (see
    mysql.innodb.buffer_pool_memory for the memory bound) or add memory. The default pool
    (128 MiB) is almost never right for production."""
    v, st = ctx.fact("mysql.variables"), ctx.fact("mysql.status")
    bp = num(v, "innodb_buffer_pool_size", 0)
    data = sum(t["data_bytes"] + t["index_bytes"] for t in ctx.fact("mysql.tables")["rows"]
               if (t["engine"] or "").lower() == "innodb")
    reqs, reads = num(st, "innodb_buffer_pool_read_requests", 0), num(st, "innodb_buffer_pool_reads", 0)
    hit = 100.0 * (1 - reads / reqs) if reqs else None
    if data <= bp or (hit is not None and hit >= ctx.threshold("hit_pct_ok")):
        return
    target = data * 5 // 4
    yield ctx.finding(
        object="innodb_buffer_pool_size",
        summary=f"InnoDB data + indexes ({human_bytes(data)}) exceed the buffer pool ({human_bytes(bp)})"
                + (f", hit rate {hit:.2f}%" if hit is not None else "") + young_note(ctx),
        evidence={"innodb_buffer_pool_size": bp, "innodb_data_index_bytes": data,
                  "hit_pct": round(hit, 3) if hit is not None else None,
                  "threshold_hit_pct_ok": ctx.threshold("hit_pct_ok"), **counters_age(ctx)},
        recommendation="Grow the buffer pool toward data + indexes + 25%, within 70-80% of host memory.",
        fix=set_global(ctx, {"innodb_buffer_pool_size": target}, BP_RESIZE),
    )


@check(
    id="mysql.innodb.buffer_pool_hit", counters=True,
    title="InnoDB buffer pool hit rate and free-page waits",
    category="cache",
    severity=Severity.WARNING,
    facts=["mysql.status", "mysql.variables"],
    reference="MySQLTuner (InnoDB read efficiency < 90%); PgHero cache hit rate 99%",
    thresholds={"warn_pct": Threshold(99.0, "%", "PgHero: cache hit rate below 99%"),
                "critical_pct": Threshold(90.0, "%", MYSQLTUNER + ": read efficiency < 90%"),
                "min_requests": Threshold(100000, "reads", "too few reads since startup to judge"),
                "min_uptime_s": UPTIME_FLOOR},
)
def buffer_pool_hit(ctx):
    """Innodb_buffer_pool_reads counts logical reads that had to go to disk;
    Innodb_buffer_pool_read_requests counts all logical reads. Below 99% hits the working
    set does not fit; below 90% the server is mostly disk-bound. Innodb_buffer_pool_wait_free
    > 0 means threads waited for a clean page: the pool is too small or page cleaning
    (innodb_io_capacity, innodb_page_cleaners) cannot keep up. Both count since startup: a
    restarted server starts with a cold pool, so below the uptime floor (MySQLTuner's 24 h)
    the findings are info only, with the counters' age in the evidence."""
    st = ctx.fact("mysql.status")
    reqs, reads = num(st, "innodb_buffer_pool_read_requests", 0), num(st, "innodb_buffer_pool_reads", 0)
    bp = num(ctx.fact("mysql.variables"), "innodb_buffer_pool_size", 0)
    if reqs >= ctx.threshold("min_requests"):
        hit = 100.0 * (1 - reads / reqs)
        if hit < ctx.threshold("warn_pct"):
            yield ctx.finding(
                object="innodb_buffer_pool_size",
                severity=young_severity(ctx, Severity.CRITICAL if hit < ctx.threshold("critical_pct") else None),
                summary=f"buffer pool hit rate {hit:.2f}% ({reads:,} of {reqs:,} reads went to disk)"
                        + young_note(ctx),
                evidence={"innodb_buffer_pool_read_requests": reqs, "innodb_buffer_pool_reads": reads,
                          "hit_pct": round(hit, 3), "innodb_buffer_pool_size": bp,
                          "threshold_warn_pct": ctx.threshold("warn_pct"),
                          "threshold_critical_pct": ctx.threshold("critical_pct"), **counters_age(ctx)},
                recommendation="Grow innodb_buffer_pool_size (within 70-80% of memory) or reduce the working "
                               "set (indexes for scanning queries, archive cold rows).",
            )
    waits = num(st, "innodb_buffer_pool_wait_free", 0)
    if waits:
        yield ctx.finding(
            object="innodb_buffer_pool_wait_free", severity=young_severity(ctx),
            summary=f"{waits:,} waits for a free buffer pool page {since(ctx)}" + young_note(ctx),
            evidence={"innodb_buffer_pool_wait_free": waits, "innodb_buffer_pool_size": bp,
                      "innodb_io_capacity": num(ctx.fact("mysql.variables"), "innodb_io_capacity"),
                      **counters_age(ctx)},
            recommendation="Grow the buffer pool, or let page cleaning flush faster (innodb_io_capacity "
                           "to what the storage sustains, e.g. 2000 on SSD per the guide).",
        )


REDO_REF = (GUIDE + " (Log Files = 25% of the buffer pool, the total redo); MySQLTuner (log file size x "
            "files in group vs 25% of the pool); MySQL 8.0.30+ innodb_redo_log_capacity vs one hour of redo "
            "(Innodb_os_log_written)")


@check(
    id="mysql.innodb.redo_log", counters=True,
    title="Redo log size vs buffer pool and redo write rate",
    category="configuration",
    severity=Severity.WARNING,
    facts=["mysql.variables", "mysql.status", "mysql.server"],
    reference=REDO_REF,
    thresholds={"bp_pct": Threshold(25.0, "%", GUIDE + ": log files = 25% of buffer pool (total redo)"),
                "hours_of_redo": Threshold(1.0, "h", "redo capacity should hold about an hour of writes "
                                                     "(Percona rule of thumb)"),
                "min_uptime_s": Threshold(3600, "s", "the redo rate needs an hour of uptime")},
)
def redo_log(ctx):
    """A redo log that is too small forces aggressive checkpoints (furious flushing, write
    stalls) when it fills. The guide sizes the log files at 25% of the buffer pool: the
    total redo, all files together (advisor.sizing.formulas.mysql_redo_log, which `advisor
    size` uses too). On MySQL 8.0.30+ the total is innodb_redo_log_capacity
    (innodb_log_file_size and innodb_log_files_in_group are ignored when it is set), judged
    against the redo write rate: about an hour of Innodb_os_log_written; it resizes online.
    Before 8.0.30 the total is innodb_log_file_size x innodb_log_files_in_group, so the fix
    sets innodb_log_file_size = total / files (restart). MariaDB 10.5+ has a single file
    (innodb_log_file_size is the total; innodb_log_files_in_group removed in 10.6) and,
    from 10.9, resizes it online with SET GLOBAL innodb_log_file_size."""
    v, st = ctx.fact("mysql.variables"), ctx.fact("mysql.status")
    server = ctx.fact("mysql.server")
    vendor, ver = server["vendor"], version(ctx)
    bp = num(v, "innodb_buffer_pool_size", 0)
    capacity_var = "innodb_redo_log_capacity" in v and vendor == "mysql" and ver >= (8, 0, 30)
    files = 1 if vendor == "mariadb" and ver >= (10, 5) else int(num(v, "innodb_log_files_in_group", 1) or 1)
    if capacity_var:
        size, setting = num(v, "innodb_redo_log_capacity", 0), "innodb_redo_log_capacity"
    else:
        size, setting = num(v, "innodb_log_file_size", 0) * files, "innodb_log_file_size"
    uptime = span_s(ctx)
    written = num(st, "innodb_os_log_written", 0)
    per_hour = written / uptime * 3600 if uptime and (ctx.window_s or uptime >= ctx.threshold("min_uptime_s")) else None
    want_bp = mysql_redo_log(bp, ctx.threshold("bp_pct"))
    want_rate = per_hour * ctx.threshold("hours_of_redo") if per_hour else 0
    reasons = []
    if per_hour is not None and size < want_rate:
        reasons.append(f"holds {human_duration(3600 * size / per_hour)} of redo at {human_bytes(per_hour)}/h"
                       f" (want {ctx.threshold('hours_of_redo'):g} h)")
    if not capacity_var and size < want_bp:
        reasons.insert(0, f"is {100.0 * size / bp:.0f}% of the buffer pool (guide: {ctx.threshold('bp_pct'):g}%)")
    if not reasons:
        return
    total = int(max(want_rate, 0 if capacity_var else want_bp))
    total = -(-total // (64 * 1024**2)) * 64 * 1024**2  # round up to 64 MiB
    name, value = mysql_redo_setting(total, vendor, ver, files)
    kind = None
    if capacity_var:
        fix = set_global(ctx, {name: value}, "resized online on MySQL 8.0.30+")
    elif vendor == "mariadb" and ver >= (10, 9, 0):
        fix = set_global(ctx, {name: value}, "resized online on MariaDB 10.9+ (a new redo file is written first)")
    else:
        per = f" (x {files} files = {human_bytes(total)})" if files > 1 else ""
        fix, kind = config_fix({name: config_size(value).replace("B", "")}, f"not dynamic here{per}"), "config"
    yield ctx.finding(
        object=setting,
        summary=f"redo log ({setting}" + (f" x {files} files" if files > 1 else "")
                + f", {human_bytes(size)}) " + "; ".join(reasons),
        evidence={"setting": setting, "redo_bytes": size, "innodb_log_files_in_group": files,
                  "innodb_buffer_pool_size": bp, "target_redo_bytes": total, "target": {name: value},
                  "redo_bytes_per_hour": round(per_hour) if per_hour is not None else None,
                  "innodb_os_log_written": written, "uptime_s": uptime,
                  "threshold_bp_pct": ctx.threshold("bp_pct"),
                  "threshold_hours_of_redo": ctx.threshold("hours_of_redo"),
                  **({"fix_kind": kind} if kind else {})},
        recommendation=f"Grow the redo log to about {human_bytes(total)} in total"
                       + (f" ({name} = {human_bytes(value)} per file)" if value != total else "") + ".",
        fix=fix,
    )


@check(
    id="mysql.innodb.long_transactions",
    title="Long-open transactions and purge backlog (history list length)",
    category="maintenance",
    severity=Severity.WARNING,
    facts=["mysql.innodb_trx"],
    reference=MYSQLTUNER + " (history list length > 100,000; longest transaction > 1 h)",
    thresholds={"max_age_s": Threshold(3600, "s", MYSQLTUNER + ": transaction open > 1 h"),
                "max_history": Threshold(100000, "undo logs", MYSQLTUNER + ": history list length > 100,000")},
)
def long_transactions(ctx):
    """An old open transaction keeps its read view: purge cannot remove the undo history
    behind it, so the history list grows, undo tablespaces swell and every read of a hot
    row walks longer version chains. Find the session (INNODB_TRX.trx_mysql_thread_id) and
    commit or end it; fix the application that leaves transactions open (idle in a
    transaction, long batch without intermediate commits)."""
    trx = ctx.fact("mysql.innodb_trx")
    for t in trx["transactions"]:
        if (t["age_s"] or 0) >= ctx.threshold("max_age_s"):
            yield ctx.finding(
                object=f"thread {t['thread_id']}",
                summary=f"transaction open for {human_duration(t['age_s'])} (thread {t['thread_id']}, "
                        f"{t['rows_modified']} rows modified)",
                evidence={**t, "threshold_age_s": ctx.threshold("max_age_s")},
                recommendation="Commit or roll back this transaction; find why the application leaves it open.",
                fix=f"KILL {t['thread_id']};  -- only after checking what the session is doing: its "
                    "transaction rolls back, which can take as long as it ran",
            )
    hll = trx.get("history_list_length")
    if hll is not None and hll > ctx.threshold("max_history"):
        yield ctx.finding(
            object="history list length",
            summary=f"history list length {hll:,}: purge is behind",
            evidence={"history_list_length": hll, "threshold": ctx.threshold("max_history")},
            recommendation="End long-running transactions; if none, raise innodb_purge_threads / "
                           "innodb_max_purge_lag to let purge catch up.",
        )


@check(
    id="mysql.innodb.buffer_pool_instances",
    title="One buffer pool instance for a large buffer pool (MySQL)",
    category="configuration",
    severity=Severity.INFO,
    facts=["mysql.variables", "mysql.server"],
    reference=GUIDE + " (innodb_buffer_pool_instances = 8); MariaDB 10.5 deprecated / 10.6 removed it",
    thresholds={"instances": Threshold(8, "instances", GUIDE + ": innodb_buffer_pool_instances = 8")},
)
def buffer_pool_instances(ctx):
    """On MySQL a large buffer pool split into several instances (the guide: 8; MySQL's own
    rule: at least 1 GiB per instance) reduces contention on the buffer pool mutexes.
    MariaDB 10.5 made the setting a no-op (one instance is faster with its redesigned
    buffer pool) and 10.6 removed the variable: the guide's line does not apply there and
    nothing is reported. Not dynamic: my.cnf and a restart."""
    v = ctx.fact("mysql.variables")
    if mariadb(ctx) or "innodb_buffer_pool_instances" not in v:
        return
    bp = num(v, "innodb_buffer_pool_size", 0)
    have = num(v, "innodb_buffer_pool_instances", 1)
    want = int(min(ctx.threshold("instances"), bp // 1024**3))
    if want > 1 and have < want:
        yield ctx.finding(
            object="innodb_buffer_pool_instances",
            summary=f"innodb_buffer_pool_instances = {have:g} for a {human_bytes(bp)} buffer pool "
                    f"(guide: {ctx.threshold('instances'):g}, at least 1 GiB each)",
            evidence={"innodb_buffer_pool_instances": have, "innodb_buffer_pool_size": bp,
                      "threshold": ctx.threshold("instances"), "fix_kind": "config"},
            recommendation=f"Split the buffer pool into {want} instances to reduce mutex contention.",
            fix=config_fix({"innodb_buffer_pool_instances": want}),
        )



