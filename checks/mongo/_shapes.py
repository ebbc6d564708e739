"""Pure helpers on MongoDB query shapes and index keys, shared with the index advisor.

suggest_esr_index(filter, sort) orders an index by MongoDB's ESR guideline:
fields tested for Equality first, then the Sort fields (with their direction),
then fields tested with a Range operator.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from ._common import coll_js, mongosh

RANGE_OPS = {"$gt", "$gte", "$lt", "$lte", "$ne", "$nin", "$regex", "$exists", "$not", "$type",
             "$mod", "$size", "$all", "$elemMatch"}
EQUALITY_OPS = {"$eq", "$in"}
UNINDEXABLE = {"$where", "$expr", "$text", "$jsonSchema", "$comment", "$near", "$nearSphere",
               "$geoWithin", "$geoIntersects"}


def classify_filter(flt: dict[str, Any] | None) -> tuple[list[str], list[str]]:
    """(equality fields, range fields) of a filter, in filter order; $and is flattened,
    $or / $nor branches and $where-like operators are ignored (one index cannot serve them)."""
    eq: list[str] = []
    rng: list[str] = []

    def walk(f: dict[str, Any]) -> None:
        for k, v in (f or {}).items():
            if k == "$and":
                for sub in v if isinstance(v, list) else []:
                    if isinstance(sub, dict):
                        walk(sub)
            elif k.startswith("$"):
                continue
            elif isinstance(v, dict) and v and all(str(op).startswith("$") for op in v):
                ops = set(v)
                target = rng if ops & RANGE_OPS or not ops <= EQUALITY_OPS else eq
                if ops & UNINDEXABLE:
                    continue
                if k not in eq and k not in rng:
                    target.append(k)
            elif k not in eq and k not in rng:
                eq.append(k)
    walk(flt or {})
    rng = [f for f in rng if f not in eq]
    return eq, rng


def suggest_esr_index(flt: dict[str, Any] | None, sort: dict[str, Any] | None = None
                      ) -> list[list[Any]] | None:
    """An index key [[field, direction], ...] following ESR, or None when nothing is indexable."""
    eq, rng = classify_filter(flt)
    key: list[list[Any]] = [[f, 1] for f in eq]
    for f, d in (sort or {}).items():
        if f not in eq and not str(f).startswith("$"):
            key.append([f, -1 if d in (-1, "-1", "desc", "descending") else 1])
    seen = {f for f, _ in key}
    key += [[f, 1] for f in rng if f not in seen]
    return key or None


def key_text(key: list[list[Any]]) -> str:
    """[[a, 1], [b, -1]] -> '{"a": 1, "b": -1}' (mongosh syntax)."""
    return json.dumps({f: d for f, d in key})


def _ordered(key: list[list[Any]]) -> bool:
    return all(isinstance(d, (int, float)) and not isinstance(d, bool) for _, d in key)


def is_prefix(short: list[list[Any]], long: list[list[Any]]) -> bool:
    """True when index `long` can serve every query `short` serves (the prefix rule).

    Directions must agree field by field, or all be reversed (an index is walked
    both ways); a one-field prefix matches either direction. Only ordered (1/-1)
    keys count: a text, hashed or 2dsphere key is not a btree prefix."""
    if not short or len(short) > len(long) or not _ordered(short) or not _ordered(long[:len(short)]):
        return False
    if [f for f, _ in short] != [f for f, _ in long[:len(short)]]:
        return False
    if len(short) == 1:
        return True
    same = all(_sign(a) == _sign(b) for (_, a), (_, b) in zip(short, long))
    flipped = all(_sign(a) == -_sign(b) for (_, a), (_, b) in zip(short, long))
    return same or flipped


def _sign(d: Any) -> int:
    return 1 if d > 0 else -1


def covered_by_existing(suggested: list[list[Any]], existing: list[list[list[Any]]]) -> bool:
    """The suggestion is already served by an existing index (it is a prefix of one)."""
    return any(is_prefix(suggested, k) for k in existing)


ATLAS_PA = "Atlas Performance Advisor (query shapes; suggest when docs examined - returned > 500; ESR order)"


ESR = "MongoDB docs: The ESR (Equality, Sort, Range) Rule; guide: MongoDB Index Best Practices"


def _shape_key(row: dict[str, Any]) -> tuple[str, str, str]:
    return row["ns"], json.dumps(row.get("filter") or {}, sort_keys=True), \
        json.dumps(row.get("sort") or {}, sort_keys=True)


def group_shapes(rows: list[dict[str, Any]], keep) -> list[dict[str, Any]]:
    """Profile rows selected by `keep`, grouped by (namespace, filter shape, sort shape)."""
    groups: dict[tuple, dict[str, Any]] = {}
    for r in rows:
        if not keep(r):
            continue
        g = groups.setdefault(_shape_key(r), {
            "ns": r["ns"], "filter": r.get("filter") or {}, "sort": r.get("sort"), "ops": set(),
            "count": 0, "docsExamined": 0, "keysExamined": 0, "nreturned": 0, "millis": 0,
            "plans": set()})
        g["count"] += 1
        g["ops"].add(r.get("op"))
        g["plans"].add(r.get("planSummary") or "")
        for k in ("docsExamined", "keysExamined", "nreturned", "millis"):
            g[k] += int(r.get(k) or 0)
    out = []
    for g in groups.values():
        g["ops"], g["plans"] = sorted(g["ops"]), sorted(g["plans"])[:5]
        out.append(g)
    return sorted(out, key=lambda g: (-(g["docsExamined"] - g["nreturned"]), -g["millis"], g["ns"]))


def existing_keys(ctx) -> dict[str, list]:
    """Visible index keys by namespace (empty when the index fact cannot be read)."""
    out: dict[str, list] = defaultdict(list)
    rows = ctx.optional("mongo.indexes", {"rows": []})["rows"]
    for r in rows:
        if not r.get("hidden"):
            out[f"{r['db']}.{r['collection']}"].append(r["key"])
    return out


def index_fix(ctx, ns: str, key) -> str | None:
    if not key:
        return None
    db, _, coll = ns.partition(".")
    return ("// builds on every member without blocking reads/writes (4.2+), but takes CPU, I/O and cache; "
            "a build on a big collection can lag secondaries\n"
            + mongosh(ctx, f"{coll_js(db, coll)}.createIndex({key_text(key)})"))
