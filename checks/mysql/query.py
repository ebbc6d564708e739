"""Statements no index can serve (the index advisor's findings)."""

from __future__ import annotations

from advisor.indexadvisor.advice import SUMMARY, costly_issues, recommendation
from advisor.model import Severity
from advisor.registry import check
from advisor.units import human_duration

from ._common import MIN_TIME_SHARE, online, vendor_version


@check(
    id="mysql.query.unindexable",
    title="Full-scan statement with a predicate no btree index can serve",
    category="queries",
    severity=Severity.INFO,
    facts=["mysql.index_candidates", "mysql.scan_digests", "mysql.prepared_statements",
           "mysql.statement_history"],  # read through index_candidates; declared so a window reads them at its start,
    reference="MySQL 8.0 manual 10.3.1 How MySQL Uses Indexes; 13.1.15 functional key parts; "
              "MariaDB generated columns",
    thresholds={"min_time_share": MIN_TIME_SHARE},
)
def unindexable(ctx):
    """OR across different columns, a function applied to a column (LOWER(email) = ?,
    DATE(created_at) = ?) and LIKE with a leading wildcard or a parameter pattern defeat a
    plain btree index whatever its columns; suggesting one would be useless. Fix: compare
    the bare column, a functional index (MySQL 8.0.13+) or an indexed virtual column
    (MariaDB) for the function, FULLTEXT for substring search, UNION or index_merge for
    the OR.
    """
    data = ctx.fact("mysql.index_candidates")
    stmts, issues = costly_issues(data, ctx.threshold("min_time_share"))
    for i in issues:
        st = stmts[i["statement"]]
        rec, fix = recommendation(i, "mysql")
        kind = None
        if fix and "((" in fix and vendor_version(ctx)[0] == "mariadb":  # functional key parts: MySQL 8.0.13+ only
            rec += (" MariaDB has no functional index: add a virtual column for the expression and index "
                    "it (a schema change the application sees in SELECT *).")
            fix, kind = None, "manual"
        elif fix and "((" not in fix:
            fix = online(fix)
        where = i["table"] or "several tables"
        yield ctx.finding(
            object=f"{where}: {i['expression'][:80]}",
            summary=f"{SUMMARY.get(i['kind'], i['kind'])} ({where}; "
                    f"{human_duration(st['total_ms'] / 1000)} in {st['calls']} calls)",
            evidence={"kind": i["kind"], "table": i["table"], "columns": i["columns"],
                      "predicate": i["expression"], "digest": i["statement"], "calls": st["calls"],
                      "total_ms": round(st["total_ms"], 1), "statement": st["query"][:300],
                      "min_time_share": ctx.threshold("min_time_share"), **({"fix_kind": kind} if kind else {})},
            recommendation=rec, fix=fix)
