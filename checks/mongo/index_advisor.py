"""Compound indexes for the profiler's COLLSCAN shapes, merged per collection and ranked by
the time of the shapes they serve (ESR order from shapes.suggest_esr_index)."""

from __future__ import annotations

from typing import Any

from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_duration

from .queries import ATLAS_PA, ESR, _existing_keys, _index_fix, group_shapes
from .shapes import covered_by_existing, is_prefix, key_text, suggest_esr_index


def _merge(cands: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A key that is a prefix of another key of the same collection is served by it."""
    cands = sorted(cands, key=lambda c: (c["ns"], -len(c["key"])))
    kept: list[dict[str, Any]] = []
    for c in cands:
        host = next((k for k in kept if k["ns"] == c["ns"] and is_prefix(c["key"], k["key"])), None)
        if host is None:
            kept.append(c)
        else:
            host["shapes"] += c["shapes"]
    return kept


@check(
    id="mongo.index.suggested",
    title="Compound index that would serve collection-scanning query shapes",
    category="indexes",
    severity=Severity.WARNING,
    facts=["mongo.profile", "mongo.indexes"],
    reference=ATLAS_PA + "; " + ESR,
    thresholds={
        "min_wasted_docs": Threshold(500, "docs", ATLAS_PA),
        "max_returned_ratio": Threshold(0.2, "ratio", "db-advisor: a shape returning over 20% of what it "
                                                      "scans gains little from an index"),
    },
)
def suggested_index(ctx):
    """The profiler's COLLSCAN operations are grouped by namespace, filter shape and sort;
    each shape that examines more than min_wasted_docs documents beyond those it returns
    gets an ESR-ordered key (equality fields, then sort fields, then range fields).
    Shapes returning most of what they scan are left out (low selectivity), keys an
    existing index already has as prefix are dropped, and a key that is a prefix of
    another key on the same collection is merged into it, so one index serves several
    shapes. Findings rank by the profiled time of the shapes served. Fix: createIndex
    with the key shown (rolling, member by member, on a busy replica set), then check
    explain('executionStats').
    """
    prof = ctx.fact("mongo.profile")
    existing = _existing_keys(ctx)
    cands = []
    for g in group_shapes(prof["rows"], lambda r: (r.get("planSummary") or "").startswith("COLLSCAN")):
        wasted = g["docsExamined"] - g["nreturned"]
        if wasted <= ctx.threshold("min_wasted_docs"):
            continue
        if g["docsExamined"] and g["nreturned"] / g["docsExamined"] > ctx.threshold("max_returned_ratio"):
            continue
        key = suggest_esr_index(g["filter"], g["sort"])
        if not key or covered_by_existing(key, existing.get(g["ns"], [])):
            continue
        cands.append({"ns": g["ns"], "key": key, "shapes": [g]})
    ranked = sorted(_merge(cands), key=lambda c: (-sum(s["millis"] for s in c["shapes"]), c["ns"]))
    for rank, c in enumerate(ranked, 1):
        ms = sum(s["millis"] for s in c["shapes"])
        yield ctx.finding(
            object=f"{c['ns']} {key_text(c['key'])}",
            summary=f"index {key_text(c['key'])} on {c['ns']} would serve {len(c['shapes'])} collection-scanning "
                    f"shape(s) taking {human_duration(ms / 1000)} in the profile",
            evidence={"rank": rank, "ns": c["ns"], "key": c["key"], "profiled_millis": ms,
                      "shapes": [{"filter": s["filter"], "sort": s["sort"], "count": s["count"],
                                  "docsExamined": s["docsExamined"], "nreturned": s["nreturned"],
                                  "millis": s["millis"]} for s in c["shapes"][:10]],
                      "min_wasted_docs": ctx.threshold("min_wasted_docs"),
                      "max_returned_ratio": ctx.threshold("max_returned_ratio")},
            recommendation="Create the index (equality, sort, range order); it replaces the collection "
                           "scans of the shapes listed. Check with explain('executionStats').",
            fix=_index_fix(ctx, c["ns"], c["key"]))
