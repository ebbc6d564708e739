"""pg_stat_statements: is it there, can we see every query, which statements are slow or dominate."""

from __future__ import annotations

import math
import re

from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_bytes, human_duration

from ._setting_fix import alter_system, apply_line, literal, persistence_note, quote_ident
from ._table_refs import brief

GUIDE_QUERY = "guide: Database Performance > PostgreSQL Performance Tuning > 1. Query Optimization"
PSS_DOCS = "PostgreSQL docs F.32 pg_stat_statements; postgresqltuner (missing pg_stat_statements)"


def preload_list(current: str) -> str:
    """The shared_preload_libraries value with pg_stat_statements added, as a list of quoted
    names: one quoted string 'a, b' would be ONE library named "a, b" (the server then fails
    to start)."""
    libs = [p.strip().strip('"') for p in (current or "").split(",") if p.strip().strip('"')]
    return ", ".join(literal(x) for x in libs + ["pg_stat_statements"])


def preload_fix(settings: dict) -> tuple[str, bool]:
    """(fix lines that preload pg_stat_statements, whether they can be run as printed).
    A role without pg_read_all_settings does not see shared_preload_libraries: a value
    written blind would drop the libraries already loaded, so the fix shows how to read it."""
    if "shared_preload_libraries" not in settings:
        return ("-- this role cannot read shared_preload_libraries (it needs pg_read_all_settings):\n"
                "-- as a superuser, read it first and keep every library it lists:\n"
                "SHOW shared_preload_libraries;\n"
                "-- {{libraries_already_loaded}}: each library SHOW lists, quoted one by one ('a', 'b'), "
                "then a comma (nothing when it lists none)\n"
                "ALTER SYSTEM SET shared_preload_libraries = {{libraries_already_loaded}} 'pg_stat_statements';\n"
                "-- then restart PostgreSQL: shared_preload_libraries is read only at server start", False)
    value = preload_list(settings["shared_preload_libraries"].get("setting", ""))
    return (f"ALTER SYSTEM SET shared_preload_libraries = {value};\n"
            + apply_line(settings, "shared_preload_libraries", "postmaster") + "\n"
            + persistence_note("shared_preload_libraries", value.replace("'", "")), True)


@check(
    id="pg.statements.extension",
    title="pg_stat_statements installed, preloaded and fully visible",
    category="observability",
    severity=Severity.WARNING,
    facts=["pg.stat_statements_status", "pg.server", "pg.settings", "pg.statements"],
    reference=PSS_DOCS,
)
def extension(ctx):
    """Without pg_stat_statements there is no record of which statements take the
    time, so slow-query and missing-index advice is blind. It must be listed in
    shared_preload_libraries (a restart) and created with CREATE EXTENSION in the
    database the advisor connects to. A role without pg_read_all_stats (or
    pg_monitor) sees other roles' statements as `<insufficient privilege>`:
    grant it. When entries are evicted (dealloc > 0), raise
    pg_stat_statements.max so the history is complete. An extension older than
    the server's packaged version is updated with ALTER EXTENSION ... UPDATE."""
    st = ctx.fact("pg.stat_statements_status")
    server = ctx.fact("pg.server")
    settings = ctx.fact("pg.settings")
    preload = settings.get("shared_preload_libraries", {}).get("setting", "")
    evidence = {"installed_version": st["installed_version"], "available_version": st["available_version"],
                "preloaded": st["preloaded"], "shared_preload_libraries": preload,
                "database": server["database"]}
    preload_lines, mechanical = preload_fix(settings)
    if not mechanical:
        evidence |= {"shared_preload_libraries": "unreadable by this role", "fix_kind": "manual"}
    restart_fix = preload_lines + "\n-- after the restart, in this database:\nCREATE EXTENSION pg_stat_statements;"
    if st["available_version"] is None and st["installed_version"] is None:
        yield ctx.finding(
            object="pg_stat_statements",
            summary="pg_stat_statements is not available on this server (contrib package missing)",
            evidence=evidence | {"fix_kind": "manual"},
            recommendation="Install the PostgreSQL contrib package for this server version, then "
                           "preload and create the extension.",
            fix="-- on the database host, e.g.: apt-get install postgresql-contrib\n" + restart_fix)
        return
    if not st["preloaded"]:
        yield ctx.finding(
            object="pg_stat_statements",
            summary="pg_stat_statements is not in shared_preload_libraries: statement statistics "
                    "are not collected",
            evidence=evidence,
            recommendation="Add pg_stat_statements to shared_preload_libraries (keep the libraries "
                           "already there), restart, and create the extension.",
            fix=restart_fix if not st["installed_version"] else preload_lines)
        return
    if not st["installed_version"]:
        yield ctx.finding(
            object="pg_stat_statements",
            summary=f"pg_stat_statements is preloaded but not created in database {server['database']}",
            evidence=evidence,
            recommendation="Create the extension in the database the advisor connects to (no restart "
                           "needed).",
            fix="CREATE EXTENSION pg_stat_statements;")
        return
    if st.get("track") == "none":
        yield ctx.finding(
            object="pg_stat_statements.track",
            summary="pg_stat_statements.track = none: nothing is recorded",
            evidence={**evidence, "track": "none"},
            recommendation="Track top-level statements.",
            fix=alter_system(settings, "pg_stat_statements.track", "'top'", context="superuser"))
    if st["available_version"] and st["available_version"] != st["installed_version"]:
        yield ctx.finding(
            object="pg_stat_statements", severity=Severity.INFO,
            summary=f"pg_stat_statements {st['installed_version']} is older than the packaged "
                    f"{st['available_version']}",
            evidence=evidence,
            recommendation="Update the extension to get the columns of this server version.",
            fix="ALTER EXTENSION pg_stat_statements UPDATE;")
    if st.get("dealloc"):
        yield ctx.finding(
            object="pg_stat_statements.max", severity=Severity.INFO,
            summary=f"{st['dealloc']} times pg_stat_statements evicted entries (max = {st.get('max')})",
            evidence={"dealloc": st["dealloc"], "max": st.get("max"), "since": st.get("stats_reset")},
            recommendation="Raise pg_stat_statements.max so rarely-run statements are not forgotten "
                           "(needs a restart); many distinct texts may also mean unparameterized SQL.",
            fix=alter_system(settings, "pg_stat_statements.max",
                             str(max(10000, 2 * int(st.get("max") or 5000))), context="postmaster"))
    statements = ctx.optional("pg.statements")
    if statements is None:
        return
    hidden = statements["hidden_by_privilege"]
    if hidden and not server.get("pg_read_all_stats"):
        yield ctx.finding(
            object="pg_read_all_stats",
            summary=f"{hidden} statement(s) read as <insufficient privilege>: role {server['user']} "
                    "cannot see other roles' queries",
            evidence={"hidden_statements": hidden, "user": server["user"],
                      "member_of_pg_read_all_stats": server.get("pg_read_all_stats")},
            recommendation="Grant pg_read_all_stats (or pg_monitor, which includes it) to the advisor's role.",
            fix=f'GRANT pg_read_all_stats TO "{server["user"]}";')


# DDL, maintenance and session commands: tracked with pg_stat_statements.track_utility, but
# not queries to tune (a slow DROP DATABASE or VACUUM is not fixed with an index)
_UTILITY = re.compile(r"^\s*(CREATE|DROP|ALTER|VACUUM|ANALYZE|REINDEX|CLUSTER|CHECKPOINT|GRANT|REVOKE|"
                      r"TRUNCATE|SET|RESET|SHOW|BEGIN|START|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE|"
                      r"LOCK|LISTEN|UNLISTEN|NOTIFY|DISCARD|DEALLOCATE|REFRESH|COMMENT|SECURITY|LOAD)\b",
                      re.I)


def _rows(ctx):
    """Statements to tune: readable, not utility commands, of the URL's database (every
    database's with the option all_databases; a dropped database's entries are not actionable)."""
    scope = None if ctx.options.get("all_databases") else ctx.fact("pg.server")["database"]
    return [r for r in ctx.fact("pg.statements")["rows"]
            if r.get("query") not in (None, "<insufficient privilege>") and r.get("database")
            and (scope is None or r["database"] == scope) and not _UTILITY.match(r["query"])]


@check(
    id="pg.statements.slow",
    title="Statements whose mean execution time is over the guide's limit",
    category="queries",
    severity=Severity.WARNING,
    facts=["pg.statements", "pg.server"],
    options=["all_databases"],
    counters=True,
    reference=GUIDE_QUERY + " (avg_seconds); PgHero slow query = mean >= 20 ms and calls >= 100",
    thresholds={
        "mean_ms": Threshold(1000, "ms", "guide: slow query = mean over 1 s"),
        "min_calls": Threshold(2, "calls", "advisor default: a one-off ad hoc query is not a pattern"),
        "max_findings": Threshold(20, "statements", "advisor default: worst by total time first"),
    },
)
def slow(ctx):
    """Statements taking more than a second on average hurt users directly and hold
    locks and connections for that long. They are reported worst-total-time first
    with calls, mean, max and rows per call. Fix: EXPLAIN (ANALYZE, BUFFERS) the
    statement, add the index its filter needs (see pg.index.missing), or rewrite it.
    Utility commands (DDL, VACUUM, SET, transaction control) are not judged here.
    Columns come from the installed extension version: the guide's SQL uses
    total_time/mean_time, which exist only up to pg_stat_statements 1.7 (PG12);
    from 1.8 (PG13) they are total_exec_time/mean_exec_time (+ planning time)."""
    limit, min_calls = ctx.threshold("mean_ms"), ctx.threshold("min_calls")
    slow_rows = [r for r in _rows(ctx) if (r["mean_ms"] or 0) > limit and (r["calls"] or 0) >= min_calls]
    for r in slow_rows[: ctx.threshold("max_findings")]:
        mean = float(r["mean_ms"])
        yield ctx.finding(
            object=f"{r['database']}:queryid {r['queryid']}",
            summary=f"statement averages {human_duration(mean / 1000)} over {r['calls']} calls "
                    f"in {r['database']} (limit {human_duration(limit / 1000)})",
            evidence={**brief(r, 400), "max_ms": round(float(r["max_ms"] or 0), 1),
                      "rows_per_call": round((r["rows"] or 0) / max(r["calls"] or 1, 1), 1),
                      "mean_limit_ms": limit, "min_calls": min_calls, "database": r["database"],
                      "role": r.get("role")},
            recommendation="Run EXPLAIN (ANALYZE, BUFFERS) on it with real parameters; look for "
                           "sequential scans on big tables, row-estimate errors and sorts spilling "
                           "to disk; add the missing index or rewrite the statement.",
            fix=None)


@check(
    id="pg.statements.top_total",
    title="Statements taking the largest share of total execution time",
    category="queries",
    severity=Severity.INFO,
    facts=["pg.statements", "pg.server"],
    options=["all_databases"],
    counters=True,
    reference=GUIDE_QUERY + " (ORDER BY total time); PgHero query stats",
    thresholds={
        "top_n": Threshold(5, "statements", "guide: top statements by total time"),
        "min_share_pct": Threshold(10, "%", "advisor default: ignore statements below this share"),
        "dominating_pct": Threshold(50, "%", "advisor default: one statement owning half the time"),
        "min_total_ms": Threshold(60000, "ms", "advisor default: a minute of total time before warning"),
    },
)
def top_total(ctx):
    """The few statements that take most of the server's execution time are where
    tuning pays: halving one that owns 60 % of the time frees more than fixing
    fifty rare ones. Each is listed with its share of total time, calls, mean and
    rows; a statement dominating the workload (over half the time, and at least a
    minute of it) is a warning. Fix: EXPLAIN (ANALYZE, BUFFERS), index, cache or
    batch it. Time = execution + planning on pg_stat_statements >= 1.8; the guide's
    total_time column is the pre-PG13 name."""
    facts = ctx.fact("pg.statements")
    grand = float(facts["total_ms"] or 0)
    if grand <= 0:
        return
    min_share, dominating = ctx.threshold("min_share_pct"), ctx.threshold("dominating_pct")
    for rank, r in enumerate(_rows(ctx)[: ctx.threshold("top_n")], 1):
        share = 100.0 * float(r["total_ms"] or 0) / grand
        if share < min_share:
            break
        dominates = share >= dominating and float(r["total_ms"]) >= ctx.threshold("min_total_ms")
        yield ctx.finding(
            object=f"{r['database']}:queryid {r['queryid']}",
            severity=Severity.WARNING if dominates else Severity.INFO,
            summary=f"#{rank} by total time: {share:.0f}% of all statement time "
                    f"({human_duration(float(r['total_ms']) / 1000)}, {r['calls']} calls)",
            evidence={**brief(r, 400), "share_pct": round(share, 1), "rank": rank,
                      "all_statements_ms": round(grand, 1), "statements_tracked": facts["count"],
                      "min_share_pct": min_share, "dominating_pct": dominating,
                      "database": r["database"]},
            recommendation="Tune this statement first: EXPLAIN (ANALYZE, BUFFERS) it; if its mean is "
                           "already low, reduce how often it runs (caching, batching).",
            fix=None)


@check(
    id="pg.statements.temp_spill",
    title="Statements spilling sorts and hashes to temporary files",
    category="queries",
    severity=Severity.WARNING,
    facts=["pg.statements", "pg.settings", "pg.server"],
    options=["all_databases"],
    counters=True,
    reference="PostgreSQL docs 20.4.1 work_mem; pg_stat_statements temp_blks_written; "
              "guide: Database Performance > PostgreSQL Performance Tuning (work_mem)",
    thresholds={
        "min_bytes_per_call": Threshold(16 * 1024**2, "bytes", "advisor default: 16 MiB of temp "
                                        "files per call"),
        "min_calls": Threshold(2, "calls", "advisor default: a pattern, not a one-off"),
        "max_findings": Threshold(10, "statements", "advisor default: most temp written first"),
    },
)
def temp_spill(ctx):
    """A sort, hash join or aggregate that does not fit in work_mem writes temporary
    files: it runs at disk speed instead of memory speed and competes for I/O. The
    statements writing the most temp data per call are listed with the current
    work_mem. Fix: give those statements more memory where they run (SET work_mem
    in the session, or ALTER ROLE ... SET work_mem for the role that runs them),
    not server-wide: work_mem is per sort/hash node and per connection (see
    pg.memory.work_mem). An index that delivers rows already sorted removes the
    sort altogether."""
    settings = ctx.fact("pg.settings")
    block = int(settings.get("block_size", {}).get("value") or 8192)
    work_mem = settings.get("work_mem", {}).get("value")
    min_bytes, min_calls = ctx.threshold("min_bytes_per_call"), ctx.threshold("min_calls")
    spills = []
    for r in _rows(ctx):
        calls = r["calls"] or 0
        per_call = (r.get("temp_blks_written") or 0) * block / max(calls, 1)
        if calls >= min_calls and per_call >= min_bytes:
            spills.append((per_call, r))
    spills.sort(key=lambda x: -x[0] * (x[1]["calls"] or 1))
    for per_call, r in spills[: ctx.threshold("max_findings")]:
        # in memory a sort needs more than its on-disk run size: offer twice the spill, in whole MB
        want_mb = 1 << (math.ceil(2 * per_call / 1024**2) - 1).bit_length()
        yield ctx.finding(
            object=f"{r['database']}:queryid {r['queryid']}",
            summary=f"statement writes {human_bytes(per_call)} of temp files per call "
                    f"({r['calls']} calls, work_mem {human_bytes(work_mem)})",
            evidence={**brief(r, 400), "temp_bytes_per_call": int(per_call),
                      "temp_bytes_total": int((r.get("temp_blks_written") or 0) * block),
                      "work_mem": human_bytes(work_mem), "min_bytes_per_call": min_bytes,
                      "database": r["database"], "role": r.get("role")},
            recommendation="Raise work_mem for the session or role running it (not server-wide), or "
                           "add an index that returns the rows in the needed order; confirm with "
                           "EXPLAIN (ANALYZE, BUFFERS) that the sort/hash is then in memory.",
            fix=f"SET work_mem = '{want_mb}MB';  -- in the session that runs it, before the statement; or "
                "for every new session of its role:\n"
                f"ALTER ROLE {quote_ident(r['role']) if r.get('role') else '{{role}}'} SET work_mem = "
                f"'{want_mb}MB';  -- applies from the role's next login; no lock on any table")
