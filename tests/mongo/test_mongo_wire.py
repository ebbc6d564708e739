"""The collector end to end at the wire level: `advisor run/snapshot/analyze` with the real
pymongo client against mockupdb stand-ins answering with the recorded replies."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
from contextlib import redirect_stderr, redirect_stdout

import pytest

from advisor.cli import main
from mockmongod import MockMongod, make_mongod, mongo_rs, mongod, reply  # noqa: F401 (fixtures)
from support import one_error_line, silent_tcp_server

# every command the advisor may send to MongoDB: reads only (and the driver's own handshake)
READ_ONLY = {"hello", "ismaster", "ping", "buildinfo", "serverstatus", "hostinfo", "getcmdlineopts",
             "replsetgetstatus", "listdatabases", "listcollections", "listindexes", "aggregate",
             "profile", "find", "endsessions", "killcursors", "getmore"}


def cli(*args):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def run_json(*args):
    code, out, err = cli("run", *args, "--json", "--timeout", "5")
    return code, json.loads(out), err


def checks_of(report, severity=None):
    return sorted((f["check"], f["object"]) for f in report["findings"]
                  if severity is None or f["severity"] in severity)


def test_run_against_recorded_server(mongod):
    code, rep, err = run_json(mongod.url)
    assert code == 1, err
    assert rep["targets"][0]["server_version"] == "7.0.12" and rep["errors"] == []
    found = checks_of(rep)
    for expected in [("mongo.index.unused", "shop.orders.legacy_ref_1"),
                     ("mongo.index.redundant", "shop.orders.status_1"),
                     ("mongo.query.collscan", "shop.orders"), ("mongo.query.sort", "shop.orders"),
                     ("mongo.schema.large_documents", "shop.events"),
                     ("mongo.storage.free_space", "shop.events"),
                     ("mongo.repl.members", "replication")]:
        assert expected in found
    # the real commands went over the wire, and only read-only ones
    sent = {name for name, _ in mongod.received}
    assert {"serverstatus", "hostinfo", "buildinfo", "getcmdlineopts", "listdatabases", "listcollections",
            "listindexes", "aggregate", "profile", "find"} <= sent
    assert sent <= READ_ONLY, sent - READ_ONLY
    assert ("profile", "shop") in mongod.received
    profile_cmds = [c for c in mongod.received if c[0] == "profile"]
    assert all(db not in ("admin", "local", "config") for _, db in profile_cmds)


def healthy_replies():
    """The healthy twin: same server, nothing to complain about."""
    status = reply("serverStatus")
    return {
        "buildInfo": {**reply("buildInfo"), "version": "7.0.20", "versionArray": [7, 0, 20, 0]},
        "getCmdLineOpts": {**reply("getCmdLineOpts"),
                           "parsed": {**reply("getCmdLineOpts")["parsed"],
                                      "net": {"bindIp": "127.0.0.1", "maxIncomingConnections": 5000}}},
        "serverStatus": status,
        "listIndexes_orders": [{"v": 2, "key": {"_id": 1}, "name": "_id_"},
                               {"v": 2, "key": {"status": 1, "created": -1}, "name": "status_1_created_-1"}],
        "indexStats_orders_db1": [d for d in reply("indexStats_orders_db1")
                                  if d["name"] in ("_id_", "status_1_created_-1")],
        "listCollections_shop": [{"name": "orders", "type": "collection"}],
        "system_profile_shop": [d for d in reply("system_profile_shop") if d["planSummary"].startswith("IXSCAN")
                                and not d.get("hasSortStage")],
    }


def test_healthy_twin_has_no_warnings(make_mongod):
    m = make_mongod("db1", replies=healthy_replies())
    code, rep, err = run_json(m.url)
    assert code == 0, (err, checks_of(rep))
    assert checks_of(rep, {"warning", "critical"}) == []
    assert checks_of(rep) == [("mongo.repl.members", "replication")]   # standalone: info only
    assert rep["skipped"] == []


def test_replica_set_members_are_each_read_and_summed(mongo_rs):
    url = f"mongodb://{mongo_rs[0].address}/?replicaSet=rs0"
    code, rep, err = run_json(url)
    assert code == 1, err
    unused = {f["object"]: f for f in rep["findings"] if f["check"] == "mongo.index.unused"}
    assert sorted(unused) == ["shop.orders.legacy_ref_1", "shop.orders.status_1"]   # sku_1 used on db3
    assert len(unused["shop.orders.status_1"]["evidence"]["ops_by_host"]) == 3
    for m in mongo_rs:   # a direct connection to every member ran $indexStats
        assert ("aggregate", "shop") in m.received, m.member
    lag = [f for f in rep["findings"] if f["check"] == "mongo.repl.lag"]
    assert [f["object"] for f in lag] == ["db2.example.internal:27017"]
    assert any(f["check"] == "mongo.repl.oplog_window" for f in rep["findings"])


def test_missing_privileges_become_skips_with_the_role(make_mongod):
    m = make_mongod("db1", deny=("getCmdLineOpts", "hostInfo", "indexstats"))
    code, rep, err = run_json(m.url)
    skipped = {s["check"]: s["reason"] for s in rep["skipped"]}
    assert "clusterMonitor" in skipped["mongo.security.authorization"]
    assert "clusterMonitor" in skipped["mongo.security.bind_all"]
    assert "not authorized to run hostInfo" not in skipped.get("mongo.cache.size", "")  # falls back to --memory
    assert "--memory" in skipped["mongo.cache.size"]
    assert "clusterMonitor" in skipped["mongo.index.unused"]
    assert any(f["check"] == "mongo.index.redundant" for f in rep["findings"])   # listIndexes still works
    code, rep, _ = run_json(m.url, "--memory", "16GiB", "--checks", "mongo.cache.size")
    assert rep["skipped"] == [] and code == 0


def test_snapshot_then_analyze_offline(mongod, tmp_path):
    snap = tmp_path / "mongo.json"
    code, _, err = cli("snapshot", mongod.url, "-o", snap, "--timeout", "5")
    assert code == 0, err
    live = run_json(mongod.url)[1]
    mongod.stop()                                   # analyze must not need the server
    code, out, err = cli("analyze", snap, "--json")
    offline = json.loads(out)
    assert code == 1, err
    assert checks_of(offline) == checks_of(live)
    assert "hunter" not in snap.read_text()


def test_bad_credentials_exit_3_without_password(mongod):
    # the stand-in knows no SASL mechanism: authentication fails like a wrong password
    code, out, err = cli("run", f"mongodb://advisor:hunter2@{mongod.address}/?authSource=admin",
                         "--timeout", "3")
    assert code == 3
    assert "hunter2" not in out + err and "Traceback" not in err
    assert len([ln for ln in err.splitlines() if ln.strip()]) == 1


# ---- unreachable servers: subprocesses, so the --timeout bound is measured for real ----

def _subprocess(*args, timeout=60):
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    return subprocess.run([sys.executable, "-m", "advisor", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env=env)


def test_closed_port_exits_3_within_timeout():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    p = _subprocess("run", "--timeout", "2", f"mongodb://bob:hunter2@127.0.0.1:{port}/admin")
    elapsed = time.monotonic() - t0
    assert p.returncode == 3, p.stderr
    assert "hunter2" not in p.stderr + p.stdout
    assert "refused" in one_error_line(p.stderr).lower()
    assert elapsed < 12


@pytest.fixture
def silent_server():
    """Accepts TCP connections and never says a word."""
    with silent_tcp_server() as port:
        yield port


def test_silent_server_exits_3_within_timeout(silent_server):
    t0 = time.monotonic()
    p = _subprocess("run", "--timeout", "2", f"mongodb://bob:hunter2@127.0.0.1:{silent_server}/admin")
    elapsed = time.monotonic() - t0
    assert p.returncode == 3, p.stderr
    line = one_error_line(p.stderr)
    assert "hunter2" not in p.stderr + p.stdout and "bob:***@" in line
    assert elapsed < 12, elapsed


def test_srv_url_without_dns_record_exits_3(monkeypatch):
    code, out, err = cli("run", "mongodb+srv://u:hunter2@no-such-cluster.invalid/db", "--timeout", "2")
    assert code == 3 and "hunter2" not in out + err
    assert len([ln for ln in err.splitlines() if ln.strip()]) == 1


def test_direct_connection_to_one_member_does_not_call_indexes_unused(mongo_rs):
    code, rep, err = run_json(f"mongodb://{mongo_rs[1].address}/?directConnection=true")
    assert rep["targets"][0]["server_version"] == "7.0.12", err
    skipped = {s["check"]: s["reason"] for s in rep["skipped"]}
    assert "one member of replica set rs0" in skipped["mongo.index.unused"]
    assert not [f for f in rep["findings"] if f["check"] == "mongo.index.unused"]


def test_replica_set_without_primary_is_still_inspected():
    from mockmongod import replica_set
    members = replica_set(with_primary=False)
    try:
        code, rep, err = run_json(f"mongodb://{members[0].address}/?replicaSet=rs0")
    finally:
        for m in members:
            m.stop()
    assert rep["targets"][0]["server_version"] == "7.0.12" and rep["errors"] == [], err
    assert any(f["check"] == "mongo.index.unused" for f in rep["findings"])


def test_profiler_unreadable_skips_query_shapes_with_the_grant(make_mongod):
    m = make_mongod("db1", deny=("profile",))
    code, rep, err = run_json(m.url, "--checks", "mongo.profiler.*", "--checks", "mongo.query.*")
    skipped = {s["check"]: s["reason"] for s in rep["skipped"]}
    assert "enableProfiler" in skipped["mongo.profiler.off"]
    assert "enableProfiler" in skipped["mongo.query.collscan"]
    assert "mongo.query.sort" not in skipped          # server-wide counters are still judged
    m2 = make_mongod("db1", deny=("find",))
    code, rep, err = run_json(m2.url, "--checks", "mongo.query.collscan")
    assert "find on shop.system.profile" in rep["skipped"][0]["reason"]


def test_connection_dropped_mid_run_gives_a_partial_report(make_mongod):
    m = make_mongod("db1", hangup=("listIndexes",))
    code, rep, err = run_json(m.url)
    assert rep["targets"][0]["server_version"] == "7.0.12"
    assert any("connection lost during mongo." in e["message"] and "partial" in e["message"]
               for e in rep["errors"]), rep["errors"]
    assert any(s["reason"] == "not run: connection to the target was lost" for s in rep["skipped"])
    assert "Traceback" not in err


def test_a_member_going_down_mid_run_is_not_the_target_lost(mongo_rs):
    mongo_rs[2].hangup = {"aggregate"}          # db3 drops $indexStats connections
    code, rep, err = run_json(f"mongodb://{mongo_rs[0].address}/?replicaSet=rs0")
    assert rep["errors"] == [], rep["errors"]
    # db3's counters are missing, so nothing is called unused; redundancy is still judged
    assert not [f for f in rep["findings"] if f["check"] == "mongo.index.unused"]
    skipped = {s["check"]: s["reason"] for s in rep["skipped"]}
    assert "stopped answering" in skipped["mongo.index.unused"]
    assert any(f["check"] == "mongo.index.redundant" for f in rep["findings"])
    aggregates_on_db3 = [c for c in mongo_rs[2].received if c == ("aggregate", "shop")]
    assert len(aggregates_on_db3) == 1          # not asked again after it failed


def test_a_member_slow_to_answer_its_first_check_is_counted(mongo_rs):
    # right after connect the driver has not heard from db3 yet: it is not unreachable
    mongo_rs[2].hello_delay = 1.0
    code, rep, err = run_json(f"mongodb://{mongo_rs[0].address}/?replicaSet=rs0", "--checks", "mongo.index.*")
    assert rep["errors"] == [], rep["errors"]
    skipped = {s["check"]: s["reason"] for s in rep["skipped"]}
    assert "mongo.index.unused" not in skipped, skipped.get("mongo.index.unused")
    assert ("aggregate", "shop") in mongo_rs[2].received   # db3's counters were read
    assert any(f["check"] == "mongo.index.unused" for f in rep["findings"])
