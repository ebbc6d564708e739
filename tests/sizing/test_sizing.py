"""`advisor size`: the tier tables against the guide itself, formulas against hand-computed values."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from advisor.sizing import formulas as F
from advisor.sizing.calculator import CHARTS, size
from advisor.sizing.tiers import MATRIX, TIERS
from advisor.units import parse_size

GiB, MiB = 1024**3, 1024**2
GUIDE = Path(__file__).resolve().parents[3] / "shared" / "guide" / "performance-optimization-guide.md"
HEADINGS = {"postgresql": "PostgreSQL", "mysql": "MySQL/MariaDB", "mongodb": "MongoDB", "redis": "Redis",
            "elasticsearch": "Elasticsearch", "kafka": "Kafka", "rabbitmq": "RabbitMQ",
            "prometheus": "Prometheus", "grafana": "Grafana", "loki": "Loki", "keycloak": "Keycloak",
            "nextcloud": "Nextcloud"}


def _guide_table(chart: str) -> dict[str, dict[str, str]]:
    """The sizing table under **<Heading>** in the guide, as {tier: {column: cell}}."""
    if not GUIDE.is_file():
        pytest.skip(f"guide not found at {GUIDE}")
    text = GUIDE.read_text()
    start = text.index(f"**{HEADINGS[chart]}**\n")
    lines = [ln for ln in text[start:].splitlines()[1:] if ln.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = {}
    for ln in lines[2:6]:
        cells = [c.strip().strip("*") for c in ln.strip("|").split("|")]
        rows[cells[0].lower()] = dict(zip(header, cells))
    return rows


@pytest.mark.parametrize("chart", list(CHARTS))
def test_every_tier_matches_the_guide_table(chart):
    table = _guide_table(chart)
    assert list(table) == list(TIERS)
    for tier in TIERS:
        guide, ours = table[tier], MATRIX[chart][tier]
        assert int(guide["vCPU"]) == ours.vcpu
        assert guide["Memory"] == f"{ours.memory_gb} GB"
        assert guide["Use Case"] == ours.use_case
        if "Storage IOPS" in guide:
            assert int(guide["Storage IOPS"]) == ours.iops
        if "Connections" in guide:
            assert int(guide["Connections"]) == ours.connections
        if "Retention" in guide:
            assert guide["Retention"] == f"{ours.extra['retention_days']} days"
        # the sizing itself: limits are the tier row, every chart has settings
        s = size(chart, tier)
        assert s.resources["limits"] == {"cpu": f"{ours.vcpu * 1000}m", "memory": f"{ours.memory_gb}Gi"}
        assert s.settings


@pytest.mark.parametrize("tier, shared_buffers, work_mem, ecs, mwm", [
    # work_mem = (M - M/4) / (connections * 3): 3 GiB/300 = 10.2 MB, 6 GiB/600 = 10.2 MB,
    # 12 GiB/1500 = 8.2 MB, 24 GiB/3000 = 8.2 MB; maintenance_work_mem = M/8 capped at 2 GB
    ("small", "1GB", "10MB", "3GB", "512MB"),
    ("medium", "2GB", "10MB", "6GB", "1GB"),
    ("large", "4GB", "8MB", "12GB", "2GB"),
    ("xlarge", "8GB", "8MB", "24GB", "2GB"),
])
def test_postgresql_tiers_hand_computed(tier, shared_buffers, work_mem, ecs, mwm):
    s = size("postgresql", tier).settings
    assert (s["shared_buffers"], s["work_mem"], s["effective_cache_size"], s["maintenance_work_mem"]) == \
        (shared_buffers, work_mem, ecs, mwm)


def test_postgresql_large_follows_formula_and_says_where_the_example_differs():
    s = size("postgresql", "large")
    assert s.settings == {"max_connections": 500, "shared_buffers": "4GB", "effective_cache_size": "12GB",
                          "maintenance_work_mem": "2GB", "work_mem": "8MB"}
    # with the example's 200 connections the formula gives the example's 20MB
    assert size("postgresql", "large", connections=200).settings["work_mem"] == "20MB"
    assert any("max_connections 200" in n for n in s.notes)


def test_mysql_large_and_the_query_cache_note():
    s = size("mysql", "large")
    assert s.settings["innodb_buffer_pool_size"] == "12G"       # 75% of 16G, the guide's example
    assert s.settings["innodb_log_file_size"] == "3G"           # 25% of 12G (example says 2G)
    assert s.settings["query_cache_size"] == 0
    assert any("removed in MySQL 8.0" in n for n in s.notes)
    assert F.mysql_buffer_pool(16 * GiB) == (int(16 * GiB * 0.7), int(16 * GiB * 0.8))


@pytest.mark.parametrize("tier, cache", [("small", 1.5), ("medium", 3.5), ("large", 7.5), ("xlarge", 15.5)])
def test_mongodb_wiredtiger_cache(tier, cache):
    assert size("mongodb", tier).settings["wiredTigerCacheSizeGB"] == cache


@pytest.mark.parametrize("tier, maxmemory", [("small", "1536mb"), ("medium", "3gb"), ("large", "6gb"),
                                             ("xlarge", "12gb")])
def test_redis_maxmemory_75_percent(tier, maxmemory):
    assert size("redis", tier).settings["maxmemory"] == maxmemory


def test_elasticsearch_heap_capped_at_32g():
    assert size("elasticsearch", "large").settings["javaOpts"] == "-Xms8g -Xmx8g"
    assert F.elasticsearch_heap(128 * GiB) == 32 * GiB
    assert any("compressed" in n for n in size("elasticsearch", memory=64 * GiB).notes)


def test_kafka_heap_and_threads():
    s = size("kafka", "large")
    assert s.settings["heap"] == "-Xms4g -Xmx4g"
    assert s.settings["num.network.threads"] == 8 and s.settings["num.io.threads"] == 16
    assert F.kafka_heap(32 * GiB) == 6 * GiB and F.kafka_heap(4 * GiB) == 1 * GiB


def test_prometheus_formula_beats_the_guide_example():
    # 100k samples/s, 30 days: storage = 1e5 * 2,592,000 * 1.5 / 1024^3 = 362.1 GB (guide: ~365)
    s = size("prometheus", "large", samples_per_second=100_000, retention_days=30)
    assert s.settings["storage_gb_from_formula"] == 362.1
    assert s.settings["memory_gb_from_formula"] == 724.2   # guide's example claims ~12 GB
    assert any("~724 GB" in n for n in s.notes)


def test_loki_storage_formula_and_streams():
    # 10 MB/s * 7 days * 0.2 / 1024 = 1181.25 GB
    s = size("loki", "small")
    assert s.settings["storage_gb_from_formula"] == 1181.2 or s.settings["storage_gb_from_formula"] == 1181.3
    s = size("loki", "small", active_streams=1_000_000)
    assert s.settings["memory_gb_from_formula"] == round((1_000_000 * 5 * 1024 + GiB + GiB // 2) / GiB, 1)
    assert any("more than" in n for n in s.notes)


def test_rabbitmq_keycloak_nextcloud_grafana_large():
    assert size("rabbitmq", "large").settings["vm_memory_high_watermark.relative"] == 0.4
    assert size("keycloak", "large").settings["javaOpts"].startswith("-Xms4g -Xmx4g")
    assert size("nextcloud", "large").settings["phpMemoryLimit"] == "2048M"
    assert size("nextcloud", "large").settings["opcache.memory_consumption"] == 512
    g = size("grafana", "large")
    assert g.resources == {"requests": {"cpu": "1000m", "memory": "2Gi"},
                           "limits": {"cpu": "4000m", "memory": "8Gi"}}


@pytest.mark.parametrize("chart", list(CHARTS))
def test_helm_output_parses_as_yaml(chart, run_cli):
    code, out, err = run_cli("size", chart, "--tier", "large", "--format", "helm")
    assert code == 0, err
    doc = yaml.safe_load(out)
    s = size(chart, "large")
    settings = {k: v for k, v in s.settings.items() if not k.endswith("_from_formula")}
    assert doc == {"resources": s.resources, s.helm_key: settings}
    assert set(doc["resources"]) == {"requests", "limits"}


@pytest.mark.parametrize("chart", ["prometheus", "loki"])
def test_helm_values_carry_no_formula_estimates(chart, run_cli):
    # *_from_formula are the advisor's estimates, not keys any chart reads: comments, not values
    code, out, err = run_cli("size", chart, "--tier", "large", "--format", "helm")
    doc = yaml.safe_load(out)

    def keys(d):
        return [k for k, v in d.items() for k in ([k] + (keys(v) if isinstance(v, dict) else []))]
    assert not [k for k in keys(doc) if k.endswith("_from_formula")]
    assert "# estimate, not a chart setting: storage_gb (formula): " in out


def test_size_cli_json_and_errors(run_cli):
    code, out, _ = run_cli("size", "postgres", "--memory", "12GiB", "--json")
    assert code == 0
    d = json.loads(out)
    assert d["chart"] == "postgresql" and d["settings"]["shared_buffers"] == "3GB"
    for args, msg in [(["size", "oracle", "--tier", "large"], "unknown chart"),
                      (["size", "redis"], "give --tier or --memory"),
                      (["size", "redis", "--tier", "large", "--memory", "8GiB"], "not both"),
                      (["size", "loki", "--tier", "large", "--retention", "soon"], "not a number of days")]:
        code, _, err = run_cli(*args)
        assert code == 2 and msg in err and len(err.strip().splitlines()) == 1


def test_work_mem_never_rounds_to_zero():
    # 12 GiB / (99,999 * 3) = 42 kB: below PostgreSQL's 64kB minimum, so the floor applies
    assert size("postgresql", "large", connections=99_999).settings["work_mem"] == "64kB"
    assert size("postgresql", "large", connections=10_000).settings["work_mem"] == "419kB"


def test_mysql_redo_total_and_the_variable_that_carries_it():
    # the guide's 25% of the buffer pool is the TOTAL redo (MySQLTuner: file size x files in group)
    total = F.mysql_redo_log(12 * GiB)
    assert total == 3 * GiB
    assert F.mysql_redo_setting(total, "mysql", (8, 0, 36)) == ("innodb_redo_log_capacity", 3 * GiB)
    assert F.mysql_redo_setting(total, "mysql", (8, 0, 28), files_in_group=2) == ("innodb_log_file_size", 1536 * MiB)
    assert F.mysql_redo_setting(total, "mysql", (5, 7, 44), files_in_group=3) == ("innodb_log_file_size", 1024 * MiB)
    assert F.mysql_redo_setting(total, "mariadb", (10, 11, 6)) == ("innodb_log_file_size", 3 * GiB)  # one file
    assert F.mysql_redo_setting(total, "mariadb", (10, 4, 30), files_in_group=2) == ("innodb_log_file_size", 1536 * MiB)


def test_size_and_the_redo_check_agree():
    """`advisor size` and mysql.innodb.redo_log use one formula: the check is silent on the
    sized settings and asks for the same total when the redo is smaller."""
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "mysql"))
    from recorded_facts import facts, judge
    s = size("mysql", "large").settings
    bp, log = (int(s[k][:-1]) * GiB for k in ("innodb_buffer_pool_size", "innodb_log_file_size"))
    for server, var in (("mariadb1011", "innodb_log_file_size"), ("mysql80", "innodb_redo_log_capacity")):
        assert judge("mysql.innodb.redo_log", facts(server, {"innodb_buffer_pool_size": bp, var: log}))[0] == []
    small = judge("mysql.innodb.redo_log", facts("mariadb1011", {"innodb_buffer_pool_size": bp,
                                                               "innodb_log_file_size": log // 2}))[0]
    assert small[0].evidence["target_redo_bytes"] == log
    # the notes name the same total for MySQL 8.0.30+ (not twice it)
    assert any(f"innodb_redo_log_capacity = {s['innodb_log_file_size']} instead" in n for n in size("mysql", "large").notes)


def test_postgresql_sizing_includes_the_guides_pgbouncer_within_max_connections():
    """The guide's PgBouncer values (Connection Pooling) come with the PostgreSQL chart, but
    max_db_connections never takes every PostgreSQL connection (the guide's 100 equals the
    Small tier's max_connections)."""
    from advisor.sizing.formulas import PGBOUNCER_GUIDE
    small = size("postgresql", "small").companions["pgbouncer"]
    large = size("postgresql", "large").companions["pgbouncer"]
    assert large == PGBOUNCER_GUIDE
    assert small["max_db_connections"] < size("postgresql", "small").settings["max_connections"]
    assert small["pool_mode"] == "transaction" and small["default_pool_size"] <= small["max_db_connections"]
    assert "companions" not in size("mysql", "small").to_dict()


@pytest.mark.parametrize("tier, pct, work_mem", [("small", "99.1", "4MB"), ("large", "80.4", "7MB")])
def test_guide_values_past_the_worst_case_are_said_with_the_advisors_work_mem(tier, pct, work_mem):
    """The guide's work_mem and maintenance_work_mem together pass postgresqltuner's 80%: the
    calculator says so, with the work_mem that pg.memory.work_mem would advise on that server."""
    from checks.postgres.memory import worst_case_fit
    r = size("postgresql", tier)
    (note,) = [n for n in r.notes if n.startswith("Worst case")]
    assert f"is {pct}% of memory" in note and f"work_mem {work_mem} keeps it under" in note
    st = r.settings
    settings = {"shared_buffers": {"value": parse_size(st["shared_buffers"])},
                "max_connections": {"value": st["max_connections"]}, "autovacuum_max_workers": {"value": 3}}
    av_mem = min(parse_size(st["maintenance_work_mem"]), 1024**3)
    fit = worst_case_fit(r.memory, settings, av_mem, 80)
    assert parse_size(work_mem) <= fit < parse_size(work_mem) + 1024**2


def test_guide_values_within_the_worst_case_get_no_note():
    # 32 GB: 8 GB + 12 GB + 3 x 1 GB (VACUUM's cap) = 72%
    assert not [n for n in size("postgresql", "xlarge").notes if n.startswith("Worst case")]
