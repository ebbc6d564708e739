"""The advisor's own reads must not move keyspace_hits / keyspace_misses (issue 14, footprint).

Measured on a private redis-server (the shared one on 6379 has other clients' traffic)."""

from __future__ import annotations

import pytest
import redis

from redis_helpers import client, findings

# command -> keyspace lookups (hits + misses) it adds per key on Redis 7.0; MEMORY USAGE reads the
# dict directly (dbFind), everything else goes through lookupKeyRead
PER_KEY_LOOKUPS = {
    ("MEMORY", "USAGE"): 0, ("TYPE",): 1, ("EXISTS",): 1, ("PTTL",): 1, ("OBJECT", "ENCODING"): 1,
    ("OBJECT", "IDLETIME"): 1, ("STRLEN",): 1, ("LLEN",): 1, ("HLEN",): 1, ("SCARD",): 1,
    ("ZCARD",): 1, ("XLEN",): 1}
TYPES = ("string", "list", "hash", "set", "zset", "stream")


def lookups(r: redis.Redis) -> int:
    s = r.info("stats")  # INFO counts no lookup
    return s["keyspace_hits"] + s["keyspace_misses"]


def plant_mixed(r: redis.Redis, n: int) -> None:
    """n keys: 60% strings, 10% each hashes/lists/sets (a few streams)/zsets; a third of the
    strings and hashes with a TTL; one 300 kB string."""
    p = r.pipeline(transaction=False)
    for i in range(n):
        kind = i % 10
        if kind < 6:
            key = f"s:{i}"
            p.set(key, "v" * (10 + i % 90))
        elif kind == 6:
            key = f"h:{i}"
            p.hset(key, mapping={"a": i, "b": "x"})
        elif kind == 7:
            key = f"l:{i}"
            p.rpush(key, *range(i % 7 + 1))
        elif kind == 8 and i % 20:
            key = f"st:{i}"
            p.sadd(key, *range(i % 5 + 1))
        elif kind == 8:
            key = f"x:{i}"
            p.xadd(key, {"a": i})
        else:
            key = f"z:{i}"
            p.zadd(key, {"m": 1, "n": 2})
        if i % 3 == 0 and kind <= 6:
            p.expire(key, 86400)
    p.set("blob:big", "x" * 300_000)
    p.execute()


def test_which_sampling_commands_count_as_keyspace_lookups(start_redis):
    """The table the sampler is built on: only MEMORY USAGE leaves the counters alone."""
    srv = start_redis()
    r = client(srv)
    r.set("string", "v"), r.rpush("list", 1), r.hset("hash", "a", 1), r.sadd("set", 1)
    r.zadd("zset", {"a": 1}), r.xadd("stream", {"a": 1})
    for cmd, per_key in PER_KEY_LOOKUPS.items():
        before = lookups(r)
        for key in (*TYPES, "missing"):
            try:
                r.execute_command(*cmd, key)
            except redis.ResponseError:  # WRONGTYPE: counted all the same
                pass
        assert lookups(r) - before == per_key * 7, cmd
    before = lookups(r)
    r.execute_command("SCAN", 0, "COUNT", 100, "TYPE", "hash")  # the TYPE filter looks every key up
    assert lookups(r) - before == 6
    before = lookups(r)
    r.execute_command("SCAN", 0, "COUNT", 100)
    assert lookups(r) == before


def test_full_run_adds_at_most_one_percent_of_the_sampled_keys(start_redis, advise):
    srv = start_redis()
    r = client(srv)
    plant_mixed(r, 20_000)
    p = r.pipeline(transaction=False)  # a workload with a low hit ratio: 3000 hits, 9000 misses
    for i in range(12_000):
        p.get(f"missing:{i}" if i % 4 else "s:0")
    p.execute()
    before = lookups(r)
    _, rep, _ = advise(srv.url, "--memory", "1GiB")
    added = lookups(r) - before
    ev = findings(rep, "redis.keys.prefixes")[0]["evidence"]
    assert ev["sampled_keys"] == ev["total_keys"] == 20_001
    assert added <= 0.01 * ev["sampled_keys"], added
    assert ev["keyspace_lookups_added"] == added > 0  # what the report says is what the server counted
    # the hit ratio judged is the workload's alone: INFO is read before the first sampling command
    hit = findings(rep, "redis.cache.hit_ratio")[0]["evidence"]
    assert (hit["keyspace_hits"], hit["keyspace_misses"]) == (3000, 9000)
    # the biggest key still has its type and length, and prefix memory covers every key
    big = {f["object"]: f["evidence"] for f in findings(rep, "redis.keys.big")}
    assert big["db0:blob:big"]["length"] == 300_000 and big["db0:blob:big"]["type"] == "string"
    assert {p["prefix"] for p in ev["prefixes"]} >= {"s:*", "h:*", "l:*", "z:*", "blob:*"}
    assert sum(p["sampled_keys"] for p in ev["prefixes"]) == 20_001


@pytest.mark.parametrize("budget_pct", [0.1, 5.0])
def test_the_lookup_budget_is_an_option(start_redis, advise, budget_pct):
    srv = start_redis()
    r = client(srv)
    plant_mixed(r, 20_000)
    before = lookups(r)
    _, rep, _ = advise(srv.url, "--checks", "redis.keys.*", options={"lookup_budget_pct": budget_pct})
    added = lookups(r) - before
    assert added <= max(100, budget_pct / 100 * 20_001)
    ev = findings(rep, "redis.keys.prefixes")[0]["evidence"]
    assert ev["keyspace_lookups_added"] == added
    assert ev["keyspace_lookup_budget"] == max(100, int(budget_pct / 100 * 20_001))
    if budget_pct > 1:  # a bigger budget types more keys: the TTL distribution gets finer
        assert sum(ev["ttl_buckets"].values()) > 150


def test_both_reply_readers_agree(monkeypatch):
    """batch_keys reads replies with hiredis when installed (redis[hiredis]), else in Python."""
    import socket

    from advisor.engines.redis import session
    hiredis = pytest.importorskip("hiredis")  # a dependency (pyproject); absent only in odd installs
    stream = (b":42\r\n$-1\r\n-NOPERM no\r\n-ERR unknown\r\n+OK\r\n*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$0\r\n\r\n"
              b"$5\r\nhello\r\n")
    got = []
    for parser in (hiredis, None):
        a, b = socket.socketpair()
        with a, b:
            a.sendall(stream)
            monkeypatch.setattr(session, "hiredis", parser)
            got.append([(type(r).__name__, str(r)) if isinstance(r, Exception) else r
                        for r in session._read_replies(b, 7)])
    assert got[0] == got[1] == [42, None, ("NoPermissionError", "NOPERM no"), ("ResponseError", "ERR unknown"),
                                b"OK", [b"0", [b"a", b""]], b"hello"]
