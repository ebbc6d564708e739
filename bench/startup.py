#!/usr/bin/env python3
"""Benchmark: what `advisor run` costs over connecting at all.

Runs, in turn (A B A B ...), a full `advisor run --json URL` on an empty PostgreSQL database
and a bare `python -c 'import psycopg; psycopg.connect(URL).execute("SELECT 1")'`, and prints
the median wall and CPU seconds of each and the median of the per-pair ratios A/B (pairs
cancel most of the drift of a shared machine). The target is a ratio of at most 1.6.

Both sides run with a bytecode cache (a temporary PYTHONPYCACHEPREFIX), as an installed
package does; --no-bytecode-cache measures with PYTHONDONTWRITEBYTECODE=1 instead (every
module of the advisor compiled at each start).

    python bench/startup.py [--url postgresql://postgres@127.0.0.1:5432/postgres] [-n 9]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def _with_db(url: str, db: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, "/" + db, p.query, p.fragment))


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, cpu) seconds of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres", help="admin URL")
    ap.add_argument("-n", type=int, default=9, help="pairs counted (after one warm-up pair)")
    ap.add_argument("--no-bytecode-cache", action="store_true")
    a = ap.parse_args()

    import psycopg
    db = f"advisor_startup_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(a.url, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{db}"')
    url = _with_db(a.url, db)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cache = tempfile.TemporaryDirectory(prefix="advisor-pycache-")
    if a.no_bytecode_cache:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = cache.name
    advisor = [sys.executable, "-m", "advisor", "run", "--json", "--fail-on", "never", url]
    bare = [sys.executable, "-c", f"import psycopg; psycopg.connect({url!r}).execute('SELECT 1')"]
    try:
        runs: dict[str, list[tuple[float, float]]] = {"advisor": [], "bare": []}
        for i in range(a.n + 1):
            pair = _timed(advisor, env), _timed(bare, env)
            if i:  # the first pair warms the caches (and writes the bytecode)
                runs["advisor"].append(pair[0])
                runs["bare"].append(pair[1])
    finally:
        with psycopg.connect(a.url, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{db}"')
        cache.cleanup()
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in runs.items()}
    ratios = [aw / bw for (aw, _), (bw, _) in zip(runs["advisor"], runs["bare"])]
    cpu_ratios = [ac / bc for (_, ac), (_, bc) in zip(runs["advisor"], runs["bare"]) if bc]
    print(f"{a.n} pairs, bytecode cache {'off' if a.no_bytecode_cache else 'on'}, "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"advisor run --json (empty database): wall {med['advisor'][0]:.3f} s, cpu {med['advisor'][1]:.3f} s")
    print(f"psycopg connect + SELECT 1:          wall {med['bare'][0]:.3f} s, cpu {med['bare'][1]:.3f} s")
    print(f"ratio (median of pairs): wall {statistics.median(ratios):.2f}x, cpu {statistics.median(cpu_ratios):.2f}x "
          f"(wall range {min(ratios):.2f}-{max(ratios):.2f}; target <= 1.6)")


if __name__ == "__main__":
    main()
