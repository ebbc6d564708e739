"""Connections: usage vs max_connections, idle-in-transaction and long-running sessions, pooling."""

from __future__ import annotations

from typing import Any

from advisor.errors import Skip
from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_duration

from ._common import SHOWN
from ._setting_fix import alter_system

POOLING = "guide: Database Performance > PostgreSQL > 2. Connection Pooling"


def available(a: dict[str, Any]) -> int:
    """Connection slots for ordinary roles: max_connections minus the reserved ones
    (superuser_reserved_connections; reserved_connections from PostgreSQL 16)."""
    return max(1, a["max_connections"] - a["superuser_reserved"] - a["reserved"])


def session_line(r: dict[str, Any], age_key: str) -> dict[str, Any]:
    wait = ":".join(w for w in (r.get("wait_event_type"), r.get("wait_event")) if w) or None
    return {"pid": r["pid"], "database": r["database"], "user": r["user"],
            "application": r["application"], "client": r["client"],
            "age_s": round(r[age_key] or 0, 1), "waiting_on": wait, "query": r["query"]}


def hidden_skip(a: dict[str, Any]) -> None:
    """No offender seen, but some sessions could not be seen: say so instead of passing."""
    if a.get("hidden"):
        from advisor.engines.postgres.session import MONITOR_GRANT  # only on PostgreSQL runs
        raise Skip(f"the state of {a['hidden']} session(s) of other roles is hidden from this user",
                   MONITOR_GRANT)


@check(
    id="pg.connections.usage",
    title="Connections used vs max_connections",
    category="connections",
    severity=Severity.WARNING,
    facts=["pg.activity"],
    reference="check_postgres backends 90% / 95%; postgresqltuner > 70%",
    thresholds={
        "info_pct": Threshold(70, "%", "postgresqltuner: connections used > 70%"),
        "warning_pct": Threshold(90, "%", "check_postgres backends warning 90%"),
        "critical_pct": Threshold(95, "%", "check_postgres backends critical 95%"),
    },
)
def usage(ctx):
    """When every connection slot is taken, new clients get "sorry, too many
    clients already" and the application fails. The usable slots are
    max_connections minus superuser_reserved_connections (and
    reserved_connections on PostgreSQL 16+).

    Fix: put a pooler (PgBouncer, transaction mode) in front of the server rather
    than raising max_connections: each backend costs memory (work_mem per sort)
    and contention grows with the number of active sessions."""
    a = ctx.fact("pg.activity")
    used, slots = a["client_backends"], available(a)
    pct = 100.0 * used / slots
    levels = [("critical_pct", Severity.CRITICAL), ("warning_pct", Severity.WARNING),
              ("info_pct", Severity.INFO)]
    sev = next((s for name, s in levels if pct >= ctx.threshold(name)), None)
    if sev is None:
        return
    top_db = sorted(a["by_database"].items(), key=lambda kv: -kv[1])[:5]
    yield ctx.finding(
        object=None, severity=sev,
        summary=f"{used} of {slots} usable connections in use ({pct:.0f}%)",
        evidence={"client_backends": used, "max_connections": a["max_connections"],
                  "superuser_reserved_connections": a["superuser_reserved"],
                  "reserved_connections": a["reserved"], "usable": slots, "used_pct": round(pct, 1),
                  "fix_kind": "manual",
                  "by_state": a["by_state"], "top_databases": dict(top_db),
                  **{k: ctx.threshold(k) for k, _ in levels}},
        recommendation="Pool connections (PgBouncer in transaction mode) and close idle ones; "
                       "raise max_connections only with the memory to back it.",
        fix="# pgbouncer.ini\n[pgbouncer]\npool_mode = transaction\ndefault_pool_size = 25\n"
            "max_client_conn = 10000",
        reference=ctx.check.reference + "; " + POOLING)


@check(
    id="pg.connections.idle_in_transaction",
    title="Sessions idle in transaction",
    category="connections",
    severity=Severity.WARNING,
    facts=["pg.activity", "pg.session_defaults", "pg.settings"],
    reference="PgHero idle in transaction; PostgreSQL docs, idle_in_transaction_session_timeout",
    thresholds={
        "min_age_s": Threshold(60, "s", "PgHero: 60 s (its long-running query limit)"),
        "critical_age_s": Threshold(3600, "s", "MySQLTuner: longest open transaction > 1 h"),
        "max_count": Threshold(100, "sessions", "PgHero: idle in transaction >= 100"),
    },
)
def idle_in_transaction(ctx):
    """A session that opened a transaction and then went quiet holds its locks and
    its snapshot: VACUUM cannot remove rows that died after it began, so bloat
    grows everywhere, and DDL queues behind its locks. Usually an application bug
    (a missing COMMIT, an exception path without ROLLBACK, a transaction held open
    across a network call).

    Fix: find the code path; end the oldest sessions with pg_terminate_backend;
    set idle_in_transaction_session_timeout so the server ends them itself."""
    a = ctx.fact("pg.activity")
    min_age, crit_age, max_count = (ctx.threshold(k) for k in ("min_age_s", "critical_age_s", "max_count"))
    old = [r for r in a["idle_in_transaction"] if (r["state_s"] or 0) >= min_age]
    count = a["idle_in_transaction_count"]
    if not old and count < max_count:
        hidden_skip(a)
        return
    timeout = ctx.fact("pg.session_defaults").get("idle_in_transaction_session_timeout", 0)
    oldest = (old or a["idle_in_transaction"])[0]
    age = oldest["state_s"] or 0
    sev = Severity.CRITICAL if age >= crit_age else Severity.WARNING
    fix = [f"SELECT pg_terminate_backend({r['pid']});" for r in old[:SHOWN]]
    if not timeout:
        fix.append(alter_system(ctx.fact("pg.settings"), "idle_in_transaction_session_timeout", "'10min'"))
    yield ctx.finding(
        object=f"pid {oldest['pid']}", severity=sev,
        summary=f"{count} session(s) idle in transaction; the oldest for {human_duration(age)} "
                f"(pid {oldest['pid']}, {oldest['user']}@{oldest['database']})",
        evidence={"idle_in_transaction": count, "older_than_threshold": len(old),
                  "oldest_age_s": round(age, 1), "sessions": [session_line(r, "state_s") for r in
                                                               (old or a["idle_in_transaction"])[:SHOWN]],
                  "idle_in_transaction_session_timeout_ms": timeout, "hidden_sessions": a["hidden"],
                  "threshold_min_age_s": min_age, "threshold_critical_age_s": crit_age,
                  "threshold_max_count": max_count},
        recommendation="Fix the application path that leaves transactions open; terminate the "
                       "oldest sessions; set idle_in_transaction_session_timeout"
                       + (" (it is unset)." if not timeout else "."),
        fix="\n".join(fix))


@check(
    id="pg.connections.long_running",
    title="Long-running queries",
    category="connections",
    severity=Severity.WARNING,
    facts=["pg.activity"],
    reference="PgHero long-running queries (60 s)",
    thresholds={
        "min_s": Threshold(60, "s", "PgHero long_running_query_sec 60"),
        "critical_s": Threshold(3600, "s", "one hour: holds back vacuum for the whole server"),
    },
)
def long_running(ctx):
    """A query running for minutes holds a snapshot (VACUUM cannot clean behind
    it), keeps its locks, and usually signals a missing index or a runaway report.
    Fix: look at its plan (EXPLAIN), cancel it if it is a runaway
    (`SELECT pg_cancel_backend(pid)`), and bound such queries with
    statement_timeout for the role that runs them."""
    a = ctx.fact("pg.activity")
    min_s, crit_s = ctx.threshold("min_s"), ctx.threshold("critical_s")
    slow = [r for r in a["longest_active"] if (r["query_s"] or 0) >= min_s]
    if not slow:
        hidden_skip(a)
        return
    top = slow[0]
    yield ctx.finding(
        object=f"pid {top['pid']}",
        severity=Severity.CRITICAL if top["query_s"] >= crit_s else Severity.WARNING,
        summary=f"{len(slow)}{'+' if len(slow) == len(a['longest_active']) else ''} query(ies) running "
                f"longer than {human_duration(min_s)}; the longest for {human_duration(top['query_s'])} "
                f"(pid {top['pid']}, {top['user']}@{top['database']})",
        evidence={"running": [session_line(r, "query_s") for r in slow[:SHOWN]],
                  "hidden_sessions": a["hidden"], "threshold_min_s": min_s,
                  "threshold_critical_s": crit_s},
        recommendation="Check the plan of these queries (EXPLAIN), cancel runaways, and set a "
                       "statement_timeout for the roles that run them.",
        fix="\n".join(f"SELECT pg_cancel_backend({r['pid']});" for r in slow[:SHOWN]))


@check(
    id="pg.connections.pooling",
    title="Many connections, mostly idle: use a connection pooler",
    category="connections",
    severity=Severity.INFO,
    facts=["pg.activity"],
    reference=POOLING + "; PgHero total connections >= 500",
    thresholds={
        "max_total": Threshold(500, "connections", "PgHero: total connections >= 500"),
        "min_idle": Threshold(50, "connections", "idle sessions worth pooling"),
        "idle_pct": Threshold(50, "%", "most sessions idle: a pool would multiplex them"),
    },
)
def pooling(ctx):
    """Every PostgreSQL connection is a process with its own memory; hundreds of
    mostly idle connections waste RAM and make the few active ones slower
    (snapshot and lock-table costs grow with the backend count). The guide
    recommends PgBouncer in transaction mode for most applications (session mode
    only for session features such as LISTEN/NOTIFY, advisory locks or
    cursors held across transactions).

    Fix: deploy PgBouncer with pool_mode = transaction and point the
    applications at it."""
    a = ctx.fact("pg.activity")
    total = a["client_backends"]
    idle = a["by_state"].get("idle", 0)
    idle_pct = 100.0 * idle / total if total else 0.0
    many = total >= ctx.threshold("max_total")
    mostly_idle = idle >= ctx.threshold("min_idle") and idle_pct >= ctx.threshold("idle_pct")
    if not (many or mostly_idle):
        return
    yield ctx.finding(
        object=None, severity=Severity.WARNING if many else Severity.INFO,
        summary=f"{total} connections, {idle} of them idle ({idle_pct:.0f}%): pool them",
        evidence={"client_backends": total, "idle": idle, "idle_pct": round(idle_pct, 1),
                  "by_user": dict(sorted(a["by_user"].items(), key=lambda kv: -kv[1])[:5]),
                  **{k: ctx.threshold(k) for k in ("max_total", "min_idle", "idle_pct")},
                  "fix_kind": "manual"},
        recommendation="Put PgBouncer in transaction pooling mode between the applications and "
                       "the server (the guide's default: pool size 25 per database/user).",
        fix="# pgbouncer.ini\n[pgbouncer]\npool_mode = transaction\ndefault_pool_size = 25\n"
            "min_pool_size = 10\nreserve_pool_size = 10\nmax_client_conn = 10000\n"
            "max_db_connections = 100")
