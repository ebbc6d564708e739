"""Locks: sessions blocked behind others (the chain to its root), lock table pressure, deadlocks."""

from __future__ import annotations

from typing import Any

from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_duration, one_line

from ._common import SHOWN, guarded

LOCK_DOCS = "PostgreSQL docs, 13.3 Explicit Locking and 9.27 System Information Functions (pg_blocking_pids)"


def roots_of(sessions: list[dict[str, Any]]) -> dict[int, set[int]]:
    """{root blocker pid: the waiting pids behind it, directly or through a chain}.

    A root is a blocker that waits on nobody. Waiters caught in a cycle (a deadlock not yet
    detected: deadlock_timeout has not passed) have no root: each cycle member is its own."""
    blocked_by = {r["pid"]: r["blocked_by"] or [] for r in sessions if r["blocked_by"] is not None}
    out: dict[int, set[int]] = {}
    for waiter in blocked_by:
        seen, todo, roots = {waiter}, list(blocked_by[waiter]), set()
        while todo:
            pid = todo.pop()
            if pid in seen:
                continue
            seen.add(pid)
            if blocked_by.get(pid):
                todo.extend(blocked_by[pid])
            else:
                roots.add(pid)
        for root in roots or ({waiter} if blocked_by[waiter] else set()):
            out.setdefault(root, set()).add(waiter)
    return out


def chain(pid: int, sessions: dict[int, dict[str, Any]], root: int) -> list[int]:
    """One path from a waiter to the root blocker: [waiter, ..., root]."""
    path, seen = [pid], {pid}
    while path[-1] != root:
        nxt = [p for p in (sessions.get(path[-1], {}).get("blocked_by") or []) if p not in seen]
        if not nxt:
            break
        step = root if root in nxt else nxt[0]
        path.append(step)
        seen.add(step)
    return path


def root_fix(r: dict[str, Any]) -> tuple[str, str | None]:
    """(fix, fix_kind) that frees the root blocker's locks, with its consequence stated."""
    if r["pid"] == 0:
        return ("-- a prepared transaction (two-phase commit) holds the lock; its owner decides:\n"
                "SELECT gid, prepared, owner, database FROM pg_prepared_xacts ORDER BY prepared;\n"
                "-- then COMMIT PREPARED '{{gid}}'; or ROLLBACK PREPARED '{{gid}}'; in its database",
                "manual")
    state = r.get("state") or ""
    if state.startswith("idle in transaction"):
        return ("-- idle in transaction: a cancel does nothing; terminating rolls back its whole "
                "transaction and closes its connection\n" + guarded("pg_terminate_backend", r), None)
    return ("-- cancel its statement (its transaction is rolled back if it does not catch the error);\n"
            + guarded("pg_cancel_backend", r)
            + "\n-- only if it still blocks: end the session (rolls back the whole transaction)\n"
            + "-- " + guarded("pg_terminate_backend", r), None)


def _who(r: dict[str, Any]) -> str:
    if r["pid"] == 0:
        return "a prepared transaction"
    if r.get("state") is None:
        return f"pid {r['pid']} (details hidden from this user)"
    xact = f", transaction open {human_duration(r['xact_s'])}" if r.get("xact_s") is not None else ""
    return f"pid {r['pid']} ({r['state']}{xact}, {r.get('user')}@{r.get('database')})"


@check(
    id="pg.locks.blocking",
    title="Sessions blocked on locks, and the root blocker",
    category="connections",
    severity=Severity.WARNING,
    facts=["pg.locks"],
    reference=LOCK_DOCS + "; PgHero blocked queries; check_postgres lockwait",
    thresholds={
        "min_wait_s": Threshold(30, "s", "a wait longer than a typical request timeout: users notice"),
        "critical_wait_s": Threshold(300, "s", "five minutes: a queue is forming behind it"),
        "critical_waiters": Threshold(10, "sessions", "a pile-up: connection slots fill behind one lock"),
    },
)
def blocking(ctx):
    """A session that waits for a lock waits for the transaction that holds it; others
    queue behind the waiter (a pending ACCESS EXCLUSIVE request blocks even readers),
    so one open transaction can stall a whole application. The advisor follows
    pg_blocking_pids() from each waiter to the root blocker (a session that waits on
    nobody) and reports, per root: its pid, state, transaction age, query (truncated,
    passwords masked), the relation and mode the others wait for, and the chain.

    Fix: end the root blocker's transaction. `pg_cancel_backend(pid)` cancels a running
    statement; a session idle in transaction ignores a cancel and needs
    `pg_terminate_backend(pid)`, which rolls back its whole transaction and closes its
    connection (the application sees an error). Decide with its owner; then find why
    it holds locks so long, and set lock_timeout on DDL so a migration waits at most a
    few seconds instead of queueing everybody behind it."""
    data = ctx.fact("pg.locks")
    min_wait, crit_wait, crit_n = (ctx.threshold(k) for k in ("min_wait_s", "critical_wait_s",
                                                              "critical_waiters"))
    by_pid = {r["pid"]: r for r in data["sessions"]}
    found = []
    for root, waiters in roots_of(data["sessions"]).items():
        long = sorted((by_pid[w] for w in waiters if (by_pid[w]["wait_s"] or 0) >= min_wait),
                      key=lambda r: -(r["wait_s"] or 0))
        if not long:
            continue
        r = by_pid.get(root, {"pid": root, "blocked_by": None})
        longest = long[0]["wait_s"] or 0
        sev = (Severity.CRITICAL if longest >= crit_wait or len(waiters) >= crit_n
               else Severity.WARNING)
        relations = sorted({w["relation"] or w["locktype"] for w in long if w["relation"] or w["locktype"]})
        fix, kind = root_fix(r)
        evidence = {
            "root_pid": root, "root_state": r.get("state"), "root_user": r.get("user"),
            "root_database": r.get("database"), "root_application": r.get("application"),
            "root_client": r.get("client"), "root_xact_age_s": r.get("xact_s"),
            "root_state_age_s": r.get("state_s"), "root_query": r.get("query"),
            "blocked_sessions": len(waiters), "longest_wait_s": round(longest, 1),
            "waiting_for": relations,
            "waiters": [{"pid": w["pid"], "wait_s": round(w["wait_s"] or 0, 1), "mode": w["mode"],
                         "locktype": w["locktype"], "relation": w["relation"],
                         "chain": chain(w["pid"], by_pid, root), "query": w["query"]}
                        for w in long[:SHOWN]],
            "threshold_min_wait_s": min_wait, "threshold_critical_wait_s": crit_wait,
            "threshold_critical_waiters": crit_n}
        if kind:
            evidence["fix_kind"] = kind
        query = f": {one_line(r.get('query'), 80)}" if r.get("query") else ""
        found.append((longest, ctx.finding(
            object=f"pid {root}", severity=sev,
            summary=f"{len(waiters)} session(s) blocked behind {_who(r)}, the longest for "
                    f"{human_duration(longest)} on {', '.join(relations) or 'a lock'}{query}",
            evidence=evidence,
            recommendation="End the root blocker's transaction (cancel a running statement; an idle "
                           "in transaction session needs terminating, which rolls back its work); "
                           "agree it with the application's owner, then fix why it holds its locks "
                           "this long and use lock_timeout for DDL.",
            fix=fix)))
    found.sort(key=lambda x: -x[0])
    yield from (f for _, f in found)


@check(
    id="pg.locks.table_pressure",
    title="Lock table filling up (max_locks_per_transaction)",
    category="configuration",
    severity=Severity.WARNING,
    facts=["pg.lock_table"],
    reference="PostgreSQL docs, 20.12 Lock Management (max_locks_per_transaction); check_postgres locks",
    thresholds={
        "warning_pct": Threshold(50, "% of the shared lock table",
                                 "the table is sized for an average per session: half used leaves "
                                 "room for one burst"),
        "critical_pct": Threshold(80, "% of the shared lock table",
                                  "near full: the next big transaction fails with 'out of shared memory'"),
    },
)
def table_pressure(ctx):
    """The shared lock table holds max_locks_per_transaction * (max_connections +
    max_prepared_transactions) locks for the whole server (fast-path locks aside).
    A transaction touching many relations (a query over many partitions, pg_dump,
    DDL on many tables) takes one lock per relation and index; when the table is
    full, every session that needs a new lock fails with "out of shared memory;
    HINT: You might need to increase max_locks_per_transaction".

    Fix: raise max_locks_per_transaction (postmaster setting: restart required; every
    standby needs a value at least as high, raise them first) or keep transactions
    from touching thousands of relations (partition pruning, smaller batches)."""
    t = ctx.fact("pg.lock_table")
    capacity = t["max_locks_per_transaction"] * (t["max_connections"] + t["max_prepared_transactions"])
    pct = 100.0 * t["shared_locks"] / capacity if capacity else 0.0
    warn, crit = ctx.threshold("warning_pct"), ctx.threshold("critical_pct")
    if pct < warn:
        return
    # room for twice today's use, in the setting's unit
    proposed = max(t["max_locks_per_transaction"] * 2,
                   -(-2 * t["shared_locks"] // max(1, t["max_connections"] + t["max_prepared_transactions"])))
    yield ctx.finding(
        object="max_locks_per_transaction", severity=Severity.CRITICAL if pct >= crit else Severity.WARNING,
        summary=f"{t['shared_locks']:,} locks in the shared lock table, {pct:.0f}% of its "
                f"{capacity:,} slots (max_locks_per_transaction {t['max_locks_per_transaction']})",
        evidence={**t, "capacity": capacity, "used_pct": round(pct, 1),
                  "threshold_warning_pct": warn, "threshold_critical_pct": crit},
        recommendation="Raise max_locks_per_transaction (restart; standbys first), or make the "
                       "transactions that lock thousands of relations smaller.",
        fix=f"ALTER SYSTEM SET max_locks_per_transaction = {proposed};\n"
            "-- restart required (postmaster setting); set the same or a higher value on every "
            "standby first, or they stop replaying")


@check(
    id="pg.locks.deadlocks",
    title="Deadlocks in this database",
    category="connections",
    severity=Severity.WARNING,
    facts=["pg.deadlocks"],
    reference="PostgreSQL docs, 13.3.4 Deadlocks; pg_stat_database.deadlocks",
    thresholds={
        "warning_per_day": Threshold(1, "deadlocks/day",
                                     "docs 13.3.4: every deadlock aborts a transaction; more than "
                                     "an occasional one is an ordering bug"),
        "critical_per_day": Threshold(100, "deadlocks/day", "aborted transactions every quarter hour"),
    },
)
def deadlocks(ctx):
    """Two transactions that lock the same rows or tables in opposite orders deadlock:
    after deadlock_timeout PostgreSQL aborts one of them. pg_stat_database counts them
    since the statistics were reset; the rate over that period, or over the --sample
    window when there is one, is judged (any deadlock is reported, at info, below the
    warning rate; a period under an hour counts as an hour).

    Fix: in the application, take locks in one consistent order (e.g. update rows
    sorted by key, lock parent before child), keep transactions short, and retry a
    transaction that failed with SQLSTATE 40P01. Turn on log_lock_waits to see the
    statements involved in the server log (reload, no restart)."""
    d = ctx.fact("pg.deadlocks")
    n = d.get("deadlocks") or 0
    if not n:
        return
    span = ctx.window_s or d["window_s"] or 0   # the --sample window, else since the stats reset
    days = max(span, 3600) / 86400  # under an hour a rate means nothing
    rate = n / days
    warn, crit = ctx.threshold("warning_per_day"), ctx.threshold("critical_per_day")
    sev = (Severity.CRITICAL if rate >= crit else Severity.WARNING if rate >= warn else Severity.INFO)
    fix = None if d.get("log_lock_waits") == "on" else \
        "ALTER SYSTEM SET log_lock_waits = on; SELECT pg_reload_conf();"
    yield ctx.finding(
        object=f"database {d['database']}", severity=sev,
        summary=f"database {d['database']}: {n:,} deadlock(s) in {human_duration(span)} "
                f"(~{rate:,.1f} a day)",
        evidence={**d, "per_day": round(rate, 2), "judged_on": "window" if ctx.window_s else "cumulative",
                  "judged_over_s": round(span), "threshold_warning_per_day": warn,
                  "threshold_critical_per_day": crit},
        recommendation="Make the transactions involved take their locks in one order and retry on "
                       "SQLSTATE 40P01; log_lock_waits = on shows the statements in the server log.",
        fix=fix)
