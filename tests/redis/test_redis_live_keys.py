"""Key sampling, big keys, fragmentation, hit ratio, slow log, bad inputs: real redis-server instances."""

from __future__ import annotations

import json
import random

from redis_helpers import READ_ONLY_COMMANDS, client, findings, skipped, state


def _ids(report) -> set[str]:
    return {f["check"] for f in findings(report)}


def test_big_keys_found_and_small_ones_not(start_redis, advise):
    srv = start_redis()
    r = client(srv)
    p = r.pipeline()
    p.set("blob:1", "x" * 200_000)
    p.hset("profile:big", mapping={f"f{i}": i for i in range(6000)})
    p.rpush("queue:big", *range(2000))
    p.sadd("tags:big", *range(1500))
    p.set("blob:small", "x" * 1000)
    p.hset("profile:small", mapping={"a": 1})
    p.rpush("queue:small", *range(10))
    p.execute()
    before = state(r)
    _, rep, _ = advise(srv.url, "--checks", "redis.keys.*")
    big = {f["object"]: f for f in findings(rep, "redis.keys.big")}
    assert set(big) == {"db0:blob:1", "db0:profile:big", "db0:queue:big", "db0:tags:big"}
    assert big["db0:profile:big"]["evidence"]["length"] == 6000
    assert big["db0:blob:1"]["evidence"]["length"] == 200_000
    assert big["db0:blob:1"]["evidence"]["memory_bytes"] > 200_000
    assert big["db0:queue:big"]["evidence"]["sampled_pct"] == 100.0
    assert state(r) == before


def test_sampling_is_bounded_and_never_uses_keys(start_redis, advise):
    srv = start_redis()
    r = client(srv)
    for chunk in range(4):
        r.mset({f"item:{chunk}:{i}": i for i in range(5000)})
    client(srv, db=3).mset({f"other:{i}": i for i in range(2000)})
    r0 = client(srv)
    before = state(r0)
    calls_before = {k: v["calls"] for k, v in r0.info("commandstats").items()}
    _, rep, _ = advise(srv.url, "--checks", "redis.keys.*", options={"sample_keys": 1100, "scan_count": 100})
    ev = findings(rep, "redis.keys.prefixes")[0]["evidence"]
    assert ev["total_keys"] == 22_000
    assert ev["sampled_keys"] == 1000 + 100  # each db's share of the cap: 20000 and 2000 of 22000 keys
    assert ev["stopped_by"] == "sample_keys" and ev["sampled_pct"] < 6
    assert {p["prefix"] for p in ev["prefixes"]} == {"item:*", "other:*"}
    after = {k[8:]: v["calls"] for k, v in r0.info("commandstats").items()}
    sent = {c for c, n in after.items() if n != calls_before.get("cmdstat_" + c)}
    assert "keys" not in sent and sent <= READ_ONLY_COMMANDS, sent - READ_ONLY_COMMANDS
    assert state(r0) == before


def test_many_logical_databases(start_redis, advise):
    srv = start_redis()
    client(srv).set("a", 1)
    client(srv, db=5).set("b", 1)
    _, rep, _ = advise(srv.url, "--checks", "redis.keyspace.*")
    f = findings(rep, "redis.keyspace.many_dbs")
    assert f and f[0]["evidence"]["databases"] == {"db0": 1, "db5": 1}


def test_encoding_limits(start_redis, advise):
    srv = start_redis("--hash-max-listpack-entries", "128")
    r = client(srv)
    p = r.pipeline()
    for i in range(150):
        p.hset(f"h:{i}", mapping={f"f{j}": j for j in range(200)})
    p.execute()
    _, rep, _ = advise(srv.url, "--checks", "redis.keys.*")
    f = findings(rep, "redis.keys.encoding_limits")
    assert f and f[0]["object"] == "hash-max-listpack-entries"
    assert f[0]["evidence"]["near_limit_keys"] == 150 and "hash-max-listpack-entries 512" in f[0]["fix"]
    ok = start_redis()  # limit 512 here: the same hashes stay listpacks
    r = client(ok)
    for i in range(150):
        r.hset(f"h:{i}", mapping={f"f{j}": j for j in range(200)})
    _, rep, _ = advise(ok.url, "--checks", "redis.keys.*")
    assert not findings(rep, "redis.keys.encoding_limits")


def test_fragmentation_after_mass_deletes(start_redis, advise):
    srv = start_redis()
    r = client(srv)
    rnd = random.Random(7)
    for chunk in range(20):
        p = r.pipeline(transaction=False)
        for i in range(5000):
            p.set(f"v:{chunk}:{i}", "x" * rnd.randint(300, 700))
        p.execute()
    p = r.pipeline(transaction=False)
    for chunk in range(20):
        for i in range(5000):
            if i % 10:
                p.delete(f"v:{chunk}:{i}")
    p.execute()
    _, rep, _ = advise(srv.url, "--checks", "redis.memory.*", "--memory", "8GiB")
    ids = _ids(rep)
    assert "redis.memory.allocator_fragmentation" in ids, findings(rep)
    assert "redis.memory.fragmentation" in ids
    f = findings(rep, "redis.memory.fragmentation")[0]
    assert f["evidence"]["mem_fragmentation_ratio"] > 1.5 and "activedefrag yes" in f["fix"]
    # the healthy twin: same data, nothing deleted
    ok = start_redis()
    r = client(ok)
    for chunk in range(10):
        r.mset({f"v:{chunk}:{i}": "x" * 500 for i in range(5000)})
    _, rep, _ = advise(ok.url, "--checks", "redis.memory.*", "--memory", "8GiB")
    assert not ({"redis.memory.fragmentation", "redis.memory.allocator_fragmentation"} & _ids(rep))


def test_hit_ratio(start_redis, advise):
    srv = start_redis()
    r = client(srv)
    r.set("present", 1)
    p = r.pipeline(transaction=False)
    for i in range(12_000):
        p.get(f"missing:{i}" if i % 4 else "present")
    p.execute()
    _, rep, _ = advise(srv.url, "--checks", "redis.cache.*")
    f = findings(rep, "redis.cache.hit_ratio")
    assert f and f[0]["evidence"]["hit_ratio_pct"] == 25.0
    good = start_redis()
    r = client(good)
    r.set("present", 1)
    p = r.pipeline(transaction=False)
    for _ in range(12_000):
        p.get("present")
    p.execute()
    _, rep, _ = advise(good.url, "--checks", "redis.cache.*")
    assert not findings(rep)


def test_slowlog_slow_and_dangerous_commands(start_redis, advise):
    srv = start_redis("--slowlog-log-slower-than", "0")
    r = client(srv)
    r.rpush("jobs", *range(100))
    r.keys("*")
    r.lrange("jobs", 0, -1)
    r.eval("local i = 0 while i < 3000000 do i = i + 1 end return 1", 0)  # a slow script
    _, rep, _ = advise(srv.url, "--checks", "redis.slowlog.*")
    dangerous = {f["object"]: f for f in findings(rep, "redis.slowlog.dangerous")}
    assert dangerous["KEYS"]["severity"] == "critical" and dangerous["LRANGE"]["severity"] == "warning"
    assert dangerous["LRANGE"]["evidence"]["example"] == "LRANGE jobs 0 -1"
    slow = {f["object"]: f for f in findings(rep, "redis.slowlog.slow_commands")}
    assert set(slow) == {"EVAL"} and slow["EVAL"]["evidence"]["max_us"] >= 10_000
    assert not any("db-advisor" in json.dumps(f) for f in findings(rep))
    quiet = start_redis("--slowlog-log-slower-than", "0")
    client(quiet).set("k", 1)
    _, rep, _ = advise(quiet.url, "--checks", "redis.slowlog.*")
    assert not findings(rep)


def test_snapshot_then_analyze_gives_the_same_findings(start_redis, run_cli, tmp_path):
    srv = start_redis("--requirepass", "topsecret")
    client(srv, password="topsecret").set("big", "x" * 150_000)
    url = f"redis://:topsecret@127.0.0.1:{srv.port}/0"
    snap = tmp_path / "snap.json"
    code, _, err = run_cli("snapshot", "-o", str(snap), url)
    assert code == 0, err
    text = snap.read_text()
    assert "topsecret" not in text
    assert json.loads(text)["targets"][0]["facts"]["redis.config"]["requirepass"] == "(set)"
    code, out, _ = run_cli("run", "--json", url)
    live = sorted((f["check"], f["object"]) for f in json.loads(out)["findings"])
    code, out, _ = run_cli("analyze", "--json", str(snap))
    offline = sorted((f["check"], f["object"]) for f in json.loads(out)["findings"])
    assert live == offline and ("redis.keys.big", "db0:big") in live


def test_wrong_password_exits_3_on_one_line(start_redis, run_cli):
    srv = start_redis("--requirepass", "right")
    for url in (f"redis://:wrong-pw@127.0.0.1:{srv.port}/0", f"redis://bob:wrong-pw@127.0.0.1:{srv.port}/0",
                f"redis://127.0.0.1:{srv.port}/0"):
        code, out, err = run_cli("run", url)
        assert code == 3, (url, out, err)
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert len(lines) == 1 and "Traceback" not in err and "wrong-pw" not in out + err
    code, out, err = run_cli("run", f"redis://:wrong-pw@127.0.0.1:{srv.port}/0")
    assert "authentication failed" in err or "WRONGPASS" in err or "invalid" in err


def test_cluster_mode_is_detected(advise):
    import socket

    from servers import RedisServer, free_port
    srv = RedisServer("--cluster-enabled", "yes", "--cluster-config-file", "nodes-test.conf")
    while True:  # the cluster bus listens on port + 10000: both must be free
        srv.port = free_port()
        try:
            with socket.socket() as bus:
                bus.bind(("127.0.0.1", srv.port + 10000))
            break
        except (OSError, OverflowError):
            continue
    srv.start()
    try:
        _check_cluster(srv, advise)
    finally:
        srv.stop()


def _check_cluster(srv, advise):
    _, rep, _ = advise(srv.url, "--checks", "redis.cluster.*")
    f = findings(rep, "redis.cluster.coverage")
    assert f and f[0]["object"] == f"127.0.0.1:{srv.port}"
    assert f"redis://127.0.0.1:{srv.port}" in f[0]["fix"]
    assert "cluster mode" in f[0]["summary"]
    assert not skipped(rep)


def test_sampling_stops_at_the_time_budget(start_redis, advise):
    srv = start_redis()
    r = client(srv)
    for chunk in range(4):
        r.mset({f"t:{chunk}:{i}": i for i in range(5000)})
    _, rep, _ = advise(srv.url, "--checks", "redis.keys.prefixes",
                       options={"sample_seconds": 0.001, "scan_count": 10})
    ev = findings(rep, "redis.keys.prefixes")[0]["evidence"]
    assert ev["stopped_by"] == "sample_seconds" and 0 < ev["sampled_keys"] < 1000


def test_bad_sampling_option_is_exit_2_before_connecting(run_cli, tmp_path):
    """Engine options are declared (advisor/engines/options.py): a wrong type is a usage error."""
    cfg = tmp_path / "advisor.toml"
    cfg.write_text('[options.redis]\nsample_keys = "lots"\n')
    code, out, err = run_cli("run", "--config", str(cfg), "redis://127.0.0.1:1/0")
    assert code == 2 and "option redis.sample_keys must be a whole number" in err, err


def test_latency_spike_and_disabled_slowlog(start_redis, advise):
    srv = start_redis("--latency-monitor-threshold", "5", "--slowlog-log-slower-than", "-1")
    client(srv).eval("local i = 0 while i < 3000000 do i = i + 1 end return 1", 0)
    _, rep, _ = advise(srv.url, "--checks", "redis.latency.*", "--checks", "redis.slowlog.*",
                       thresholds={"redis.latency.spikes": {"max_ms": 5}})
    spikes = findings(rep, "redis.latency.spikes")
    assert spikes and spikes[0]["object"] == "command" and spikes[0]["evidence"]["max_ms"] >= 5
    assert findings(rep, "redis.slowlog.disabled")[0]["object"] == "slowlog-log-slower-than"
    assert not findings(rep, "redis.latency.monitor_disabled")


def test_memory_peak_after_bulk_delete(start_redis, advise):
    srv = start_redis()
    r = client(srv)
    for chunk in range(6):
        r.mset({f"bulk:{chunk}:{i}": "x" * 1000 for i in range(5000)})
    r.flushall()
    r.mset({f"keep:{i}": "x" * 1000 for i in range(5000)})
    _, rep, _ = advise(srv.url, "--checks", "redis.memory.peak")
    f = findings(rep, "redis.memory.peak")
    assert f and f[0]["evidence"]["peak_pct"] > 150


def test_many_cached_scripts(start_redis, advise):
    srv = start_redis()
    p = client(srv).pipeline(transaction=False)
    for i in range(1100):
        p.eval(f"return {i}", 0)  # a value inlined into the script body: a new script each time
    p.execute()
    _, rep, _ = advise(srv.url, "--checks", "redis.memory.cached_scripts")
    f = findings(rep, "redis.memory.cached_scripts")
    assert f and f[0]["evidence"]["number_of_cached_scripts"] == 1100
    ok = start_redis()
    p = client(ok).pipeline(transaction=False)
    for i in range(1100):
        p.eval("return ARGV[1]", 0, i)  # parameterized: one cached script
    p.execute()
    _, rep, _ = advise(ok.url, "--checks", "redis.memory.cached_scripts")
    assert not findings(rep)
