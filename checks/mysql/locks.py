"""Locks now: who blocks whom on InnoDB rows and on metadata locks, and the deadlocks InnoDB
resolved. Long-open transactions and the history list length they cause are
mysql.innodb.long_transactions (not repeated here)."""

from __future__ import annotations

from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import one_line

MYSQL_DOCS = "MySQL 8.4 Reference Manual 17.7.5 (Deadlocks in InnoDB), 10.11.4 (Metadata Locking)"
SYS = "sys.innodb_lock_waits (the same join, without needing the sys schema)"


def _statement(query, last) -> str:
    if query:
        return one_line(query, 160)
    return f"idle in its transaction; last statement: {one_line(last, 160)}" if last else \
        "idle in its transaction (its last statement is not collected: enable the performance_schema consumers events_statements_current and events_statements_history)"


def _kill(thread) -> str:
    return (f"KILL {int(thread)};  -- ends connection {int(thread)} and rolls its transaction back "
            "(the rollback itself can take as long as the work done); better: have the application commit")


@check(
    id="mysql.locks.row_lock_waits",
    title="InnoDB row lock waits now, with the blocking connection",
    category="queries",
    severity=Severity.WARNING,
    facts=["mysql.lock_waits"],
    reference=f"{SYS}; {MYSQL_DOCS}",
    thresholds={"min_wait_s": Threshold(10, "s", "db-advisor default: a fifth of innodb_lock_wait_timeout's "
                                        "default 50 s (shorter waits are normal contention)")},
)
def row_lock_waits(ctx):
    """A statement waiting for a row lock is blocked by another transaction holding it. The
    blocker is often not running anything: the application opened a transaction, changed a row
    and went on doing something else (or forgot to commit), so its current query is empty and
    only its last statement (from performance_schema statement history) shows what it locked.
    One finding per blocking connection, with every statement it blocks. Waits end with error
    1205 after innodb_lock_wait_timeout (50 s by default). Fix in the application (commit
    promptly, keep transactions short, touch rows in a consistent order); KILL the blocker only
    as an emergency, it rolls its work back."""
    facts = ctx.fact("mysql.lock_waits")
    floor = ctx.threshold("min_wait_s")
    by_blocker: dict[int, list] = {}
    for w in facts["waits"]:
        if (w["wait_s"] or 0) >= floor:
            by_blocker.setdefault(int(w["blocking_thread"] or 0), []).append(w)
    timeout = facts.get("innodb_lock_wait_timeout")
    for thread, waits in by_blocker.items():
        b = waits[0]
        longest = max(w["wait_s"] or 0 for w in waits)
        yield ctx.finding(
            object=f"connection {thread}",
            severity=Severity.CRITICAL if len(waits) >= 5 else None,
            summary=f"connection {thread} blocks {len(waits)} statement(s) on {b['locked_table']} "
                    f"(longest wait {longest:g} s; its transaction is {b['blocking_trx_age_s']} s old): "
                    + _statement(b["blocking_query"], b["blocking_last_statement"]),
            evidence={"blocking_thread": thread, "blocking_query": b["blocking_query"],
                      "blocking_last_statement": b["blocking_last_statement"],
                      "blocking_trx_age_s": b["blocking_trx_age_s"],
                      "blocking_rows_locked": b["blocking_rows_locked"],
                      "waiting": [{"thread": w["waiting_thread"], "wait_s": w["wait_s"],
                                   "query": w["waiting_query"], "table": w["locked_table"],
                                   "index": w["locked_index"], "lock_mode": w["lock_mode"]} for w in waits],
                      "innodb_lock_wait_timeout": timeout, "threshold_s": floor, "fix_kind": "manual"},
            recommendation="Find why the blocking transaction stays open (application code holding a transaction "
                           "across slow work, a forgotten COMMIT); keep transactions short and commit promptly. "
                           "Kill the blocker only in an emergency.",
            fix=_kill(thread),
        )


@check(
    id="mysql.locks.metadata_lock_waits",
    title="Connections waiting for a metadata lock (DDL behind an open transaction)",
    category="queries",
    severity=Severity.WARNING,
    facts=["mysql.metadata_lock_waits"],
    reference=MYSQL_DOCS + "; performance_schema.metadata_locks",
    thresholds={"min_wait_s": Threshold(10, "s", "db-advisor default (as for row lock waits)")},
)
def metadata_lock_waits(ctx):
    """ALTER TABLE, TRUNCATE, DROP or RENAME need an exclusive metadata lock, which waits for
    every transaction that has touched the table, even one that only read it and is now idle.
    Worse, every later statement on that table queues behind the waiting DDL: one forgotten
    transaction plus one ALTER stops all traffic to the table. The waiting connections come
    from the processlist ('Waiting for table metadata lock'); the holder comes from
    performance_schema.metadata_locks when the wait/lock/metadata/sql/mdl instrument is on (on by
    default in MySQL 8.0, off in MariaDB and 5.7: the finding says how to enable it). Run DDL
    with a short lock_wait_timeout so it gives up instead of queuing everyone, and end the idle
    transaction."""
    facts = ctx.fact("mysql.metadata_lock_waits")
    floor = ctx.threshold("min_wait_s")
    waiting = [w for w in facts["waiting"] if (w["wait_s"] or 0) >= floor]
    if not waiting:
        return
    blockers: dict[int, dict] = {}
    for b in facts["blockers"]:
        if any(int(b["waiting_thread"]) == int(w["thread"]) for w in waiting):
            blockers.setdefault(int(b["blocking_thread"]), b)
    evidence = {"waiting": [{"thread": w["thread"], "wait_s": w["wait_s"], "state": w["state"],
                             "query": w["query"]} for w in waiting],
                "instrumented": facts["instrumented"], "threshold_s": floor, "fix_kind": "manual"}
    head = f"{len(waiting)} connection(s) wait for a metadata lock (longest {max(w['wait_s'] for w in waiting)} s: " \
           f"{one_line(waiting[0]['query'] or '', 100)})"
    if blockers:
        for thread, b in blockers.items():
            yield ctx.finding(
                object=f"connection {thread}",
                summary=f"{head}, held by connection {thread} on {b['object']} ({b['held']}): "
                        + _statement(b["blocking_query"], b["blocking_last_statement"]),
                evidence={**evidence, "blocking_thread": thread, "object": b["object"], "held": b["held"],
                          "wanted": b["wanted"], "blocking_command": b["blocking_command"],
                          "blocking_time_s": b["blocking_time_s"], "blocking_query": b["blocking_query"],
                          "blocking_last_statement": b["blocking_last_statement"]},
                recommendation="End the transaction holding the lock (commit in the application, or kill it), and "
                               "run DDL with SET SESSION lock_wait_timeout = 5 so it gives up instead of queuing "
                               "all traffic behind it.",
                fix=_kill(thread),
            )
        return
    yield ctx.finding(
        object="metadata locks",
        summary=head + "; the holder is unknown"
                + ("" if facts["instrumented"] else " (metadata lock instrument off)"),
        evidence=evidence,
        recommendation="Find the open transaction on that table (information_schema.INNODB_TRX, oldest first) and end "
                       "it; turn on the metadata lock instrument so the next report names the holder.",
        fix=("SELECT trx_mysql_thread_id, trx_started, trx_query FROM information_schema.INNODB_TRX "
             "ORDER BY trx_started;  -- then KILL the idle holder\n" + facts["enable"]),
    )


@check(
    id="mysql.locks.deadlocks",
    title="InnoDB deadlocks: rate and the latest one",
    category="queries",
    severity=Severity.INFO,
    facts=["mysql.deadlocks", "mysql.status"],
    reference=MYSQL_DOCS + "; SHOW ENGINE INNODB STATUS (LATEST DETECTED DEADLOCK)",
    thresholds={"per_hour": Threshold(1.0, "deadlocks/h", "db-advisor default: more than one an hour is a "
                                      "pattern, not bad luck")},
)
def deadlocks(ctx):
    """InnoDB resolves a deadlock by rolling back one transaction (error 1213); the application
    must retry it. Occasional deadlocks are normal; a steady rate means two code paths lock the
    same rows in opposite orders or lock far more than needed (missing index -> range/gap locks).
    The count comes from Innodb_deadlocks (MariaDB) or INNODB_METRICS lock_deadlocks; the latest
    deadlock's two statements and the tables from SHOW ENGINE INNODB STATUS, which keeps only
    the last one: innodb_print_all_deadlocks = ON writes each one to the error log. Reported as
    a warning above the threshold rate, else as information when a deadlock has happened."""
    d = ctx.fact("mysql.deadlocks")
    count = d["count"] or 0
    if not count and not d["latest"]:
        return
    uptime = max(1, ctx.fact("mysql.status").get("uptime") or 1)
    rate = count * 3600 / uptime
    latest = d["latest"] or {}
    stmts = "; ".join(f"thread {t['thread']}: {one_line(t['statement'], 80)}" for t in latest.get("transactions", []))
    print_all = str(d.get("print_all", "OFF")).upper() in ("ON", "1")
    yield ctx.finding(
        object="deadlocks",
        severity=Severity.WARNING if rate > ctx.threshold("per_hour") else None,
        summary=f"{count} deadlock(s) since startup ({rate:.2f}/h)"
                + (f"; latest at {latest['at']} on {', '.join(latest.get('tables', []))}: {stmts}" if latest else ""),
        evidence={"deadlocks": count, "per_hour": round(rate, 3), "threshold_per_hour": ctx.threshold("per_hour"),
                  "latest": {k: latest.get(k) for k in ("at", "tables", "transactions", "rolled_back")} if latest else None,
                  "innodb_print_all_deadlocks": d.get("print_all"), "fix_kind": "manual"},
        recommendation="Make the application retry on error 1213; lock rows in one consistent order in every code "
                       "path, keep transactions short, and index the columns of UPDATE/DELETE filters so fewer rows "
                       "(and gaps) are locked." + ("" if print_all else " Log every deadlock, not only the latest."),
        fix=("-- deadlocks are fixed in the application; to see every one, not only the latest:\n"
             "SET GLOBAL innodb_print_all_deadlocks = ON;  -- dynamic; persist: innodb_print_all_deadlocks = ON "
             "under [mysqld] (SET PERSIST on MySQL 8)") if not print_all else
            "-- deadlocks are fixed in the application (lock order, shorter transactions, retry on 1213)",
    )
