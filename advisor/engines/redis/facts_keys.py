"""Key sampling: SCAN with COUNT, a time budget and a key cap; MEMORY USAGE for every sampled key,
TYPE / PTTL / length / OBJECT ENCODING for a few within a lookup budget.

Never KEYS. Each logical database gets a share of the key cap and of the time budget in
proportion to its key count. The fact keeps aggregates and the top keys only, so its size does
not grow with the keyspace.

Footprint (measured on Redis 7.0, tests/redis/test_redis_footprint.py): every command that names
a key counts one keyspace hit or miss (TYPE, EXISTS, PTTL, STRLEN/LLEN/HLEN/SCARD/ZCARD/XLEN,
OBJECT ENCODING/IDLETIME, DUMP, and SCAN ... TYPE once per key it scans), except MEMORY USAGE.
So every sampled key gets MEMORY USAGE (memory, prefix memory, top keys by memory) and only a
bounded number of keys get the counting commands: the biggest keys by memory (the big-key check)
and a uniform subset (types, TTLs and encodings, extrapolated). The lookups the run adds stay
within max(lookup_budget_pct of the sampled keys, lookup_budget_min).
"""

from __future__ import annotations

import heapq
import math
import time
import zlib
from collections import Counter
from typing import Any

from advisor.errors import FactUnavailable
from advisor.facts import provides

from advisor.engines.options import OPTIONS

from .facts_server import _text, parse_info
from .session import KEY

DEFAULTS = {name: OPTIONS["redis"][name].default  # declared in advisor/engines/options.py
            for name in ("sample_keys", "sample_seconds", "scan_count", "memory_samples", "top_keys",
                         "prefix_separators", "lookup_budget_pct", "lookup_budget_min")}
LENGTH_COMMAND = {"string": "STRLEN", "list": "LLEN", "hash": "HLEN", "set": "SCARD",
                  "zset": "ZCARD", "stream": "XLEN"}
TTL_BUCKETS = ((3600, "<1h"), (12 * 3600, "<12h"), (86400, "<1d"), (7 * 86400, "<1w"),
               (30 * 86400, "<30d"))
MAX_PREFIXES = 10_000
KEY_NAME_CHARS = 120
COMPACTABLE = {"hash", "zset", "set", "list"}  # types whose encoding the encoding-limits check reads
LOOKUPS_PER_KEY = 4  # at most: TYPE, PTTL, the length command, OBJECT ENCODING
# A key under this many bytes cannot pass any length threshold of redis.keys.big (1000 set
# members or list elements take >= 2 bytes each even in an intset/listpack), so only bigger keys
# are worth a TYPE and a length for that check.
DETAIL_MIN_BYTES = 2000


def sampling_options(options: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, default in DEFAULTS.items():
        value = options.get(name, default)
        try:
            value = type(default)(value)
        except (TypeError, ValueError):
            raise FactUnavailable(f"option {name}={value!r} is not a {type(default).__name__}",
                                  f"fix [options.redis] {name} in the config file") from None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value <= 0:
            raise FactUnavailable(f"option {name} must be > 0", f"fix [options.redis] {name}")
        out[name] = value
    return out


def lookup_budget(opt: dict[str, Any], keys: int) -> int:
    """Keyspace lookups (hits + misses) a run may add when it samples `keys` keys."""
    return max(math.floor(keys * opt["lookup_budget_pct"] / 100), opt["lookup_budget_min"])


def ttl_bucket(pttl_ms: int) -> str:
    if pttl_ms < 0:
        return "no ttl"
    for limit, name in TTL_BUCKETS:
        if pttl_ms < limit * 1000:
            return name
    return ">=30d"


def length_bucket(n: int) -> int:
    """Smallest power of two >= n (for encoding-limit histograms)."""
    return 1 << (max(n, 1) - 1).bit_length()


class Sample:
    """Aggregates of the memory pass (every sampled key) and of the detail pass (a few keys)."""

    def __init__(self, opt: dict[str, Any], uniform_size: int):
        self.opt = opt
        self.keys = self.memory = self.memory_errors = 0
        self.separators = [c.encode() for c in opt["prefix_separators"]]
        self.heads: dict[bytes | None, list[int]] = {}  # prefix head -> [keys, memory, ttl_checked, no_ttl]
        self.top_memory: list[tuple] = []  # min-heap of (memory, seq, db, key)
        self.uniform: list[tuple] = []  # max-heap (negated crc32) of the keys with the smallest hashes
        self.uniform_size = uniform_size
        self.seq = 0  # tie-breaker for heaps
        self.details: dict[tuple[int, bytes], dict] = {}
        self.by_type: dict[str, dict[str, int]] = {}
        self.top_length: dict[str, list[tuple]] = {}
        self.ttl = Counter()
        self.encodings: dict[str, dict[str, dict[int, int]]] = {}
        self.typed = 0

    def head(self, key: bytes) -> bytes:
        """The key's prefix up to its first separator: b'user:' for b'user:42:x' (shown as 'user:*');
        b'' (shown as '(no prefix)') without a separator past the first character."""
        cut = -1
        for sep in self.separators:
            i = key.find(sep)
            if i > 0 and (cut < 0 or i < cut):
                cut = i
        return key[:cut + 1] if cut > 0 else b""

    def add_page(self, db: int, keys: list[bytes], mems: list[int]) -> None:
        """The memory pass, one SCAN page at a time: runs for every sampled key, so kept lean."""
        self.keys += len(keys)
        self.memory += sum(mems)
        top, n = self.top_memory, self.opt["top_keys"]
        for key, mem in zip(keys, mems):
            if len(top) < n or mem > top[0][0]:
                self.seq += 1
                _push(top, (mem, self.seq, db, key), n)
        # bottom-k by crc32: a uniform subset that depends neither on memory nor on SCAN order
        uniform, size = self.uniform, self.uniform_size
        for key, h in zip(keys, map(zlib.crc32, keys)):
            if len(uniform) < size or -h > uniform[0][0]:
                _push(uniform, (-h, db, key), size)
        heads = self.heads
        if len(self.separators) == 1:
            sep = self.separators[0]
            page = [(k[:i + 1] if i > 0 else b"", m) for k, m, i in zip(keys, mems, [k.find(sep) for k in keys])]
        else:
            page = [(self.head(k), m) for k, m in zip(keys, mems)]
        for h, mem in page:
            agg = heads.get(h)
            if agg is None:
                agg = heads.setdefault(h if len(heads) < MAX_PREFIXES else None, [0, 0, 0, 0])
            agg[0] += 1
            agg[1] += mem

    def detail_candidates(self, budget: int) -> tuple[list[tuple], list[tuple]]:
        """(biggest keys, uniform keys) to inspect: half the budget for the biggest keys that could
        be big by length, the rest for the uniform subset (overlaps cost nothing twice)."""
        big = [(db, key) for mem, _, db, key in sorted(self.top_memory, reverse=True) if mem >= DETAIL_MIN_BYTES]
        big = big[:budget // 2 // LOOKUPS_PER_KEY]
        uniform = [(db, key) for _, db, key in sorted(self.uniform, reverse=True)]
        return big, uniform

    def add_detail(self, db: int, key: bytes, typ: str, length: int | None, encoding: str, pttl: int) -> None:
        self.details[(db, key)] = {"type": typ, "length": length, "encoding": encoding,
                                   "ttl_s": None if pttl < 0 else round(pttl / 1000), "pttl": pttl}
        self.seq += 1
        _push(self.top_length.setdefault(typ, []), (length or 0, self.seq, db, key), self.opt["top_keys"])

    def count_uniform(self, db: int, key: bytes) -> None:
        """Add an inspected key of the uniform subset to the type, TTL and encoding distributions."""
        d = self.details[(db, key)]
        typ, length, pttl = d["type"], d["length"], d["pttl"]
        self.typed += 1
        t = self.by_type.get(typ)
        if t is None:
            t = self.by_type[typ] = {"keys": 0, "elements": 0, "max_length": 0}
        t["keys"] += 1
        t["elements"] += length or 0
        t["max_length"] = max(t["max_length"], length or 0)
        agg = self.heads.get(self.head(key))
        if agg is not None:
            agg[2] += 1
            agg[3] += pttl < 0
        self.ttl[ttl_bucket(pttl)] += 1
        if length is not None and typ != "string":
            hist = self.encodings.setdefault(typ, {}).setdefault(d["encoding"], {})
            b = length_bucket(length)
            hist[b] = hist.get(b, 0) + 1

    def _row(self, mem: int | None, db: int, key: bytes) -> dict:
        name = _text(key)
        d = self.details.get((db, key), {})
        return {"db": db, "key": name[:KEY_NAME_CHARS], "truncated": len(name) > KEY_NAME_CHARS,
                "type": d.get("type"), "memory": mem, "length": d.get("length"),
                "encoding": d.get("encoding", "-"), "ttl_s": d.get("ttl_s")}

    def result(self) -> dict[str, Any]:
        prefixes: dict[str, list[int]] = {}
        for h, agg in self.heads.items():
            name = "(other prefixes)" if h is None else _text(h) + "*" if h else "(no prefix)"
            merged = prefixes.setdefault(name, [0, 0, 0, 0])  # undecodable heads may share a name
            for i, v in enumerate(agg):
                merged[i] += v
        top = sorted(prefixes.items(), key=lambda kv: -kv[1][1])[:self.opt["top_keys"]]
        mem = {(db, key): m for m, _, db, key in self.top_memory}
        return {
            "memory": self.memory,
            "by_type": self.by_type,
            "top_memory": [self._row(m, db, key) for m, _, db, key in sorted(self.top_memory, reverse=True)],
            "top_length": {t: [self._row(mem.get((db, key)), db, key) for _, _, db, key in sorted(h, reverse=True)]
                           for t, h in self.top_length.items()},
            "prefixes": [{"prefix": p, "keys": a[0], "memory": a[1], "ttl_checked": a[2], "no_ttl": a[3]}
                         for p, a in top],
            "distinct_prefixes": len(prefixes),
            "ttl_buckets": dict(self.ttl),
            "encodings": self.encodings,
            "memory_errors": self.memory_errors,
            "typed": {"keys": self.typed, "scale": round(self.keys / self.typed, 4) if self.typed else None},
        }


def _push(heap: list, item: tuple, n: int) -> None:
    if len(heap) < n:
        heapq.heappush(heap, item)
    elif item[0] > heap[0][0]:
        heapq.heapreplace(heap, item)


def _int(v: Any) -> int | None:
    return v if isinstance(v, int) else None


def _memory_page(s, db: int, keys: list[bytes], sample: Sample, next_cursor: bytes | None) -> tuple[int, list | None]:
    """MEMORY USAGE of one SCAN page in one round trip, which also fetches the next page when
    `next_cursor` is given. Returns how many keys were judged and the next SCAN reply."""
    cmds = [(("MEMORY", "USAGE", KEY, "SAMPLES", sample.opt["memory_samples"]), k) for k in keys]
    if next_cursor is not None:
        cmds.append((("SCAN", KEY, "COUNT", sample.opt["scan_count"]), next_cursor))
    got = s.batch_keys(cmds, "MEMORY USAGE / SCAN", db)
    page = got.pop() if next_cursor is not None else None
    if isinstance(page, Exception):
        raise FactUnavailable(f"SCAN failed: {page}")
    if any(type(m) is not int for m in got):
        if got and all(isinstance(m, Exception) for m in got):
            raise FactUnavailable(f"MEMORY USAGE refused: {got[0]}", "ACL SETUSER <advisor user> +memory|usage")
        sample.memory_errors += sum(isinstance(m, Exception) for m in got)
        # None: expired or deleted since SCAN; an error (ACL): the key counts with 0 bytes
        kept = [(k, m if type(m) is int else 0) for k, m in zip(keys, got) if m is not None]
        keys, got = [k for k, _ in kept], [m for _, m in kept]
    sample.add_page(db, keys, got)
    return len(keys), page


def _details(s, db: int, keys: list[bytes], sample: Sample) -> int:
    """TYPE and PTTL, then the length and the encoding, of `keys`; returns the lookups sent."""
    if not keys:
        return 0
    first = s.batch_keys([(t, k) for k in keys for t in (("TYPE", KEY), ("PTTL", KEY))], "TYPE/PTTL", db)
    types = [_text(first[i]) if isinstance(first[i], bytes) else "none" for i in range(0, len(first), 2)]
    if all(isinstance(first[i], Exception) for i in range(0, len(first), 2)):
        raise FactUnavailable(f"TYPE refused: {first[0]}", "ACL SETUSER <advisor user> +type %R~*")
    second = []
    for k, t in zip(keys, types):
        if t in LENGTH_COMMAND:
            second.append(((LENGTH_COMMAND[t], KEY), k))
        if t in COMPACTABLE:
            second.append((("OBJECT", "ENCODING", KEY), k))
    replies = iter(s.batch_keys(second, "length / OBJECT ENCODING", db))
    for i, k in enumerate(keys):
        typ, pttl = types[i], _int(first[2 * i + 1])
        length = _int(next(replies)) if typ in LENGTH_COMMAND else None
        enc = next(replies) if typ in COMPACTABLE else None
        if typ != "none":  # "none": expired or deleted since SCAN
            sample.add_detail(db, k, typ, length, _text(enc) if isinstance(enc, bytes) else "-",
                              -1 if pttl is None else pttl)
    return len(first) + len(second)


def _details_by_db(s, keys: list[tuple], sample: Sample) -> int:
    by_db: dict[int, list[bytes]] = {}
    for db, k in keys:
        by_db.setdefault(db, []).append(k)
    return sum(_details(s, db, ks, sample) for db, ks in by_db.items())


def _detail_pass(s, sample: Sample, budget: int) -> int:
    """Inspect the biggest keys, then uniform keys (in hash order) while the budget lasts; a
    uniform key already inspected as a big one costs nothing. Returns the lookups sent."""
    big, uniform = sample.detail_candidates(budget)
    sent = _details_by_db(s, big, sample)
    done, left, todo, counted = set(big), budget - sent, [], []
    for k in uniform:
        if k not in done:
            if left < LOOKUPS_PER_KEY:
                break
            left -= LOOKUPS_PER_KEY
            todo.append(k)
        counted.append(k)
    sent += _details_by_db(s, todo, sample)
    for k in counted:
        if k in sample.details:  # not deleted meanwhile
            sample.count_uniform(*k)
    return sent


def _sample_db(s, db: int, quota: int, seconds: float, sample: Sample) -> tuple[int, str]:
    """SCAN one database until its last page, its key quota or its time budget; (keys judged, why stopped)."""
    deadline = time.monotonic() + seconds
    count = sample.opt["scan_count"]
    page, done = s.run("SCAN", b"0", "COUNT", count, db=db), 0
    while True:
        cursor, found = page
        keys = found[:quota - done]
        if cursor in (b"0", 0) and len(keys) == len(found):
            why = "complete"
        elif done + len(keys) >= quota:
            why = "sample_keys"
        elif time.monotonic() >= deadline:
            why = "sample_seconds"
        else:
            why = None  # fetch the next page too
        next_cursor = cursor if why is None else None
        if keys:
            n, page = _memory_page(s, db, keys, sample, next_cursor)
            done += n
        elif next_cursor is not None:
            page = s.run("SCAN", cursor, "COUNT", count, db=db)
        if why:
            return done, why


def _info_stats(s) -> dict:
    return parse_info(s.run("INFO", "stats")).get("stats", {})


def _lookups(stats: dict) -> int | None:
    hits, misses = stats.get("keyspace_hits"), stats.get("keyspace_misses")
    return hits + misses if isinstance(hits, int) and isinstance(misses, int) else None


@provides("redis", "redis.key_sample")
def key_sample(s, facts) -> dict[str, Any]:
    """A bounded sample of the keyspace of every logical database listed by INFO keyspace.

    INFO (redis.info, whose keyspace_hits/misses redis.cache.hit_ratio judges) is read before the
    first sampling command; INFO stats after the sample gives the lookups counted meanwhile."""
    opt = sampling_options(facts.options)
    info = facts.get("redis.info")
    keyspace = info.get("keyspace", {})
    dbs = {int(name[2:]): v.get("keys", 0) for name, v in keyspace.items()
           if name.startswith("db") and isinstance(v, dict)}
    total = sum(dbs.values())
    most = lookup_budget(opt, min(total, opt["sample_keys"]))
    sample = Sample(opt, most // LOOKUPS_PER_KEY)
    per_db, stopped = {}, "complete"
    before = _lookups(_info_stats(s)) if dbs else None
    t0 = time.monotonic()
    for db, n_keys in sorted(dbs.items(), key=lambda kv: -kv[1]):
        share = n_keys / total if total else 0
        done, why = _sample_db(s, db, max(1, math.ceil(opt["sample_keys"] * share)),
                               opt["sample_seconds"] * share, sample)
        per_db[str(db)] = {"keys": n_keys, "sampled": done, "complete": why == "complete"}
        if why != "complete" and stopped == "complete":
            stopped = why
    sampled = sum(d["sampled"] for d in per_db.values())
    budget = lookup_budget(opt, sampled)
    sent = _detail_pass(s, sample, budget) if sampled else 0
    seconds = round(time.monotonic() - t0, 3)
    after = _lookups(_info_stats(s)) if dbs else None
    return {
        "options": opt, "total_keys": total, "sampled": sampled,
        "fraction": round(sampled / total, 6) if total else 1.0,
        "stopped": stopped, "seconds": seconds, "dbs": per_db,
        "keys_with_ttl": sum(v.get("expires", 0) for v in keyspace.values() if isinstance(v, dict)),
        "lookups": {"sent": sent, "budget": budget,
                    "counted_while_sampling": None if before is None or after is None else after - before},
        **sample.result(),
    }
