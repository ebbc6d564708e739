"""Indexes: duplicate, unused, invalid, foreign keys without index, missing (sequential scans), and the query-aware index advisor."""

from __future__ import annotations

import re
from typing import Any

from advisor.errors import FactUnavailable
from advisor.indexadvisor.advice import query_time, share_ok
from advisor.indexadvisor.ddl import PG_CONCURRENT_LOCK, index_name, pg_create_index, pg_ident
from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_bytes, human_duration

from ._table_refs import brief, statements_for_table

REF = ("Dexter (HypoPG, accept at >= 50% cost drop); PgHero suggested indexes (skip tables < 500 rows); "
       "guide: Database Performance / PostgreSQL / Indexing")


def judge(data: dict[str, Any], min_reduction: float, min_share: float) -> list[dict[str, Any]]:
    """Candidates worth creating, best first, each with the statements it speeds up.

    Validated: a candidate is kept for a statement when the generic plan with all of the
    statement's hypothetical indexes uses it and removing it alone raises the cost by at
    least `min_reduction` (its marginal effect). The statement's saved time
    (exec time x (1 - cost_after / cost_before)) is split among its kept candidates in
    proportion to their marginal effects. Unvalidated (no HypoPG, or the statement could
    not be EXPLAINed, e.g. no privilege on its tables): kept on the heuristics alone, ranked
    after the validated ones by the time of its statements.
    """
    stmts = {s["queryid"]: s for s in data["statements"]}
    total = query_time(data)
    validation = data.get("validation") or {}
    out = []
    for c in data["candidates"]:
        entry = {**c, "serves": [], "saved_ms": 0.0, "statement_ms": 0.0}
        for k in c["statements"]:
            st = stmts.get(k)
            if st is None or not share_ok(st, total, min_share):
                continue
            v = validation.get(k)
            if not data["validated"] or not v or "error" in v:
                # no HypoPG, or this statement could not be EXPLAINed: judged on heuristics only
                note = {"not_validated": (v or {}).get("error", "not validated")} if data["validated"] else {}
                entry["serves"].append({"queryid": k, "calls": st["calls"], "total_ms": st["total_ms"], **note})
                entry["statement_ms"] += st["total_ms"] or 0
                continue
            if str(c["id"]) not in v.get("cost_without", {}):
                continue
            gains = {i: (w - v["cost_after"]) / w for i, w in v["cost_without"].items() if w > 0}
            mine = gains.get(str(c["id"]), 0.0)
            if mine < min_reduction:
                continue
            kept = sum(g for g in gains.values() if g >= min_reduction) or mine
            ratio = 1 - v["cost_after"] / v["cost_before"] if v["cost_before"] > 0 else 0.0
            saved = (st.get("exec_ms") or st["total_ms"] or 0) * max(ratio, 0.0) * mine / kept
            entry["serves"].append({"queryid": k, "calls": st["calls"], "total_ms": st["total_ms"],
                                    "cost_before": v["cost_before"], "cost_after": v["cost_after"],
                                    "cost_drop": round(mine, 3), "saved_ms": round(saved, 1)})
            entry["saved_ms"] += saved
            entry["statement_ms"] += st["total_ms"] or 0
        if entry["serves"]:
            entry["validated"] = any("cost_before" in x for x in entry["serves"])
            out.append(entry)
    out.sort(key=lambda e: (-e["saved_ms"], -e["statement_ms"], e["table"], e["columns"]))
    return out


@check(
    id="pg.index.suggested",
    title="Index that would speed up expensive statements",
    category="indexes",
    severity=Severity.WARNING,
    facts=["pg.index_candidates"],
    reference=REF,
    thresholds={
        "min_cost_reduction": Threshold(0.5, "ratio", "Dexter: keep a hypothetical index when the cost drops >= 50%"),
        "min_time_share": Threshold(0.005, "ratio", "db-advisor: ignore statements under 0.5% of the "
                                                      "time of the database's SELECT/UPDATE/DELETE statements"),
    },
)
def suggested_index(ctx):
    """The statements that cost most time filter, join or sort on columns no index serves.

    Each statement of pg_stat_statements (this database only) is parsed (sqlglot),
    aliases, schemas and unqualified columns are resolved against the catalog, and one
    candidate per table and query shape is built: equality columns first (most selective
    first by pg_stats), then one range column, then the ORDER BY columns when that avoids a
    sort; join columns for the inner side of a join. Candidates an existing index already
    serves are dropped; prefixes are merged; tables under 500 rows and conditions matching
    over 20% of the rows are left out. With HypoPG installed, each candidate is validated on
    the generic plan (EXPLAIN (GENERIC_PLAN) on PostgreSQL 16+, PREPARE with
    plan_cache_mode = force_generic_plan before) and kept only when the planner uses it and
    the cost drops by at least min_cost_reduction; findings rank by estimated time saved
    (exec time x cost ratio). Without HypoPG they are reported as unvalidated, ranked by the
    time of the statements they serve. Fix: run the CREATE INDEX CONCURRENTLY shown (it does
    not block writes), then ANALYZE the table; on a partitioned table, where CONCURRENTLY is
    rejected, the fix builds it ON ONLY the parent, concurrently on each partition, and
    attaches each.
    """
    data = ctx.fact("pg.index_candidates")
    ranked = judge(data, ctx.threshold("min_cost_reduction"), ctx.threshold("min_time_share"))
    for rank, e in enumerate(ranked, 1):
        cols = ", ".join(e["columns"])
        evidence = {"rank": rank, "table": e["table"], "columns": e["columns"], "kind": e["kind"],
                    "validated": e["validated"], "statements": e["serves"][:10],
                    "statement_count": len(e["serves"]), "statement_time_ms": round(e["statement_ms"], 1),
                    "selectivity": None if e.get("selectivity") is None else float(f"{e['selectivity']:.3g}"),
                    "min_cost_reduction": ctx.threshold("min_cost_reduction")}
        if e["validated"]:
            evidence["estimated_saved_ms"] = round(e["saved_ms"], 1)
            summary = (f"index on {e['table']} ({cols}) would save about {human_duration(e['saved_ms'] / 1000)} "
                       f"of {len(e['serves'])} statement(s) (HypoPG-validated)")
            rec = ("Create the index; the planner uses it in the generic plan of the statements listed and "
                   "their estimated cost drops as shown.")
            sev = None
        else:
            summary = (f"index on {e['table']} ({cols}) for {len(e['serves'])} statement(s) taking "
                       f"{human_duration(e['statement_ms'] / 1000)} (unvalidated)")
            if data["validated"]:
                why = e["serves"][0].get("not_validated", "not validated")
                rec = (f"Unvalidated suggestion (HypoPG could not EXPLAIN the statement: {why}); check with "
                       "EXPLAIN before creating it. The advisor needs SELECT (UPDATE/DELETE for such "
                       "statements) on the tables to EXPLAIN them.")
            else:
                rec = ("Unvalidated suggestion (HypoPG is not installed): check with EXPLAIN before creating "
                       "it. To validate suggestions, install the hypopg package and run "
                       "CREATE EXTENSION hypopg; in this database.")
            sev = Severity.INFO
        yield ctx.finding(object=f"{e['table']} ({cols})", summary=summary, evidence=evidence,
                          recommendation=rec, fix=e["ddl"], severity=sev)


PGHERO = "PgHero (github.com/ankane/pghero)"


def _statements(ctx):
    """pg.statements rows, or (None, reason) when pg_stat_statements cannot be read."""
    try:
        return ctx.fact("pg.statements")["rows"], None
    except FactUnavailable as e:
        return None, e.describe()


@check(
    id="pg.index.missing",
    title="Tables read mostly by sequential scans over many rows",
    category="indexes",
    severity=Severity.WARNING,
    facts=["pg.tables", "pg.server", "pg.statements"],
    reference=f"{PGHERO}: index suggestions skip tables < 500 rows; guide: 1. Query Optimization > Indexing",
    thresholds={
        "min_rows": Threshold(10000, "rows", "advisor default (PgHero ignores tables under 500 rows; "
                              "scanning a few thousand rows is cheap)"),
        "min_seq_scan_pct": Threshold(50, "% of scans", "advisor default: seq_scan > idx_scan"),
        "min_seq_tup_read": Threshold(1_000_000, "rows", "advisor default: rows read by seq scans"),
        "min_seq_scans": Threshold(10, "scans", "advisor default: a pattern, not a one-off"),
    },
)
def missing(ctx):
    """A big table that is read mostly by sequential scans reads every row to find
    a few: CPU, I/O and buffer-cache churn grow with the table. The finding names
    the table, its scan counters, and the pg_stat_statements entries that reference
    it (biggest total time first), whose WHERE / JOIN columns are the candidates
    for an index. Fix: CREATE INDEX CONCURRENTLY on the filter columns of those
    statements (most selective first), then confirm with EXPLAIN. A table that is
    legitimately read in full (reporting, small lookup tables) can be muted."""
    server = ctx.fact("pg.server")
    stmts, why = _statements(ctx)
    t_min_rows, t_pct = ctx.threshold("min_rows"), ctx.threshold("min_seq_scan_pct")
    t_tup, t_scans = ctx.threshold("min_seq_tup_read"), ctx.threshold("min_seq_scans")
    for t in ctx.fact("pg.tables")["rows"]:
        seq, idx = t.get("seq_scan") or 0, t.get("idx_scan") or 0
        rows = max(t.get("n_live_tup") or 0, t.get("reltuples") or 0)
        if t["kind"] != "r" or seq < t_scans or rows < t_min_rows or (t.get("seq_tup_read") or 0) < t_tup:
            continue
        share = 100.0 * seq / (seq + idx)
        if share < t_pct:
            continue
        evidence = {"seq_scan": seq, "idx_scan": idx, "seq_scan_pct": round(share, 1),
                    "seq_tup_read": t["seq_tup_read"], "avg_rows_per_seq_scan": t["seq_tup_read"] // seq,
                    "live_rows": int(rows), "table_size": human_bytes(t["heap_bytes"]),
                    "thresholds": {"min_rows": t_min_rows, "min_seq_scan_pct": t_pct,
                                   "min_seq_tup_read": t_tup, "min_seq_scans": t_scans},
                    "stats_since": server.get("stats_reset") or server.get("started_at")}
        if stmts is None:
            evidence["statements"] = f"unavailable: {why}"
        else:
            refs = statements_for_table(stmts, t["schema"], t["name"], server["database"])
            evidence["statements"] = [brief(r) for r in refs]
            from advisor.indexadvisor.columns import filter_columns  # the parser, only with statements
            cols = filter_columns([r["query"] for r in refs], t["schema"], t["name"])
            if cols:
                evidence["filter_columns"] = cols   # of the costliest statement (pg.index.suggested: all)
        yield ctx.finding(
            object=t["qualified"],
            summary=f"{t['qualified']}: {share:.0f}% of {seq + idx} scans are sequential, "
                    f"{t['seq_tup_read'] // seq:,} rows read per scan",
            evidence=evidence,
            recommendation="Index the columns these statements filter or join on (see evidence); "
                           "check the plan with EXPLAIN (ANALYZE, BUFFERS) before and after.",
            # named like pg.index.suggested's fix, so running both never builds the index twice
            fix=pg_create_index(f"{t['schema']}.{t['name']}", evidence["filter_columns"])
            if evidence.get("filter_columns") else None)


def _unquote(ident: str) -> str:
    """quote_ident's output back to the plain name ('"Mixed"' -> 'Mixed')."""
    if len(ident) >= 2 and ident[0] == ident[-1] == '"':
        return ident[1:-1].replace('""', '"')
    return ident


def _fk_supported(ctx, ix) -> list[str]:
    """Foreign keys of ix's table whose columns lead ix (dropping ix would un-index them)."""
    fks = ctx.optional("pg.foreign_keys", {"rows": []})["rows"]
    return [fk["definition"] for fk in fks if fk["relid"] == ix["relid"]
            and sorted(ix["attnums"][:len(fk["attnums"])]) == sorted(fk["attnums"])]


DROP_CONCURRENT_LOCK = ("  -- SHARE UPDATE EXCLUSIVE lock: reads and writes continue; waits for the "
                        "transactions using the table; not inside a transaction block")


DROP_PARTITIONED_LOCK = ("  -- ACCESS EXCLUSIVE lock on the table and every partition: blocks reads and "
                         "writes until done (DROP INDEX CONCURRENTLY is rejected on a partitioned index)")


def _drop(ix) -> str:
    """CONCURRENTLY is not allowed on a partitioned table's index: say what the plain DROP locks."""
    if ix["kind"] == "i":
        return f"DROP INDEX CONCURRENTLY {ix['qualified']};{DROP_CONCURRENT_LOCK}"
    return f"DROP INDEX {ix['qualified']};{DROP_PARTITIONED_LOCK}"


@check(
    id="pg.index.unused",
    title="Indexes never scanned since statistics were reset",
    category="indexes",
    severity=Severity.WARNING,
    facts=["pg.indexes", "pg.server", "pg.foreign_keys"],
    reference=f"{PGHERO}: unused = idx_scan 0, >= 10 MB, not unique; postgresqltuner (unused indexes)",
    thresholds={
        "min_bytes": Threshold(10 * 1024**2, "bytes", "PgHero: unused indexes of 10 MB or more"),
        "min_stats_age_days": Threshold(7, "days", "advisor default: below this the finding is info "
                                        "(a weekly job may not have run yet)"),
    },
)
def unused(ctx):
    """An index that is never scanned still costs: every INSERT and non-HOT UPDATE
    writes it, it takes disk, backup and cache space, and it slows vacuum. Indexes
    backing a primary key, unique or exclusion constraint are never reported (they
    enforce rules even when never scanned). Counters are kept since the last
    statistics reset, and per node: on a replica they count only that replica's
    queries, so look at every node before dropping. An index that is the only
    support of a foreign key is reported as info: parent deletes need it even if
    they have not happened yet. Indexes of partitions attached to a partitioned
    index are not judged one by one. Fix: DROP INDEX CONCURRENTLY (keep its
    definition from the evidence to recreate it if needed)."""
    server = ctx.fact("pg.server")
    age_s = float(server.get("stats_age_s") or 0)
    young = age_s < ctx.threshold("min_stats_age_days") * 86400
    min_bytes = ctx.threshold("min_bytes")
    replica = bool(server.get("in_recovery"))
    for ix in ctx.fact("pg.indexes")["rows"]:
        if (ix["kind"] != "i" or ix["attached"] or ix["idx_scan"] is None or ix["idx_scan"] > 0 or ix["is_unique"]
                or ix["is_primary"] or ix["is_exclusion"] or ix["constraint_type"] or not ix["is_valid"]
                or (ix["bytes"] or 0) < min_bytes):
            continue
        note = (f"statistics cover {human_duration(age_s)} (since "
                f"{server.get('stats_reset') or 'server start ' + str(server.get('started_at'))})")
        if replica:
            note += "; this is a replica: index counters are per node, check the primary and other replicas"
        fks = _fk_supported(ctx, ix)
        yield ctx.finding(
            object=ix["qualified"],
            severity=Severity.INFO if young or fks else None,
            summary=f"index {ix['qualified']} on {ix['table_qualified']} ({human_bytes(ix['bytes'])}) "
                    f"has never been scanned",
            evidence={"idx_scan": 0, "size_bytes": ix["bytes"], "size": human_bytes(ix["bytes"]),
                      "min_bytes": min_bytes, "definition": ix["definition"],
                      "stats_age_s": round(age_s), "stats_reset": server.get("stats_reset"),
                      "replica": replica, "note": note, "supports_foreign_keys": fks},
            recommendation=("It is the index of a foreign key: keep it if rows of the referenced "
                            "table are ever deleted or their key updated. " if fks else "")
            + "Drop it if no query needs it" + (
                " (statistics are young: wait until every periodic job has run)" if young else "")
            + (". Counters are per node: confirm it is unused on every replica." if replica else "."),
            fix=f"{_drop(ix)}\n-- to recreate: {_concurrently(ix['definition'])};")


def _concurrently(definition: str) -> str:
    return re.sub(r"^CREATE (UNIQUE )?INDEX ", r"CREATE \1INDEX CONCURRENTLY ", definition, count=1)


def _key(ix, n=None):
    """Comparable description of the first n key columns (attnum, opclass, collation, sort option)."""
    n = ix["n_key"] if n is None else n
    return [(ix["attnums"][i], ix["opclasses"][i], ix["collations"][i], ix["options"][i]) for i in range(n)]


def covered_by(a, b) -> bool:
    """True if index `a` is redundant given index `b` (same table, both usable).

    Same method, expressions and predicate; a's key columns are a prefix of b's
    (btree) or identical (other methods); a's INCLUDE columns are in b; a unique
    index is only covered by an identical unique one.
    """
    if a["indexrelid"] == b["indexrelid"] or a["relid"] != b["relid"]:
        return False
    if a["method"] != b["method"] or a["expressions"] != b["expressions"] or a["predicate"] != b["predicate"]:
        return False
    if not (a["is_valid"] and b["is_valid"]) or a["kind"] != b["kind"]:
        return False
    same_keys = a["n_key"] == b["n_key"] and _key(a) == _key(b)
    if a["is_unique"]:
        return b["is_unique"] and same_keys
    prefix = a["n_key"] <= b["n_key"] and _key(a) == _key(b, a["n_key"])
    if not (same_keys or (a["method"] == "btree" and prefix)):
        return False
    return set(a["attnums"][a["n_key"]:]) <= set(b["attnums"])


def _keep_rank(ix):
    """Which of two identical indexes to keep: constraint-backed first, then the older (lower oid)."""
    return (0 if ix["is_primary"] else 1 if ix["constraint_type"] else 2, ix["indexrelid"])


@check(
    id="pg.index.duplicate",
    title="Duplicate and redundant indexes",
    category="indexes",
    severity=Severity.WARNING,
    facts=["pg.indexes"],
    reference=f"{PGHERO}: duplicate indexes (same method, expressions, predicate; prefix rule; "
              "never primary/unique); pt-duplicate-key-checker",
)
def duplicate(ctx):
    """An index whose key columns are a leading prefix of another index on the same
    table (same method, same expressions, same partial-index predicate, same
    operator classes, collations and sort order) answers no query the longer one
    cannot, yet every write maintains both. A unique index is only redundant
    against an identical unique one (it enforces a rule), and a primary key is
    never suggested for removal. Fix: DROP INDEX CONCURRENTLY the redundant one
    (an identical index backing a UNIQUE constraint is dropped with ALTER TABLE
    ... DROP CONSTRAINT, after checking no foreign key depends on it)."""
    by_table: dict[int, list] = {}
    for ix in ctx.fact("pg.indexes")["rows"]:
        by_table.setdefault(ix["relid"], []).append(ix)
    for group in by_table.values():
        if len(group) < 2:
            continue
        for a in group:
            if a["is_primary"] or a["constraint_type"] == "x" or a["attached"]:
                continue
            covers = [b for b in group if covered_by(a, b)]
            # of two identical indexes, report only the one to drop
            covers = [b for b in covers if not covered_by(b, a) or _keep_rank(b) < _keep_rank(a)]
            if not covers:
                continue
            b = max(covers, key=lambda x: (x["is_primary"], x["n_key"] == a["n_key"], -x["indexrelid"]))
            if a["constraint_type"] == "u":
                fix = (f"ALTER TABLE {a['table_qualified']} DROP CONSTRAINT {a['constraint_name']};"
                       "  -- ACCESS EXCLUSIVE lock (brief: no rewrite); fails if a foreign key depends on it")
            else:
                fix = _drop(a)
            identical = a["n_key"] == b["n_key"] and _key(a) == _key(b)
            yield ctx.finding(
                object=a["qualified"],
                summary=f"index {a['qualified']} is {'identical to' if identical else 'covered by'} "
                        f"{b['qualified']} on {a['table_qualified']}",
                evidence={"redundant": a["definition"], "redundant_size": human_bytes(a["bytes"]),
                          "redundant_bytes": a["bytes"], "redundant_idx_scan": a["idx_scan"],
                          "covering": b["definition"], "covering_size": human_bytes(b["bytes"]),
                          "covering_is_unique": b["is_unique"], "rule": "identical" if identical
                          else "key columns are a leading prefix of the covering index"},
                recommendation=f"Drop {a['qualified']}: {b['qualified']} serves the same lookups; "
                               f"writes and vacuum get cheaper and {human_bytes(a['bytes'])} is freed.",
                fix=fix)


_REINDEX_LEFTOVER = re.compile(r"^(.*)_cc(new|old)\d*$")


def _attach_steps(gap_rows) -> list[str]:
    """The statements that give every partition an attached index, in order."""
    parent = gap_rows[0]
    steps = []
    for g in gap_rows:
        if g["attached"]:
            if not g["attached_valid"]:
                steps.append(f"REINDEX INDEX CONCURRENTLY {g['attached']};  -- attached but INVALID; "
                             "SHARE UPDATE EXCLUSIVE lock: reads and writes continue")
            continue
        child = g["attachable"]
        if child is None:
            name = index_name(f"{g['part_schema']}.{g['part_name']}", [parent["name"]])
            child = f"{pg_ident(g['part_schema'])}.{pg_ident(name)}"
            unique = "UNIQUE " if parent["is_unique"] else ""
            if g["part_partitioned"]:
                steps.append(f"CREATE {unique}INDEX {pg_ident(name)} ON {g['part_qualified']}{g['tail']};"
                             "  -- a sub-partitioned table: SHARE lock on it and its partitions, blocks "
                             "writes while it builds")
            else:
                steps.append(f"CREATE {unique}INDEX CONCURRENTLY {pg_ident(name)} ON {g['part_qualified']}"
                             f"{g['tail']};{PG_CONCURRENT_LOCK}")
        steps.append(f"ALTER INDEX {parent['qualified']} ATTACH PARTITION {child};  -- catalog only: "
                     "no table scan or rewrite")
    return steps


@check(
    id="pg.index.invalid",
    title="Invalid indexes left by a failed CREATE INDEX CONCURRENTLY",
    category="indexes",
    severity=Severity.WARNING,
    facts=["pg.indexes", "pg.index_builds", "pg.partitioned_index_gaps"],
    reference=f"{PGHERO}: invalid indexes (not while a build is running); PostgreSQL docs CREATE INDEX "
              "(Building Indexes Concurrently), REINDEX (Rebuilding Indexes Concurrently), 5.11.2.2 "
              "Partition Maintenance",
)
def invalid(ctx):
    """A CREATE INDEX CONCURRENTLY that failed (duplicate key, deadlock, cancel)
    leaves an INVALID index: queries never use it, but every write still maintains
    it. Indexes being built right now (listed in pg_stat_progress_create_index)
    are not reported. Fix: DROP INDEX CONCURRENTLY and create it again
    (definition in the fix), or REINDEX INDEX CONCURRENTLY. A unique index that
    failed on duplicate rows fails again until they are removed.

    A failed REINDEX CONCURRENTLY leaves `<name>_ccnew` (the new copy) or
    `<name>_ccold` (the old one): the original index is still there and valid, so
    the fix drops the leftover only (PostgreSQL docs, REINDEX).

    An invalid index of a partitioned table is not broken: it is the normal state
    after CREATE INDEX ... ON ONLY, until an index of every partition is attached
    (it turns valid with the last ATTACH). It is reported as info with the exact
    steps: CREATE INDEX CONCURRENTLY on each partition that lacks one (or the
    matching index it already has) and ALTER INDEX ... ATTACH PARTITION."""
    invalid = [ix for ix in ctx.fact("pg.indexes")["rows"] if not ix["is_valid"]]
    if not invalid:   # the usual case: the two queries below are not worth sending
        return
    builds = ctx.fact("pg.index_builds")
    building = {b["indexrelid"] for b in builds} | {b["relid"] for b in builds}
    gaps: dict[int, list] = {}
    for g in ctx.fact("pg.partitioned_index_gaps"):
        gaps.setdefault(g["indexrelid"], []).append(g)
    for ix in invalid:
        if ix["is_valid"] or ix["indexrelid"] in building or ix["relid"] in building:
            continue
        evidence = {"definition": ix["definition"], "is_valid": False, "is_ready": ix["is_ready"],
                    "size": human_bytes(ix["bytes"]), "builds_in_progress": len(builds)}
        if ix["kind"] == "I":
            rows = gaps.get(ix["indexrelid"], [])
            missing = [g["part_qualified"] for g in rows if not g["attached"]]
            yield ctx.finding(
                object=ix["qualified"], severity=Severity.INFO,
                summary=f"index {ix['qualified']} of partitioned table {ix['table_qualified']} is being "
                        f"built partition by partition (CREATE INDEX ON ONLY): {len(missing)} of "
                        f"{len(rows)} partition(s) have no index attached yet",
                evidence=evidence | {"partitions": len(rows), "without_attached_index": missing,
                                     "attachable_existing": {g["part_qualified"]: g["attachable"]
                                                             for g in rows if g["attachable"]}},
                recommendation="Not broken: the parent index turns valid when every partition's index "
                               "is attached. Create the missing partition indexes concurrently and attach "
                               "them (or attach the matching index a partition already has).",
                fix="\n".join(_attach_steps(rows)) if rows else None)
            continue
        leftover = _REINDEX_LEFTOVER.match(ix["name"])
        if leftover:
            yield ctx.finding(
                object=ix["qualified"],
                summary=f"index {ix['qualified']} on {ix['table_qualified']} is the INVALID {leftover.group(2)} "
                        f"copy left by a failed REINDEX CONCURRENTLY of {leftover.group(1)}: maintained on "
                        "every write, never used",
                evidence=evidence | {"reindex_leftover_of": leftover.group(1)},
                recommendation="Drop the leftover only: the index it copies is still in place (do not "
                               "recreate it, that would build a duplicate).",
                fix=f"DROP INDEX CONCURRENTLY {ix['qualified']};{DROP_CONCURRENT_LOCK}")
            continue
        uniq = " Remove the duplicate rows first: a unique build fails on them again." if ix["is_unique"] else ""
        if ix["attached"]:  # a partition's index attached to a partitioned one: cannot be dropped alone
            fix = (f"REINDEX INDEX CONCURRENTLY {ix['qualified']};  -- SHARE UPDATE EXCLUSIVE lock: reads "
                   "and writes continue")
        else:
            fix = (f"{_drop(ix)}\n{_concurrently(ix['definition'])};{PG_CONCURRENT_LOCK}\n"
                   f"-- or, instead of both: REINDEX INDEX CONCURRENTLY {ix['qualified']};")
        yield ctx.finding(
            object=ix["qualified"],
            summary=f"index {ix['qualified']} on {ix['table_qualified']} is INVALID: never used, "
                    f"still maintained on every write",
            evidence=evidence,
            recommendation="Drop and recreate it concurrently (or REINDEX INDEX CONCURRENTLY)." + uniq,
            fix=fix)


@check(
    id="pg.index.fk_missing",
    title="Foreign keys without an index on the referencing columns",
    category="indexes",
    severity=Severity.WARNING,
    facts=["pg.foreign_keys"],
    reference="PostgreSQL docs 5.4.5 Foreign Keys (indexing referencing columns is advisable); "
              "check_postgres / pg_idx_advisor practice",
    thresholds={
        "min_rows": Threshold(1000, "rows", "advisor default: below this the finding is info "
                              "(scanning a small table is cheap)"),
    },
)
def fk_missing(ctx):
    """PostgreSQL indexes the referenced (parent) side of a foreign key but not the
    referencing columns. Without such an index, every DELETE or key UPDATE on the
    parent scans the whole child table (under a lock), and joins from parent to
    child cannot use an index. An index counts when its leading key columns are the
    FK columns in any order (btree, not partial). Fix: CREATE INDEX CONCURRENTLY on
    the referencing columns; on a partitioned table (where CONCURRENTLY is rejected)
    CREATE INDEX ON ONLY the parent, CREATE INDEX CONCURRENTLY on each partition and
    ALTER INDEX ... ATTACH PARTITION each."""
    min_rows = ctx.threshold("min_rows")
    for fk in ctx.fact("pg.foreign_keys")["rows"]:
        if fk["indexed"]:
            continue
        cols = ", ".join(fk["columns"])
        small = (fk["reltuples"] or 0) < min_rows
        yield ctx.finding(
            object=f"{fk['table_qualified']}.{fk['name_quoted']}",
            severity=Severity.INFO if small else None,
            summary=f"foreign key {fk['name']} on {fk['table_qualified']} ({cols}) has no index "
                    f"leading with its columns",
            evidence={"constraint": fk["definition"], "columns": fk["columns"],
                      "referenced_table": fk["referenced_table"],
                      "table_rows_estimate": int(fk["reltuples"] or 0),
                      "table_size": human_bytes(fk["table_bytes"]), "min_rows_for_warning": min_rows},
            recommendation=f"Index {fk['table_qualified']} ({cols}) so deletes/updates on "
                           f"{fk['referenced_table']} and joins do not scan the whole table.",
            # named like pg.index.suggested's DDL: running both fixes cannot build the index twice
            fix=pg_create_index(f"{fk['schema']}.{fk['table']}", [_unquote(c) for c in fk["columns"]],
                                partitions=None if fk.get("kind", "r") != "p"
                                else [tuple(p) for p in fk.get("partitions") or []]))
