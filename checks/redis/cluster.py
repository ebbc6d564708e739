"""Cluster mode: which nodes exist, which ones this report covers, failed nodes."""

from advisor.model import Severity
from advisor.registry import check

REF = "Redis Cluster specification (CLUSTER NODES flags)"


@check(id="redis.cluster.coverage", title="Cluster mode: other nodes need their own run", category="configuration",
       severity=Severity.INFO, facts=["redis.cluster"], reference=REF)
def coverage(ctx):
    """In cluster mode INFO, CONFIG, the slow log and SCAN describe one node only. The advisor
    inspects the node it connected to and lists the others: pass every node's URL (advisor run
    redis://a redis://b ...) to inspect them all in one report."""
    c = ctx.fact("redis.cluster")
    if not c["enabled"]:
        return
    me = next((n for n in c["nodes"] if n["myself"]), None)
    others = [n for n in c["nodes"] if not n["myself"]]
    yield ctx.finding(
        object=me["addr"] if me else "cluster",
        summary=f"cluster mode: this report covers node {me['addr'] if me else '?'} only; "
                f"{len(others)} other node(s) need their own URL",
        evidence={"nodes": [{k: n[k] for k in ("addr", "role", "flags", "link")} for n in c["nodes"]],
                  "fix_kind": "shell"},
        recommendation="Run the advisor on every node (masters and replicas) in one command.",
        fix="advisor run " + " ".join(f"redis://{n['addr']}" for n in c["nodes"]),
    )


@check(id="redis.cluster.failed_nodes", title="Cluster nodes failing or disconnected", category="replication",
       severity=Severity.CRITICAL, facts=["redis.cluster"], reference=REF)
def failed_nodes(ctx):
    """A node flagged fail (or fail? = suspected) or with a disconnected cluster bus link loses
    its slots' availability until a replica is promoted; a master without a healthy replica is
    a single point of failure. Fix: restore or replace the node (CLUSTER FAILOVER, add a replica)."""
    c = ctx.fact("redis.cluster")
    for n in c["nodes"]:
        bad = [f for f in n["flags"] if f in ("fail", "fail?", "handshake", "noaddr")]
        if bad or n["link"] != "connected":
            yield ctx.finding(
                object=n["addr"], severity=Severity.CRITICAL if "fail" in bad else Severity.WARNING,
                summary=f"cluster node {n['addr']} ({n['role']}) flags {','.join(n['flags'])}, link {n['link']}",
                evidence=n, recommendation="Bring the node back or replace it; check that every master has a replica.",
            )
