"""Transaction ID wraparound: how far each database and table is from a forced shutdown."""

from __future__ import annotations

from advisor.model import Severity
from advisor.registry import Threshold, check

from .maintenance import SHARE_UPDATE, capped, plain_tables, qname, quoted, reloptions

HARD_LIMIT = 2**31  # XIDs are compared modulo 2^32: at most 2^31 can be "in the past"


def judge(ctx, age: int, freeze_max: int) -> Severity | None:
    """Severity of an XID age, or None when it is healthy."""
    if age >= ctx.threshold("critical_age"):
        return Severity.CRITICAL
    if HARD_LIMIT - age < ctx.threshold("min_remaining") or \
            age >= freeze_max * ctx.threshold("freeze_warning_pct") / 100:
        return Severity.WARNING
    if age >= freeze_max * ctx.threshold("freeze_info_pct") / 100:
        return Severity.INFO
    return None


@check(
    id="pg.maintenance.wraparound",
    title="Transaction ID wraparound (database and table age)",
    category="maintenance",
    severity=Severity.WARNING,
    facts=["pg.databases", "pg.tables", "pg.settings"],
    reference="PostgreSQL docs, 25.1.5 Preventing Transaction ID Wraparound Failures; "
              "check_postgres txn_wraparound / autovac_freeze; PgHero transaction_id_danger",
    thresholds={
        "freeze_info_pct": Threshold(90, "% of autovacuum_freeze_max_age",
                                     "check_postgres autovac_freeze warning 90%"),
        "freeze_warning_pct": Threshold(95, "% of autovacuum_freeze_max_age",
                                        "check_postgres autovac_freeze critical 95%"),
        "min_remaining": Threshold(1_500_000_000, "XIDs", "PgHero: fewer than 1.5 B transactions left"),
        "critical_age": Threshold(1_400_000_000, "XIDs", "check_postgres txn_wraparound critical 1.4 B"),
    },
)
def wraparound(ctx):
    """PostgreSQL must freeze every row before its transaction ID is about 2^31
    transactions old; otherwise it stops accepting writes to avoid data loss.
    Autovacuum starts an aggressive anti-wraparound vacuum when a table's age
    passes autovacuum_freeze_max_age (default 200 M; a table's storage parameter
    can lower it). Ages well beyond that mean those vacuums cannot finish (long
    transactions, abandoned replication slots or prepared transactions hold the
    horizon back, or they are too throttled). Both the database age
    (datfrozenxid) and each table's age, TOAST included, are judged; multixact
    IDs (row locks shared by several transactions) wrap around the same way and
    are judged per database against autovacuum_multixact_freeze_max_age.

    Fix: remove what holds the horizon back, then `VACUUM (FREEZE, VERBOSE)` the
    oldest tables (or `vacuumdb --all --freeze --jobs N`)."""
    settings = ctx.fact("pg.settings")
    freeze_max = int(settings["autovacuum_freeze_max_age"]["value"])
    evidence_th = {k: ctx.threshold(k) for k in ("freeze_info_pct", "freeze_warning_pct",
                                                "min_remaining", "critical_age")}
    mx_max = int(settings.get("autovacuum_multixact_freeze_max_age", {}).get("value", 400_000_000))
    for db in ctx.fact("pg.databases"):
        age, mx_age = db.get("xid_age") or 0, db.get("mxid_age") or 0
        xid_sev, mx_sev = judge(ctx, age, freeze_max), judge(ctx, mx_age, mx_max)
        if xid_sev is None and mx_sev is None:
            continue
        if (xid_sev or 0) >= (mx_sev or 0):
            what = (f"oldest unfrozen XID is {age:,} transactions old ({100 * age / freeze_max:.0f}% of "
                    f"autovacuum_freeze_max_age, {HARD_LIMIT - age:,} left before wraparound)")
        else:
            what = (f"oldest multixact is {mx_age:,} old ({100 * mx_age / mx_max:.0f}% of "
                    f"autovacuum_multixact_freeze_max_age)")
        yield ctx.finding(
            object=f"database {db['name']}", severity=max(xid_sev or 0, mx_sev or 0),
            summary=f"database {db['name']}: {what}",
            evidence={"xid_age": age, "autovacuum_freeze_max_age": freeze_max,
                      "remaining": HARD_LIMIT - age, "mxid_age": mx_age,
                      "autovacuum_multixact_freeze_max_age": mx_max, **evidence_th, "fix_kind": "shell"},
            recommendation="Find what holds the xmin horizon back (long transactions, prepared "
                           "transactions, stale replication slots) and vacuum-freeze the oldest "
                           "tables of this database.",
            fix=f"vacuumdb --freeze --jobs 4 --dbname '{db['name']}'  # VACUUM FREEZE of every table, "
                "4 at a time (SHARE UPDATE EXCLUSIVE locks: reads and writes continue)")
    found = []
    for t in plain_tables(ctx):
        age = max(t.get("xid_age") or 0, t.get("toast_xid_age") or 0)
        own_max = min(freeze_max, int(reloptions(t).get("autovacuum_freeze_max_age", freeze_max)))
        sev = judge(ctx, age, own_max)
        if sev is None:
            continue
        found.append((age, ctx.finding(
            object=qname(t), severity=sev,
            summary=f"{qname(t)}: XID age {age:,} ({100 * age / own_max:.0f}% of its "
                    f"autovacuum_freeze_max_age)",
            evidence={"xid_age": t.get("xid_age"), "toast_xid_age": t.get("toast_xid_age"),
                      "autovacuum_freeze_max_age": own_max, "remaining": HARD_LIMIT - age,
                      **evidence_th},
            recommendation="Vacuum-freeze this table now; if autovacuum already runs on it, check "
                           "what holds the xmin horizon back.",
            fix=f"VACUUM (FREEZE, VERBOSE) {quoted(t)};{SHARE_UPDATE}")))
    found.sort(key=lambda x: x[0], reverse=True)
    yield from capped([f for _, f in found], ctx, "tables near wraparound")
