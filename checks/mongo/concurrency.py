"""WiredTiger read/write tickets: concurrency the storage engine allows."""

from advisor.model import Severity
from advisor.registry import Threshold, check


@check(
    id="mongo.concurrency.tickets", title="WiredTiger read/write tickets exhausted",
    category="connections", severity=Severity.WARNING, facts=["mongo.server_status"],
    reference="Percona PMM MongoDB advisor (read/write tickets in use >= 128, the pre-7.0 total); "
              "MongoDB docs: serverStatus wiredTiger.concurrentTransactions / queues.execution",
    thresholds={"used_pct": Threshold(90, "% of totalTickets", "PMM: all 128 tickets in use (pre-7.0 default)")},
)
def tickets(ctx):
    """WiredTiger admits a bounded number of concurrent reads and writes (tickets,
    128 each before 7.0; adjusted dynamically from 7.0). When they are all out,
    further operations queue inside mongod: latency grows with no CPU to show for
    it. This is a sample at collection time. Fix: find the long-running operations
    holding tickets (slow queries, large scans, disk stalls) rather than raising the
    ticket count."""
    t = ctx.fact("mongo.server_status").get("tickets") or {}
    for kind in ("read", "write"):
        v = t.get(kind) or {}
        out, total = v.get("out"), v.get("totalTickets")
        if out is None or not total:
            continue
        used = 100.0 * out / total
        if used >= ctx.threshold("used_pct"):
            yield ctx.finding(
                object=f"tickets.{kind}",
                summary=f"{out} of {total} {kind} tickets in use ({used:.0f}%): operations queue in mongod",
                evidence={"kind": kind, "out": out, "available": v.get("available"), "totalTickets": total,
                          "used_pct": round(used, 1), "used_pct_threshold": ctx.threshold("used_pct"),
                          "fix_kind": "manual"},
                recommendation="Find what holds the tickets (long scans, slow disk) and fix it; more "
                               "tickets only move the queue onto the disk.",
                fix="db.currentOp({active: true, secs_running: {$gte: 1}})")
