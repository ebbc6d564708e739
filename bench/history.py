#!/usr/bin/env python3
"""Benchmark: what `--history FILE` adds to a full run, and how fast the file grows.

On the 5,000-table database of bench/pg_catalog.py (built once; --keep leaves it for the next
run), runs a full `advisor run --json URL` with and without `--history FILE`, in pairs whose
order alternates (A B, B A, ...), after one warm-up of each (the warm-up also gives the history
its first run, so every counted run with a history forecasts from an earlier one). Prints the
median wall and CPU seconds of each side, the median of the per-pair ratios (with/without:
the target is at most 1.05) and the load average before and after.

Then the file: its size after the real runs (WAL checkpointed), the bytes each run added, the
rows a run stores (findings, figures), and the size after --runs runs in all, the last ones
copies of the latest run's rows with later times (the store's growth, without running the
advisor that many times). And, in process, the history's own steps on this catalog: the figures
read from the facts, opening the file and reading the earlier run, recording one run.

    python bench/history.py [--url postgresql://postgres@127.0.0.1:5432/postgres]
                            [--tables 5000] [--statements 2000] [-n 5] [--runs 365] [--keep]
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import pg_catalog  # noqa: E402
import psycopg  # noqa: E402

from advisor import engines, figures, history  # noqa: E402
from advisor.facts import LiveFacts  # noqa: E402
from advisor.report import Report  # noqa: E402
from advisor.runner import RunOptions, inspect  # noqa: E402
from advisor.targets import parse_target  # noqa: E402


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, cpu) seconds of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()[-500:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _size(path: Path) -> int:
    """The file's size with its WAL folded in (what stays on disk between runs)."""
    with sqlite3.connect(path) as c:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def paired(url: str, hist: Path, n: int) -> dict[str, float]:
    base = [sys.executable, "-m", "advisor", "run", "--json", "--fail-on", "never"]
    with_h, without = base + ["--history", str(hist), url], base + [url]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    _timed(with_h, env), _timed(without, env)    # warm-up: caches, and the history's first run
    first_size = _size(hist)
    a, b, ratios = [], [], []
    for i in range(n):
        if i % 2 == 0:
            ra, rb = _timed(with_h, env), _timed(without, env)
        else:
            rb, ra = _timed(without, env), _timed(with_h, env)
        a.append(ra), b.append(rb), ratios.append(ra[0] / rb[0])
        print(f"  pair {i + 1}: with {ra[0]:.2f} s, without {rb[0]:.2f} s, ratio {ratios[-1]:.3f}")
    med = statistics.median
    print(f"with --history:    wall {med(w for w, _ in a):.2f} s, cpu {med(c for _, c in a):.2f} s (median of {n})")
    print(f"without --history: wall {med(w for w, _ in b):.2f} s, cpu {med(c for _, c in b):.2f} s")
    print(f"ratio with/without: median {med(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f}); "
          f"target <= 1.05")
    return {"first_size": first_size, "runs": n + 1}


def growth(hist: Path, first_size: int, real_runs: int, total_runs: int) -> None:
    size = _size(hist)
    per_run = (size - first_size) / max(1, real_runs - 1)
    with sqlite3.connect(hist) as c:
        rid = c.execute("SELECT max(id) FROM runs").fetchone()[0]
    h = history.open_history(str(hist))
    n_find, figs = len(h.findings(rid)), h.figures(rid)
    h.close()
    kinds: dict[str, int] = {}
    for name in figs:
        kinds[name.split(":")[0]] = kinds.get(name.split(":")[0], 0) + 1
    print(f"file after {real_runs} real runs: {size / 1024:.0f} KiB; {per_run / 1024:.1f} KiB per run "
          f"({n_find} findings, {len(figs)} figures a run: "
          + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) + f"; TOP_TABLES = {figures.TOP_TABLES})")
    with sqlite3.connect(hist) as c:   # later runs: copies of the latest one, a day apart
        for day in range(1, total_runs - real_runs + 1):
            c.execute("INSERT INTO runs (target, engine, taken_at, score, duration_ms, complete, sample_s, "
                      "findings, figures) SELECT target, engine, taken_at + ?, score, duration_ms, complete, "
                      "sample_s, findings, figures FROM runs WHERE id = ?", (day * 86400, rid))
    big = _size(hist)
    print(f"file after {total_runs} runs: {big / 1024**2:.1f} MiB "
          f"({(big - size) / max(1, total_runs - real_runs) / 1024:.1f} KiB per run)")


def steps(url: str, hist: Path) -> None:
    """The history's own work on this catalog, in process: figures, previous(), record()."""
    target = parse_target(url)
    opts = RunOptions()
    topts = opts.for_target(target)
    engine = engines.load("postgres")
    session = engine.connect(target, topts.session_options())
    try:
        facts = LiveFacts("postgres", session, topts.session_options())
        for name in figures.FACTS["postgres"]:
            facts.has(name)
        t0 = time.perf_counter()
        figs = figures.figures("postgres", facts.values)
        t_fig = time.perf_counter() - t0
    finally:
        engine.close(session)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "h.sqlite"
        copy.write_bytes(hist.read_bytes())
        t0 = time.perf_counter()
        h = history.open_history(str(copy))
        h.previous(target.id)
        t_prev = time.perf_counter() - t0
        report = inspect([target], RunOptions(include=["pg.config.*"]))   # a small report; the figures above
        t0 = time.perf_counter()
        h.record(report, {target.id: figs})
        t_rec = time.perf_counter() - t0
        h.close()
    print(f"in process: figures {t_fig * 1000:.1f} ms ({len(figs)}), open + previous run "
          f"{t_prev * 1000:.1f} ms, record one run {t_rec * 1000:.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--tables", type=int, default=5000)
    ap.add_argument("--statements", type=int, default=2000)
    ap.add_argument("-n", type=int, default=5, help="counted pairs (default 5)")
    ap.add_argument("--runs", type=int, default=365, help="runs in the file for the growth figure (default 365)")
    ap.add_argument("--keep", action="store_true", help="keep the database for the next run")
    a = ap.parse_args()
    db = f"advisor_bench_{a.tables}t_{a.statements}s_v2"
    url = pg_catalog.build(a.url, db, a.tables, a.statements)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            hist = Path(tmp) / "history.sqlite"
            print(f"load average before: {_load()}")
            got = paired(url, hist, a.n)
            print(f"load average after:  {_load()}")
            growth(hist, got["first_size"], got["runs"], max(a.runs, got["runs"]))
            steps(url, hist)
    finally:
        if not a.keep:
            with psycopg.connect(a.url, autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


if __name__ == "__main__":
    main()
