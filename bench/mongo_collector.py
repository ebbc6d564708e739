#!/usr/bin/env python3
"""Benchmark: the MongoDB collector and checks on a large catalog, over the wire.

No MongoDB can run here, so the server is the mockupdb stand-in of the tests
(tests/mongo/mockmongod.py) serving a synthetic catalog: C collections with I indexes
each (one redundant, one unused) and P profiler entries. It measures the advisor's
side: commands sent, wall time, time in facts, peak Python memory, findings per check.
Server-side cost on a real mongod is not measured by this script.

    python bench/mongo_collector.py [--collections 1000] [--indexes 6] [--profile 1000]
                                    [--members 1|3] [--limit 2000]
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "mongo")]

from advisor import engines, registry  # noqa: E402
from advisor.facts import LiveFacts  # noqa: E402
from advisor.model import Host, TargetResult  # noqa: E402
from advisor.runner import RunOptions, run_checks  # noqa: E402
from advisor.targets import parse_target  # noqa: E402
from mockmongod import MockMongod  # noqa: E402


def catalog(n_colls: int, n_idx: int, n_prof: int, member: str) -> dict:
    since = dt.datetime(2024, 4, 1)
    out = {"listCollections_shop": [{"name": f"c{i}", "type": "collection"} for i in range(n_colls)]}
    for i in range(n_colls):
        specs = [{"v": 2, "key": {"_id": 1}, "name": "_id_"}, {"v": 2, "key": {"a": 1}, "name": "a_1"}]
        specs += [{"v": 2, "key": {"a": 1, f"f{k}": 1}, "name": f"a_1_f{k}_1"} for k in range(n_idx - 2)]
        out[f"listIndexes_c{i}"] = specs
        out[f"indexStats_c{i}_{member}"] = [
            {"name": s["name"], "key": s["key"], "host": f"{member}:27017",
             "accesses": {"ops": 0 if s["name"] == "a_1" else 10, "since": since}} for s in specs]
        out[f"collStats_c{i}"] = {"storageStats": {"size": 10**6, "count": 1000, "avgObjSize": 1000,
                                                   "storageSize": 5 * 10**5, "freeStorageSize": 0,
                                                   "nindexes": n_idx, "totalIndexSize": 10**5}}
    out["system_profile_shop"] = [
        {"op": "query", "ns": f"shop.c{j % n_colls}", "planSummary": "COLLSCAN", "docsExamined": 5000,
         "nreturned": 1, "millis": 150, "hasSortStage": j % 2 == 0,
         "command": {"find": f"c{j % n_colls}", "filter": {"b": j, "c": {"$gt": j}}, "sort": {"d": -1}},
         "ts": since + dt.timedelta(seconds=j)} for j in range(n_prof)]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--collections", type=int, default=1000)
    ap.add_argument("--indexes", type=int, default=6)
    ap.add_argument("--profile", type=int, default=1000)
    ap.add_argument("--members", type=int, choices=(1, 3), default=1)
    ap.add_argument("--limit", type=int, default=2000, help="options.collection_limit")
    args = ap.parse_args()

    names = ["db1", "db2", "db3"][: args.members]
    servers = [MockMongod(m, secondary=(m != "db1"),
                          replies=catalog(args.collections, args.indexes, args.profile, m)) for m in names]
    if args.members > 1:
        for s in servers:
            s.rs_hosts = [x.address for x in servers]
    url = servers[0].url + ("?replicaSet=rs0" if args.members > 1 else "")
    try:
        target = parse_target(url)
        opts = RunOptions(timeout=10, host=Host(memory_bytes=16 * 1024**3),
                          engine_options={"mongo": {"collection_limit": args.limit}})
        checks = opts.checks_for("mongo")
        tracemalloc.start()
        t0 = time.perf_counter()
        engine = engines.load("mongo")
        session = engine.connect(target, opts.for_target(target).session_options())
        facts = LiveFacts("mongo", session, opts.for_target(target).session_options())
        for name in sorted({f for c in checks for f in c.facts}):   # collect, as `advisor snapshot`
            facts.has(name)
        t_facts = time.perf_counter() - t0
        res = TargetResult(id=target.id, engine="mongo", url=target.redacted)
        run_checks(res, checks, facts, opts)                       # judge, as `advisor analyze`
        engine.close(session)
        wall = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        for s in servers:
            s.stop()
    sent = sum(len(s.received) for s in servers)
    per_cmd = collections.Counter(c for s in servers for c, _ in s.received)
    print(f"catalog: {args.collections} collections x {args.indexes} indexes, {args.profile} profile "
          f"entries, {args.members} member(s)")
    print(f"wall time: {wall:.2f} s   connect + facts: {t_facts:.2f} s   checks: {wall - t_facts:.2f} s "
          f"(tracemalloc on: times are inflated)")
    print(f"commands sent: {sent} ({', '.join(f'{k} {v}' for k, v in per_cmd.most_common(6))})")
    print(f"peak Python memory: {peak / 1024**2:.1f} MiB   errors: {len(res.errors)}")
    for check, n in sorted(collections.Counter(f.check for f in res.findings).items()):
        print(f"  {check:<34} {n} finding(s)")
    for s in res.skipped:
        print(f"  skipped {s.check}: {s.reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
