"""Checks judged on recorded replies, for shapes the local server cannot produce
(swapping, lagging replicas, Valkey, a failed cluster node, huge numbers, Redis 6 names)."""

from __future__ import annotations

import re
from pathlib import Path

from advisor import registry
from advisor.engines.redis.facts_activity import parse_slowlog
from advisor.engines.redis.facts_server import parse_cluster_nodes, parse_config, parse_info
from advisor.engines.redis.session import server_version
from advisor.model import TargetResult
import support
from advisor.facts import SnapshotFacts

REPLIES = Path(__file__).parent / "replies"
GiB = 1024**3


def recorded_info(name: str = "redis7_master_info.txt", **fields) -> dict:
    """A recorded INFO reply with some fields replaced (value text as INFO prints it)."""
    text = (REPLIES / name).read_text()
    for k, v in fields.items():
        text, n = re.subn(rf"^{k}:.*$", f"{k}:{v}", text, flags=re.M)
        if n == 0 and k.startswith("master_"):  # fields INFO prints only in some states
            text, n = text.replace("# Replication\n", f"# Replication\n{k}:{v}\n"), 1
        assert n == 1, k
    return parse_info(text)


def judge(facts: dict, pattern: str, memory: int | None = None, thresholds: dict | None = None) -> TargetResult:
    return support.judge(registry.select("redis", [pattern]), facts, memory=memory, thresholds=thresholds,
                         target="t").result


def ids(res: TargetResult) -> list[str]:
    return [f.check for f in res.findings]


def test_swapping_below_1_is_critical_and_gated():
    info = recorded_info(used_memory=2 * GiB, used_memory_rss=int(1.2 * GiB), mem_fragmentation_ratio=0.6)
    res = judge({"redis.info": info}, "redis.memory.swapping")
    assert ids(res) == ["redis.memory.swapping"] and res.findings[0].severity.name == "CRITICAL"
    small = recorded_info(used_memory=3 * 1024**2, used_memory_rss=2 * 1024**2, mem_fragmentation_ratio=0.66)
    assert not judge({"redis.info": small}, "redis.memory.swapping").findings  # MEMORY DOCTOR's 5 MB floor


def test_fragmentation_recommends_defrag_or_restart():
    info = recorded_info(used_memory=4 * GiB, used_memory_rss=8 * GiB, mem_fragmentation_ratio=2.0,
                         mem_fragmentation_bytes=4 * GiB, allocator_frag_ratio=1.8,
                         allocator_frag_bytes=3 * GiB, rss_overhead_bytes=50 * 1024**2)
    res = judge({"redis.info": info, "redis.config": {"activedefrag": "no"}}, "redis.memory.*", memory=16 * GiB)
    assert {"redis.memory.fragmentation", "redis.memory.allocator_fragmentation"} <= set(ids(res))
    assert "activedefrag yes" in res.findings[0].fix
    libc = recorded_info(used_memory=4 * GiB, used_memory_rss=8 * GiB, mem_fragmentation_ratio=2.0,
                         mem_fragmentation_bytes=4 * GiB, mem_allocator="libc")
    res = judge({"redis.info": libc, "redis.config": {}}, "redis.memory.fragmentation")
    assert res.findings and res.findings[0].fix is None and "jemalloc" in res.findings[0].recommendation


def test_lagging_replica_and_small_backlog_on_master():
    info = recorded_info(**{"slave0": "ip=10.0.0.2,port=6379,state=online,offset=900000000,lag=25",
                            "master_repl_offset": 1_000_000_000, "uptime_in_seconds": 3600})
    facts = {"redis.info": info, "redis.config": {"repl-backlog-size": str(1024**2)}}
    res = judge(facts, "redis.replication.*")
    assert ids(res) == ["redis.replication.backlog", "redis.replication.lag"]
    lag = res.findings[1]
    assert lag.object == "10.0.0.2:6379" and lag.evidence["offset_gap_bytes"] == 100_000_000
    backlog = res.findings[0]
    assert backlog.evidence["write_rate_bytes_per_s"] == 277778 and "repl-backlog-size 16mb" in backlog.fix
    healthy = recorded_info()  # the real master reply: one replica online, no lag
    assert not judge({"redis.info": healthy, "redis.config": {"repl-backlog-size": str(1024**2)}},
                     "redis.replication.*").findings


def test_replica_link_down_and_silent_master():
    down = recorded_info("redis7_replica_info.txt", master_link_status="down", master_link_down_since_seconds=42)
    res = judge({"redis.info": down, "redis.config": {"repl-backlog-size": str(1024**2)}}, "redis.replication.*")
    assert "redis.replication.link_down" in ids(res)
    assert "42 s" in res.findings[ids(res).index("redis.replication.link_down")].summary
    up = recorded_info("redis7_replica_info.txt", master_last_io_seconds_ago=30)
    res = judge({"redis.info": up, "redis.config": {"repl-backlog-size": str(1024**2)}}, "redis.replication.lag")
    assert res.findings and "30 s" in res.findings[0].summary


def test_valkey_is_recognized():
    info = parse_info((REPLIES / "valkey8_info_server.txt").read_text())
    assert server_version(SnapshotFacts({"redis.info": info})) == "valkey 8.0.1"
    assert not judge({"redis.info": info}, "redis.server.version").findings  # redis_version 7.2.4 is not "old"
    old = recorded_info(redis_version="6.0.16")
    assert ids(judge({"redis.info": old}, "redis.server.version")) == ["redis.server.version"]


def test_cluster_failed_node_and_coverage():
    nodes = parse_cluster_nodes((REPLIES / "cluster_nodes_one_failed.txt").read_text())
    facts = {"redis.cluster": {"enabled": True, "nodes": nodes}}
    res = judge(facts, "redis.cluster.*")
    cov = [f for f in res.findings if f.check == "redis.cluster.coverage"][0]
    assert cov.object == "10.0.0.1:6379" and cov.fix.count("redis://") == 6
    failed = [f for f in res.findings if f.check == "redis.cluster.failed_nodes"]
    assert [(f.object, f.severity.name) for f in failed] == [("10.0.0.2:6379", "CRITICAL")]


def test_protected_mode_off_on_all_interfaces():
    cfg = {"protected-mode": "no", "bind": "* -::*", "requirepass": ""}
    acl = {"users": {"default": {"flags": ["on", "nopass"], "passwords": 0}}, "total": 1}
    res = judge({"redis.config": cfg, "redis.acl": acl}, "redis.security.protected_mode")
    assert res.findings and res.findings[0].severity.name == "CRITICAL"
    assert not judge({"redis.config": dict(cfg, bind="127.0.0.1 -::1"), "redis.acl": acl},
                     "redis.security.protected_mode").findings


def test_client_buffers_latency_spikes_fork_and_stale_save():
    info = recorded_info(mem_clients_normal=60 * 1024**2, connected_clients=10, latest_fork_usec=1_200_000,
                         rdb_changes_since_last_save=5000, rdb_last_save_time=1_600_000_000,
                         server_time_usec=1_600_000_000 * 10**6 + 3 * 86400 * 10**6)
    clients = {"count": 10, "kinds": {"normal": 10}, "omem_total": 60 * 1024**2,
               "top_omem": [{"id": 7, "addr": "10.1.1.1:5000", "omem": 60 * 1024**2, "cmd": "subscribe"}],
               "top_total_memory": []}
    facts = {"redis.info": info, "redis.clients": clients, "redis.config": {"save": "3600 1"},
             "redis.latency": [{"event": "fork", "time": 1, "latest_ms": 350, "max_ms": 900}]}
    got = set(ids(judge(facts, "redis.*")))
    assert {"redis.clients.output_buffers", "redis.latency.spikes", "redis.persistence.slow_fork",
            "redis.persistence.stale_save"} <= got


def test_redis6_ziplist_names_and_a_limit_too_high():
    sample = {"sampled": 1000, "total_keys": 1000, "fraction": 1.0, "stopped": "complete",
              "encodings": {"hash": {"hashtable": {"256": 400}, "ziplist": {"64": 600}}}}
    res = judge({"redis.key_sample": sample, "redis.config": {"hash-max-ziplist-entries": "128"}},
                "redis.keys.encoding_limits")
    assert [f.object for f in res.findings] == ["hash-max-ziplist-entries"]
    res = judge({"redis.key_sample": sample, "redis.config": {"hash-max-listpack-entries": "4096"}},
                "redis.keys.encoding_limits")
    assert res.findings[0].severity.name == "WARNING" and "128" in res.findings[0].fix


def test_thresholds_override_big_keys():
    row = {"db": 0, "key": "k", "truncated": False, "type": "list", "memory": 9000, "length": 600,
           "encoding": "quicklist", "ttl_s": None}
    sample = {"sampled": 1, "total_keys": 1, "fraction": 1.0, "stopped": "complete",
              "top_memory": [row], "top_length": {"list": [row]}}
    assert not judge({"redis.key_sample": sample}, "redis.keys.big").findings
    res = judge({"redis.key_sample": sample}, "redis.keys.big",
                thresholds={"redis.keys.big": {"list_elements": 500}})
    assert res.findings and res.findings[0].evidence["threshold_length"] == 500


def test_parsers_keep_no_secret_and_cut_arguments():
    cfg = parse_config([b"requirepass", b"hunter2", b"masterauth", b"x", b"maxmemory", b"0",
                        b"tls-key-file-pass", b""])
    assert cfg == {"requirepass": "(set)", "masterauth": "(set)", "maxmemory": "0", "tls-key-file-pass": ""}
    entry = [1, 1700000000, 25000, [b"SET", b"k", b"v" * 500] + [b"x"] * 20, b"10.0.0.9:5555", b"app"]
    (e,) = parse_slowlog([entry])
    assert e["command"] == "SET" and e["args"][2].endswith("(500 chars)") and len(e["args"]) == 9
    assert e["client"] == "10.0.0.9:5555"
def test_rss_overhead_signals():
    info = recorded_info(used_memory=1 * GiB, allocator_rss_ratio=1.3, allocator_rss_bytes=300 * 1024**2,
                         rss_overhead_ratio=1.05, rss_overhead_bytes=50 * 1024**2)
    res = judge({"redis.info": info}, "redis.memory.rss_overhead")
    assert [f.object for f in res.findings] == ["allocator_rss_ratio"] and res.findings[0].fix.startswith(
        "redis-cli -h {{host}} -p {{port}} MEMORY PURGE")


# ---- issue 13: advice that is safe to run as printed ----------------------------------------

def _replication_facts(name: str, backlog: int = 1024**2, **fields) -> dict:
    return {"redis.info": recorded_info(name, **fields), "redis.config": {"repl-backlog-size": str(backlog)}}


def test_backlog_not_judged_on_a_recently_restarted_replica():
    # PSYNC2: a replica that restarted a minute ago carries the master's lifetime offset (here 50 GB);
    # offset / uptime would claim 850 MB/s and ask for a 48 GB backlog
    facts = _replication_facts("redis7_replica_info.txt", master_repl_offset=50 * GiB, uptime_in_seconds=60)
    assert not judge(facts, "redis.replication.backlog").findings


def test_backlog_rate_after_a_master_restart_counts_only_the_new_stream():
    # a master restarted from its RDB keeps its offset; second_repl_offset marks where this run began
    slave0 = "ip=10.0.0.2,port=6379,state=online,offset=1000000,lag=0"
    restarted = _replication_facts("redis7_master_info.txt", slave0=slave0, master_repl_offset=50 * GiB,
                                   second_repl_offset=50 * GiB - 600_000 + 1, uptime_in_seconds=60)
    assert not judge(restarted, "redis.replication.backlog").findings      # 10 kB/s: 1 MB holds 100 s
    busy = _replication_facts("redis7_master_info.txt", slave0=slave0, master_repl_offset=50 * GiB,
                              second_repl_offset=50 * GiB - 600_000_000 + 1, uptime_in_seconds=60)
    f, = judge(busy, "redis.replication.backlog").findings
    assert f.evidence["write_rate_bytes_per_s"] == 10_000_000
    assert "second_repl_offset" in f.evidence["write_rate_basis"] and "lower bound" in f.evidence["write_rate_basis"]
    assert "averaged over 1m" in f.summary or "averaged over 60" in f.summary or "averaged over" in f.summary


def test_maxmemory_from_node_ram_is_a_placeholder_not_a_value():
    info = recorded_info(maxmemory=0)       # total_system_memory 23.5 GiB: the node, not the pod
    res = judge({"redis.info": info, "redis.config": {"maxmemory": "0"}}, "redis.memory.maxmemory_unset")
    f, = res.findings
    assert "{{maxmemory}}" in f.fix and "CONFIG SET maxmemory {{maxmemory}}" in f.fix
    assert not re.search(r"maxmemory \d", f.fix.split("\n", 2)[-1].replace("node's RAM would be", ""))
    assert f.evidence["memory_is_node_ram"] and f.evidence["recommended_maxmemory"] is None
    assert "--memory" in f.recommendation and "container" in f.recommendation
    f, = judge({"redis.info": info, "redis.config": {"maxmemory": "0"}}, "redis.memory.maxmemory_unset",
               memory=4 * GiB).findings
    assert "CONFIG SET maxmemory 3gb" in f.fix and "memory_is_node_ram" not in f.evidence
    over = recorded_info()
    res = judge({"redis.info": over, "redis.config": {"maxmemory": str(20 * GiB)}}, "redis.memory.maxmemory_too_high")
    f, = res.findings
    assert "{{maxmemory}}" in f.fix and "node's RAM" in f.summary


def test_allkeys_lru_fixes_carry_the_system_of_record_caveat():
    info = recorded_info()
    info["errorstats"] = {"errorstat_OOM": {"count": 12}}
    cfg = {"maxmemory": str(100 * 1024**2), "maxmemory-policy": "noeviction"}
    res = judge({"redis.info": info, "redis.config": cfg}, "redis.eviction.*")
    fixes = {f.check: f.fix for f in res.findings}
    for check_id in ("redis.eviction.oom_rejections", "redis.eviction.noeviction"):
        fix = fixes[check_id]
        assert fix.startswith("# ONLY if every key may be lost") and "system of record" in fix, check_id
        assert fix.index("system of record") < fix.index("CONFIG SET maxmemory-policy allkeys-lru")


def test_password_fix_orders_replicas_sentinel_clients_then_server():
    from advisor.fixes import fill, placeholders
    cfg = {"requirepass": "", "aclfile": ""}
    acl = {"users": {"default": {"flags": ["on", "nopass"], "passwords": 0},
                     "app": {"flags": ["on", "nopass"], "passwords": 0}}, "total": 2}
    res = judge({"redis.config": cfg, "redis.acl": acl}, "redis.security.no_auth")
    fix = {f.object: f.fix for f in res.findings}
    default = fix["user default"]
    steps = [default.index(s) for s in ("# 1. each replica", "# 2. each Sentinel", "# 3. every client", "ACL SETUSER default")]
    assert steps == sorted(steps)
    assert "'>{{password}}'" in default                 # quoted: an unquoted > is a shell redirection
    assert "CONFIG REWRITE" in default and "REDISCLI_AUTH='{{password}}'" in default
    assert set(placeholders(default)) == {"host", "port", "password", "sentinel_master_name"}  # "t": no address
    values = {"host": "h", "port": "1", "password": "p", "sentinel_master_name": "m"}
    assert "CHANGE-ME" not in default and "<" not in fill(default, values)
    assert "ACL SETUSER app resetpass '>{{password}}'" in fix["user app"]
    with_aclfile = judge({"redis.config": dict(cfg, aclfile="/etc/redis/users.acl"), "redis.acl": acl},
                         "redis.security.no_auth").findings[0].fix
    assert "ACL SAVE" in with_aclfile and " CONFIG REWRITE    #" not in with_aclfile


def test_shell_fixes_say_how_to_persist_and_are_marked_shell():
    info = recorded_info(used_memory=2 * GiB, used_memory_rss=int(1.2 * GiB), mem_fragmentation_ratio=0.6,
                         latest_fork_usec=1_200_000)
    res = judge({"redis.info": info}, "redis.*")
    fixes = {f.check: f for f in res.findings}
    swap, fork = fixes["redis.memory.swapping"], fixes["redis.persistence.slow_fork"]
    assert swap.evidence["fix_kind"] == fork.evidence["fix_kind"] == "shell"
    assert "/etc/sysctl.d/" in swap.fix and "lost at reboot" in swap.fix and "node" in swap.fix
    assert "transparent_hugepage=never" in fork.fix and "systemd" in fork.fix and "Kubernetes" in fork.fix


def test_every_config_set_fix_says_how_to_persist_and_managed_services():
    info = recorded_info(maxmemory=0)
    cfg = {"maxmemory": "0", "maxmemory-policy": "noeviction", "latency-monitor-threshold": "0",
           "slowlog-log-slower-than": "-1", "slowlog-max-len": "128", "save": "", "appendonly": "no",
           "protected-mode": "no", "bind": "*", "requirepass": "", "hash-max-listpack-entries": "4096",
           "timeout": "0"}
    acl = {"users": {"default": {"flags": ["on", "nopass"], "passwords": 0}}, "total": 1}
    res = judge({"redis.info": info, "redis.config": cfg, "redis.acl": acl}, "redis.*", memory=4 * GiB)
    with_set = [f for f in res.findings if f.fix and ("CONFIG SET" in f.fix or "ACL SETUSER" in f.fix)]
    assert len(with_set) >= 5
    for f in with_set:
        assert "CONFIG REWRITE" in f.fix or "ACL SAVE" in f.fix, f.check
        assert "managed services" in f.fix and "refuse" in f.fix, f.check
        assert re.search(r"^redis-cli -h \{\{host\}\} -p \{\{port\}\} ", f.fix, re.M), f.check
        assert "<" not in f.fix, f.check


def test_no_fix_advises_a_default_or_a_false_conversion():
    info = recorded_info(mem_clients_normal=60 * 1024**2, connected_clients=10)
    clients = {"count": 10, "kinds": {"normal": 10}, "omem_total": 60 * 1024**2, "top_omem": [], "top_total_memory": []}
    f, = judge({"redis.info": info, "redis.clients": clients}, "redis.clients.output_buffers").findings
    assert "pubsub 32mb 8mb 60" not in (f.fix or "") and "default" in f.recommendation
    sample = {"sampled": 1000, "total_keys": 1000, "fraction": 1.0, "stopped": "complete",
              "encodings": {"hash": {"hashtable": {"256": 400}, "listpack": {"64": 600}}}}
    f, = judge({"redis.key_sample": sample, "redis.config": {"hash-max-listpack-entries": "128"}},
               "redis.keys.encoding_limits").findings
    assert "next write" not in f.recommendation + f.fix and "never converts back" in f.fix


def test_operator_config_changes_are_not_slow_application_commands():
    # applying a fix (CONFIG SET appendonly yes forks; CONFIG REWRITE fsyncs redis.conf) can pass 10 ms
    entries = parse_slowlog([[1, 1700000000, 25000, [b"CONFIG", b"SET", b"appendonly", b"yes"], b"10.0.0.9:1", b""],
                             [2, 1700000001, 25000, [b"CONFIG", b"REWRITE"], b"10.0.0.9:2", b""],
                             [3, 1700000002, 25000, [b"CONFIG", b"GET", b"*"], b"10.0.0.9:3", b""]])
    res = judge({"redis.slowlog": {"entries": entries, "len": 3}}, "redis.slowlog.slow_commands")
    f, = res.findings
    assert f.evidence["calls"] == 1 and f.evidence["slowest_call"] == "CONFIG GET *"
