"""The xmin horizon: which snapshot, prepared transaction, slot or standby keeps VACUUM from
removing dead rows (and from freezing), and by how much."""

from __future__ import annotations

from typing import Any

from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_duration, one_line

from ._common import guarded

HORIZON_DOCS = ("PostgreSQL docs, 25.1 Routine Vacuuming, 27.2 pg_stat_activity (backend_xmin), "
                "pg_prepared_xacts, pg_replication_slots; check_postgres prepared_txns / txn_time")

# a prepared transaction or slot is the cause of the sessions' xmin, not the other way round:
# on equal ages it is named first
_RANK = {"prepared transaction": 0, "replication slot": 1, "standby feedback": 2, "session": 3}


def holders(ctx) -> list[dict[str, Any]]:
    """Every xmin holder as {kind, name, xmin_age, age_s, ...}, the one holding the horizon first."""
    h = ctx.fact("pg.xmin_holders")
    out = []
    for r in h["sessions"]:
        age = r["xact_s"] if r["xact_s"] is not None else r["state_s"]
        out.append({"kind": "session", "name": f"pid {r['pid']}", "xmin_age": r["xmin_age"],
                    "age_s": age, "row": r})
    for r in h["prepared"]:
        out.append({"kind": "prepared transaction", "name": f"prepared transaction {r['gid']}",
                    "xmin_age": r["xmin_age"], "age_s": r["age_s"], "row": r})
    for r in h["standbys"]:
        out.append({"kind": "standby feedback", "name": f"standby {r['name']}",
                    "xmin_age": r["xmin_age"], "age_s": None, "row": r})
    for r in ctx.fact("pg.replication_slots"):
        age = max(r.get("xmin_age") or 0, r.get("catalog_xmin_age") or 0)
        if r.get("xmin_age") is not None or r.get("catalog_xmin_age") is not None:
            out.append({"kind": "replication slot", "name": f"slot {r['name']}", "xmin_age": age,
                        "age_s": None, "row": r})
    out.sort(key=lambda x: (-(x["xmin_age"] or 0), _RANK[x["kind"]]))
    return out


def _fix(holder: dict[str, Any]) -> tuple[str, str | None]:
    r, kind = holder["row"], holder["kind"]
    gid = "'" + str(r.get("gid", "")).replace("'", "''") + "'"
    if kind == "prepared transaction":
        return (f"-- in database {r['database']}; the transaction manager that prepared it decides "
                f"which (ROLLBACK loses its changes, COMMIT makes them visible):\n"
                f"ROLLBACK PREPARED {gid};\n-- or: COMMIT PREPARED {gid};", "manual")
    if kind == "replication slot":
        name = "'" + r["name"].replace("'", "''") + "'"
        if r.get("active"):
            return (f"-- slot {r['name']} is in use: its consumer is behind; make it catch up "
                    "(logical: the subscriber/decoder must confirm progress)", "manual")
        return (f"-- only if slot {r['name']} is abandoned: its consumer loses its position and "
                f"must be re-seeded\nSELECT pg_drop_replication_slot({name});", None)
    if kind == "standby feedback":
        return (f"-- on standby {r['name']}: end or bound its long queries "
                "(statement_timeout there), or turn hot_standby_feedback off on it and accept "
                "query cancellations from replay conflicts", "manual")
    state = r.get("state") or ""
    func = "pg_cancel_backend" if state == "active" else "pg_terminate_backend"
    return (f"-- {state or 'session'}: {func} rolls back its transaction\n" + guarded(func, r), None)


@check(
    id="pg.vacuum.xmin_horizon",
    title="What holds back vacuum (the xmin horizon)",
    category="maintenance",
    severity=Severity.WARNING,
    facts=["pg.xmin_holders", "pg.replication_slots", "pg.settings"],
    reference=HORIZON_DOCS,
    thresholds={
        "min_xid_age": Threshold(1_000_000, "XIDs",
                                 "a healthy slot or standby lags by thousands; a million "
                                 "transactions of dead rows kept is real bloat"),
        "max_age_s": Threshold(3600, "s", "MySQLTuner: longest open transaction > 1 h"),
        "prepared_age_s": Threshold(30, "s", "check_postgres prepared_txns critical 30 s (warning 1 s)"),
        "critical_freeze_pct": Threshold(50, "% of autovacuum_freeze_max_age",
                                         "beyond it the holder also keeps tables from being frozen"),
        "critical_age_s": Threshold(86400, "s", "a day of dead rows kept on every table"),
    },
)
def xmin_horizon(ctx):
    """VACUUM can only remove a dead row when no snapshot can still see it: the oldest
    xmin among open transactions and queries (backend_xmin), prepared transactions,
    replication slots (xmin, and catalog_xmin for logical decoding) and standbys with
    hot_standby_feedback is the horizon. Behind it, dead rows pile up in every table
    of the server (catalog rows too, for catalog_xmin), autovacuum runs and achieves
    nothing, and freezing stops: a horizon held long enough ends in wraparound.

    The advisor names the holder furthest behind (XIDs started since its xmin, and how
    long it has held it) and lists the others past a threshold. A prepared transaction
    or slot outranks the sessions whose snapshots it drags along.

    Fix depends on the holder: end the session (pg_cancel_backend for a running query,
    pg_terminate_backend when idle in transaction: its transaction rolls back);
    COMMIT or ROLLBACK PREPARED a forgotten two-phase transaction (its transaction
    manager decides); drop an abandoned replication slot (its consumer must be
    re-seeded); bound queries on a standby with hot_standby_feedback."""
    min_xid, max_age, prep_age, crit_pct, crit_age = (ctx.threshold(k) for k in (
        "min_xid_age", "max_age_s", "prepared_age_s", "critical_freeze_pct", "critical_age_s"))
    freeze_max = int(ctx.fact("pg.settings")["autovacuum_freeze_max_age"]["value"])

    def past(x):
        limit_s = prep_age if x["kind"] == "prepared transaction" else max_age
        return (x["xmin_age"] or 0) >= min_xid or (x["age_s"] is not None and x["age_s"] >= limit_s)
    all_holders = holders(ctx)
    if not any(past(x) for x in all_holders):
        return
    horizon = all_holders[0]["xmin_age"] or 0


    for x in (x for x in all_holders if past(x)):
        r = x["row"]
        sev = (Severity.CRITICAL if (x["xmin_age"] or 0) >= freeze_max * crit_pct / 100
               or (x["age_s"] or 0) >= crit_age else Severity.WARNING)
        holds = (x["xmin_age"] or 0) >= horizon
        held = f", for {human_duration(x['age_s'])}" if x["age_s"] is not None else ""
        who = x["name"]
        if x["kind"] == "session":
            who += f" ({r.get('state') or 'state hidden from this user'}, {r.get('user')}@{r.get('database')}"
            who += f": {one_line(r['query'], 60)})" if r.get("query") else ")"
        fix, kind = _fix(x)
        evidence = {"holder_kind": x["kind"], "holder": x["name"], "xmin_age": x["xmin_age"],
                    "held_s": x["age_s"], "holds_the_horizon": holds, "horizon_xid_age": horizon,
                    "autovacuum_freeze_max_age": freeze_max,
                    "details": {k: v for k, v in r.items() if k != "backend_start"},
                    "other_holders": [{"kind": o["kind"], "name": o["name"], "xmin_age": o["xmin_age"]}
                                      for o in all_holders if o is not x][:5],
                    **{f"threshold_{k}": ctx.threshold(k) for k in ctx.check.thresholds}}
        if kind:
            evidence["fix_kind"] = kind
        yield ctx.finding(
            object=x["name"], severity=sev,
            summary=f"{who} {'holds' if holds else 'also holds'} the xmin horizon "
                    f"{x['xmin_age']:,} transactions back{held}: VACUUM cannot remove rows that "
                    f"died since",
            evidence=evidence,
            recommendation={"session": "End the transaction (ask its owner first) and fix the code "
                                       "path that keeps it open; idle_in_transaction_session_timeout "
                                       "and statement_timeout bound it.",
                            "prepared transaction": "Resolve the forgotten two-phase transaction "
                                                    "with its transaction manager (COMMIT or "
                                                    "ROLLBACK PREPARED).",
                            "replication slot": "Make the slot's consumer catch up, or drop the "
                                                "slot if nothing uses it any more.",
                            "standby feedback": "Bound long queries on the standby, or turn "
                                                "hot_standby_feedback off there."}[x["kind"]],
            fix=fix)
