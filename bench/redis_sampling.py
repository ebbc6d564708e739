"""Benchmark: the advisor's key sampling beside redis-cli --bigkeys / --memkeys.

Starts a dedicated redis-server on a free loopback port, loads N keys of mixed types through
pipelines, then
  1. runs `advisor snapshot` sampling every key (sample_keys = N, generous time budget) and
     `redis-cli --bigkeys` in turn, --pairs times, and prints the wall-time ratio of each pair and
     their median (pairs hold when the machine's speed drifts; quote the median with the load),
  2. times (wall clock) and measures peak memory (max RSS of the process) of one run each of
     `advisor run` with every check and the default sampling budget and `redis-cli --memkeys`,
  3. prints the keyspace lookups (INFO keyspace_hits + keyspace_misses) each tool added.
Usage: python bench/redis_sampling.py [--keys 500000] [--pairs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from servers import RedisServer  # noqa: E402


def load(r: redis.Redis, n: int) -> None:
    """Mixed types: 70% strings, 15% hashes, 5% lists, 5% sets, 5% sorted sets; a few big ones."""
    batch = 10_000
    for start in range(0, n, batch):
        p = r.pipeline(transaction=False)
        for i in range(start, min(n, start + batch)):
            kind = i % 20
            if kind < 14:
                p.set(f"str:{i}", "v" * (20 + i % 200))
            elif kind < 17:
                p.hset(f"hash:{i}", mapping={"a": i, "b": "x" * (i % 50), "c": 1})
            elif kind == 17:
                p.rpush(f"list:{i}", *range(i % 20 + 1))
            elif kind == 18:
                p.sadd(f"set:{i}", *range(i % 20 + 1))
            else:
                p.zadd(f"zset:{i}", {str(j): j for j in range(i % 20 + 1)})
        p.execute()
    r.set("str:huge", "x" * 500_000)
    r.rpush("list:huge", *range(50_000))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=500_000)
    ap.add_argument("--pairs", type=int, default=5)
    args = ap.parse_args()
    srv = RedisServer().start()
    try:
        r = redis.Redis(port=srv.port)
        t0 = time.perf_counter()
        load(r, args.keys)
        print(f"loaded {r.dbsize()} keys in {time.perf_counter() - t0:.1f} s, "
              f"used_memory {r.info('memory')['used_memory_human']}")
        with tempfile.TemporaryDirectory() as tmp:
            cfg = Path(tmp) / "advisor.toml"
            cfg.write_text(f"[options.redis]\nsample_keys = {args.keys + 10}\nsample_seconds = 600\n"
                           "scan_count = 1000\n")
            snap = Path(tmp) / "snap.json"
            every_key = [sys.executable, "-m", "advisor", "snapshot", "--config", str(cfg), "--checks",
                         "redis.keys.*", "--timeout", "30", "-o", str(snap), srv.url]
            bigkeys = ["redis-cli", "-p", str(srv.port), "--bigkeys"]
            load0 = os.getloadavg()
            pairs = [(measure(every_key, r), measure(bigkeys, r)) for _ in range(args.pairs)]
            load1 = os.getloadavg()
            rows = [("advisor (snapshot, keys checks, all keys)", _median_run([a for a, _ in pairs])),
                    ("redis-cli --bigkeys", _median_run([b for _, b in pairs]))]
            for name, cmd in [
                ("advisor run (all checks, default sampling)",
                 [sys.executable, "-m", "advisor", "run", "--json", "--timeout", "30", srv.url]),
                ("redis-cli --memkeys", ["redis-cli", "-p", str(srv.port), "--memkeys"]),
            ]:
                rows.append((name, measure(cmd, r)))
            sample = json.loads(snap.read_text())["targets"][0]["facts"]["redis.key_sample"]
        print(f"advisor sampled {sample['sampled']} of {sample['total_keys']} keys "
              f"({100 * sample['fraction']:.1f}%) in {sample['seconds']:.1f} s (inside the process); "
              f"typed {sample['typed']['keys']} keys")
        ratios = sorted(a["wall"] / b["wall"] for a, b in pairs)
        print("wall time, every key sampled / redis-cli --bigkeys, pair by pair: "
              + " ".join(f"{x:.2f}" for x in ratios) + f"; median {statistics.median(ratios):.2f}")
        print(f"load average {load0[0]:.1f} before, {load1[0]:.1f} after the pairs, on {os.cpu_count()} CPUs "
              "(wall times grow with it)")
        print(f"{'tool':<44} {'wall s':>7} {'tool CPU s':>10} {'redis CPU s':>11} {'peak RSS MiB':>12} "
              f"{'lookups':>9}")
        for name, m in rows:
            print(f"{name:<44} {m['wall']:7.1f} {m['cpu']:10.1f} {m['server_cpu']:11.1f} {m['rss'] / 2**20:12.1f} "
                  f"{m['lookups']:9d}")
    finally:
        srv.stop()


def _median_run(runs: list[dict]) -> dict:
    """The run with the median wall time (its other figures come with it)."""
    return sorted(runs, key=lambda m: m["wall"])[len(runs) // 2]


def measure(cmd: list[str], server: redis.Redis) -> dict:
    """Wall time, CPU time and peak RSS of one child, the Redis server's CPU spent meanwhile and
    the keyspace lookups (keyspace_hits + keyspace_misses) it added.

    Peak RSS is VmHWM of /proc/<pid>/status polled every 5 ms (rusage's maxrss would count the
    Python parent's pages the child had before exec); CPU comes from wait4's rusage; the
    server's CPU from INFO cpu (used_cpu_user + used_cpu_sys) before and after."""
    def server_cpu() -> float:
        c = server.info("cpu")
        return c["used_cpu_user"] + c["used_cpu_sys"]

    def lookups() -> int:
        s = server.info("stats")
        return s["keyspace_hits"] + s["keyspace_misses"]

    cpu0, lookups0 = server_cpu(), lookups()
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        try:
            for line in Path(f"/proc/{p.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) * 1024)
        except (OSError, ValueError):
            pass
        time.sleep(0.005)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode not in (0, 1):
        raise SystemExit(f"{cmd[0]} failed ({p.returncode}): {p.stderr.read().decode()[:300]}")
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss": peak, "server_cpu": server_cpu() - cpu0,
            "lookups": lookups() - lookups0}


if __name__ == "__main__":
    main()
