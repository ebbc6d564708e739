"""Benchmark: fleet runs and report formats (issue 8).

1. A fleet of N PostgreSQL targets (N scratch databases seeded with docker/seed/postgres.sql)
   plus D dead targets (a port nobody listens on, and a silent server that never answers),
   run through `advisor run --inventory` with 1 worker (sequential) and with the default
   thread pool: wall clock of each, so the gain of concurrency and the cost of dead targets show.
2. Rendering a synthetic report of F findings in every format (text, json, markdown, sarif).
3. The cost the pytest plugin adds to every pytest start (importing advisor.pytest_plugin).

Usage: python bench/ci_fleet.py [--targets 6] [--findings 5000]
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from servers import free_port  # noqa: E402

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def silent_server() -> int:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    conns = []
    threading.Thread(target=lambda: [conns.append(srv.accept()[0]) for _ in iter(int, 1)], daemon=True).start()
    return srv.getsockname()[1]


def fleet(n: int, dead: int, timeout: float) -> None:
    from advisor import runner
    from advisor.cli import main
    from advisor.demo import seed_postgres, with_db

    names = [f"advisor_bench_{i}" for i in range(n)]
    with psycopg.connect(ADMIN, autocommit=True) as c:
        for name in names:
            c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            c.execute(f"CREATE DATABASE {name}")
    try:
        t0 = time.perf_counter()
        for name in names:
            seed_postgres(with_db(ADMIN, name))
        print(f"seeded {n} databases in {time.perf_counter() - t0:.1f} s")
        lines = [f"timeout = {timeout}", "parallel = PARALLEL"]
        for name in names:
            lines += ["[[target]]", f'name = "{name}"', f'url = "{with_db(ADMIN, name)}"']
        silent = silent_server()
        for i in range(dead):
            port = free_port() if i % 2 == 0 else silent
            lines += ["[[target]]", f'name = "dead{i}"', f'url = "postgresql://u:pw@127.0.0.1:{port}/x"']
        inv = Path(tempfile.mkdtemp()) / "fleet.toml"
        for workers in (1, runner.RunOptions().max_parallel):
            inv.write_text("\n".join(lines).replace("PARALLEL", str(workers)) + "\n")
            t0 = time.perf_counter()
            code = main(["run", "--inventory", str(inv), "--format", "json", "--output", "/dev/null",
                         "--fail-on", "never"])
            wall = time.perf_counter() - t0
            print(f"fleet of {n} live + {dead} dead targets (timeout {timeout:g} s), {workers} worker(s): "
                  f"{wall:.2f} s, exit {code}")
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as c:
            for name in names:
                c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def formats(n: int) -> None:
    from advisor.formats import FORMATS, renderer
    from advisor.model import Finding, Severity, TargetResult
    from advisor.report import Report

    sev = [Severity.CRITICAL, Severity.WARNING, Severity.INFO]
    findings = [Finding("postgres://db:5432/app", f"pg.index.unused", sev[i % 3], "indexes", f"public.idx_{i}",
                        f"index public.idx_{i} was never scanned ({i * 1024} bytes)",
                        {"idx_scan": 0, "bytes": i * 1024},
                        "Drop it if no query needs it.", f"DROP INDEX CONCURRENTLY public.idx_{i};", "PgHero")
                for i in range(n)]
    report = Report(targets=[TargetResult(id="postgres://db:5432/app", engine="postgres", url="postgresql://db/app",
                                          score=0, findings=findings)])
    for name in sorted(FORMATS):
        t0 = time.perf_counter()
        text = renderer(name)(report)
        ms = 1000 * (time.perf_counter() - t0)
        print(f"format {name:<8} {n} findings: {ms:7.1f} ms, {len(text) / 1024:8.1f} KiB")


def plugin_import() -> None:
    code = ("import pytest, time; t = time.perf_counter(); import advisor.pytest_plugin; "
            "print(time.perf_counter() - t)")
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
            for _ in range(5)]
    print(f"import advisor.pytest_plugin in a process that has pytest: best of 5 {1000 * min(runs):.2f} ms")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--targets", type=int, default=6)
    ap.add_argument("--dead", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=3)
    ap.add_argument("--findings", type=int, default=5000)
    args = ap.parse_args()
    fleet(args.targets, args.dead, args.timeout)
    formats(args.findings)
    plugin_import()
    return 0


if __name__ == "__main__":
    sys.exit(main())
