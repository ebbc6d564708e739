"""The seed scripts of docker/ run against the local servers, so they cannot rot: each
planted problem must be found, and none of them on an unseeded twin."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import MySqlScratch, RedisServer
from advisor.demo import SEED_DIR, redis_commands, seed_mysql, seed_redis, seed_text, sql_statements

PG_PLANTED = {
    ("pg.schema.no_primary_key", "public.audit_log"),
    ("pg.index.duplicate", "public.customers_email_idx2"),
    ("pg.index.fk_missing", "public.orders.orders_customer_fk"),
    ("pg.index.unused", "public.orders_note_idx"),
    ("pg.index.missing", "public.orders"),
    ("pg.maintenance.autovacuum_disabled_table", "public.sessions"),
    ("pg.maintenance.bloat", "public.sessions"),
}
MYSQL_PLANTED = {
    ("mysql.schema.no_primary_key", "{db}.audit_log"),
    ("mysql.index.duplicate", "{db}.customers.idx_email2"),
    ("mysql.index.duplicate", "{db}.orders.idx_customer"),
    ("mysql.index.missing", "{db}.orders"),
}
REDIS_PLANTED = {
    ("redis.keys.big", "db0:cart:big"),
    ("redis.keys.big", "db0:queue:jobs"),
    ("redis.keys.big", "db0:blob:report"),
}
# planted too, but only a server at Redis' default hash-max-listpack-entries (128) shows it
REDIS_AT_DEFAULT_LIMIT = ("redis.keys.encoding_limits", "hash-max-listpack-entries")


def _checks_of(planted) -> list[str]:
    return sorted({c for c, _ in planted})


def _run(run_cli_json, url, checks):
    code, report, err = run_cli_json("run", url, *[a for c in checks for a in ("--checks", c)],
                                     "--fail-on", "never")
    assert code == 0, err
    return {(f["check"], f["object"]) for f in report["findings"]}


@pytest.mark.postgres
def test_postgres_seed_plants_what_it_says(seeded_pg, pg_db, run_cli_json, require_checks):
    require_checks(*_checks_of(PG_PLANTED))
    found = _run(run_cli_json, seeded_pg.url, _checks_of(PG_PLANTED))
    assert PG_PLANTED <= found, PG_PLANTED - found
    # the twin: same server, no seed
    assert not PG_PLANTED & _run(run_cli_json, pg_db.url, _checks_of(PG_PLANTED))


@pytest.mark.mysql
def test_mariadb_seed_plants_what_it_says(mysql_db, mysql_admin_url, run_cli_json, require_checks):
    require_checks(*_checks_of(MYSQL_PLANTED))
    seed_mysql(mysql_db.url)
    planted = {(c, o.format(db=mysql_db.name)) for c, o in MYSQL_PLANTED}
    found = _run(run_cli_json, mysql_db.url, _checks_of(MYSQL_PLANTED))
    assert planted <= found, planted - found
    twin = MySqlScratch(mysql_admin_url)
    try:
        # the MySQL checks read the whole server: only the twin's own objects must be clean
        twin_found = _run(run_cli_json, twin.url, _checks_of(MYSQL_PLANTED))
        assert not {(c, o.format(db=twin.name)) for c, o in MYSQL_PLANTED} & twin_found
    finally:
        twin.drop()


@pytest.mark.redis
def test_redis_seed_plants_what_it_says(redis_server, run_cli_json, require_checks):
    import redis
    require_checks(*_checks_of(REDIS_PLANTED), REDIS_AT_DEFAULT_LIMIT[0])
    seed_redis(redis_server.url)
    planted = set(REDIS_PLANTED)
    client = redis.Redis.from_url(redis_server.url)
    if client.config_get("hash-max-listpack-entries").get("hash-max-listpack-entries") == "128":
        planted.add(REDIS_AT_DEFAULT_LIMIT)
    client.close()
    found = _run(run_cli_json, redis_server.url, _checks_of(planted))
    assert planted <= found, planted - found
    twin = RedisServer().start()
    try:
        assert not REDIS_PLANTED & _run(run_cli_json, twin.url, _checks_of(REDIS_PLANTED))
    finally:
        twin.stop()


def test_seed_files_parse():
    """Every statement splits cleanly; every Redis line is a command; mongo.js is valid JS."""
    pg = sql_statements(seed_text("postgres.sql"))
    assert any(s.startswith("DO $$") and s.rstrip().endswith("$$") for s in pg)
    assert all(";" not in s.rstrip()[-1:] for s in pg)
    assert len(sql_statements(seed_text("mariadb.sql"))) > 10
    assert all(args[0].isupper() for args in redis_commands(seed_text("redis.txt")))
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: cannot syntax-check mongo.js")
    p = subprocess.run([node, "--check", str(SEED_DIR / "mongo.js")], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_compose_and_cronjob_are_configured_for_advising():
    yaml = pytest.importorskip("yaml")
    root = Path(__file__).resolve().parents[2] / "docker"
    compose = yaml.safe_load((root / "compose.yaml").read_text())
    services = compose["services"]
    assert "shared_preload_libraries=pg_stat_statements" in " ".join(services["postgres"]["command"])
    assert "--performance-schema=ON" in services["mariadb"]["command"]
    assert "--profile" in services["mongo"]["command"]
    for name in ("postgres", "mariadb-seed", "mongo", "redis-seed"):
        for volume in services[name].get("volumes", []):
            src = volume.split(":")[0]
            if src.startswith("./"):
                assert (root / src).exists(), f"{name} mounts missing {src}"
    docs = {d["kind"]: d for d in yaml.safe_load_all((root / "k8s" / "cronjob.yaml").read_text())}
    job = docs["CronJob"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert job["containers"][0]["args"][:3] == ["run", "--inventory", "/etc/db-advisor/inventory.toml"]
    assert job["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True
    # the inventory shipped in the ConfigMap is one the advisor accepts
    import tomllib
    from advisor import inventory
    inv = inventory.parse(tomllib.loads(docs["ConfigMap"]["data"]["inventory.toml"]), "cronjob.yaml")
    assert [t.id for t in inv.unusable] == ["orders-primary", "catalog-mariadb", "sessions-redis"]
