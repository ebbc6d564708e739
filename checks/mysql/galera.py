"""Galera (MariaDB Galera Cluster, Percona XtraDB Cluster) health from the wsrep_* status
variables of SHOW GLOBAL STATUS. Silent on servers where wsrep_on is OFF."""

from __future__ import annotations

from advisor.model import Severity
from advisor.registry import Threshold, check

from ._common import num, on

GALERA = "Galera Cluster docs: Monitoring the Cluster (wsrep_cluster_status, wsrep_local_state_comment, " \
         "wsrep_flow_control_paused, wsrep_local_recv_queue_avg, wsrep_local_cert_failures)"


def _galera(ctx):
    """(variables, status) on a Galera node, None elsewhere."""
    v = ctx.fact("mysql.variables")
    if not on(v.get("wsrep_on", "OFF")):
        return None
    return v, ctx.fact("mysql.status")


def _addresses(address: str) -> list[str]:
    """gcomm://a,b,c?pc.wait_prim=no -> [a, b, c]; 'gcomm://' (bootstrap) -> []."""
    rest = str(address or "").split("://", 1)[-1].split("?", 1)[0]
    return [a for a in rest.split(",") if a.strip()]


@check(
    id="mysql.galera.cluster",
    title="Galera node not in the Primary component, not Synced, or cluster too small",
    category="replication",
    severity=Severity.CRITICAL,
    facts=["mysql.variables", "mysql.status"],
    reference=GALERA,
    thresholds={"expected_size": Threshold(0, "nodes", "the nodes listed in wsrep_cluster_address when 0"),
                "min_size": Threshold(3, "nodes", "Galera docs: at least three nodes to keep quorum when one fails")},
)
def cluster(ctx):
    """A node outside the Primary component (wsrep_cluster_status non-Primary or Disconnected,
    wsrep_ready OFF) refuses queries: it lost quorum after a network split or after nodes left.
    A node that is not Synced (Joining, Joined, Donor/Desynced) is receiving a state transfer or
    serving as a donor and lags the cluster. A cluster smaller than expected (threshold, or the
    nodes listed in wsrep_cluster_address) has lost members; fewer than three nodes cannot keep
    quorum when one more fails. Restore quorum only after making sure the other side of a split is
    really down (bootstrapping both sides creates two diverging clusters)."""
    g = _galera(ctx)
    if g is None:
        return
    v, st = g
    status = str(st.get("wsrep_cluster_status", "?"))
    state = str(st.get("wsrep_local_state_comment", "?"))
    size = int(num(st, "wsrep_cluster_size", 0) or 0)
    listed = _addresses(v.get("wsrep_cluster_address"))
    expected = int(ctx.threshold("expected_size") or len(listed))
    base = {"wsrep_cluster_status": status, "wsrep_local_state_comment": state, "wsrep_cluster_size": size,
            "wsrep_ready": st.get("wsrep_ready"), "wsrep_connected": st.get("wsrep_connected"),
            "wsrep_cluster_address": v.get("wsrep_cluster_address")}
    if status != "Primary" or not on(st.get("wsrep_ready", "OFF")):
        yield ctx.finding(
            object="wsrep_cluster_status",
            summary=f"node is not in the Primary component (wsrep_cluster_status = {status}, "
                    f"wsrep_ready = {st.get('wsrep_ready')}): it refuses queries",
            evidence={**base, "fix_kind": "manual"},
            recommendation="Find the partition with quorum (the node with the highest seqno); if the whole cluster "
                           "lost quorum and the other nodes are confirmed down, bootstrap a new Primary on the most "
                           "advanced node only.",
            fix="-- on the most advanced node, only when no other component is Primary:\n"
                "SET GLOBAL wsrep_provider_options = 'pc.bootstrap=YES';",
        )
        return
    if state != "Synced":
        yield ctx.finding(
            object="wsrep_local_state_comment",
            severity=Severity.WARNING,
            summary=f"node state is {state}, not Synced: it is "
                    + ("a state-transfer donor" if "Donor" in state else "still catching up with the cluster"),
            evidence={**base, "fix_kind": "manual"},
            recommendation="Keep application traffic off the node until it is Synced; move donor duties to a node "
                           "that serves no traffic (wsrep_sst_donor).",
            fix="-- wait for Synced: SHOW GLOBAL STATUS LIKE 'wsrep_local_state_comment';",
        )
    floor = int(ctx.threshold("min_size"))
    if (expected and size < expected) or size < floor:
        yield ctx.finding(
            object="wsrep_cluster_size",
            severity=Severity.CRITICAL if size < 2 else Severity.WARNING,
            summary=f"cluster has {size} node(s)"
                    + (f", {expected} expected" if expected and size < expected else "")
                    + (f"; below {floor} it cannot keep quorum when a node fails" if size < floor else ""),
            evidence={**base, "expected_size": expected, "min_size": floor, "listed_nodes": listed,
                      "fix_kind": "manual"},
            recommendation="Bring the missing nodes back (they rejoin with IST/SST), or add a node or a Galera "
                           "arbitrator (garbd) so that the cluster has an odd number of at least three members.",
            fix="# on each missing node: systemctl start mariadb  (it rejoins through wsrep_cluster_address)",
        )


@check(
    id="mysql.galera.flow_control",
    title="Galera flow control pauses replication (slow node, receive queue)",
    category="replication",
    severity=Severity.WARNING,
    facts=["mysql.variables", "mysql.status"],
    reference=GALERA,
    thresholds={"paused": Threshold(0.1, "fraction", "Galera docs: wsrep_flow_control_paused near 0 is healthy; "
                                    "db-advisor warns above 0.1 (paused 10% of the time)"),
                "recv_queue_avg": Threshold(0.5, "write-sets", "Galera docs: wsrep_local_recv_queue_avg above 0 "
                                            "means the node applies slower than it receives")},
)
def flow_control(ctx):
    """When a node's receive queue exceeds gcs.fc_limit it sends flow-control messages and the
    whole cluster stops committing until it catches up: every write waits for the slowest node.
    wsrep_flow_control_paused is the fraction of time replication was paused since the status
    was last flushed; wsrep_local_recv_queue_avg the average write-sets waiting to be applied
    here; wsrep_flow_control_sent > 0 says this node is the one asking for pauses. Causes: a
    weaker node, too few applier threads (wsrep_slave_threads / wsrep_applier_threads), large
    transactions, tables without primary keys."""
    g = _galera(ctx)
    if g is None:
        return
    v, st = g
    paused = num(st, "wsrep_flow_control_paused", 0.0) or 0.0
    queue = num(st, "wsrep_local_recv_queue_avg", 0.0) or 0.0
    sent = num(st, "wsrep_flow_control_sent", 0) or 0
    if paused <= ctx.threshold("paused") and queue <= ctx.threshold("recv_queue_avg"):
        return
    threads = "wsrep_applier_threads" if "wsrep_applier_threads" in v else "wsrep_slave_threads"
    yield ctx.finding(
        object="flow control",
        summary=f"replication paused {paused:.0%} of the time by flow control; receive queue average {queue:g}"
                + ("; this node is sending the pauses" if sent else ""),
        evidence={"wsrep_flow_control_paused": paused, "wsrep_local_recv_queue_avg": queue,
                  "wsrep_flow_control_sent": sent, "wsrep_flow_control_recv": st.get("wsrep_flow_control_recv"),
                  threads: v.get(threads), "threshold_paused": ctx.threshold("paused"),
                  "threshold_recv_queue_avg": ctx.threshold("recv_queue_avg")},
        recommendation="Find the node that sends flow control (wsrep_flow_control_sent > 0); give it more applier "
                       "threads or better hardware, split large transactions, add primary keys.",
        fix=f"SET GLOBAL {threads} = {{{{threads}}}};  -- on the slow node; dynamic; persist under [mysqld] in my.cnf",
    )


@check(
    id="mysql.galera.conflicts",
    title="Galera certification failures and brute-force aborts",
    category="replication",
    severity=Severity.WARNING,
    facts=["mysql.variables", "mysql.status"],
    reference=GALERA + "; MariaDB docs: Galera Cluster known limitations (multi-primary conflicts)",
    thresholds={"pct": Threshold(1.0, "% of local commits", "db-advisor default: more than 1 in 100 commits "
                                 "rolled back by a conflict")},
)
def conflicts(ctx):
    """Galera certifies each transaction against the write-sets other nodes committed
    meanwhile: a conflict rolls the local transaction back with a deadlock error
    (wsrep_local_cert_failures at commit, wsrep_local_bf_aborts when a replicated write-set
    aborts a running local transaction). A high share means several nodes write the same rows
    (hot rows, counters): send writes for a table to one node (e.g. a proxy's single-writer
    mode) and make the application retry on error 1213."""
    g = _galera(ctx)
    if g is None:
        return
    _, st = g
    commits = num(st, "wsrep_local_commits", 0) or 0
    failed = (num(st, "wsrep_local_cert_failures", 0) or 0) + (num(st, "wsrep_local_bf_aborts", 0) or 0)
    if not commits or 100 * failed / commits <= ctx.threshold("pct"):
        return
    yield ctx.finding(
        object="certification conflicts",
        summary=f"{failed:,} local transactions rolled back by certification conflicts "
                f"({100 * failed / commits:.1f}% of {commits:,} commits)",
        evidence={"wsrep_local_cert_failures": st.get("wsrep_local_cert_failures"),
                  "wsrep_local_bf_aborts": st.get("wsrep_local_bf_aborts"), "wsrep_local_commits": commits,
                  "threshold_pct": ctx.threshold("pct"), "fix_kind": "manual"},
        recommendation="Route writes to a single node (ProxySQL / MaxScale single-writer), or at least the writes "
                       "to hot tables; retry on error 1213 in the application.",
        fix="-- application / proxy change: one writer node per table; retry transactions on error 1213",
    )
