"""The index/schema/statement/cache checks run as a least-privilege role (LOGIN + pg_monitor):
no errors, no skips, and the one thing pg_monitor cannot read (sequences) is said with its GRANT."""

from __future__ import annotations

import uuid

import psycopg
import pytest

pytestmark = pytest.mark.postgres
CHECKS = ["pg.index.*", "pg.schema.*", "pg.statements.*", "pg.cache.*"]


def test_pg_monitor_role_runs_every_check(pg_db, pg_advise):
    pg_db.sql("CREATE EXTENSION pg_stat_statements")
    pg_db.sql("CREATE TABLE a (id serial PRIMARY KEY, v int)")
    pg_db.sql("CREATE INDEX a_v ON a (v)")
    pg_db.sql("CREATE INDEX a_v2 ON a (v)")
    pg_db.sql("SELECT setval('a_id_seq', 2100000000)")
    role = "advisor_t_" + uuid.uuid4().hex[:8]
    pg_db.sql(f'CREATE ROLE "{role}" LOGIN IN ROLE pg_monitor')
    try:
        url = pg_db.url.replace("postgres@", f"{role}@", 1)
        out = pg_advise(url, CHECKS)
        assert not out.skipped, [(s.check, s.reason) for s in out.skipped]
        assert "public.a_v2" in out.of("pg.index.duplicate")
        seqs = out.of("pg.schema.sequence_exhaustion")
        assert set(seqs) == {"sequences"} and seqs["sequences"].evidence["unreadable"] == ["public.a_id_seq"]
        pg_db.sql(f'GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
        seqs = pg_advise(url, ["pg.schema.sequence_exhaustion"]).of("pg.schema.sequence_exhaustion")
        assert set(seqs) == {"public.a_id_seq"}
    finally:
        pg_db.sql(f'DROP OWNED BY "{role}"')
        with psycopg.connect(pg_db.admin_url, autocommit=True) as c:
            c.execute(f'DROP ROLE "{role}"')
