"""Galera checks on recorded SHOW GLOBAL STATUS replies (no Galera cluster here), shaped after the
Galera docs' monitoring page: a healthy 3-node node, a non-Primary node after a split, a donor,
a shrunken cluster, flow control and conflicts; and silence on the shared server (wsrep off)."""

from __future__ import annotations

import pytest

from mysql_helpers import run_advisor
from recorded_facts import facts, judge

HEALTHY = {"wsrep_cluster_status": "Primary", "wsrep_local_state_comment": "Synced", "wsrep_cluster_size": 3,
           "wsrep_ready": "ON", "wsrep_connected": "ON", "wsrep_flow_control_paused": 0.000012,
           "wsrep_local_recv_queue_avg": 0.012, "wsrep_flow_control_sent": 0, "wsrep_flow_control_recv": 2,
           "wsrep_local_cert_failures": 3, "wsrep_local_bf_aborts": 1, "wsrep_local_commits": 250000}
WSREP = {"wsrep_on": "ON", "wsrep_cluster_address": "gcomm://10.0.0.1,10.0.0.2,10.0.0.3",
         "wsrep_slave_threads": 4, "wsrep_provider": "/usr/lib/galera/libgalera_smm.so"}


def _node(status=None, variables=None, server="mariadb1011"):
    return facts(server, {**WSREP, **(variables or {})}, status={**HEALTHY, **(status or {})})


def _all(rec):
    return {cid: judge(f"mysql.galera.{cid}", rec)[0] for cid in ("cluster", "flow_control", "conflicts")}


def test_healthy_node_is_silent():
    assert all(f == [] for f in _all(_node()).values())


def test_wsrep_off_is_silent_even_with_bad_status():
    rec = _node({"wsrep_cluster_status": "Disconnected"}, {"wsrep_on": "OFF"})
    assert all(f == [] for f in _all(rec).values())


def test_non_primary_after_a_split():
    rec = _node({"wsrep_cluster_status": "non-Primary", "wsrep_ready": "OFF", "wsrep_cluster_size": 1})
    [f] = judge("mysql.galera.cluster", rec)[0]  # reported once, not also as "size"
    assert str(f.severity) == "critical" and "non-Primary" in f.summary and "pc.bootstrap=YES" in f.fix


@pytest.mark.parametrize("state, size, expected", [
    ("Donor/Desynced", 3, {"wsrep_local_state_comment"}),
    ("Joined", 3, {"wsrep_local_state_comment"}),
    ("Synced", 2, {"wsrep_cluster_size"}),
])
def test_state_and_size(state, size, expected):
    found = judge("mysql.galera.cluster", _node({"wsrep_local_state_comment": state, "wsrep_cluster_size": size}))[0]
    assert {f.object for f in found} == expected


def test_expected_size_from_the_threshold_on_pxc():
    rec = _node({"wsrep_cluster_size": 4}, {"wsrep_cluster_address": "gcomm://"}, server="mysql80")
    [f] = judge("mysql.galera.cluster", rec, thresholds={"expected_size": 5})[0]
    assert "4 node(s), 5 expected" in f.summary and str(f.severity) == "warning"


def test_flow_control_and_applier_threads_name():
    rec = _node({"wsrep_flow_control_paused": 0.35, "wsrep_local_recv_queue_avg": 12.5, "wsrep_flow_control_sent": 140},
                {"wsrep_applier_threads": 4})
    [f] = judge("mysql.galera.flow_control", rec)[0]
    assert "paused 35%" in f.summary and "this node is sending" in f.summary
    assert f.fix.startswith("SET GLOBAL wsrep_applier_threads = {{threads}};")


def test_certification_conflicts_share():
    [f] = judge("mysql.galera.conflicts", _node({"wsrep_local_cert_failures": 4000, "wsrep_local_bf_aborts": 1000}))[0]
    assert "2.0% of 250,000 commits" in f.summary


def test_shared_server_without_wsrep_is_silent(mysql_admin_url):
    res = run_advisor(mysql_admin_url, ["mysql.galera.*"])
    assert not res.errors and res.findings == [] and res.skipped == []
