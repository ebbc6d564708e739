"""Key sampling: SCAN with COUNT, a time budget and a key cap; pipelined TYPE / MEMORY USAGE / lengths.

Never KEYS. Each logical database gets a share of the key cap and of the time
budget in proportion to its key count. The fact keeps aggregates and the top
keys only, so its size does not grow with the keyspace.
"""

from __future__ import annotations

import heapq
import math
import time
from collections import Counter
from typing import Any

from advisor.errors import FactUnavailable
from advisor.facts import provides

from advisor.engines.options import OPTIONS

from .facts_server import _text
from .session import KEY

DEFAULTS = {name: OPTIONS["redis"][name].default  # declared in advisor/engines/options.py
            for name in ("sample_keys", "sample_seconds", "scan_count", "memory_samples", "top_keys",
                         "prefix_separators")}
LENGTH_COMMAND = {"string": "STRLEN", "list": "LLEN", "hash": "HLEN", "set": "SCARD",
                  "zset": "ZCARD", "stream": "XLEN"}
TTL_BUCKETS = ((3600, "<1h"), (12 * 3600, "<12h"), (86400, "<1d"), (7 * 86400, "<1w"),
               (30 * 86400, "<30d"))
MAX_PREFIXES = 10_000
KEY_NAME_CHARS = 120


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


def prefix_of(key: str, separators: str) -> str:
    """'user:42:profile' -> 'user:*'; a key without separator is its own group '(no prefix)'."""
    cut = min((i for i in (key.find(c) for c in separators) if i > 0), default=-1)
    return key[:cut + 1] + "*" if cut > 0 else "(no prefix)"


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
    def __init__(self, opt: dict[str, Any]):
        self.opt = opt
        self.by_type: dict[str, dict[str, int]] = {}
        self.top_memory: list[tuple] = []
        self.top_length: dict[str, list[tuple]] = {}
        self.prefixes: dict[str, list[int]] = {}
        self.ttl = Counter()
        self.encodings: dict[str, dict[str, dict[int, int]]] = {}
        self.memory_errors = 0
        self.seq = 0  # tie-breaker for heaps

    def add(self, db: int, key: str, typ: str, memory: int | None, length: int | None,
            encoding: str, pttl: int) -> None:
        self.seq += 1
        mem, size = memory or 0, length or 0
        t = self.by_type.get(typ)
        if t is None:
            t = self.by_type[typ] = {"keys": 0, "memory": 0, "elements": 0, "max_length": 0}
        t["keys"] += 1
        t["memory"] += mem
        t["elements"] += size
        if size > t["max_length"]:
            t["max_length"] = size
        n = self.opt["top_keys"]
        by_len = self.top_length.setdefault(typ, [])
        if len(self.top_memory) < n or mem > self.top_memory[0][0] or len(by_len) < n or size > by_len[0][0]:
            row = {"db": db, "key": key[:KEY_NAME_CHARS], "truncated": len(key) > KEY_NAME_CHARS,
                   "type": typ, "memory": memory, "length": length, "encoding": encoding,
                   "ttl_s": None if pttl < 0 else round(pttl / 1000)}
            _push(self.top_memory, (mem, self.seq, row), n)
            _push(by_len, (size, self.seq, row), n)
        p = prefix_of(key, self.opt["prefix_separators"])
        agg = self.prefixes.get(p)
        if agg is None:
            if len(self.prefixes) >= MAX_PREFIXES:
                p = "(other prefixes)"
            agg = self.prefixes.setdefault(p, [0, 0, 0])
        agg[0] += 1
        agg[1] += mem
        agg[2] += pttl < 0
        self.ttl[ttl_bucket(pttl)] += 1
        if length is not None and typ != "string":
            hist = self.encodings.setdefault(typ, {}).setdefault(encoding, {})
            b = length_bucket(length)
            hist[b] = hist.get(b, 0) + 1

    def result(self) -> dict[str, Any]:
        top = sorted(self.prefixes.items(), key=lambda kv: -kv[1][1])[:self.opt["top_keys"]]
        return {
            "by_type": self.by_type,
            "top_memory": [r for _, _, r in sorted(self.top_memory, reverse=True)],
            "top_length": {t: [r for _, _, r in sorted(h, reverse=True)] for t, h in self.top_length.items()},
            "prefixes": [{"prefix": p, "keys": a[0], "memory": a[1], "no_ttl": a[2]} for p, a in top],
            "distinct_prefixes": len(self.prefixes),
            "ttl_buckets": dict(self.ttl),
            "encodings": self.encodings,
            "memory_errors": self.memory_errors,
        }


def _push(heap: list, item: tuple, n: int) -> None:
    if len(heap) < n:
        heapq.heappush(heap, item)
    elif item[0] > heap[0][0]:
        heapq.heapreplace(heap, item)


def _int(v: Any) -> int | None:
    return v if isinstance(v, int) else None


COMPACTABLE = {"hash", "zset", "set", "list"}  # types whose encoding the encoding-limits check reads


def _batch(s, db: int, keys: list[bytes], sample: Sample, next_cursor: bytes | None) -> tuple[int, list | None]:
    """Inspect one SCAN page in two round trips, the second also fetching the next page when
    `next_cursor` is given. Returns how many keys were judged and the next SCAN reply."""
    samples = sample.opt["memory_samples"]
    per_key = (("TYPE", KEY), ("MEMORY", "USAGE", KEY, "SAMPLES", samples), ("PTTL", KEY))
    first = s.batch_keys([(t, k) for k in keys for t in per_key], "TYPE/MEMORY USAGE/PTTL", db)
    types = [_text(first[i]) if isinstance(first[i], bytes) else "none" for i in range(0, len(first), 3)]
    if keys and isinstance(first[0], Exception) and all(isinstance(first[i], Exception)
                                                        for i in range(0, len(first), 3)):
        raise FactUnavailable(f"TYPE refused: {first[0]}", "ACL SETUSER <advisor user> +type %R~*")
    second = []
    for k, t in zip(keys, types):
        if t in LENGTH_COMMAND:
            second.append(((LENGTH_COMMAND[t], KEY), k))
        if t in COMPACTABLE:
            second.append((("OBJECT", "ENCODING", KEY), k))
    if next_cursor is not None:
        second.append((("SCAN", KEY, "COUNT", sample.opt["scan_count"]), next_cursor))
    got = s.batch_keys(second, "length / OBJECT ENCODING / SCAN", db)
    page = got.pop() if next_cursor is not None else None
    if isinstance(page, Exception):
        raise FactUnavailable(f"SCAN failed: {page}")
    replies = iter(got)
    n = 0
    for i, k in enumerate(keys):
        typ, mem, pttl = types[i], first[3 * i + 1], first[3 * i + 2]
        length = _int(next(replies)) if typ in LENGTH_COMMAND else None
        enc = next(replies) if typ in COMPACTABLE else None
        if typ == "none":  # expired or deleted since SCAN
            continue
        if isinstance(mem, Exception):
            sample.memory_errors += 1
        sample.add(db, _text(k), typ, _int(mem), length,
                   _text(enc) if isinstance(enc, bytes) else "-", _int(pttl) if _int(pttl) is not None else -1)
        n += 1
    return n, page


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
            n, page = _batch(s, db, keys, sample, next_cursor)
            done += n
        elif next_cursor is not None:
            page = s.run("SCAN", cursor, "COUNT", count, db=db)
        if why:
            return done, why


@provides("redis", "redis.key_sample")
def key_sample(s, facts) -> dict[str, Any]:
    """A bounded sample of the keyspace of every logical database listed by INFO keyspace."""
    opt = sampling_options(facts.options)
    keyspace = facts.get("redis.info").get("keyspace", {})
    dbs = {int(name[2:]): v.get("keys", 0) for name, v in keyspace.items()
           if name.startswith("db") and isinstance(v, dict)}
    total = sum(dbs.values())
    sample = Sample(opt)
    per_db, stopped = {}, "complete"
    t0 = time.monotonic()
    for db, n_keys in sorted(dbs.items(), key=lambda kv: -kv[1]):
        share = n_keys / total if total else 0
        done, why = _sample_db(s, db, max(1, math.ceil(opt["sample_keys"] * share)),
                               opt["sample_seconds"] * share, sample)
        per_db[str(db)] = {"keys": n_keys, "sampled": done, "complete": why == "complete"}
        if why != "complete" and stopped == "complete":
            stopped = why
    sampled = sum(d["sampled"] for d in per_db.values())
    return {
        "options": opt, "total_keys": total, "sampled": sampled,
        "fraction": round(sampled / total, 6) if total else 1.0,
        "stopped": stopped, "seconds": round(time.monotonic() - t0, 3), "dbs": per_db,
        **sample.result(),
    }
