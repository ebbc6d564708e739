#!/usr/bin/env python3
"""Benchmark: a full PostgreSQL run on a big catalog.

Builds (once; --keep leaves it for the next run) a scratch database with N tables (default
5,000), each with a bigserial primary key, a foreign key to the previous table, a
secondary index, a redundant one in every 10th table and rows in every 10th table; runs S distinct statements
(default 2,000) so pg_stat_statements has a workload; then runs every selected check the
way `advisor run` does and prints wall time, peak memory, number of SQL queries, the
slowest facts and the number of findings per check (the wall time of a run without
tracemalloc, the peak heap from a second run under it), next to the same run on an empty
database measured just before (the ratio is what to compare across machines).

    python bench/pg_catalog.py [--url postgresql://postgres@127.0.0.1:5432/postgres]
                               [--tables 5000] [--statements 2000] [--checks 'pg.*'] [--keep]
                               [--findings FILE]

--findings writes the big catalog's findings (check, object, severity, summary, evidence, fix)
as sorted JSON lines, to compare two versions of the facts: same findings, by check and object.
"""

from __future__ import annotations

import argparse
import collections
import json
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402

from advisor import engines, registry  # noqa: E402
from advisor.facts import LiveFacts  # noqa: E402
from advisor.model import Host, TargetResult  # noqa: E402
from advisor.runner import RunOptions, run_checks  # noqa: E402
from advisor.targets import parse_target  # noqa: E402


def _with_db(url: str, db: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, "/" + db, p.query, p.fragment))


def build(admin_url: str, db: str, tables: int, statements: int) -> str:
    url = _with_db(admin_url, db)
    with psycopg.connect(admin_url, autocommit=True) as c:
        if c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db,)).fetchone():
            _refill_workload(url, tables, statements)
            return url
        c.execute(f'CREATE DATABASE "{db}"')
    t0 = time.perf_counter()
    try:
        _fill(url, tables, statements)
    except BaseException:
        with psycopg.connect(admin_url, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        raise
    print(f"built {db}: {tables} tables, {statements} statements in {time.perf_counter() - t0:.1f} s")
    return url


def _workload(c: psycopg.Connection, tables: int, statements: int) -> None:
    for i in range(statements):
        c.execute(f"SELECT count(*) FROM t{i % tables} WHERE w = %s AND v < {i}", (i,))


def _refill_workload(url: str, tables: int, statements: int) -> None:
    """A kept database's statements may have been evicted from pg_stat_statements (its
    max is cluster-wide): run the workload again so every run judges the same one."""
    with psycopg.connect(url, autocommit=True) as c:
        kept = c.execute("SELECT count(*) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
                         "WHERE d.datname = current_database() AND s.query LIKE 'SELECT count(*) FROM t%%'"
                         ).fetchone()[0]
        if kept < statements:
            _workload(c, tables, statements)
            print(f"workload statements in pg_stat_statements: {kept} of {statements}, ran them again")


def _fill(url: str, tables: int, statements: int) -> None:
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("CREATE EXTENSION pg_stat_statements")
        for start in range(0, tables, 100):  # batches keep each transaction's lock table small
            c.execute(f"""
                DO $$ BEGIN FOR i IN {start}..{min(start + 100, tables) - 1} LOOP
                  -- the FK inline: a separate ALTER TABLE ... ADD FOREIGN KEY is 3x slower to build
                  EXECUTE format('CREATE TABLE t%s (id bigserial PRIMARY KEY, parent bigint %s, v int, w int, note text)',
                                 i, CASE WHEN i > 0 THEN format('REFERENCES t%s (id)', i - 1) ELSE '' END);
                  EXECUTE format('CREATE INDEX ON t%s (v, w)', i);
                  IF i % 10 = 5 THEN  -- a redundant index in every 10th table
                    EXECUTE format('CREATE INDEX ON t%s (v)', i);
                  END IF;
                  IF i % 10 = 0 THEN
                    EXECUTE format('INSERT INTO t%s (v, w, note) SELECT g %% 100, g, ''x'' FROM generate_series(1, 2000) g', i);
                  END IF;
                END LOOP; END $$""")
        c.execute("ANALYZE")
        _workload(c, tables, statements)


def _run(url: str, include: list[str]):
    """One full run, the way `advisor run` does it, each fact timed on its own."""
    target = parse_target(url)
    opts = RunOptions(include=include, host=Host(memory_bytes=16 * 1024**3))  # sizing checks run too
    checks = opts.checks_for("postgres")
    engine = engines.load("postgres")
    t0 = time.perf_counter()
    session = engine.connect(target, opts.for_target(target).session_options())
    facts = LiveFacts("postgres", session, opts.for_target(target).session_options())
    per_fact = {}
    for name in sorted({f for c in checks for f in c.facts}):
        f0 = time.perf_counter()
        facts.has(name)
        per_fact[name] = time.perf_counter() - f0
    t_facts = time.perf_counter() - t0
    result = TargetResult(id=target.id, engine="postgres", url=target.redacted)
    run_checks(result, checks, facts, opts)
    wall = time.perf_counter() - t0
    engine.close(session)
    return checks, session.queries, per_fact, t_facts, wall, result


def measure(url: str, include: list[str], findings_file: str | None = None) -> tuple[float, int]:
    """Run the checks twice: timed, then under tracemalloc for the peak heap (tracemalloc
    slows every Python allocation about 2x, so it would inflate the wall time); print the
    figures; return (wall seconds, SQL queries)."""
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    checks, queries, per_fact, t_facts, wall, result = _run(url, include)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    traced_wall = _run(url, include)[4]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"checks: {len(checks)}  facts: {len(per_fact)}  SQL queries: {queries}")
    print(f"wall time: {wall:.2f} s (facts {t_facts:.2f} s, judging {wall - t_facts:.2f} s); "
          f"{traced_wall:.2f} s under tracemalloc")
    print(f"peak Python heap: {peak / 1024**2:.1f} MiB (tracemalloc); max RSS {rss / 1024:.0f} MiB "
          f"(was {rss0 / 1024:.0f} MiB before the run)")
    print("slowest facts: " + ", ".join(f"{n} {s * 1000:.0f} ms" for n, s in
                                          sorted(per_fact.items(), key=lambda x: -x[1])[:6]))
    counts = collections.Counter(f.check for f in result.findings)
    print("findings: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if result.errors:
        print("errors: " + "; ".join(e.message for e in result.errors))
    if findings_file:
        _write_findings(result, findings_file)
    return wall, queries


def _write_findings(result: TargetResult, path: str) -> None:
    lines = sorted(json.dumps({"check": f.check, "object": f.object, "severity": str(f.severity),
                               "summary": f.summary, "evidence": f.evidence, "fix": f.fix},
                              sort_keys=True, default=str) for f in result.findings)
    Path(path).write_text("\n".join(lines) + "\n")
    print(f"findings written to {path}")


def baseline(admin_url: str, include: list[str]) -> tuple[float, int]:
    """The same run on an empty database (pg_stat_statements installed), measured now,
    so the big catalog's figures are read as a ratio on this machine's current load."""
    db = "advisor_bench_empty"
    with psycopg.connect(admin_url, autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{db}"')
    url = _with_db(admin_url, db)
    try:
        with psycopg.connect(url, autocommit=True) as c:
            c.execute("CREATE EXTENSION pg_stat_statements")
        print("-- baseline: empty database")
        return measure(url, include)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--tables", type=int, default=5000)
    ap.add_argument("--statements", type=int, default=2000)
    ap.add_argument("--checks", action="append", help="check glob (default: pg.*)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the database (and its pg_stat_statements entries) for the next run")
    ap.add_argument("--findings", metavar="FILE", help="write the big catalog's findings as JSON lines")
    a = ap.parse_args()
    db = f"advisor_bench_{a.tables}t_{a.statements}s_v2"
    url = build(a.url, db, a.tables, a.statements)
    registry.all_checks()
    include = a.checks or ["pg.*"]
    try:
        base_wall, base_queries = baseline(a.url, include)
        print(f"-- {a.tables} tables, {a.statements} statements")
        wall, queries = measure(url, include, a.findings)
        print(f"ratio: {wall / base_wall:.1f}x the empty database's wall time "
              f"({wall:.2f} s vs {base_wall:.2f} s); SQL queries {queries} vs {base_queries}")
    finally:
        if not a.keep:
            with psycopg.connect(url, autocommit=True) as c:  # pg_stat_statements is cluster-wide
                c.execute("SELECT pg_stat_statements_reset(0, oid, 0) FROM pg_database "
                          "WHERE datname = current_database()")
            with psycopg.connect(a.url, autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


if __name__ == "__main__":
    main()
