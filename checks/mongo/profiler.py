"""The database profiler: off (query advice is limited) or on for every operation."""

from advisor.model import Severity
from advisor.registry import Threshold, check

REF = "MongoDB docs: Database Profiler (profiling levels, slowms, overhead)"


@check(
    id="mongo.profiler.off", title="Profiler off or recording every operation",
    category="observability", severity=Severity.INFO, facts=["mongo.profile_status"], reference=REF,
    thresholds={"slowms": Threshold(100, "ms", "MongoDB default slowms (100 ms)")},
)
def profiler(ctx):
    """Per-query advice (collection scans and in-memory sorts by shape, ESR index
    suggestions) needs system.profile entries; with the profiler off (level 0, the
    default) only server-wide counters are judged. Level 1 records operations slower
    than slowms into a 1 MB capped collection per database: a small cost (one
    write per slow operation). Level 2 records every operation, which adds a write
    to every read and is for short debugging sessions only.
    Fix: db.setProfilingLevel(1, {slowms: 100}) per database, or
    operationProfiling.mode: slowOp in mongod.conf (all databases, survives restarts)."""
    st = ctx.fact("mongo.profile_status")
    dbs = st["databases"]
    slowms = ctx.threshold("slowms")
    off = sorted(db for db, v in dbs.items() if not v.get("was"))
    full = sorted(db for db, v in dbs.items() if v.get("was") == 2)
    if off:
        yield ctx.finding(
            object=",".join(off[:10]),
            summary=f"profiler is off in {len(off)} of {len(dbs)} database(s): query-shape advice "
                    "is limited to server-wide counters",
            evidence={"off": off[:50], "levels": {db: v.get("was") for db, v in list(dbs.items())[:50]},
                      "unreadable": st.get("unreadable")},
            recommendation=f"Turn on slow-operation profiling (level 1, slowms {slowms}): one small "
                           "write per slow operation into system.profile (capped, 1 MB).",
            fix="// this member only, until its restart (each member profiles separately)\n" +
                "\n".join(f"db.getSiblingDB(\"{db}\").setProfilingLevel(1, {{slowms: {slowms}}})"
                          for db in off[:10]) +
                f"\n# or for all databases, in mongod.conf:\noperationProfiling:\n  mode: slowOp\n"
                f"  slowOpThresholdMs: {slowms}")
    if full:
        yield ctx.finding(
            object=",".join(full[:10]), severity=Severity.WARNING,
            summary=f"profiler records every operation (level 2) in {', '.join(full[:5])}",
            evidence={"level_2": full},
            recommendation="Level 2 adds a write to every operation; go back to level 1 when done.",
            fix="// this member only; if mongod.conf sets operationProfiling.mode: all, change it there too\n" +
                "\n".join(f"db.getSiblingDB(\"{db}\").setProfilingLevel(1, {{slowms: {slowms}}})"
                          for db in full[:10]))
