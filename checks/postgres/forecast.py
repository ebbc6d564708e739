"""Forecasts from the run history: sequences and XIDs running out, tables growing."""

from advisor.figures import pg_table_sizes
from advisor.forecast import (
    GROWTH_THRESHOLD,
    THRESHOLDS,
    growth_findings,
    history_evidence,
    judge,
    left_text,
    rate,
    time_left,
)
from advisor.model import Severity
from advisor.registry import check

from ._common import HARD_LIMIT, sequence_fixes, sequence_limit

STOP_MARGIN = 3_000_000   # PostgreSQL refuses new XIDs this close to wraparound (docs 25.1.5, PG14+)


@check(
    id="pg.forecast.sequences",
    title="Sequences that run out soon at the observed rate",
    category="schema",
    severity=Severity.WARNING,
    facts=["pg.sequences", "pg.history"],
    reference="db-advisor forecast from the run history; PgHero/check_postgres judge the used share only",
    thresholds=THRESHOLDS,
)
def sequences(ctx):
    """A sequence far from its maximum can still run out within days when it is consumed
    fast (a bulk import, a retry loop, a batch job that burns ids). This check compares the
    sequence's value with the previous run in the history (with none, with the start of a
    `--sample` window) and reports the time left at that rate, whatever today's used share is. Fix: widen the column to bigint (a table rewrite
    under ACCESS EXCLUSIVE lock: plan it before the time left runs out) and the sequence
    with it; find what consumes the values if the rate is unexpected."""
    history = ctx.fact("pg.history")
    for seq in ctx.fact("pg.sequences")["rows"]:
        if seq.get("cycle") or seq.get("last_value") is None or not seq.get("increment"):
            continue
        r = rate(history, f"seq:{seq['sequence']}", seq["last_value"])
        if r is None:
            continue
        up = seq["increment"] > 0
        limit, limited_by = sequence_limit(seq)
        left = time_left(abs(limit - seq["last_value"]), r.per_s if up else -r.per_s)
        sev = judge(ctx, left)
        if sev is None:
            continue
        owner = f"{seq['table_qualified']}.{seq['column_name']}" if seq.get("column_name") else None
        fix = "\n".join(sequence_fixes(seq))   # the same statements as pg.schema.sequence_exhaustion
        yield ctx.finding(
            object=seq["sequence"], severity=sev,
            summary=f"sequence {seq['sequence']} runs out in {left_text(left)} at "
                    f"{abs(r.per_day):,.0f} values/day (limit {limit:,}: {limited_by})",
            evidence=history_evidence(history, left, **r.evidence(), limit=limit, limited_by=limited_by,
                                      column=owner),
            recommendation="Widen the column and the sequence before the time left runs out, or find "
                           "what consumes values this fast.",
            fix=fix)


@check(
    id="pg.forecast.wraparound",
    title="Transaction ID or MultiXact wraparound approaching at the observed rate",
    category="maintenance",
    severity=Severity.WARNING,
    facts=["pg.databases", "pg.settings", "pg.history"],
    reference="PostgreSQL docs 25.1.5 Preventing Transaction ID Wraparound Failures; db-advisor forecast",
    thresholds=THRESHOLDS,
)
def wraparound(ctx):
    """A database's oldest unfrozen XID (and MultiXact) ages as transactions run. Vacuum
    freezes rows to hold the age down; when it cannot keep up (a long transaction or an
    old replication slot holds the horizon, or autovacuum is too slow), the age rises
    toward 2^31, where PostgreSQL stops accepting writes. This check takes the rate at
    which the age rose since the previous run (or during a `--sample` window, when there is
    no history) and reports the time until
    autovacuum_freeze_max_age (anti-wraparound vacuums start) and until the hard stop.
    Fix: VACUUM (FREEZE) the oldest tables of that database, and remove what holds the
    xmin horizon back (see pg.maintenance.wraparound)."""
    history = ctx.fact("pg.history")
    settings = ctx.fact("pg.settings")
    limits = {"xid_age": int(settings["autovacuum_freeze_max_age"]["value"]),
              "mxid_age": int(settings.get("autovacuum_multixact_freeze_max_age", {}).get("value", 400_000_000))}
    for db in ctx.fact("pg.databases"):
        for kind, freeze_max in limits.items():
            r = rate(history, f"{kind}:{db['name']}", db.get(kind))
            if r is None:
                continue
            stop = time_left(HARD_LIMIT - STOP_MARGIN - db[kind], r.per_s)
            sev = judge(ctx, stop)
            if sev is None:
                continue
            to_freeze = time_left(freeze_max - db[kind], r.per_s)
            what = "transaction ID" if kind == "xid_age" else "MultiXact ID"
            yield ctx.finding(
                object=db["name"], severity=sev,
                summary=f"database {db['name']}: {what} wraparound stop in {left_text(stop)} at "
                        f"{r.per_day:,.0f} per day (age {db[kind]:,})",
                evidence=history_evidence(history, stop, **r.evidence(), age_kind=kind,
                                          freeze_max_age=freeze_max,
                                          time_to_freeze_max_age_s=None if to_freeze is None else round(to_freeze)),
                recommendation="Freeze the oldest tables now and find what stops vacuum from advancing "
                               "the horizon (long transactions, prepared transactions, replication slots).",
                fix=f"-- connected to database {db['name']}:\nVACUUM (FREEZE, VERBOSE);  "
                    "-- SHARE UPDATE EXCLUSIVE lock per table: reads and writes go on")


@check(
    id="pg.forecast.growth",
    title="Tables growing fast (from the run history)",
    category="storage",
    severity=Severity.INFO,
    facts=["pg.tables", "pg.history"],
    reference="db-advisor forecast from the run history; PgHero space history",
    thresholds={"min_bytes_per_day": GROWTH_THRESHOLD},
)
def growth(ctx):
    """Growth per day of the database's tables (heap, TOAST and indexes), from the
    previous run in the history: the figure to size volumes and plan retention with.
    Reported for the tables and the whole set that grow faster than the threshold."""
    yield from growth_findings(ctx, ctx.fact("pg.history"), pg_table_sizes(ctx.fact("pg.tables")))
