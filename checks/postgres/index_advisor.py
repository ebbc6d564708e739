"""Query-aware index suggestions (validated with HypoPG when installed) and predicates no
btree index can serve, from this database's most expensive pg_stat_statements entries."""

from __future__ import annotations

from typing import Any

from advisor.indexadvisor.advice import SUMMARY, costly_issues, query_time, recommendation, share_ok
from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_duration

REF = ("Dexter (HypoPG, accept at >= 50% cost drop); PgHero suggested indexes (skip tables < 500 rows); "
       "guide: Database Performance / PostgreSQL / Indexing")
FACTS = ["pg.index_candidates"]


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
    facts=FACTS,
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


@check(
    id="pg.query.unindexable",
    title="Expensive statement with a predicate no btree index can serve",
    category="queries",
    severity=Severity.INFO,
    facts=FACTS,
    reference="PgHero / Dexter leave these out silently; PostgreSQL docs 11.2 Index Types, 11.7 "
              "Indexes on Expressions, F.35 pg_trgm",
    thresholds={
        "min_time_share": Threshold(0.005, "ratio", "db-advisor: ignore statements under 0.5% of the "
                                                      "time of the database's SELECT/UPDATE/DELETE statements"),
        "min_cost_reduction": Threshold(0.5, "ratio", "Dexter: a hypothetical index counts when the cost "
                                                      "drops >= 50%"),
    },
)
def unindexable(ctx):
    """Some predicates defeat a plain btree index whatever columns it has: OR across
    different columns, a function or cast applied to the column (lower(email) = $1,
    created_at::date = $1), LIKE/ILIKE with a leading wildcard (or an unknown parameter
    pattern, which the generic plan cannot use). Suggesting a column index there would be
    useless. Fix: an expression index for the function, a trigram (pg_trgm GIN) index for
    substring matches, a UNION of per-column queries (or per-column indexes combined by a
    BitmapOr) for the OR, or rewrite the predicate to compare a bare column. With HypoPG
    installed the expression index is validated like pg.index.suggested's candidates: when the
    planner uses it and the cost drops by min_cost_reduction, the finding is a warning.
    """
    data = ctx.fact("pg.index_candidates")
    stmts, issues = costly_issues(data, ctx.threshold("min_time_share"))
    for i in issues:
        st = stmts[i["statement"]]
        rec, fix = recommendation(i, "postgres")
        where = i["table"] or "several tables"
        v = i.get("validation") or {}
        proven = bool(v.get("used")) and v["cost_before"] > 0 and \
            1 - v["cost_after"] / v["cost_before"] >= ctx.threshold("min_cost_reduction")
        evidence = {"kind": i["kind"], "table": i["table"], "columns": i["columns"],
                    "predicate": i["expression"], "queryid": i["statement"], "calls": st["calls"],
                    "total_ms": st["total_ms"], "query": st["query"][:300],
                    "min_time_share": ctx.threshold("min_time_share")}
        if v:
            evidence["expression_index_validation"] = v
        yield ctx.finding(
            object=f"{where}: {i['expression'][:80]}",
            severity=Severity.WARNING if proven else None,
            summary=f"{SUMMARY.get(i['kind'], i['kind'])} ({where}; statement takes "
                    f"{human_duration((st.get('total_ms') or 0) / 1000)} in {st['calls']} calls)"
                    + (f"; the expression index cuts its cost {v['cost_before']:.0f} -> {v['cost_after']:.0f} "
                       "(HypoPG)" if proven else ""),
            evidence=evidence, recommendation=rec, fix=fix)
