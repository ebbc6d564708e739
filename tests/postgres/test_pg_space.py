"""pg.space.*: the largest objects on the shared PostgreSQL 15; WAL kept by a slot and a failing
archiver on a private server started with archive_mode = on (the shared server's settings are
not ours to change); recorded facts for what does not run here."""

from __future__ import annotations

import time

import psycopg
import pytest

from servers import PgCluster

from advisor.model import Severity

pytestmark = pytest.mark.postgres


def test_largest_objects(pg_db, pg_twin, pg_advise):
    pg_db.sql("CREATE TABLE big (id int PRIMARY KEY, doc text)")
    pg_db.sql("ALTER TABLE big ALTER COLUMN doc SET STORAGE EXTERNAL")  # out of line, uncompressed
    pg_db.sql("INSERT INTO big SELECT g, repeat(md5(g::text), 100) FROM generate_series(1, 20000) g")
    pg_db.sql("VACUUM ANALYZE big")  # ranking uses relpages; a TOAST table's is set by VACUUM only
    th = {"pg.space.largest": {"min_bytes": 1}}
    f = pg_advise(pg_db.url, ["pg.space.largest"], thresholds=th).of("pg.space.largest")[
        f"database {pg_db.name}"]
    assert f.evidence["tables"][0]["name"] == "public.big"
    assert f.evidence["indexes"][0] == {"name": "public.big_pkey", "bytes": f.evidence["indexes"][0]["bytes"],
                                        "of": "public.big"}
    toast = f.evidence["toast"][0]
    assert toast["of"] == "public.big" and toast["bytes"] >= 20000 * 3200  # 3,200-byte values
    assert pg_db.name in [d["name"] for d in f.evidence["databases"]]
    assert pg_advise(pg_twin.url, ["pg.space.largest"]).findings == []  # far below 10 GB


@pytest.fixture(scope="module")
def archiving():
    c = PgCluster.or_skip()
    try:
        c.initdb("arch")
        # in the config file, not on the command line (which a reload could not override)
        c.append("arch", "archive_command = '/bin/true'", "postgresql.auto.conf")
        c.url = c.start("arch", "archive_mode=on", "max_wal_size=32MB",
                        "min_wal_size=32MB", "wal_keep_size=0", "shared_preload_libraries=''")
        yield c
    finally:
        c.stop()


def sql(url, *statements):
    with psycopg.connect(url, autocommit=True) as c:
        return [c.execute(s).fetchall() if s.startswith("SELECT") else None for s in statements][-1]


def switches(url, n):
    for _ in range(n):
        sql(url, "INSERT INTO w VALUES (1)", "SELECT pg_switch_wal()")


def wait_for(url, query, timeout=20):
    deadline = time.monotonic() + timeout
    while not sql(url, query)[0][0]:
        assert time.monotonic() < deadline, query
        time.sleep(0.2)


def test_wal_kept_by_a_slot_and_a_failing_archiver(archiving, pg_advise):
    url, checks = archiving.url, ["pg.space.wal", "pg.space.archiver"]
    sql(url, "CREATE TABLE w (i int)")
    switches(url, 12)
    sql(url, "CHECKPOINT", "CHECKPOINT")
    healthy = pg_advise(url, checks)
    assert healthy.findings == [] and healthy.skipped == []  # recycled down to its budget

    sql(url, "SELECT pg_create_physical_replication_slot('advisor_keep', true)")
    switches(url, 12)
    sql(url, "CHECKPOINT")
    f = pg_advise(url, checks).of("pg.space.wal")["pg_wal"]
    assert f.evidence["bytes"] >= 10 * 16 * 1024**2 and f.evidence["budget_bytes"] == 32 * 1024**2
    assert f.severity == Severity.CRITICAL and f.evidence["fix_kind"] == "manual"
    assert f.evidence["wal_written_bytes"] > 0 and f.evidence["wal_written_per_day"] > 0  # pg_stat_wal, 14+

    archiving.reload("arch", "archive_command = '/bin/false'")
    switches(url, 1)
    wait_for(url, "SELECT failed_count > 0 FROM pg_stat_archiver")
    a = pg_advise(url, ["pg.space.archiver"]).of("pg.space.archiver")["archiver"]
    assert a.severity == Severity.CRITICAL and "archiving fails" in a.summary
    assert a.evidence["ready"] >= 1 and a.evidence["archive_command_set"]

    archiving.reload("arch", "archive_command = '/bin/true'")
    wait_for(url, "SELECT last_archived_time > last_failed_time FROM pg_stat_archiver", timeout=90)
    a = pg_advise(url, ["pg.space.archiver"]).of("pg.space.archiver")["archiver"]
    assert a.severity == Severity.INFO and "works now" in a.summary
    sql(url, "SELECT pg_drop_replication_slot('advisor_keep')")


def test_temp_files_rate_and_pre13_wal_keep(pg_judge):
    temp = {"temp_files": 4000, "temp_bytes": 50 * 1024**3, "window_s": 86400.0, "log_temp_files": "-1"}
    space = {"database": "app", "databases": [], "database_count": 1, "hidden_databases": 0,
             "tables": [], "indexes": [], "toast": [], "temp": temp}
    f = pg_judge("pg.space.temp_files", {"pg.space": space}).of("pg.space.temp_files")["database app"]
    assert f.evidence["bytes_per_day"] == 50 * 1024**3 and "log_temp_files = '10MB'" in f.fix
    quiet = {**space, "temp": {**temp, "temp_bytes": 5 * 1024**3}}
    assert pg_judge("pg.space.temp_files", {"pg.space": quiet}).findings == []
    # PostgreSQL 12 (wal_keep_segments 64 x 16 MB) as the provider reports it: 1 GB kept on purpose
    wal = {"files": 80, "bytes": 80 * 16 * 1024**2, "ready": 0, "max_wal_size": 1024**3,
           "wal_written_bytes": None, "wal_stats_window_s": None,  # no pg_stat_wal before 14
           "wal_keep_bytes": 64 * 16 * 1024**2, "segment_bytes": 16 * 1024**2}
    assert pg_judge("pg.space.wal", {"pg.wal_dir": wal}).findings == []
    kept = {**wal, "files": 160, "bytes": 160 * 16 * 1024**2}  # 2.5 GB, 1.5 GB of it on purpose
    assert pg_judge("pg.space.wal", {"pg.wal_dir": kept}).findings == []
    f = pg_judge("pg.space.wal", {"pg.wal_dir": {**kept, "wal_keep_bytes": 0}}).of("pg.space.wal")["pg_wal"]
    assert f.evidence["ratio"] == 2.5 and f.severity == Severity.WARNING
    assert f.evidence["wal_written_per_day"] is None


def test_archiver_without_pg_monitor_judges_the_counters(pg_judge):
    arch = {"archived_count": 10, "last_archived_wal": "0001", "last_archived_time": "2024-05-01T10:00:00+00:00",
            "failed_count": 3, "last_failed_wal": "0002", "last_failed_time": "2024-05-01T11:00:00+00:00",
            "stats_reset": None, "last_archived_age_s": 7200.0, "last_failed_age_s": 3600.0,
            "archive_mode": "on", "archive_command": "", "archive_library": "basic_archive"}
    out = pg_judge("pg.space.archiver", {"pg.archiver": arch},
                   unavailable={"pg.wal_dir": {"reason": "permission denied", "enable": "GRANT pg_monitor"}})
    f = out.of("pg.space.archiver")["archiver"]
    assert f.severity == Severity.CRITICAL and f.evidence["ready"] is None
    assert f.evidence["archive_library"] == "basic_archive"
