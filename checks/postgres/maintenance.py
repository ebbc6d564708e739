"""Dead tuples, bloat and autovacuum health per table."""

from __future__ import annotations

import datetime as dt
from typing import Any

from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_bytes, human_duration

from ._common import (
    GUIDE,
    HARD_LIMIT,
    SHARE_UPDATE,
    autovacuum_enabled,
    capped,
    plain_tables,
    qname,
    quoted,
    reloptions,
)

# VACUUM (not FULL), ANALYZE, REINDEX CONCURRENTLY and ALTER TABLE SET/RESET (storage parameters)


def dead_pct(t: dict[str, Any]) -> float:
    """The guide's dead_pct = n_dead_tup / (n_live_tup + n_dead_tup), in percent."""
    live, dead = t.get("n_live_tup") or 0, t.get("n_dead_tup") or 0
    return 100.0 * dead / (live + dead) if live + dead else 0.0


@check(
    id="pg.maintenance.bloat",
    title="Tables with many dead tuples (vacuum not keeping up)",
    category="maintenance",
    severity=Severity.WARNING,
    facts=["pg.tables"],
    reference=GUIDE + " (dead_pct); PostgreSQL docs 25.1.6 The Autovacuum Daemon (scale factor 0.2); "
                      "check_postgres bloat critical 5 GB",
    thresholds={
        "dead_pct": Threshold(20, "%", "autovacuum_vacuum_scale_factor default 0.2 (PostgreSQL docs "
                              "20.10): below it dead tuples are autovacuum's normal steady state"),
        "min_rows": Threshold(10000, "rows", "row floor: small tables are cheap to rescan"),
        "critical_bytes": Threshold(5 * 1024**3, "bytes", "check_postgres bloat critical 5 GB, "
                                    "counted only past the dead_pct share"),
    },
)
def bloat(ctx):
    """Dead tuples are row versions left behind by UPDATE and DELETE. Until VACUUM
    removes them, every sequential scan reads them and the table file keeps their
    space. The guide measures dead_pct = n_dead_tup / (n_live_tup + n_dead_tup);
    its SQL computes it with integer division (always 0 or 100 for bigint
    columns), so the advisor computes it in floating point.

    A table is judged by its dead share AND its size together. Below 20% dead
    (autovacuum's default trigger, autovacuum_vacuum_scale_factor = 0.2) nothing is
    reported, however big the table: a 12 GB table at 10% dead is autovacuum's
    normal steady state, not bloat. Past that share (and 10,000 rows) it is a
    warning; critical when the dead share of the heap (heap size x dead_pct) is
    5 GB or more (check_postgres's bloat critical). This counts dead tuples, a
    vacuum-lag signal, not free space already inside the file: that is pg.bloat.table
    (the catalog estimate, or pgstattuple_approx), which judges real bloat.

    Fix: `VACUUM (VERBOSE, ANALYZE) table;` now (SHARE UPDATE EXCLUSIVE lock: reads
    and writes go on), and make autovacuum keep up (lower the table's
    autovacuum_vacuum_scale_factor). A table whose file has already grown needs
    pg_repack (online) or VACUUM FULL (ACCESS EXCLUSIVE lock: blocks reads and
    writes for the whole rewrite) to give the space back to the operating system."""
    th_pct, floor = ctx.threshold("dead_pct"), ctx.threshold("min_rows")
    crit_b = ctx.threshold("critical_bytes")
    found = []
    for t in plain_tables(ctx):
        live, dead = t.get("n_live_tup") or 0, t.get("n_dead_tup") or 0
        pct = dead_pct(t)
        wasted = int((t.get("heap_bytes") or 0) * pct / 100)
        if pct < th_pct or live + dead < floor:
            continue
        sev = Severity.CRITICAL if wasted >= crit_b else Severity.WARNING
        found.append((wasted, dead, ctx.finding(
            object=qname(t), severity=sev,
            summary=f"{qname(t)}: {pct:.0f}% dead tuples ({dead:,} dead / {live:,} live), "
                    f"~{human_bytes(wasted)} of the heap",
            evidence={"n_dead_tup": dead, "n_live_tup": live, "dead_pct": round(pct, 1),
                      "heap_bytes": t.get("heap_bytes"), "estimated_wasted_bytes": wasted,
                      "last_autovacuum": t.get("last_autovacuum"), "last_vacuum": t.get("last_vacuum"),
                      "threshold_dead_pct": th_pct, "threshold_min_rows": floor,
                      "threshold_critical_bytes": crit_b},
            recommendation="Vacuum the table now (it does not block reads or writes) and tune "
                           "autovacuum so it keeps up; if the file stays large, rewrite it with "
                           "pg_repack (online) or VACUUM FULL (ACCESS EXCLUSIVE lock for the whole "
                           "rewrite).",
            fix=f"VACUUM (VERBOSE, ANALYZE) {quoted(t)};{SHARE_UPDATE}")))
    found.sort(key=lambda x: (x[0], x[1]), reverse=True)
    yield from capped([f for _, _, f in found], ctx, "bloated tables")


@check(
    id="pg.maintenance.autovacuum_disabled_table",
    title="Autovacuum disabled on a table",
    category="maintenance",
    severity=Severity.WARNING,
    facts=["pg.tables"],
    reference="PostgreSQL docs, Storage Parameters (autovacuum_enabled); postgresqltuner",
)
def autovacuum_disabled_table(ctx):
    """A table with the storage parameter autovacuum_enabled = false is never
    vacuumed or analyzed by autovacuum: dead tuples pile up and statistics go stale.
    (Anti-wraparound vacuums still run, as an emergency.) Unless a job vacuums it
    on purpose, turn autovacuum back on:
    `ALTER TABLE t RESET (autovacuum_enabled);`."""
    found = []
    for t in plain_tables(ctx):
        if autovacuum_enabled(t):
            continue
        found.append(ctx.finding(
            object=qname(t),
            summary=f"{qname(t)}: autovacuum is disabled for this table",
            evidence={"reloptions": t.get("reloptions"), "n_dead_tup": t.get("n_dead_tup"),
                      "n_live_tup": t.get("n_live_tup"), "last_vacuum": t.get("last_vacuum"),
                      "last_analyze": t.get("last_analyze")},
            recommendation="Re-enable autovacuum on the table, or make sure a scheduled job "
                           "vacuums and analyzes it.",
            fix=f"ALTER TABLE {quoted(t)} RESET (autovacuum_enabled);{SHARE_UPDATE}"))
    yield from capped(found, ctx, "tables with autovacuum disabled")


def vacuum_trigger(t: dict[str, Any], settings: dict[str, Any]) -> tuple[float, float, float]:
    """(trigger, base threshold, scale factor) of the table's next autovacuum:
    autovacuum_vacuum_threshold + autovacuum_vacuum_scale_factor * reltuples,
    per-table storage parameters first, then the server settings."""
    opts = reloptions(t)
    base = float(opts.get("autovacuum_vacuum_threshold",
                          settings["autovacuum_vacuum_threshold"]["value"]))
    scale = float(opts.get("autovacuum_vacuum_scale_factor",
                           settings["autovacuum_vacuum_scale_factor"]["value"]))
    reltuples = t.get("reltuples")
    if reltuples is None or reltuples < 0:  # never vacuumed/analyzed: PG uses 0
        reltuples = 0
    return base + scale * reltuples, base, scale


@check(
    id="pg.maintenance.autovacuum_lagging",
    title="Autovacuum is not keeping up with a table",
    category="maintenance",
    severity=Severity.WARNING,
    facts=["pg.tables", "pg.settings", "pg.server"],
    reference="PostgreSQL docs, 25.1.6 The Autovacuum Daemon; check_postgres last_autovacuum 1 d / 2 d",
    thresholds={
        "warning_age_s": Threshold(86400, "s", "check_postgres last_autovacuum warning 1 day"),
        "critical_age_s": Threshold(172800, "s", "check_postgres last_autovacuum critical 2 days"),
    },
)
def autovacuum_lagging(ctx):
    """Autovacuum vacuums a table once its dead tuples exceed
    autovacuum_vacuum_threshold + autovacuum_vacuum_scale_factor * reltuples
    (per-table storage parameters override the server settings). A table past
    that trigger whose last vacuum is older than a day (or never happened) means
    autovacuum cannot keep up: too few workers, too much cost-based throttling, or
    a long transaction holding back cleanup.

    Fix: vacuum it now, then give autovacuum more room: more
    autovacuum_max_workers, a higher autovacuum_vacuum_cost_limit, or a lower
    per-table scale factor on big tables."""
    settings = ctx.fact("pg.settings")
    if not settings.get("autovacuum", {}).get("value", True):
        return  # pg.config.dangerous reports autovacuum = off
    warn_age, crit_age = ctx.threshold("warning_age_s"), ctx.threshold("critical_age_s")
    server = ctx.fact("pg.server")
    uptime = server.get("stats_age_s")
    found = []
    for t in plain_tables(ctx):
        if not autovacuum_enabled(t):
            continue  # reported by pg.maintenance.autovacuum_disabled_table
        dead = t.get("n_dead_tup") or 0
        trigger, base, scale = vacuum_trigger(t, settings)
        if dead <= trigger:
            continue
        age = _last_vacuum_age(t, server["now"])
        # never vacuumed: judge by how long statistics have been collected
        effective = age if age is not None else uptime
        if effective is not None and effective < warn_age:
            continue
        sev = Severity.CRITICAL if effective is None or effective >= crit_age else Severity.WARNING
        when = "never vacuumed" if age is None else f"last vacuumed {human_duration(age)} ago"
        found.append((dead / max(trigger, 1), ctx.finding(
            object=qname(t), severity=sev,
            summary=f"{qname(t)}: {dead:,} dead tuples, past its autovacuum trigger of "
                    f"{trigger:,.0f}; {when}",
            evidence={"n_dead_tup": dead, "autovacuum_trigger": round(trigger),
                      "vacuum_threshold": base, "vacuum_scale_factor": scale,
                      "reltuples": t.get("reltuples"), "last_autovacuum": t.get("last_autovacuum"),
                      "last_vacuum": t.get("last_vacuum"), "last_vacuum_age_s": age,
                      "stats_age_s": uptime, "threshold_warning_age_s": warn_age,
                      "threshold_critical_age_s": crit_age},
            recommendation="Vacuum the table now; then look for long transactions or replication "
                           "slots holding cleanup back, and give autovacuum more workers or a higher "
                           "cost limit.",
            fix=f"VACUUM (VERBOSE, ANALYZE) {quoted(t)};{SHARE_UPDATE}")))
    found.sort(key=lambda x: x[0], reverse=True)
    yield from capped([f for _, f in found], ctx, "tables where autovacuum lags")


def _last_vacuum_age(t: dict[str, Any], now: str) -> float | None:
    """Seconds since the last (auto)vacuum, or None if never."""
    stamps = [t.get("last_autovacuum"), t.get("last_vacuum")]
    stamps = [dt.datetime.fromisoformat(s) for s in stamps if s]
    if not stamps:
        return None
    return (dt.datetime.fromisoformat(now) - max(stamps)).total_seconds()


def packed_btree_pages(row: dict[str, Any], block: int) -> int | None:
    """Pages a freshly built btree with these entries would take, or None when unknown.

    Entry = MAXALIGN(8-byte tuple header [+ 4-byte null bitmap] + key data) + a 4-byte
    line pointer; a leaf page holds (block - 24 header - 16 btree special) * fillfactor;
    plus the upper levels and the metapage."""
    if row["expression_keys"] or row["widths_known"] < row["columns"] or row["reltuples"] is None \
            or row["reltuples"] < 0 or row["data_width"] is None:
        return None
    header = 8 + (4 if row["nullable"] else 0)
    entry = -(-(header + row["data_width"]) // 8) * 8 + 4
    per_page = max(1, int((block - 24 - 16) * row["fillfactor"] / 100 // entry))
    leaves = -(-int(row["reltuples"]) // per_page)
    upper = -(-leaves // per_page)
    return max(1, leaves) + upper + 1


@check(
    id="pg.maintenance.index_bloat",
    title="Bloated btree indexes (estimate from pg_stats)",
    category="maintenance",
    severity=Severity.WARNING,
    facts=["pg.btree_sizes"],
    reference="PgHero index bloat >= 100 MB (btree estimate from pg_stats); check_postgres bloat 1 GB / 5 GB",
    thresholds={
        "min_bytes": Threshold(100 * 1024**2, "bytes", "PgHero: index bloat >= 100 MB"),
        "warning_bytes": Threshold(1024**3, "bytes", "check_postgres bloat warning 1 GB"),
        "critical_bytes": Threshold(5 * 1024**3, "bytes", "check_postgres bloat critical 5 GB"),
        "min_pct": Threshold(30, "%", "the estimate is rough: only clear excess counts"),
    },
)
def index_bloat(ctx):
    """VACUUM frees index entries but rarely gives back index pages, so an index on
    a table with heavy UPDATE/DELETE churn can be several times the size a fresh
    build would take: more pages to cache and to read. The expected size is
    estimated from the row count and the key columns' average width in pg_stats
    (the approach of PgHero's btree bloat query); expression indexes and tables
    whose statistics the advisor's role cannot read are not estimated. Run ANALYZE
    first if the table's statistics are stale. Fix: rebuild it without blocking
    writes: `REINDEX INDEX CONCURRENTLY name;` (PostgreSQL 12+)."""
    data = ctx.fact("pg.btree_sizes")
    block = data["block_size"]
    th = {k: ctx.threshold(k) for k in ("min_bytes", "warning_bytes", "critical_bytes", "min_pct")}
    found = []
    for r in data["rows"]:
        packed = packed_btree_pages(r, block)
        if packed is None:
            continue
        actual = r["relpages"] * block
        wasted = max(0, r["relpages"] - packed) * block
        pct = 100.0 * wasted / actual if actual else 0.0
        if wasted < th["min_bytes"] or pct < th["min_pct"]:
            continue
        sev = (Severity.CRITICAL if wasted >= th["critical_bytes"] else
               Severity.WARNING if wasted >= th["warning_bytes"] else Severity.INFO)
        name = f"{r['schema']}.{r['index']}"
        found.append((wasted, ctx.finding(
            object=name, severity=sev,
            summary=f"index {name} on {r['table']}: ~{human_bytes(wasted)} of {human_bytes(actual)} "
                    f"({pct:.0f}%) beyond its packed size",
            evidence={"index_bytes": actual, "estimated_packed_bytes": packed * block,
                      "estimated_wasted_bytes": wasted, "wasted_pct": round(pct, 1),
                      "reltuples": r["reltuples"], "key_data_width": r["data_width"],
                      "fillfactor": r["fillfactor"], **{f"threshold_{k}": v for k, v in th.items()}},
            recommendation="Rebuild the index online; if it bloats again quickly, look at the "
                           "update pattern (HOT updates, fillfactor) and autovacuum frequency.",
            fix="REINDEX INDEX CONCURRENTLY " + ".".join(
                '"' + p.replace('"', '""') + '"' for p in (r["schema"], r["index"])) + ";" + SHARE_UPDATE)))
    found.sort(key=lambda x: x[0], reverse=True)
    yield from capped([f for _, f in found], ctx, "bloated indexes")


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
