#!/usr/bin/env python3
"""Benchmark of the query-aware index advisor against workloads whose right indexes are known.

PostgreSQL: loads bench/workloads/shop_pg.sql into a scratch database, runs the workload
(shop_pg.json), then scores, on the same statements in the same run:
  - db-advisor's pg.index.suggested (with HypoPG, and without it: unvalidated mode)
  - pg_qualstats_index_advisor() (pg_qualstats preloaded; CREATE EXTENSION in the scratch db)
as recall (right indexes found / right indexes) and precision (right suggestions / all
suggestions). pg_stat_statements is cluster-wide: the advisor reads only this database's
rows (dbid), nothing is reset.
MySQL/MariaDB: the same with shop_mysql.sql / shop_mysql.json when the server answers.
Speed: time to analyse 5,000 distinct statements (parse + resolve + candidates), cold and
with the parse cache warm.

    python bench/index_advisor.py [--pg URL] [--mysql URL] [--keep]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from advisor.facts import LiveFacts  # noqa: E402
from advisor.registry import get  # noqa: E402
from advisor.runner import RunOptions, run_checks  # noqa: E402
from advisor.model import TargetResult  # noqa: E402
from advisor.targets import parse_target  # noqa: E402


def _with_db(url: str, db: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, "/" + db, p.query, p.fragment))


def load_workload(name: str) -> dict:
    return json.loads((ROOT / "workloads" / f"{name}.json").read_text())


def expected(workload: dict) -> set[tuple[str, tuple[str, ...], bool]]:
    return {(e["table"], tuple(e["columns"]), bool(e.get("any_order")))
            for s in workload["statements"] for e in s["expect"]}


def matches(exp: tuple[str, tuple[str, ...], bool], table: str, columns: list[str], prefix: bool = False) -> bool:
    """Is suggestion table(columns) the expected index (prefix=True: or one whose leading
    columns are the expected index, so it serves it too)?"""
    t, cols, any_order = exp
    if t != table.split(".")[-1]:
        return False
    lead = list(columns[:len(cols)]) if prefix else list(columns)
    return (sorted(cols) == sorted(lead)) if any_order else tuple(lead) == cols


def score(exp: set, suggestions: list[tuple[str, list[str]]]) -> dict:
    """Recall: expected indexes served by some suggestion. Precision: suggestions that are
    exactly an expected index (duplicates count once)."""
    uniq = []
    for t, c in suggestions:
        if (t.split(".")[-1], list(c)) not in [(u.split(".")[-1], v) for u, v in uniq]:
            uniq.append((t, list(c)))
    right = [s for s in uniq if any(matches(e, *s) for e in exp)]
    found = {e for e in exp if any(matches(e, *s, prefix=True) for s in uniq)}
    wrong = [s for s in uniq if s not in right]
    return {"suggested": len(uniq), "right": len(right), "expected": len(exp), "found": len(found),
            "recall": round(len(found) / len(exp), 3) if exp else 1.0,
            "precision": round(len(right) / len(uniq), 3) if uniq else 1.0,
            "wrong": [f"{t}({', '.join(c)})" for t, c in wrong],
            "missed": [f"{t}({', '.join(c)})" for t, c, _ in sorted(exp - found)]}


def run_workload(conn, workload: dict, param_style=None) -> None:
    for s in workload["statements"]:
        for i in range(s["calls"]):
            params = s["params"][i % len(s["params"])]
            with conn.cursor() as cur:
                cur.execute(s["sql"], params)
                if cur.description:
                    cur.fetchall()


def advisor_findings(engine: str, url: str, check_id: str, options: dict | None = None,
                     thresholds: dict | None = None):
    from advisor import engines
    eng = engines.load(engine)
    target = parse_target(url)
    session = eng.connect(target, {"timeout": 10, **(options or {})})
    try:
        facts = LiveFacts(engine, session, {"timeout": 10, **(options or {})})
        res = TargetResult(id="bench", engine=engine, url=target.redacted)
        t0 = time.perf_counter()
        run_checks(res, [get(check_id)], facts, RunOptions(thresholds={check_id: thresholds or {}}))
        elapsed = time.perf_counter() - t0
    finally:
        eng.close(session)
    if res.errors or res.skipped:
        raise SystemExit(f"{check_id}: {[e.message for e in res.errors]} {[s.reason for s in res.skipped]}")
    return res.findings, elapsed


def _suggestions(findings) -> list[tuple[str, list[str]]]:
    return [(f.evidence["table"], list(f.evidence["columns"])) for f in findings]


_QUALSTATS_COLS = re.compile(r"ON\s+(\S+)\s+USING\s+\w+\s*\((.*)\)\s*$", re.I)


def qualstats_suggestions(conn) -> list[tuple[str, list[str]]]:
    with conn.cursor() as cur:
        cur.execute("SELECT pg_qualstats_index_advisor(min_filter => 50, min_selectivity => 50)")
        doc = cur.fetchone()[0]
    out = []
    for ix in doc.get("indexes") or []:
        ddl = ix["ddl"] if isinstance(ix, dict) else ix
        m = _QUALSTATS_COLS.search(ddl)
        if m:
            out.append((m.group(1), [c.strip().split()[0] for c in m.group(2).split(",")]))
    return out


def bench_postgres(url: str, keep: bool) -> dict:
    import psycopg
    name = "advisor_bench_" + uuid.uuid4().hex[:8]
    with psycopg.connect(url, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    db_url = _with_db(url, name)
    try:
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute((ROOT / "workloads" / "shop_pg.sql").read_text())
            conn.execute("CREATE EXTENSION pg_stat_statements")
            conn.execute("CREATE EXTENSION pg_qualstats")
            workload = load_workload("shop_pg")
            t0 = time.perf_counter()
            run_workload(conn, workload)
            run_s = time.perf_counter() - t0
            exp = expected(workload)
            # every statement counts (min_time_share 0): the benchmark judges the suggestions
            # themselves, not the filter that hides cheap statements in production
            every = {"min_time_share": 0}
            plain, plain_s = advisor_findings("postgres", db_url, "pg.index.suggested", thresholds=every)
            conn.execute("CREATE EXTENSION hypopg")
            validated, validated_s = advisor_findings("postgres", db_url, "pg.index.suggested", thresholds=every)
            traps, _ = advisor_findings("postgres", db_url, "pg.query.unindexable", thresholds=every)
            qual = qualstats_suggestions(conn)
        return {
            "workload_seconds": round(run_s, 2),
            "db-advisor (HypoPG-validated)": {**score(exp, _suggestions(validated)), "seconds": round(validated_s, 2)},
            "db-advisor (unvalidated)": {**score(exp, _suggestions(plain)), "seconds": round(plain_s, 2)},
            "pg_qualstats_index_advisor": score(exp, qual),
            "unindexable traps reported": sorted({f.evidence["kind"] for f in traps}),
        }
    finally:
        if not keep:
            with psycopg.connect(url, autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_mysql(url: str, keep: bool) -> dict:
    """The MySQL/MariaDB workload in a scratch schema; db-advisor's mysql.index.suggested."""
    import pymysql
    p = urlsplit(url)
    kw = dict(host=p.hostname or "127.0.0.1", port=p.port or 3306, user=p.username or "root",
              password=p.password or "", autocommit=True)
    name = "advisor_bench_" + uuid.uuid4().hex[:8]
    conn = pymysql.connect(**kw)
    with conn.cursor() as cur:
        cur.execute("SELECT (SELECT COUNT(*) FROM performance_schema.events_statements_summary_by_digest)"
                    " >= @@performance_schema_digests_size")
        if cur.fetchone()[0]:
            conn.close()
            return {"skipped": "performance_schema digest table is full: new statements are not recorded "
                               "(TRUNCATE performance_schema.events_statements_summary_by_digest first)"}
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}`")
            cur.execute(f"USE `{name}`")
            for stmt in (ROOT / "workloads" / "shop_mysql.sql").read_text().split(";\n"):
                body = "\n".join(ln for ln in stmt.splitlines() if not ln.startswith("--")).strip()
                if body:
                    cur.execute(body)
                    cur.fetchall()
        workload = load_workload("shop_mysql")
        t0 = time.perf_counter()
        run_workload(conn, workload)
        run_s = time.perf_counter() - t0
        exp = expected(workload)
        # the server is shared: other schemas' digests must not hide this schema's statements
        schema_url = _with_db(url, name)   # the advisor inspects the schema the URL names
        found, secs = advisor_findings("mysql", schema_url, "mysql.index.suggested", thresholds={"min_time_share": 0})
        mine = [f for f in found if f.evidence["table"].startswith(name + ".")]
        traps, _ = advisor_findings("mysql", schema_url, "mysql.query.unindexable", thresholds={"min_time_share": 0})
        return {"workload_seconds": round(run_s, 2),
                "db-advisor (EXPLAIN-checked)": {**score(exp, _suggestions(mine)), "seconds": round(secs, 2)},
                "unindexable traps reported": sorted({f.evidence["kind"] for f in traps
                                                       if (f.evidence["table"] or "").startswith(name + ".")})}
    finally:
        if not keep:
            with conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


def bench_speed(n: int = 5000) -> dict:
    """Analyse n distinct statements (synthetic shapes over a 50-table catalog)."""
    from advisor.indexadvisor.candidates import Policy
    from advisor.indexadvisor.catalog import Catalog
    from advisor.indexadvisor.workload import analyse_workload, clear_cache, parse_workload
    tables = [{"schema": "public", "name": f"t{i}", "rows": 1e6,
               "columns": [{"name": f"c{j}", "type": "integer", "n_distinct": -0.5 / (j + 1)} for j in range(12)],
               "indexes": [{"name": f"t{i}_pkey", "columns": ["c0"], "unique": True, "primary": True}]}
              for i in range(50)]
    catalog = Catalog.from_fact({"search_path": ["public"], "tables": tables})
    shapes = [
        "SELECT * FROM t{a} WHERE c{x} = $1 AND c{y} > $2 ORDER BY c{y} LIMIT $3",
        "SELECT a.c1, b.c2 FROM t{a} a JOIN t{b} b ON b.c{x} = a.c0 WHERE a.c{y} = $1 AND a.c{z} IN ($2, $3)",
        "UPDATE t{a} SET c1 = $1 WHERE c{x} = $2 AND c{y} IS NULL",
        "SELECT count(*) FROM t{a} WHERE (c{x} = $1 OR c{y} = $2) AND lower(c{z}::text) = $3",
        "WITH r AS (SELECT c0 FROM t{a} WHERE c{x} BETWEEN $1 AND $2) SELECT * FROM t{b} WHERE c{y} IN (SELECT c0 FROM r)",
    ]
    rows = []
    for i in range(n):
        q = shapes[i % len(shapes)].format(a=i % 50, b=(i * 7) % 50, x=1 + i % 11, y=1 + (i // 11) % 11,
                                           z=1 + (i // 121) % 11)
        rows.append({"queryid": str(i), "query": q + f" /* {i} */"})
    clear_cache()
    out = {}
    for label in ("cold", "warm (parse cache)"):
        t0 = time.perf_counter()
        w = parse_workload(rows, "postgres", "queryid", "query")
        a = analyse_workload(w, catalog, Policy())
        out[label + " seconds"] = round(time.perf_counter() - t0, 2)
    out.update(statements=n, parse_failures=len(a.failures), candidates=len(a.plan.candidates))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--mysql", default="mysql://root@127.0.0.1:3306/mysql")
    ap.add_argument("--skip-mysql", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the scratch databases")
    args = ap.parse_args()
    report = {"postgres": bench_postgres(args.pg, args.keep)}
    if not args.skip_mysql:
        report["mysql"] = bench_mysql(args.mysql, args.keep)
    report["speed"] = bench_speed()
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
