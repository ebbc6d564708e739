"""Query-aware index suggestions for the full-scan digests, and predicates no btree index
can serve (MySQL/MariaDB)."""

from __future__ import annotations

from typing import Any

from advisor.indexadvisor.advice import SUMMARY, costly_issues, query_time, recommendation, share_ok
from advisor.indexadvisor.candidates import Candidate, serves
from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_duration

from ._common import online, vendor_version

# read through index_candidates; declared so that a --sample window reads them at its start
FACTS = ["mysql.index_candidates", "mysql.scan_digests", "mysql.prepared_statements", "mysql.statement_history"]
_SCAN = {"ALL", "index"}
SHARE = Threshold(0.005, "ratio", "db-advisor: ignore statements under 0.5% of the time of the "
                                  "full-scan digests")


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
    facts=FACTS,
    reference="sys.statements_with_full_table_scans; PgHero suggested indexes (skip tables < 500 rows); "
              "guide: MySQL/MariaDB Performance Tuning > Indexing Strategies",
    thresholds={"min_time_share": SHARE},
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


@check(
    id="mysql.query.unindexable",
    title="Full-scan statement with a predicate no btree index can serve",
    category="queries",
    severity=Severity.INFO,
    facts=FACTS,
    reference="MySQL 8.0 manual 10.3.1 How MySQL Uses Indexes; 13.1.15 functional key parts; "
              "MariaDB generated columns",
    thresholds={"min_time_share": SHARE},
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
