"""pg.access.*: the shared PostgreSQL 15 (its pg_hba.conf has `host all all 127.0.0.1/32 trust`; the
advisor connects to it as the superuser postgres), and a private server with SCRAM on TCP, first
healthy and read by a least-privilege role, then with planted rules, md5 hashing and strong roles."""

from __future__ import annotations

import time

import psycopg
import pytest

from servers import PgCluster

from advisor.engines.postgres.facts_access import HBA_GRANT
from advisor.model import Severity

pytestmark = pytest.mark.postgres
ACCESS = ["pg.access.*"]


def test_shared_server_trust_on_loopback_and_superuser_advisor(pg_db, pg_advise, pg_admin_url):
    with psycopg.connect(pg_admin_url) as c:
        trust = [r[0] for r in c.execute("SELECT line_number FROM pg_hba_file_rules "
                                         "WHERE type = 'host' AND auth_method = 'trust'")]
    assert trust, "this machine's server has a trust rule over TCP"
    out = pg_advise(pg_db.url, ["pg.access.hba", "pg.access.advisor_role"])
    hba = out.of("pg.access.hba")
    f = hba[f"pg_hba.conf line {trust[0]}"]
    assert f.evidence["auth_method"] == "trust" and f.evidence["local_only"]
    assert f.severity == Severity.WARNING and "scram-sha-256" in f.fix
    assert f.evidence["fix_kind"] == "config"
    me = out.of("pg.access.advisor_role")["role postgres"]
    assert "IN ROLE pg_monitor" in me.fix and "pg_hba_file_rules" in me.fix


def test_public_schema_create_granted_back(pg_db, pg_twin, pg_advise):
    pg_db.sql("GRANT CREATE ON SCHEMA public TO PUBLIC")  # what PostgreSQL < 15 grants by default
    check = ["pg.access.public_schema"]
    f = pg_advise(pg_db.url, check).of("pg.access.public_schema")[f"database {pg_db.name}"]
    assert f.evidence["public_create"] and f.fix.startswith("REVOKE CREATE ON SCHEMA public FROM PUBLIC;")
    assert pg_advise(pg_twin.url, check).findings == []  # PostgreSQL 15's default
    pg_db.sql(f.fix.splitlines()[0])
    assert pg_advise(pg_db.url, check).findings == []


@pytest.fixture(scope="module")
def secure():
    c = PgCluster.or_skip()
    try:
        c.initdb("sec", "--auth-local=trust", "--auth-host=scram-sha-256")
        c.start("sec", "shared_preload_libraries=''")
        c.socket = dict(host=c.dir, port=c.ports["sec"], user="postgres", dbname="postgres", autocommit=True)
        with psycopg.connect(**c.socket) as conn:
            conn.execute("ALTER ROLE postgres PASSWORD 'pg-secret'")
            conn.execute("CREATE ROLE advisor LOGIN PASSWORD 'adv-secret' IN ROLE pg_monitor")
            conn.execute("GRANT SELECT ON pg_hba_file_rules TO advisor")
            conn.execute("GRANT EXECUTE ON FUNCTION pg_hba_file_rules() TO advisor")
            conn.execute("CREATE ROLE plain LOGIN PASSWORD 'plain-secret' IN ROLE pg_monitor")
        port = c.ports["sec"]
        c.advisor = f"postgresql://advisor:adv-secret@127.0.0.1:{port}/postgres"
        c.plain = f"postgresql://plain:plain-secret@127.0.0.1:{port}/postgres"
        c.superuser = f"postgresql://postgres:pg-secret@127.0.0.1:{port}/postgres"
        yield c
    finally:
        c.stop()


def test_private_server_healthy_then_planted(secure, pg_advise):
    healthy = pg_advise(secure.advisor, ACCESS)
    assert healthy.findings == [] and healthy.skipped == []  # SCRAM on TCP, ssl off but loopback only
    plain = pg_advise(secure.plain, ACCESS)
    assert plain.findings == [] and plain.skip_reason("pg.access.hba").startswith("permission denied")
    assert HBA_GRANT in plain.skip_reason("pg.access.hba")  # the GRANT that would allow it

    for line in ("host all all 0.0.0.0/0 md5", "hostnossl all all 10.0.0.0/8 password",
                 "host all all 192.168.0.0/16 trust"):
        secure.append("sec", line, "pg_hba.conf")
    with psycopg.connect(**secure.socket) as conn:
        conn.execute("ALTER SYSTEM SET password_encryption = 'md5'")
        conn.execute("SELECT pg_reload_conf()")
        time.sleep(0.3)
        conn.execute("CREATE ROLE md5user LOGIN PASSWORD 'md5-secret'")  # hashed with md5 now
        conn.execute("CREATE ROLE app_admin LOGIN SUPERUSER")
        conn.execute("CREATE ROLE repl LOGIN REPLICATION")
    out = pg_advise(secure.advisor, ACCESS)
    hba = {f.evidence["auth_method"]: f for f in out.of("pg.access.hba").values()}
    assert set(hba) == {"md5", "password", "trust"}
    assert hba["trust"].severity == Severity.CRITICAL and not hba["trust"].evidence["local_only"]
    assert "\nhost    all    all    192.168.0.0/16    scram-sha-256\n" in hba["trust"].fix
    assert hba["password"].severity == Severity.CRITICAL and hba["md5"].severity == Severity.WARNING
    ssl = out.of("pg.access.ssl")["ssl"]
    assert [r["auth_method"] for r in ssl.evidence["remote_rules"]] == ["md5", "password", "trust"]
    enc = out.of("pg.access.password_encryption")["password_encryption"]
    assert not enc.evidence["md5_roles_known"]  # pg_authid: superusers only
    roles = out.of("pg.access.privileged_roles")
    assert set(roles) == {"role app_admin", "role repl"}  # postgres is the bootstrap superuser
    assert roles["role app_admin"].severity == Severity.WARNING
    assert roles["role repl"].fix.endswith('ALTER ROLE "repl" NOREPLICATION;')
    assert out.of("pg.access.advisor_role") == {}

    su = pg_advise(secure.superuser, ["pg.access.password_encryption", "pg.access.advisor_role"])
    assert su.of("pg.access.password_encryption")["password_encryption"].evidence[
        "md5_password_roles"] == ["md5user"]
    assert "role postgres" in su.of("pg.access.advisor_role")
