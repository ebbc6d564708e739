"""Space and growth: the largest objects, WAL kept beyond its budget, archiving, temp files."""

from __future__ import annotations

from advisor.errors import FactUnavailable
from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_bytes, human_duration

WAL_DOCS = "PostgreSQL docs, 30.5 WAL Configuration (max_wal_size is a soft limit)"


@check(
    id="pg.space.largest",
    title="Largest databases, tables, indexes and TOAST",
    category="storage",
    severity=Severity.INFO,
    facts=["pg.space"],
    reference="PgHero space page; check_postgres database_size / table_size / index_size / relation_size",
    thresholds={
        "min_bytes": Threshold(10 * 1024**3, "bytes",
                               "a database of 10 GB is where knowing what takes the space pays"),
    },
)
def largest(ctx):
    """Where the disk goes: the largest databases of the server and, in this database,
    the largest tables (heap only), indexes and TOAST tables (long values stored out of
    line), measured with pg_database_size / pg_relation_size. Reported once the largest
    database passes a size worth an inventory; growth is seen by comparing two reports
    (or two snapshots).

    Nothing to fix by itself: it is the map for the other storage findings (bloat,
    unused indexes, WAL, TOAST-heavy tables that could compress or move)."""
    sp = ctx.fact("pg.space")
    sized = [d for d in sp["databases"] if d["bytes"] is not None]
    if not sized or sized[0]["bytes"] < ctx.threshold("min_bytes"):
        return
    top = sized[0]
    short = {k: [{"name": r["name"], "bytes": r["bytes"], **({"of": r["owner"]} if r.get("owner") else {})}
                 for r in sp[k]] for k in ("tables", "indexes", "toast")}
    biggest = sp["tables"][0] if sp["tables"] else None
    yield ctx.finding(
        object=f"database {sp['database']}",
        summary=f"largest database {top['name']} {human_bytes(top['bytes'])} of {sp['database_count']}; "
                f"here the largest table is "
                + (f"{biggest['name']} ({human_bytes(biggest['bytes'])})" if biggest else "none"),
        evidence={"databases": [{"name": d["name"], "bytes": d["bytes"]} for d in sp["databases"]],
                  "hidden_databases": sp["hidden_databases"], **short,
                  "threshold_min_bytes": ctx.threshold("min_bytes")},
        recommendation="Read it with the bloat, unused-index and WAL findings; compare reports over "
                       "time to see what grows.")


@check(
    id="pg.space.wal",
    title="WAL directory far beyond max_wal_size",
    category="storage",
    severity=Severity.WARNING,
    facts=["pg.wal_dir"],
    reference=WAL_DOCS + "; check_postgres wal_files",
    thresholds={
        "factor": Threshold(2, "x (max_wal_size + wal_keep_size)",
                            "docs 30.5: WAL exceeds max_wal_size only under heavy load, a failing "
                            "archive_command, or wal_keep_size; twice is no load spike"),
        "critical_factor": Threshold(4, "x (max_wal_size + wal_keep_size)", "the disk fills: the server stops"),
    },
)
def wal(ctx):
    """Checkpoints recycle WAL segments beyond max_wal_size + wal_keep_size (PostgreSQL 13+;
    wal_keep_segments before). Segments are kept longer when a replication slot still
    needs them, when archive_command keeps failing (.ready files pile up) or while a
    checkpoint cannot finish. When pg_wal fills its disk, the server stops.

    Fix: find the holder (an inactive slot: pg.replication.inactive_slots; archiving:
    pg.space.archiver; the .ready backlog is in the evidence) and remove the cause.
    Never delete files in pg_wal by hand: that corrupts the cluster."""
    w = ctx.fact("pg.wal_dir")
    budget = w["max_wal_size"] + (w["wal_keep_bytes"] or 0)
    factor, crit = ctx.threshold("factor"), ctx.threshold("critical_factor")
    if w["bytes"] < factor * budget:
        return
    window = max(w.get("wal_stats_window_s") or 0, 3600)
    per_day = None if w.get("wal_written_bytes") is None else round(w["wal_written_bytes"] / window * 86400)
    yield ctx.finding(
        object="pg_wal", severity=Severity.CRITICAL if w["bytes"] >= crit * budget else Severity.WARNING,
        summary=f"pg_wal holds {human_bytes(w['bytes'])} in {w['files']} files, "
                f"{w['bytes'] / budget:.1f}x max_wal_size + wal_keep_size ({human_bytes(budget)}); "
                f"{w['ready']} segment(s) wait for the archiver",
        evidence={**w, "budget_bytes": budget, "ratio": round(w["bytes"] / budget, 2),
                  "wal_written_per_day": per_day,
                  "threshold_factor": factor, "threshold_critical_factor": crit, "fix_kind": "manual"},
        recommendation="Find what keeps WAL (replication slots, a failing archiver, a stuck "
                       "checkpoint) and remove the cause; never delete files in pg_wal by hand.",
        fix="SELECT slot_name, active, wal_status,\n"
            "       pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)) AS retained\n"
            "FROM pg_replication_slots ORDER BY restart_lsn;\n"
            "SELECT failed_count, last_failed_wal, last_failed_time FROM pg_stat_archiver;")


@check(
    id="pg.space.archiver",
    title="WAL archiving failing or behind",
    category="durability",
    severity=Severity.WARNING,
    facts=["pg.archiver", "pg.wal_dir"],
    reference="PostgreSQL docs, 26.3.1 Setting Up WAL Archiving and 28.2 pg_stat_archiver; "
              "check_postgres archive_ready",
    thresholds={
        "ready_files": Threshold(10, "segments", "check_postgres archive_ready: a backlog is a failing "
                                                 "or too slow archive_command"),
    },
)
def archiver(ctx):
    """With archive_mode on, every WAL segment must be archived before it can be
    recycled: point-in-time recovery and some standbys rely on the archive. A failing
    archive_command (or archive_library) is retried forever: no new backups are
    restorable past the last archived segment, and pg_wal grows until the disk is full.
    Archiving fails now when the last failure is newer than the last success.

    Fix: read the server log for the archive command's error and run the command by
    hand as the postgres OS user; fix the destination (space, permissions, network).
    Leave the .ready files alone: the archiver catches up by itself."""
    a = ctx.fact("pg.archiver")
    if a["archive_mode"] == "off":
        return
    try:
        ready = ctx.fact("pg.wal_dir")["ready"]
    except FactUnavailable:
        ready = None  # pg_ls_archive_statusdir needs pg_monitor: judged on the counters alone
    failing = bool(a["failed_count"]) and (a["last_archived_time"] is None or (
        a["last_failed_time"] or "") > a["last_archived_time"])
    backlog = ready is not None and ready >= ctx.threshold("ready_files")
    if not (failing or backlog or a["failed_count"]):
        return
    sev = (Severity.CRITICAL if failing else Severity.WARNING if backlog else Severity.INFO)
    if failing:
        what = (f"archiving fails: {a['failed_count']:,} failure(s), the last on {a['last_failed_wal']} "
                f"{human_duration(a['last_failed_age_s'])} ago; last success "
                + (f"{human_duration(a['last_archived_age_s'])} ago" if a["last_archived_time"] else "never"))
    elif backlog:
        what = f"{ready} WAL segment(s) wait to be archived"
    else:
        what = f"{a['failed_count']:,} archive failure(s) since the statistics reset, archiving works now"
    yield ctx.finding(
        object="archiver", severity=sev, summary=what,
        evidence={**{k: a[k] for k in a if k != "archive_command"},
                  "archive_command_set": bool(a["archive_command"]), "ready": ready,
                  "threshold_ready_files": ctx.threshold("ready_files"), "fix_kind": "manual"},
        recommendation="Find the archive command's error in the server log, run it by hand as the "
                       "postgres OS user and fix the destination; never remove .ready files or WAL.",
        fix=None)


@check(
    id="pg.space.temp_files",
    title="Temporary files written by queries",
    category="storage",
    severity=Severity.WARNING,
    facts=["pg.space"],
    reference="PostgreSQL docs, 28.2 pg_stat_database (temp_bytes) and 20.8 log_temp_files; check_postgres dbstats",
    thresholds={
        "warning_bytes_per_day": Threshold(10 * 1024**3, "bytes/day",
                                           "10 GB a day of sorts and hashes spilled to disk: disk I/O "
                                           "the same work in memory would not do"),
    },
)
def temp_files(ctx):
    """A sort, hash or materialization that does not fit in work_mem (hash_mem_multiplier
    for hashes) spills to temporary files: disk writes and reads instead of memory, and
    space in the temp tablespace that can fill a disk. pg_stat_database counts them
    per database since the statistics reset; the rate per day is judged.

    Fix: find the statements (pg.statements.temp_spill, or log_temp_files in the server
    log) and give them work_mem of their own (per role or SET in the session), or
    better plans (indexes that avoid the sort)."""
    t = ctx.fact("pg.space")["temp"]
    days = max(t["window_s"] or 0, 3600) / 86400
    rate = (t["temp_bytes"] or 0) / days
    th = ctx.threshold("warning_bytes_per_day")
    if rate < th:
        return
    fix = None if t["log_temp_files"] != "-1" else \
        "ALTER SYSTEM SET log_temp_files = '10MB'; SELECT pg_reload_conf();  -- reload, no restart"
    db = ctx.fact("pg.space")["database"]
    yield ctx.finding(
        object=f"database {db}",
        summary=f"database {db}: {human_bytes(t['temp_bytes'])} of temporary files in "
                f"{t['temp_files']:,} files over {human_duration(t['window_s'])} (~{human_bytes(rate)} a day)",
        evidence={**t, "bytes_per_day": round(rate), "threshold_warning_bytes_per_day": th},
        recommendation="Find the spilling statements (pg.statements.temp_spill, log_temp_files) and give "
                       "them more work_mem or a plan without the big sort/hash.",
        fix=fix)
