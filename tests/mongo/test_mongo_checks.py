"""Every MongoDB check judged on recorded facts: the recorded replies (tests/mongo/replies)
collected once through the real collector (pymongo over the wire to mockupdb stand-ins of
a three-member replica set), then varied for the shapes a problem or a healthy twin has."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from advisor import registry, runner
from advisor.engines.mongo.facts_server import shape_host_info
from advisor.model import Severity
from advisor.runner import RunOptions
from advisor.targets import parse_target
from mockmongod import reply, replica_set
import support

GiB = 1024**3


@pytest.fixture(scope="module")
def recorded():
    members = replica_set()
    try:
        entry = runner.collect(parse_target(f"mongodb://{members[0].address}/?replicaSet=rs0"),
                               RunOptions(timeout=5))
    finally:
        for m in members:
            m.stop()
    assert not entry["unavailable"] and not entry["errors"], entry
    return entry["facts"]


@pytest.fixture
def facts(recorded):
    return copy.deepcopy(recorded)


def judge(check_id: str, facts: dict, memory: int | None = None, unavailable: dict | None = None,
          thresholds: dict | None = None):
    return support.judge(check_id, facts, memory=memory, unavailable=unavailable, thresholds=thresholds,
                         target="mongo://db1.example.internal:27017").result


def objects(res) -> list[str]:
    return sorted(f.object for f in res.findings)


# ---- cache -------------------------------------------------------------------------------

def _cache(facts):
    return facts["mongo.server_status"]["wiredTiger"]["cache"]


def test_cache_size_matches_guide_on_recorded_host(facts):
    assert judge("mongo.cache.size", facts).findings == []   # 7.5 GiB on 16 GiB = 50% of (16 - 1)


def test_cache_size_too_big_and_too_small(facts):
    _cache(facts)["maximum bytes configured"] = 14 * GiB
    f, = judge("mongo.cache.size", facts).findings
    assert f.severity == Severity.WARNING and f.evidence["recommended_bytes"] == int(7.5 * GiB)
    assert "cacheSizeGB: 7.5" in f.fix
    _cache(facts)["maximum bytes configured"] = 1 * GiB
    f, = judge("mongo.cache.size", facts).findings
    assert f.severity == Severity.INFO
    # --memory wins over hostInfo: on 64 GiB the recorded 7.5 GiB is too small
    _cache(facts)["maximum bytes configured"] = int(7.5 * GiB)
    f, = judge("mongo.cache.size", facts, memory=64 * GiB).findings
    assert f.evidence["memory_source"] == "--memory" and f.evidence["recommended_bytes"] == int(31.5 * GiB)


def test_cache_size_uses_container_limit_from_host_info(facts):
    doc = reply("hostInfo")
    doc["system"]["memLimitMB"] = 4096          # cgroup limit below the host's 16 GiB
    facts["mongo.host_info"] = shape_host_info(doc)
    f, = judge("mongo.cache.size", facts).findings
    assert f.evidence["memory_bytes"] == 4 * GiB and f.evidence["recommended_bytes"] == int(1.5 * GiB)


def test_cache_size_skipped_without_memory(facts):
    res = judge("mongo.cache.size", {k: v for k, v in facts.items() if k != "mongo.host_info"},
                unavailable={"mongo.host_info": {"reason": "not authorized to run hostInfo",
                                                 "enable": "grant the clusterMonitor role"}})
    assert res.skipped and "--memory" in res.skipped[0].reason


def test_cache_size_skipped_on_other_storage_engine(facts):
    facts["mongo.server_status"]["wiredTiger"] = None
    assert "not WiredTiger" in judge("mongo.cache.size", facts).skipped[0].reason


def test_cache_pressure(facts):
    assert judge("mongo.cache.pressure", facts).findings == []
    c = _cache(facts)
    c["bytes currently in the cache"] = int(c["maximum bytes configured"] * 0.96)
    c["tracked dirty bytes in the cache"] = int(c["maximum bytes configured"] * 0.25)
    c["pages evicted by application threads"] = 200_000              # 11.8% of 1.7 M evicted pages
    f, = judge("mongo.cache.pressure", facts).findings
    assert "96% full" in f.summary and "25% dirty" in f.summary and "11.8% of evicted pages" in f.summary
    assert f.severity == Severity.WARNING and f.evidence["uptime_s"] == 4233600


def test_cache_pressure_judges_application_eviction_as_a_share_not_any_page(facts):
    c = _cache(facts)
    c["pages evicted by application threads"] = 5120                 # 0.3% of evictions: a burst, not a trend
    assert judge("mongo.cache.pressure", facts).findings == []
    c["pages evicted by application threads"] = 200_000
    f, = judge("mongo.cache.pressure", facts).findings
    assert f.evidence["application_eviction_pct"] == 11.76 and f.severity == Severity.WARNING


def test_cumulative_cache_counters_do_not_escalate_right_after_a_restart(facts):
    facts["mongo.server_status"]["uptime"] = 600                      # ten minutes: a cold cache
    c = _cache(facts)
    c["pages read into cache"] = 100_000_000
    f, = judge("mongo.cache.read_ratio", facts).findings
    assert f.severity == Severity.INFO and f.evidence["uptime_s"] == 600 and f.evidence["counters_age"] == "10 min"
    assert f.evidence["min_uptime_hours"] == 24
    c["pages evicted by application threads"] = 200_000
    f, = judge("mongo.cache.pressure", facts).findings
    assert f.severity == Severity.INFO and "only 10 min old" in f.summary
    # a full cache is read now, not accumulated: it still warns on a young server
    c["bytes currently in the cache"] = int(c["maximum bytes configured"] * 0.96)
    assert judge("mongo.cache.pressure", facts).findings[0].severity == Severity.WARNING
    facts["mongo.server_status"]["uptime"] = 2 * 86400
    assert judge("mongo.cache.read_ratio", facts).findings[0].severity == Severity.WARNING


def test_cache_read_ratio(facts):
    assert judge("mongo.cache.read_ratio", facts).findings == []   # 99.8% served from cache
    _cache(facts)["pages read into cache"] = 100_000_000
    f, = judge("mongo.cache.read_ratio", facts).findings
    assert f.evidence["hit_pct"] == pytest.approx(89.8, abs=0.1)
    _cache(facts)["pages requested from the cache"] = 50_000     # too few to judge
    assert judge("mongo.cache.read_ratio", facts).findings == []


# ---- connections -------------------------------------------------------------------------

def test_connections_usage(facts):
    assert judge("mongo.connections.usage", facts).findings == []
    conn = facts["mongo.server_status"]["connections"]
    conn.update(current=800, available=200, active=100)
    f, = judge("mongo.connections.usage", facts).findings
    assert f.severity == Severity.WARNING and f.evidence["used_pct"] == 80.0
    conn.update(current=950, available=50, active=900)
    fs = judge("mongo.connections.usage", facts).findings
    assert [f.severity for f in fs] == [Severity.CRITICAL, Severity.WARNING]
    assert fs[1].object == "connections.active"


def test_connections_tier(facts):
    f, = judge("mongo.connections.tier", facts).findings           # no cap configured: info
    assert f.severity == Severity.INFO and f.evidence["tier"] == "large" and "5000" in f.fix
    facts["mongo.cmdline"]["maxIncomingConnections"] = 5000
    assert judge("mongo.connections.tier", facts).findings == []
    facts["mongo.server_status"]["connections"]["current"] = 6000
    f, = judge("mongo.connections.tier", facts).findings
    assert f.severity == Severity.WARNING and f.evidence["tier_connections"] == 5000
    f, = judge("mongo.connections.tier", facts, memory=4 * GiB).findings
    assert f.evidence["tier"] == "small" and f.evidence["tier_connections"] == 1000


# ---- replication -------------------------------------------------------------------------

def test_repl_members_healthy_and_down(facts):
    assert judge("mongo.repl.members", facts).findings == []
    m = facts["mongo.replset"]["members"][2]
    m.update(health=0, stateStr="(not reachable/healthy)")
    f, = judge("mongo.repl.members", facts).findings
    assert f.severity == Severity.CRITICAL and f.object == "db3.example.internal:27017"


def test_repl_members_standalone_is_info():
    f, = judge("mongo.repl.members", {"mongo.replset": {"enabled": False, "topology": "Single"}}).findings
    assert f.severity == Severity.INFO and "replSetName" in f.fix


def test_repl_lag(facts):
    f, = judge("mongo.repl.lag", facts).findings                    # db2 45 s behind, db3 1 s
    assert f.object == "db2.example.internal:27017" and f.evidence["lag_seconds"] == 45
    assert f.severity == Severity.WARNING
    facts["mongo.replset"]["members"][1]["optimeDate"] = "2024-05-20T09:50:00"
    f, = judge("mongo.repl.lag", facts).findings
    assert f.severity == Severity.CRITICAL


def test_oplog_window(facts):
    f, = judge("mongo.repl.oplog_window", facts).findings           # 10 h recorded, 97% full
    assert f.evidence["window_seconds"] == 36000 and f.severity == Severity.WARNING
    assert "replSetResizeOplog: 1, size: 2949" in f.fix              # 1 GiB * 24/10 * 1.2
    assert "each member" in f.fix and "no restart" in f.fix
    facts["mongo.oplog"]["window_seconds"] = 30 * 3600
    assert judge("mongo.repl.oplog_window", facts).findings == []


def test_oplog_window_of_an_oplog_still_filling_is_not_a_resize(facts):
    facts["mongo.oplog"]["size"] = 300 * 1024**2                    # a resynced member: 29% of 1 GiB
    f, = judge("mongo.repl.oplog_window", facts).findings
    assert f.severity == Severity.INFO and f.fix is None and "29% full" in f.summary
    assert "replSetResizeOplog" not in f.recommendation
    assert f.evidence["projected_full_window_seconds"] == round(36000 * 1024 / 300)


# ---- indexes -----------------------------------------------------------------------------

def _ix(facts, name):
    return next(r for r in facts["mongo.indexes"]["rows"] if r["name"] == name)


def test_indexes_are_summed_over_members(facts):
    sku = _ix(facts, "sku_1")
    assert sku["ops"] == 3 and len(sku["hosts"]) == 3 and sku["ops_by_host"]["db3.example.internal:27017"] == 3
    assert _ix(facts, "status_1_created_-1")["ops"] == 88000 + 33000 + 31000
    assert _ix(facts, "status_1")["since"].startswith("2024-03-28")  # the oldest counter start


def test_unused_indexes(facts):
    res = judge("mongo.index.unused", facts)
    # sku_1 is used on db3 only; customer_id_1 is unique; _id_ never counts
    assert objects(res) == ["shop.orders.legacy_ref_1", "shop.orders.status_1"]
    f = res.findings[0]
    assert f.evidence["tracked_days"] > 50 and "hideIndex" in f.fix and "dropIndex" in f.fix


def test_unused_indexes_not_judged_after_a_restart_or_without_every_member(facts):
    for r in facts["mongo.indexes"]["rows"]:
        r["since"] = "2024-05-18T10:00:00"                          # 2 days before serverStatus.localTime
    assert judge("mongo.index.unused", facts).findings == []
    f2 = copy.deepcopy(facts)
    for r in f2["mongo.indexes"]["rows"]:
        r["since"] = "2024-01-01T00:00:00"
        r["members_read"] = 2                                       # db3 could not be read
    assert judge("mongo.index.unused", f2).findings == []


def test_redundant_indexes(facts):
    res = judge("mongo.index.redundant", facts)
    # status_1 is a prefix of status_1_created_-1; customer_id_1 is unique; sku_1 is partial
    assert objects(res) == ["shop.orders.status_1"]
    assert res.findings[0].evidence["covered_by"] == "status_1_created_-1"


def _row(name, key, **kw):
    return {"db": "d", "collection": "c", "name": name, "key": key, "unique": False, "sparse": False,
            "partialFilterExpression": None, "collation": None, "hidden": False,
            "expireAfterSeconds": None, "ops": 1, "since": None, "hosts": [], **kw}


@pytest.mark.parametrize("rows, want", [
    ([_row("a_1", [["a", 1]], collation={"locale": "fr"}), _row("a_1_b_1", [["a", 1], ["b", 1]])], []),
    ([_row("a_1", [["a", 1]]), _row("a_1_b_1", [["a", 1], ["b", 1]], sparse=True)], []),
    ([_row("a_1", [["a", 1]], sparse=True), _row("a_1_b_1", [["a", 1], ["b", 1]])], ["d.c.a_1"]),
    ([_row("a_1", [["a", 1]]), _row("a_-1", [["a", -1]])], ["d.c.a_1"]),          # one of two
    ([_row("a_1", [["a", 1]]), _row("a_1_b_1", [["a", 1], ["b", 1]], hidden=True)], []),
    ([_row("a_1", [["a", 1]], expireAfterSeconds=3600), _row("a_1_b_1", [["a", 1], ["b", 1]])], []),
    ([_row("a_1_b_1", [["a", 1], ["b", 1]]), _row("a_1_b_-1_c_1", [["a", 1], ["b", -1], ["c", 1]])], []),
    ([_row("b_1", [["b", 1]]), _row("a_1_b_1", [["a", 1], ["b", 1]])], []),        # keyhole's false positive
])
def test_redundant_rule_respects_options(rows, want):
    res = judge("mongo.index.redundant", {"mongo.indexes": {"rows": rows, "members": []}})
    assert objects(res) == want


def test_too_many_indexes(facts):
    assert judge("mongo.index.too_many", facts).findings == []
    rows = [_row(f"f{i}_1", [[f"f{i}", 1]]) for i in range(31)]
    f, = judge("mongo.index.too_many", {"mongo.indexes": {"rows": rows, "members": []}}).findings
    assert f.object == "d.c" and f.evidence["indexes"] == 31


# ---- queries -----------------------------------------------------------------------------

def test_query_targeting(facts):
    assert judge("mongo.query.targeting", facts).findings == []     # 96 M scanned / 48 M returned
    facts["mongo.server_status"]["document"]["returned"] = 50_000
    f, = judge("mongo.query.targeting", facts).findings
    assert f.evidence["scanned_per_returned"] == 1920.0 and f.evidence["collectionScans"]["total"] == 2100


def test_collscan_shapes_with_esr_index(facts):
    res = judge("mongo.query.collscan", facts)
    keys = sorted(str(f.evidence["suggested_index"]) for f in res.findings)
    assert keys == ["[['ref_code', 1]]", "[['status', 1], ['created', -1], ['amount', 1]]"]
    f = next(f for f in res.findings if f.evidence["count"] == 2)
    assert f.evidence["docsExamined"] == 2_400_000 and f.evidence["nreturned"] == 23
    assert f.evidence["filter"] == {"status": "?", "amount": {"$gt": "?"}}
    assert 'createIndex({"status": 1, "created": -1, "amount": 1})' in f.fix
    # shop.events scanned 1000 documents for 800: below the 500 wasted documents


def test_collscan_when_index_exists_gives_no_create(facts):
    facts["mongo.indexes"]["rows"].append(_row("ref_code_1", [["ref_code", 1]], db="shop",
                                               collection="orders"))
    f = next(f for f in judge("mongo.query.collscan", facts).findings
             if f.evidence["filter"] == {"ref_code": "?"})
    assert f.evidence["existing_index_has_prefix"] is True and f.fix is None


def test_in_memory_sorts(facts):
    res = judge("mongo.query.sort", facts)    # server-wide 0.39% < 1%; three shapes sort
    keys = {f.object + str(f.evidence["suggested_index"]) for f in res.findings}
    assert keys == {"shop.orders[['sku', 1], ['price', 1]]",                     # IXSCAN + SORT
                    "shop.orders[['status', 1], ['created', -1], ['amount', 1]]",  # COLLSCAN + SORT
                    "shop.events[['type', 1], ['ts', 1]]"}
    facts["mongo.server_status"]["operation"]["scanAndOrder"] = 200_000
    res = judge("mongo.query.sort", facts)
    assert [f.object for f in res.findings][0] == "metrics.operation.scanAndOrder"
    assert len(res.findings) == 4
    # without the profiler only the counters are judged
    facts.pop("mongo.profile")
    res = judge("mongo.query.sort", facts, unavailable={"mongo.profile": {"reason": "off", "enable": None}})
    assert [f.object for f in res.findings] == ["metrics.operation.scanAndOrder"] and not res.skipped


# ---- storage and schema ------------------------------------------------------------------

def _coll(facts, name):
    return next(c for c in facts["mongo.collections"]["rows"] if c["collection"] == name)


def test_free_space(facts):
    f, = judge("mongo.storage.free_space", facts).findings
    assert f.object == "shop.events" and f.evidence["free_bytes"] == 3 * GiB and "compact" in f.fix
    _coll(facts, "events")["freeStorageSize"] = 0
    assert judge("mongo.storage.free_space", facts).findings == []


def test_free_space_before_4_4_uses_storage_vs_size(facts):
    c = _coll(facts, "events")
    c.update(freeStorageSize=None, size=1 * GiB, storageSize=3 * GiB)
    f, = judge("mongo.storage.free_space", facts).findings
    assert f.evidence["free_bytes"] == 2 * GiB


def test_large_documents(facts):
    res = judge("mongo.schema.large_documents", facts)
    assert objects(res) == ["shop.events"] and res.findings[0].evidence["avgObjSize"] == 2 * 1024**2


def test_too_many_collections(facts):
    assert judge("mongo.schema.too_many_collections", facts).findings == []
    facts["mongo.collections"]["rows"] = [{"db": f"t{i % 3}", "collection": f"c{i}"} for i in range(10001)]
    f, = judge("mongo.schema.too_many_collections", facts).findings
    assert f.evidence["collections"] == 10001


# ---- security and profiler ---------------------------------------------------------------

def test_security_on_recorded_config(facts):
    assert judge("mongo.security.authorization", facts).findings == []
    assert judge("mongo.security.bind_all", facts).findings == []


def test_security_open_server():
    from advisor.engines.mongo.facts_server import shape_cmdline
    facts = {"mongo.cmdline": shape_cmdline(reply("getCmdLineOpts_open"))}
    f, = judge("mongo.security.authorization", facts).findings
    assert f.severity == Severity.CRITICAL and "every interface" in f.summary
    f, = judge("mongo.security.bind_all", facts).findings
    assert f.severity == Severity.CRITICAL
    facts["mongo.cmdline"].update(authorization="enabled", bindIpAll=False, bindIp="0.0.0.0")
    assert judge("mongo.security.authorization", facts).findings == []
    assert judge("mongo.security.bind_all", facts).findings[0].severity == Severity.WARNING
    facts["mongo.cmdline"]["transitionToAuth"] = True
    assert judge("mongo.security.authorization", facts).findings


def test_security_x509_membership_auth_enforces_access_control():
    from advisor.engines.mongo.facts_server import shape_cmdline
    facts = {"mongo.cmdline": shape_cmdline(reply("getCmdLineOpts_x509"))}
    assert facts["mongo.cmdline"]["clusterAuthMode"] == "x509" and facts["mongo.cmdline"]["authorization"] is None
    assert judge("mongo.security.authorization", facts).findings == []
    facts["mongo.cmdline"]["tls_mode"] = "disabled"                   # x509 needs TLS: not what runs here
    f, = judge("mongo.security.authorization", facts).findings
    assert f.evidence["clusterAuthMode"] == "x509"
    facts["mongo.cmdline"].update(tls_mode="requireTLS", transitionToAuth=True)
    assert judge("mongo.security.authorization", facts).findings


def test_mongo_fixes_use_placeholders_and_state_their_kind(facts):
    from advisor.engines.mongo.facts_server import shape_cmdline
    from advisor.fixes import placeholders
    opened = {"mongo.cmdline": shape_cmdline(reply("getCmdLineOpts_open"))}
    res = judge("mongo.security.bind_all", opened)
    fix = res.findings[0].fix
    assert placeholders(fix) == ["private_ip"] and "<" not in fix and "rolling restart" in fix
    f, = judge("mongo.security.authorization", opened).findings
    assert "{{admin_user}}" in f.fix and "passwordPrompt()" in f.fix and f.evidence["fix_kind"] == "config"
    lag, = judge("mongo.repl.lag", facts).findings
    assert lag.evidence["fix_kind"] == "manual"
    # hide now, drop later: run as printed, the fix must not drop the index it says to watch first
    unused = judge("mongo.index.unused", facts).findings[0].fix
    runnable = [ln for ln in unused.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    assert runnable and all("hideIndex" in ln for ln in runnable) and "dropIndex" in unused


def test_profiler(facts):
    assert judge("mongo.profiler.off", facts).findings == []
    facts["mongo.profile_status"]["databases"]["shop"]["was"] = 0
    f, = judge("mongo.profiler.off", facts).findings
    assert f.severity == Severity.INFO and 'setProfilingLevel(1, {slowms: 100})' in f.fix
    facts["mongo.profile_status"]["databases"]["shop"]["was"] = 2
    f, = judge("mongo.profiler.off", facts).findings
    assert f.severity == Severity.WARNING


def test_tickets(facts):
    assert judge("mongo.concurrency.tickets", facts).findings == []          # 2 and 3 of 128
    facts["mongo.server_status"]["tickets"]["write"].update(out=128, available=0)
    f, = judge("mongo.concurrency.tickets", facts).findings
    assert f.object == "tickets.write" and f.evidence["used_pct"] == 100.0


MINE = ("cache", "concurrency", "connections", "index", "profiler", "query", "repl", "schema", "security", "storage")


def test_every_mongo_check_is_exercised_here():
    import sys
    src = open(sys.modules[__name__].__file__).read()
    mine = [c for c in registry.select("mongo") if c.func.__module__ in {f"checks.mongo.{m}" for m in MINE}
            and c.id != "mongo.index.suggested"]   # the index advisor's: tests/indexadvisor
    assert len(mine) == 21
    for c in mine:
        assert f'"{c.id}"' in src, c.id


def test_unused_indexes_need_every_member(facts):
    f2 = copy.deepcopy(facts)
    f2["mongo.indexes"]["members"] = f2["mongo.indexes"]["members"][:2]      # db3 down
    res = judge("mongo.index.unused", f2)
    assert res.findings == [] and "only 2 of 3" in res.skipped[0].reason
    facts["mongo.indexes"].update(direct_member=True, members=[])
    res = judge("mongo.index.unused", facts)
    assert "replicaSet=NAME" in res.skipped[0].reason


# ---- versions, against the shipped table (advisor/data/versions.toml) -------------------------

def _at(facts: dict, version: str, day: str) -> dict:
    facts["mongo.build_info"]["version"] = version
    facts["mongo.server_status"]["localTime"] = f"{day}T10:00:00+00:00"
    return facts


@pytest.mark.parametrize("version, day, severity, obj", [
    ("6.0.19", "2025-09-01", Severity.CRITICAL, "6.0"),      # 6.0 ended 2025-07-31
    ("7.0.20", "2026-05-01", Severity.WARNING, "7.0"),       # 122 days before 2026-08-31
    ("4.2.25", "2025-09-01", Severity.CRITICAL, "4.2.25"),   # older than every major the table knows
])
def test_versions_eol(facts, version, day, severity, obj):
    res = judge("mongo.versions.eol", _at(facts, version, day))
    (f,) = res.findings
    assert (f.severity, f.object) == (severity, obj)
    assert f.evidence["table_as_of"] == "2025-11-13" and f.evidence["fix_kind"] == "manual"
    assert "setFeatureCompatibilityVersion" in f.fix


@pytest.mark.parametrize("version, day", [("8.0.10", "2025-12-01"), ("9.0.0", "2025-12-01"),
                                          ("7.0.20", "2025-06-01")])
def test_versions_eol_quiet_on_supported_or_newer_than_the_table(facts, version, day):
    assert judge("mongo.versions.eol", _at(facts, version, day)).findings == []


def test_a_rapid_release_is_skipped_not_guessed(facts):
    res = judge("mongo.versions.eol", _at(facts, "7.3.2", "2025-12-01"))
    assert res.findings == [] and "rapid release" in res.skipped[0].reason


@pytest.mark.parametrize("version, severity", [("7.0.12", Severity.WARNING), ("7.0.18", Severity.INFO)])
def test_versions_minor_behind(facts, version, severity):
    (f,) = judge("mongo.versions.minor", _at(facts, version, "2025-12-01")).findings
    assert f.severity == severity and f.evidence["newest"] == "7.0.20"
    assert f.evidence["releases_behind"] == 20 - int(version.rsplit(".", 1)[1])


@pytest.mark.parametrize("version", ["7.0.20", "7.0.21", "9.0.1"])
def test_versions_minor_quiet_when_current(facts, version):
    assert judge("mongo.versions.minor", _at(facts, version, "2025-12-01")).findings == []
