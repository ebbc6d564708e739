"""Configuration, persistence, security and safety, judged on dedicated real redis-server instances."""

from __future__ import annotations

import shutil

from redis_helpers import READ_ONLY_COMMANDS, client, findings, skipped, state, wait_for

HEALTHY = ("--maxmemory", "100mb", "--maxmemory-policy", "allkeys-lru", "--save", "900 1",
           "--appendonly", "yes", "--appendfsync", "everysec", "--latency-monitor-threshold", "100",
           "--requirepass", "s3cret-pw")

def _ids(report) -> set[str]:
    return {f["check"] for f in findings(report)}


def test_healthy_instance_is_quiet_and_untouched(start_redis, advise):
    srv = start_redis(*HEALTHY)
    r = client(srv, password="s3cret-pw")
    r.mset({f"session:{i}": "x" * 50 for i in range(500)})
    before = state(r)
    calls_before = {k: v["calls"] for k, v in r.info("commandstats").items()}
    code, rep, err = advise(f"redis://:s3cret-pw@127.0.0.1:{srv.port}/0", "--memory", "1GiB")
    assert code == 0, (rep["findings"], err)
    calls = {k[8:]: v["calls"] for k, v in r.info("commandstats").items()}
    sent = {c for c, n in calls.items() if n != calls_before.get("cmdstat_" + c)}
    assert sent <= READ_ONLY_COMMANDS, sent - READ_ONLY_COMMANDS
    assert {f["severity"] for f in findings(rep)} <= {"info"}
    assert _ids(rep) <= {"redis.keys.prefixes"}, _ids(rep)
    assert state(r) == before
    assert "s3cret-pw" not in str(rep) + err
    prefixes = findings(rep, "redis.keys.prefixes")[0]["evidence"]
    assert prefixes["prefixes"][0]["prefix"] == "session:*" and prefixes["sampled_keys"] == 500


def test_default_instance_risks(start_redis, advise):
    srv = start_redis()
    r = client(srv)
    r.set("k", "v")
    before = state(r)
    code, rep, _ = advise(srv.url, "--memory", "8GiB")
    assert code == 1
    ids = _ids(rep)
    assert {"redis.memory.maxmemory_unset", "redis.persistence.none", "redis.security.no_auth",
            "redis.latency.monitor_disabled"} <= ids
    f = findings(rep, "redis.memory.maxmemory_unset")[0]
    assert f["evidence"]["recommended_maxmemory"] == 6 * 1024**3
    assert "maxmemory 6gb" in f["fix"]
    assert state(r) == before


def test_maxmemory_above_75_percent(start_redis, advise):
    srv = start_redis("--maxmemory", "900mb", "--maxmemory-policy", "allkeys-lru")
    code, rep, _ = advise(srv.url, "--memory", "1GiB", "--checks", "redis.memory.*")
    f = findings(rep, "redis.memory.maxmemory_too_high")
    assert f and f[0]["evidence"]["share_pct"] == 87.9 and "maxmemory 768mb" in f[0]["fix"]
    code, rep, _ = advise(srv.url, "--memory", "2GiB", "--checks", "redis.memory.*")
    assert not findings(rep, "redis.memory.maxmemory_too_high")


def test_noeviction_oom_and_near_limit(start_redis, advise):
    srv = start_redis("--maxmemory", "3mb")  # policy noeviction by default
    r = client(srv)
    rejected = 0
    for i in range(400):
        try:
            r.set(f"fill:{i}", "x" * 10_000)
        except Exception:
            rejected += 1
    assert rejected
    code, rep, _ = advise(srv.url, "--memory", "1GiB")
    ids = _ids(rep)
    assert {"redis.eviction.noeviction", "redis.eviction.oom_rejections", "redis.memory.near_limit"} <= ids
    assert findings(rep, "redis.eviction.oom_rejections")[0]["evidence"]["errorstat_OOM"] == rejected


def test_evictions_with_allkeys_lru(start_redis, advise):
    srv = start_redis("--maxmemory", "3mb", "--maxmemory-policy", "allkeys-lru")
    r = client(srv)
    for i in range(600):
        r.set(f"fill:{i}", "x" * 10_000)
    code, rep, _ = advise(srv.url, "--checks", "redis.eviction.*")
    ids = _ids(rep)
    assert "redis.eviction.evicted_keys" in ids and "redis.eviction.noeviction" not in ids
    assert findings(rep, "redis.eviction.evicted_keys")[0]["evidence"]["evicted_keys"] > 0


def test_volatile_policy_with_keys_without_ttl(start_redis, advise):
    bad = start_redis("--maxmemory", "50mb", "--maxmemory-policy", "volatile-lru")
    client(bad).mset({f"k{i}": i for i in range(100)})
    _, rep, _ = advise(bad.url, "--checks", "redis.eviction.*")
    f = findings(rep, "redis.eviction.volatile_without_ttl")
    assert f and f[0]["severity"] == "critical" and f[0]["evidence"]["no_ttl_pct"] == 100.0
    good = start_redis("--maxmemory", "50mb", "--maxmemory-policy", "volatile-lru")
    rg = client(good)
    for i in range(100):
        rg.set(f"k{i}", i, ex=3600)
    _, rep, _ = advise(good.url, "--checks", "redis.eviction.*")
    assert not findings(rep, "redis.eviction.volatile_without_ttl")


def test_persistence_variants(start_redis, advise):
    rdb = start_redis("--save", "900 1")
    _, rep, _ = advise(rdb.url, "--checks", "redis.persistence.*")
    assert _ids(rep) == {"redis.persistence.rdb_only"}
    always = start_redis("--save", "900 1", "--appendonly", "yes", "--appendfsync", "always")
    _, rep, _ = advise(always.url, "--checks", "redis.persistence.*")
    f = findings(rep, "redis.persistence.aof_fsync")
    assert f and f[0]["evidence"]["appendfsync"] == "always" and "appendfsync everysec" in f[0]["fix"]


def test_failed_bgsave_is_critical(start_redis, advise):
    srv = start_redis("--save", "900 1")
    r = client(srv)
    r.set("k", "v")
    shutil.rmtree(srv.dir)  # the snapshot cannot be written any more
    r.bgsave()
    wait_for(lambda: r.info("persistence")["rdb_last_bgsave_status"] != "ok")
    try:
        _, rep, _ = advise(srv.url, "--checks", "redis.persistence.*")
        f = findings(rep, "redis.persistence.failed")
        assert f and f[0]["object"] == "rdb_last_bgsave_status" and f[0]["severity"] == "critical"
    finally:
        r.config_set("save", "")  # else shutdown retries the failing save


def test_config_blocked_falls_back_to_info(start_redis, advise):
    srv = start_redis("--rename-command", "CONFIG", "")
    _, rep, _ = advise(srv.url, "--memory", "4GiB")
    assert "redis.memory.maxmemory_unset" in _ids(rep)  # maxmemory read from INFO memory
    sk = skipped(rep)
    assert "redis.persistence.none" in sk and "configuration not readable" in sk["redis.persistence.none"]
    assert "CONFIG" in sk["redis.persistence.none"]


def test_least_privilege_acl_user(start_redis, advise):
    srv = start_redis("--requirepass", "adminpw")
    r = client(srv, password="adminpw")
    r.execute_command(
        "ACL", "SETUSER", "advisor", "on", ">advisorpw", "%R~*", "resetchannels",
        "+ping", "+info", "+config|get", "+slowlog|get", "+slowlog|len", "+client|list", "+client|setname",
        "+latency|latest", "+acl|users", "+acl|getuser", "+cluster|nodes", "+select", "+scan", "+type",
        "+memory|usage", "+object|encoding", "+pttl", "+strlen", "+llen", "+hlen", "+scard", "+zcard", "+xlen")
    r.set("a:1", "v")
    before = state(r)
    code, rep, err = advise(f"redis://advisor:advisorpw@127.0.0.1:{srv.port}/0")
    assert not rep["errors"], rep["errors"]
    assert not [s for s in skipped(rep).values() if "not permitted" in s], skipped(rep)
    prefixes = findings(rep, "redis.keys.prefixes")[0]["evidence"]["prefixes"]
    assert prefixes[0]["memory_bytes"] > 0  # MEMORY USAGE allowed with read-only key access
    assert state(r) == before
    # without +config|get: the settings are skipped with the grant that would fix it
    r.execute_command("ACL", "SETUSER", "advisor", "-config|get", "-slowlog|get")
    _, rep, _ = advise(f"redis://advisor:advisorpw@127.0.0.1:{srv.port}/0")
    reason = skipped(rep)["redis.persistence.none"]
    assert "not permitted" in reason and "+config|get" in reason
    assert "ACL SETUSER <advisor user> +slowlog|get" in skipped(rep)["redis.slowlog.slow_commands"]
    assert "redis.memory.maxmemory_unset" in _ids(rep)  # judged from INFO all the same


def test_nopass_acl_user_is_reported(start_redis, advise):
    srv = start_redis("--requirepass", "adminpw")
    r = client(srv, password="adminpw")
    url = f"redis://:adminpw@127.0.0.1:{srv.port}/0"
    _, rep, _ = advise(url, "--checks", "redis.security.*")
    assert not findings(rep)
    r.execute_command("ACL", "SETUSER", "app", "on", "nopass", "+get", "~*")
    _, rep, _ = advise(url, "--checks", "redis.security.*")
    f = findings(rep, "redis.security.no_auth")
    assert [x["object"] for x in f] == ["user app"] and f[0]["severity"] == "warning"


def test_clients_near_max_and_rejected(start_redis, advise):
    srv = start_redis("--maxclients", "10")
    conns = [client(srv) for _ in range(12)]
    for c in conns:
        try:
            c.ping()
        except Exception:
            pass
    for c in conns[8:]:
        c.close()  # make room for the advisor's own connection
    wait_for(lambda: conns[0].info("clients")["connected_clients"] <= 8)
    _, rep, _ = advise(srv.url, "--checks", "redis.clients.*")
    ids = _ids(rep)
    assert {"redis.clients.near_max", "redis.clients.rejected"} <= ids
    for c in conns:
        c.close()


def test_blocked_clients_with_threshold_from_config(start_redis, advise):
    import threading
    srv = start_redis()
    waiters = [client(srv) for _ in range(3)]
    threads = [threading.Thread(target=w.blpop, args=("queue", 30), daemon=True) for w in waiters]
    for t in threads:
        t.start()
    wait_for(lambda: client(srv).info("clients")["blocked_clients"] == 3)
    _, rep, _ = advise(srv.url, "--checks", "redis.clients.*",
                       thresholds={"redis.clients.blocked": {"blocked": 2}})
    f = findings(rep, "redis.clients.blocked")
    assert f and f[0]["evidence"]["blocked_clients"] == 3
    _, rep, _ = advise(srv.url, "--checks", "redis.clients.*")
    assert not findings(rep, "redis.clients.blocked")  # default threshold 50
    client(srv).rpush("queue", 1, 2, 3)
    for t in threads:
        t.join(5)


def test_replica_link_up_then_down(start_redis, advise):
    master = start_redis("--repl-diskless-sync-delay", "0")
    replica = start_redis("--replicaof", "127.0.0.1", str(master.port))
    client(master).set("k", "v")
    r = client(replica)
    wait_for(lambda: r.info("replication")["master_link_status"] == "up")
    _, rep, _ = advise(replica.url, "--checks", "redis.replication.*")
    assert not findings(rep)
    _, rep, _ = advise(master.url, "--checks", "redis.replication.*")
    assert not findings(rep)
    master.stop()
    _, rep, _ = advise(replica.url, "--checks", "redis.replication.*")
    f = findings(rep, "redis.replication.link_down")
    assert f and f[0]["severity"] == "critical" and f[0]["object"] == f"127.0.0.1:{master.port}"


def test_tls_rediss_url(tmp_path, advise, run_cli):
    import subprocess as sp

    from servers import RedisServer
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    sp.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    srv = RedisServer()
    srv.args = ("--port", "0", "--tls-port", str(srv.port), "--tls-cert-file", str(cert), "--tls-key-file", str(key),
                "--tls-ca-cert-file", str(cert), "--tls-auth-clients", "no")
    srv.start()
    try:
        code, rep, err = advise(f"rediss://127.0.0.1:{srv.port}/0?ssl_ca_certs={cert}",
                                "--checks", "redis.memory.maxmemory_unset", "--memory", "1GiB")
        assert rep["targets"][0]["server_version"].startswith("redis 7"), err
        assert findings(rep, "redis.memory.maxmemory_unset")
        code, out, err = run_cli("run", "--timeout", "3", f"rediss://127.0.0.1:{srv.port}/0")  # unknown CA
        assert code == 3 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
        code, out, err = run_cli("run", "--timeout", "1", f"redis://127.0.0.1:{srv.port}/0")  # plain on TLS port
        assert code == 3 and len(err.strip().splitlines()) == 1
    finally:
        srv.stop()
