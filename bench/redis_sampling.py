"""Benchmark: the advisor's key sampling on 1M keys beside redis-cli --bigkeys / --memkeys.

Starts a dedicated redis-server on a free loopback port, loads N keys of mixed types through
pipelines, then times (wall clock) and measures peak memory (max RSS of the process) of:
  1. `advisor snapshot` with sampling of every key (sample_keys = N, generous time budget),
  2. `advisor run` with every check and the default sampling budget,
  3. `redis-cli --bigkeys`, 4. `redis-cli --memkeys`,
and prints the figures. Usage: python bench/redis_sampling.py [--keys 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
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
    ap.add_argument("--keys", type=int, default=1_000_000)
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
            rows = []
            for name, cmd in [
                ("advisor (snapshot, keys checks, all keys)",
                 [sys.executable, "-m", "advisor", "snapshot", "--config", str(cfg), "--checks", "redis.keys.*",
                  "--timeout", "30", "-o", str(snap), srv.url]),
                ("advisor run (all checks, default sampling)",
                 [sys.executable, "-m", "advisor", "run", "--json", "--timeout", "30", srv.url]),
                ("redis-cli --bigkeys", ["redis-cli", "-p", str(srv.port), "--bigkeys"]),
                ("redis-cli --memkeys", ["redis-cli", "-p", str(srv.port), "--memkeys"]),
            ]:
                rows.append((name, measure(cmd, r)))
            sample = json.loads(snap.read_text())["targets"][0]["facts"]["redis.key_sample"]
        print(f"advisor sampled {sample['sampled']} of {sample['total_keys']} keys "
              f"({100 * sample['fraction']:.1f}%) in {sample['seconds']:.1f} s (inside the process)")
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall times grow with it)")
        print(f"{'tool':<44} {'wall s':>7} {'tool CPU s':>10} {'redis CPU s':>11} {'peak RSS MiB':>12}")
        for name, m in rows:
            print(f"{name:<44} {m['wall']:7.1f} {m['cpu']:10.1f} {m['server_cpu']:11.1f} {m['rss'] / 2**20:12.1f}")
    finally:
        srv.stop()


def measure(cmd: list[str], server: redis.Redis) -> dict:
    """Wall time, CPU time and peak RSS of one child, and the Redis server's CPU spent meanwhile.

    Peak RSS is VmHWM of /proc/<pid>/status polled every 5 ms (rusage's maxrss would count the
    Python parent's pages the child had before exec); CPU comes from wait4's rusage; the
    server's CPU from INFO cpu (used_cpu_user + used_cpu_sys) before and after."""
    def server_cpu() -> float:
        c = server.info("cpu")
        return c["used_cpu_user"] + c["used_cpu_sys"]

    cpu0 = server_cpu()
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
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss": peak, "server_cpu": server_cpu() - cpu0}


if __name__ == "__main__":
    main()
