#!/usr/bin/env python3
"""Benchmark: does the TUI stay responsive while targets are inspected?

Runs the real app headless (App.run_test) against the given URLs plus, with --silent,
a server that accepts TCP and never answers (a hung port-forward). Prints the time to
the first frame, when each target finished, and the event-loop stalls measured by a
20 ms timer while the workers run (the longest gap between ticks is what a user would
feel as a frozen UI).

    python bench/tui.py [URL ...] [--silent] [--timeout 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import select
import signal
import socket
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from advisor.runner import RunOptions  # noqa: E402
from advisor.targets import parse_target  # noqa: E402
from advisor.tui.app import AdvisorApp  # noqa: E402
from advisor.tui.jobs import Source  # noqa: E402

DEFAULT = ["postgresql://postgres@127.0.0.1:5432/postgres", "mysql://root@127.0.0.1:3306/mysql",
           "redis://127.0.0.1:6379/0"]


async def one_round(urls: list[str], timeout: float) -> dict:
    sources = [Source(label=t.id, engine=t.engine, target=t) for t in map(parse_target, urls)]
    app = AdvisorApp(sources, RunOptions(timeout=timeout), remember=False)
    t0 = time.perf_counter()
    ticks: list[float] = []
    finished: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        first_frame = time.perf_counter() - t0
        app.set_interval(0.02, lambda: ticks.append(time.perf_counter()))
        while any(s.status in ("running", "queued") for s in app.states.values()):  # they start after frame 1
            for s in app.states.values():
                if s.status not in ("running", "queued") and s.source.label not in finished:
                    finished[s.source.label] = time.perf_counter() - t0
            await pilot.pause(0.01)
        for s in app.states.values():
            finished.setdefault(s.source.label, time.perf_counter() - t0)
        statuses = {s.source.label: s.status for s in app.states.values()}
        findings = len(app.shown)
    gaps = [b - a for a, b in zip(ticks, ticks[1:])] or [0.0]
    return {"first_frame": first_frame, "finished": finished, "statuses": statuses, "findings": findings,
            "max_gap": max(gaps), "p95_gap": sorted(gaps)[int(len(gaps) * 0.95)], "ticks": len(ticks)}


def cold_first_frame(urls: list[str], size: tuple[int, int] = (80, 24)) -> float:
    """Seconds from starting `advisor tui` in a pseudo-terminal to its first frame on screen."""
    import fcntl
    import struct
    import subprocess
    import termios
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "advisor", "tui", *urls], stdin=slave, stdout=slave,
                            stderr=slave, start_new_session=True)
    os.close(slave)
    seen, took = b"", float("nan")
    try:
        while time.perf_counter() - t0 < 30:
            if select.select([master], [], [], 0.05)[0]:
                seen += os.read(master, 65536)
                if b"Targets" in seen:  # the border title: the main screen is drawn
                    took = time.perf_counter() - t0
                    break
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()
        os.close(master)
    return took


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("urls", nargs="*")
    ap.add_argument("--silent", action="store_true", help="add a target that never answers")
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cold", action="store_true", help="time `advisor tui` from its start to its first frame")
    args = ap.parse_args()
    urls = args.urls or DEFAULT
    if args.cold:
        times = sorted(cold_first_frame(urls) for _ in range(args.rounds))
        print(f"advisor tui, {len(urls)} target(s), 80x24: first frame median "
              f"{statistics.median(times) * 1000:.0f} ms (min {times[0] * 1000:.0f}, max {times[-1] * 1000:.0f}, "
              f"{args.rounds} runs)")
        return 0
    silent = None
    if args.silent:
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        urls = [f"postgresql://postgres@127.0.0.1:{silent.getsockname()[1]}/hung", *urls]
    rounds = [asyncio.run(one_round(urls, args.timeout)) for _ in range(args.rounds)]
    print(f"targets: {len(urls)}  rounds: {args.rounds}  timeout: {args.timeout:g}s")
    print(f"first frame        median {statistics.median(r['first_frame'] for r in rounds) * 1000:7.0f} ms")
    for label in rounds[0]["finished"]:
        t = statistics.median(r["finished"][label] for r in rounds)
        print(f"  {label:<44} {rounds[-1]['statuses'][label]:<12} finished at {t * 1000:7.0f} ms")
    print(f"event loop, 20 ms timer: worst gap {max(r['max_gap'] for r in rounds) * 1000:.0f} ms, "
          f"p95 gap {statistics.median(r['p95_gap'] for r in rounds) * 1000:.0f} ms")
    print(f"findings shown: {rounds[-1]['findings']}")
    if silent:
        silent.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
