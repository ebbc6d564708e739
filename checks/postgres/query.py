"""Statements no btree index can serve (the index advisor's findings)."""

from __future__ import annotations

from advisor.indexadvisor.advice import SUMMARY, costly_issues, recommendation
from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_duration


@check(
    id="pg.query.unindexable",
    title="Expensive statement with a predicate no btree index can serve",
    category="queries",
    severity=Severity.INFO,
    facts=["pg.index_candidates"],
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
