"""Keyspace layout: many logical databases in use."""

from advisor.model import Severity
from advisor.registry import Threshold, check

from ._common import RI, keyspace


@check(id="redis.keyspace.many_dbs", title="Several logical databases in use", category="configuration",
       severity=Severity.INFO, facts=["redis.info"], reference=RI + " (more than one logical database in use)",
       thresholds={"max_dbs": Threshold(1, "databases", RI)})
def many_dbs(ctx):
    """Logical databases (SELECT n) share one thread, one memory limit and one eviction pool;
    Redis Cluster supports only db 0, and many clients and tools look at db 0 only. Separate
    instances (or key prefixes) isolate workloads better."""
    used = {f"db{n}": v.get("keys", 0) for n, v in sorted(keyspace(ctx).items()) if v.get("keys")}
    if len(used) <= ctx.threshold("max_dbs"):
        return
    yield ctx.finding(
        object="keyspace", summary=f"{len(used)} logical databases hold keys: {', '.join(used)}",
        evidence={"databases": used, "max_dbs": ctx.threshold("max_dbs")},
        recommendation="Move each workload to its own instance (or to key prefixes in db 0) before "
                       "adopting Redis Cluster.",
    )
