"""Indexes: duplicate, unused, missing (full scans by table), and the query-aware index advisor."""

from __future__ import annotations

from typing import Any

from advisor.errors import FactUnavailable
from advisor.indexadvisor.advice import query_time, share_ok
from advisor.indexadvisor.candidates import Candidate, serves
from advisor.indexadvisor.columns import filter_columns
from advisor.indexadvisor.digests import digest_sql
from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_bytes, human_duration

from ._common import MIN_TIME_SHARE, online, qid, short, statement_rows
from ._dupkeys import find_redundant, group_by_table

_SCAN = {"ALL", "index"}


def _scan_rows(explain: dict[str, Any] | None, table: str) -> list[dict[str, Any]] | None:
    """EXPLAIN rows of `table` (by name or alias); None when the statement was not explained."""
    if not explain or "error" in explain:
        return None
    aliases = {a.lower(): t for a, t in (explain.get("aliases") or {}).items()}
    name = table.split(".", 1)[1].lower()
    return [r for r in explain["rows"] if r.get("table") and
            (aliases.get(str(r["table"]).lower()) == table or str(r["table"]).lower() == name)]


def _served(row: dict[str, Any], c: dict[str, Any]) -> bool:
    """Does EXPLAIN read the table through an existing index that serves the candidate?"""
    if row.get("type") in _SCAN or not row.get("key_columns"):
        return False
    cand = Candidate(c["table"], c["columns"], c["desc"], c["equality"], c["kind"])
    return serves([x.lower() if x else x for x in row["key_columns"]], cand)


@check(
    id="mysql.index.suggested",
    title="Index that would serve expensive full-scan statements",
    category="indexes",
    severity=Severity.WARNING,
    facts=["mysql.index_candidates", "mysql.scan_digests", "mysql.prepared_statements",
           "mysql.statement_history"],  # read through index_candidates; declared so a window reads them at its start,
    reference="sys.statements_with_full_table_scans; PgHero suggested indexes (skip tables < 500 rows); "
              "guide: MySQL/MariaDB Performance Tuning > Indexing Strategies",
    thresholds={"min_time_share": MIN_TIME_SHARE},
)
def suggested_index(ctx):
    """Statements in the digest table that used no (good) index are parsed (sqlglot, MySQL
    dialect; ? placeholders, folded IN lists; truncated digests are skipped with the
    reason), their tables and columns resolved against information_schema, and one index
    per table and query shape is built: equality columns first (most selective first, from
    a bounded sample of the first rows), then one range column, then ORDER BY columns when
    that avoids a filesort; join columns for the inner table of a join. Candidates an
    existing index already serves are dropped, prefixes merged; tables under 500 rows and
    conditions matching over 20% of the rows are left out. Each statement is EXPLAINed with
    typed literals for its placeholders: a suggestion is confirmed (warning) when the
    table is read by a full scan (type ALL / index) today; when EXPLAIN shows the table
    already read through an index, the statement does not count. MySQL cannot plan with a
    hypothetical index, so check the plan after creating it. Fix: ALTER TABLE ... ADD INDEX
    (online on InnoDB).
    """
    data = ctx.fact("mysql.index_candidates")
    stmts = {s["queryid"]: s for s in data["statements"]}
    total = query_time(data)
    ranked = []
    for c in data["candidates"]:
        served, confirmed = [], False
        for k in c["statements"]:
            st = stmts.get(k)
            if st is None or not share_ok(st, total, ctx.threshold("min_time_share")):
                continue
            rows = _scan_rows(data["explain"].get(k), c["table"])
            if rows and all(_served(r, c) for r in rows):
                continue   # the optimizer already reads this table through an index like it
            scan = [r for r in rows or [] if r.get("type") in _SCAN]
            confirmed = confirmed or bool(scan)
            served.append({"digest": k, "calls": st["calls"], "total_ms": round(st["total_ms"], 1),
                           "rows_examined_per_call": st["rows_examined"] // max(st["calls"], 1),
                           "explain": ({"type": scan[0]["type"], "rows": scan[0]["rows"]} if scan
                                       else "not explained" if rows is None else "no full scan seen"),
                           "statement": st["query"][:300]})
        if served:
            ranked.append((sum(s["total_ms"] for s in served), confirmed, c, served))
    ranked.sort(key=lambda x: (-x[0], x[2]["table"], x[2]["columns"]))
    for rank, (ms, confirmed, c, stmts_served) in enumerate(ranked, 1):
        cols = ", ".join(c["columns"])
        yield ctx.finding(
            object=f"{c['table']} ({cols})",
            severity=None if confirmed else Severity.INFO,
            summary=(f"index on {c['table']} ({cols}) for {len(stmts_served)} full-scan statement(s) taking "
                     f"{human_duration(ms / 1000)}" + ("" if confirmed else " (full scan not confirmed by EXPLAIN)")),
            evidence={"rank": rank, "table": c["table"], "columns": c["columns"], "kind": c["kind"],
                      "explain_confirms_full_scan": confirmed, "statements": stmts_served[:10],
                      "statement_count": len(stmts_served), "statement_time_ms": round(ms, 1),
                      "selectivity": None if c.get("selectivity") is None else float(f"{c['selectivity']:.3g}"), "min_time_share": ctx.threshold("min_time_share")},
            recommendation=("Add the index, then confirm with EXPLAIN that these statements use it "
                            "(MySQL has no hypothetical indexes to check it beforehand)."),
            fix=online(c["ddl"]))


ONLINE = ", ALGORITHM=INPLACE, LOCK=NONE"


def _cols_sql(cols):
    return ", ".join(qid(c) if "(" not in c else f"{qid(c.split('(')[0])}({c.split('(')[1]}" for c in cols)


@check(
    id="mysql.index.missing",
    title="Tables read mostly by full scans (missing index)",
    category="indexes",
    severity=Severity.WARNING,
    facts=["mysql.index_usage", "mysql.tables", "mysql.indexes", "mysql.digests", "mysql.prepared_statements",
           "mysql.statement_history"],
    reference="sys.schema_tables_with_full_table_scans; PgHero index suggestions (skip tables < 500 rows)",
    thresholds={"min_full_scan_rows": Threshold(100000, "rows", "rows read by full scans since startup"),
                "min_full_scan_pct": Threshold(50.0, "%", "share of the table's reads done by full scans"),
                "min_table_rows": Threshold(500, "rows", "PgHero: no suggestion for tables < 500 rows")},
)
def missing(ctx):
    """A table whose rows are read mostly by full scans (performance_schema
    table_io_waits_summary_by_index_usage, index NULL) and which is not tiny is missing
    an index. The statements that scan it are taken from the digest table (no index used)
    and their WHERE / JOIN / ORDER BY columns name the index to add: equality columns
    first, then ranges and sort columns. Check the suggestion with EXPLAIN before creating
    it; ALTER TABLE ... ADD INDEX is online (ALGORITHM=INPLACE, LOCK=NONE) on InnoDB."""
    usage = ctx.fact("mysql.index_usage")["tables"]
    tables = {f"{t['schema']}.{t['table']}": t for t in ctx.fact("mysql.tables")["rows"]}
    existing = {}
    for ix in ctx.fact("mysql.indexes")["rows"]:
        existing.setdefault(f"{ix['schema']}.{ix['table']}", []).append([c.lower() for c in ix["columns"]])
    try:
        digests = [r for r in statement_rows(ctx) if r["no_index_used"] + r["no_good_index_used"] > 0]
    except FactUnavailable:
        digests = []
    for name, u in sorted(usage.items()):
        t = tables.get(name)
        scanned, via_index = u["full_scan_rows"], u["index_rows"]
        share = 100.0 * scanned / (scanned + via_index) if scanned + via_index else 0.0
        if (t is None or scanned < ctx.threshold("min_full_scan_rows")
                or share < ctx.threshold("min_full_scan_pct") or t["rows"] < ctx.threshold("min_table_rows")):
            continue
        statements, columns, suggestion = [], [], []
        schema, table = name.split(".", 1)
        for r in sorted(digests, key=lambda r: r["rows_examined"], reverse=True):
            sql = digest_sql(r["digest_text"]) if table in r["digest_text"] else None  # cheap test first
            cols = filter_columns([sql], schema, table, "mysql", default_schema=r["schema"]) if sql else []
            if not cols:
                continue
            statements.append(r)
            columns += [c for c in cols if c not in columns]
            # the index is built for the heaviest scanning statement with a usable filter
            suggestion = suggestion or cols[:3]
        covered = any(ix[: len(suggestion)] == [c.lower() for c in suggestion] for ix in existing.get(name, []))
        fix = None
        if suggestion and not covered:
            ix_name = "idx_" + "_".join([table] + suggestion)[:60]
            fix = (f"ALTER TABLE {qid(schema, table)} ADD INDEX {qid(ix_name)} ({_cols_sql(suggestion)}), "
                   f"ALGORITHM=INPLACE, LOCK=NONE;  -- verify with EXPLAIN first")
        yield ctx.finding(
            object=name,
            summary=f"{scanned:,} rows read by full scans ({share:.0f}% of reads) on a ~{t['rows']:,}-row table"
                    + (f"; filter columns: {', '.join(columns)}" if columns else ""),
            evidence={"full_scan_rows": scanned, "index_read_rows": via_index, "full_scan_pct": round(share, 1),
                      "advisor_sample_rows_left_out": u.get("own_sample_rows", 0),
                      "table_rows": t["rows"], "filter_columns": columns,
                      "statements": [{"digest": r["digest"], "calls": r["calls"],
                                      "rows_examined": r["rows_examined"], "statement": short(r["digest_text"], 200)}
                                     for r in statements[:5]],
                      "threshold_full_scan_rows": ctx.threshold("min_full_scan_rows"),
                      "threshold_full_scan_pct": ctx.threshold("min_full_scan_pct")},
            recommendation=(f"Index {name} on ({', '.join(suggestion)}) for the statements that scan it."
                            if fix else "Find the statements that scan this table (mysql.queries.full_scans) "
                                        "and index their filter columns."),
            fix=fix,
        )


@check(
    id="mysql.index.unused",
    title="Indexes not used since the server started",
    category="indexes",
    severity=Severity.WARNING,
    facts=["mysql.index_usage", "mysql.indexes", "mysql.status", "mysql.index_sizes", "mysql.server", "mysql.tables"],
    reference="sys.schema_unused_indexes (count_star = 0, not PRIMARY); Atlas: unused for >= 7 days",
    thresholds={"min_uptime_days": Threshold(7, "days", "Atlas Performance Advisor: no use for >= 7 days")},
)
def unused(ctx):
    """Every index slows writes and takes buffer pool memory; one that no statement has
    read since the server started may be dropped. The statistics live in
    performance_schema and start over at each restart (and when a table leaves the table
    definition cache, e.g. FLUSH TABLES, and at every ALTER TABLE), so the finding says since
    when they are collected: the uptime, or less when the table was altered since (its
    CREATE_TIME). Under a week (or before a monthly job ran) it is a hint (info). PRIMARY and UNIQUE keys are never reported (they enforce
    constraints). Safer than DROP: make it invisible first (MySQL 8: ALTER TABLE ... ALTER
    INDEX ... INVISIBLE; MariaDB 10.6+: IGNORED; metadata only), watch, then drop: the fix
    hides it and names the DROP for later. An index already hidden and still unused is
    the next step, reported as info with the DROP as its fix. Indexes that
    mysql.index.duplicate reports are left to it."""
    usage = ctx.fact("mysql.index_usage")["tables"]
    uptime = ctx.fact("mysql.status").get("uptime") or 0
    sizes = ctx.optional("mysql.index_sizes", {})
    mariadb = ctx.optional("mysql.server", {}).get("vendor") == "mariadb"
    altered = {f"{t['schema']}.{t['table']}": t.get("altered_s_ago")
               for t in ctx.optional("mysql.tables", {"rows": []})["rows"]}
    # an index mysql.index.duplicate reports is left to it: one fix per index, never two that collide
    redundant = {(r.index["schema"], r.index["table"], r.index["index"])
                 for ixs in group_by_table(ctx.fact("mysql.indexes")["rows"]).values() for r in find_redundant(ixs)}
    for ix in ctx.fact("mysql.indexes")["rows"]:
        if ix["primary"] or ix["unique"] or (ix["schema"], ix["table"], ix["index"]) in redundant:
            continue
        name = f"{ix['schema']}.{ix['table']}"
        stats = usage.get(name, {}).get("indexes", {}).get(ix["index"])
        if stats is None or stats["count_star"] > 0:
            continue  # table not opened since startup, or the index was used
        size = sizes.get(f"{name}.{ix['index']}")
        since = min(uptime, altered.get(name) if altered.get(name) is not None else uptime)
        young = since < ctx.threshold("min_uptime_days") * 86400
        hide = "IGNORED" if mariadb else "INVISIBLE"
        t, i = qid(ix["schema"], ix["table"]), qid(ix["index"])
        if not ix.get("visible", True):  # already hidden: the watching step is under way
            yield ctx.finding(
                object=f"{name}.{ix['index']}", severity=Severity.INFO,
                summary=f"index {ix['index']} on {name} is {hide.lower()} and unused in {human_duration(since)}"
                        + (f", {human_bytes(size)}" if size else ""),
                evidence={"columns": ix["columns"], "visible": False, "reads_since_startup": 0, "uptime_s": uptime,
                          "size_bytes": size, "threshold_min_uptime_days": ctx.threshold("min_uptime_days")},
                recommendation="Drop it once a full business cycle ran without slowdowns since it was hidden.",
                fix=f"ALTER TABLE {t} DROP INDEX {i}{ONLINE};",
            )
            continue
        yield ctx.finding(
            object=f"{name}.{ix['index']}",
            severity=Severity.INFO if young else None,
            summary=f"index {ix['index']} on {name} ({', '.join(ix['columns'])}) not used in "
                    f"{human_duration(since)}" + (" of uptime" if since == uptime else " since the table was altered")
                    + (f", {human_bytes(size)}" if size else ""),
            evidence={"columns": ix["columns"], "reads_since_startup": 0, "uptime_s": uptime,
                      "stats_age_s": since,
                      "stats_since": (f"server start, {human_duration(uptime)} ago" if since == uptime else
                                      f"the table's creation or last ALTER, {human_duration(since)} ago")
                      + " (or the table's last reopen)", "size_bytes": size,
                      "threshold_min_uptime_days": ctx.threshold("min_uptime_days")},
            recommendation="Make the index invisible/ignored, watch a full business cycle, then drop it."
                           + (" The statistics are young: they may not cover periodic jobs yet." if young else ""),
            # the DROP is a comment: it belongs to a later day, after watching a business cycle
            fix=f"ALTER TABLE {qid(ix['schema'], ix['table'])} ALTER INDEX {qid(ix['index'])} {hide}"
                f"{ONLINE};  -- metadata only; undo with {'NOT IGNORED' if mariadb else 'VISIBLE'}\n"
                f"-- later, if nothing slowed down: ALTER TABLE {qid(ix['schema'], ix['table'])} "
                f"DROP INDEX {qid(ix['index'])}{ONLINE}",
        )


@check(
    id="mysql.index.duplicate",
    title="Duplicate and redundant indexes",
    category="indexes",
    severity=Severity.WARNING,
    facts=["mysql.indexes", "mysql.index_sizes", "mysql.server"],
    reference="pt-duplicate-key-checker (exact, left-prefix, InnoDB clustered-key suffix); "
              "sys.schema_redundant_indexes",
)
def duplicate(ctx):
    """An index that repeats another (same columns), or is a left prefix of a longer one
    (KEY(a) next to KEY(a, b)), costs writes and memory and gives the optimizer nothing
    the other cannot. On InnoDB every secondary index already ends with the primary key
    columns, so KEY(b, a) with PRIMARY KEY(a) stores the same entries as KEY(b): not
    bigger (the primary key is not stored twice), only a redundant definition (info, no
    fix: a rebuild would save nothing).
    An INVISIBLE (MySQL 8) / IGNORED (MariaDB 10.6+) index is not used by the optimizer, so
    it never covers a visible one: it is reported as what it is, an ignored duplicate that
    can be dropped (no plan changes) or made visible. Never dropped: PRIMARY, or a UNIQUE
    key unless an identical unique key stays. A foreign key keeps working, since the
    covering index has the same leading columns. DROP INDEX is in place and metadata-only
    on InnoDB (ALGORITHM=INPLACE, LOCK=NONE: reads and writes continue; it waits for a
    brief metadata lock, so a long transaction on the table delays it and the statements
    queued behind it); a replica applies it after the primary."""
    sizes = ctx.optional("mysql.index_sizes", {})
    mariadb = ctx.optional("mysql.server", {}).get("vendor") == "mariadb"
    show = "NOT IGNORED" if mariadb else "VISIBLE"
    hidden_word = "ignored" if mariadb else "invisible"
    online = ONLINE + ";"
    for (schema, table), ixs in sorted(group_by_table(ctx.fact("mysql.indexes")["rows"]).items()):
        for r in find_redundant(ixs):
            ix, cover = r.index, r.covered_by
            size = sizes.get(f"{schema}.{table}.{ix['index']}")
            t = qid(schema, table)
            severity, kind = None, None
            drop = f"ALTER TABLE {t} DROP INDEX {qid(ix['index'])}{online}"
            if r.kind == "clustered-suffix":
                summary = (f"{ix['index']}({', '.join(ix['columns'])}) ends with the primary key "
                           f"({', '.join(cover['columns'])}): InnoDB stores the same entries for "
                           f"({', '.join(r.keep_columns)})")
                # no fix: a rebuild saves nothing and restarts the new index's usage statistics
                fix = None
                rec = (f"Nothing to gain in space or lookups. When the table is rebuilt anyway, the index can be "
                       f"defined as ({', '.join(r.keep_columns)}): ALTER TABLE {t} DROP INDEX {qid(ix['index'])}, "
                       f"ADD INDEX {qid(ix['index'])} ({_cols_sql(r.keep_columns)}){online}")
                severity, size = Severity.INFO, None
            elif r.kind == "ignored-cover":
                shadow = r.shadows
                summary = (f"{ix['index']}({', '.join(ix['columns'])}) is {hidden_word}: if it were visible, "
                           f"{shadow['index']}({', '.join(shadow['columns'])}) would be redundant")
                rec = (f"{ix['index']} is not used by the optimizer; {shadow['index']} serves the lookups. "
                       f"Drop {ix['index']} (no plan changes), or make it visible "
                       f"(ALTER TABLE {t} ALTER INDEX {qid(ix['index'])} {show}), watch, then drop "
                       f"{shadow['index']}.")
                severity = Severity.INFO
                if ix["unique"]:  # an ignored unique index still enforces its constraint
                    fix, kind = None, "manual"
                    rec += f" {ix['index']} is UNIQUE: it still enforces its constraint, keep it unless that is unwanted."
                else:
                    fix = drop + f"  -- {hidden_word}: no plan changes"
            elif r.kind == "ignored-duplicate":
                summary = (f"{ix['index']}({', '.join(ix['columns'])}) is {hidden_word} and repeats "
                           f"{cover['index']}({', '.join(cover['columns'])})")
                fix = drop + f"  -- {hidden_word}: no plan changes"
                rec = (f"Drop {ix['index']}: the optimizer does not use it and {cover['index']} serves the same "
                       "lookups; it only costs writes and space.")
            else:
                summary = (f"{ix['index']}({', '.join(ix['columns'])}) is "
                           f"{'a duplicate of' if r.kind == 'duplicate' else 'a left prefix of'} "
                           f"{cover['index']}({', '.join(cover['columns'])})")
                fix = drop
                rec = f"Drop {ix['index']}; {cover['index']} serves the same lookups."
            evidence = {"kind": r.kind, "index": ix["index"], "columns": ix["columns"],
                        "unique": ix["unique"], "visible": ix.get("visible", True),
                        "covered_by": cover["index"] if cover else None,
                        "covered_by_columns": cover["columns"] if cover else None,
                        "wasted_bytes": size}
            if r.shadows:
                evidence["would_make_redundant"] = r.shadows["index"]
            if kind:
                evidence["fix_kind"] = kind
            yield ctx.finding(
                object=f"{schema}.{table}.{ix['index']}", severity=severity,
                summary=f"{schema}.{table}: {summary}",
                evidence=evidence, recommendation=rec, fix=fix,
            )
