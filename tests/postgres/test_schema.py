"""Schema checks: tables without a primary key, sequences near their limit, NOT VALID constraints."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.postgres


def test_tables_without_primary_key(pg_db, pg_twin, pg_advise):
    pg_db.sql("CREATE TABLE log (at timestamptz, msg text)")
    pg_db.sql("INSERT INTO log SELECT now(), 'x' FROM generate_series(1, 2000)")
    pg_db.sql("ANALYZE log")
    pg_db.sql("CREATE TABLE tiny (v int)")
    pg_db.sql("CREATE TABLE users (email text NOT NULL)")
    pg_db.sql("CREATE UNIQUE INDEX users_email ON users (email)")
    pg_db.sql("CREATE TABLE events (at date, v int) PARTITION BY RANGE (at)")
    pg_db.sql("CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')")
    pg_db.sql("CREATE TABLE keyed (id int PRIMARY KEY)")
    pg_db.sql("CREATE EXTENSION tablefunc")  # a table owned by an extension is not the user's to fix
    pg_db.sql("CREATE TABLE ext_owned (v int)")
    pg_db.sql("ALTER EXTENSION tablefunc ADD TABLE ext_owned")
    out = pg_advise(pg_db.url, ["pg.schema.no_primary_key"]).of("pg.schema.no_primary_key")
    # the partition is judged through its parent
    assert set(out) == {"public.log", "public.tiny", "public.users", "public.events"}
    assert out["public.log"].severity.name == "WARNING" and out["public.tiny"].severity.name == "INFO"
    assert out["public.users"].fix.startswith("ALTER TABLE public.users ADD PRIMARY KEY USING INDEX users_email;  -- ACCESS")
    assert "GENERATED ALWAYS AS IDENTITY PRIMARY KEY" in out["public.log"].fix
    assert "logical replication" in out["public.log"].recommendation
    assert out["public.events"].evidence["partitioned"] is True

    pg_twin.sql("CREATE TABLE log (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, msg text)")
    pg_twin.sql("CREATE TABLE events (at date, v int, PRIMARY KEY (at, v)) PARTITION BY RANGE (at)")
    pg_twin.sql("CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')")
    assert not pg_advise(pg_twin.url, ["pg.schema.no_primary_key"]).of("pg.schema.no_primary_key")


def test_sequences_near_the_max_of_their_column(pg_db, pg_twin, pg_advise):
    # serial = integer sequence on an integer column: 97.8% used -> critical
    pg_db.sql("CREATE TABLE a (id serial PRIMARY KEY)")
    pg_db.sql("SELECT setval('a_id_seq', 2100000000)")
    # a bigint sequence feeding an integer column: the column type is the limit (88.5%)
    pg_db.sql("CREATE SEQUENCE b_seq AS bigint")
    pg_db.sql("CREATE TABLE b (id int DEFAULT nextval('b_seq'))")
    pg_db.sql("ALTER SEQUENCE b_seq OWNED BY b.id")
    pg_db.sql("SELECT setval('b_seq', 1900000000)")
    # identity column on smallint
    pg_db.sql("CREATE TABLE c (id smallint GENERATED ALWAYS AS IDENTITY)")
    pg_db.sql("SELECT setval(pg_get_serial_sequence('c', 'id'), 32000)")
    # far from its limit: bigint
    pg_db.sql("CREATE TABLE d (id bigserial)")
    pg_db.sql("SELECT setval('d_id_seq', 2100000000)")
    out = pg_advise(pg_db.url, ["pg.schema.sequence_exhaustion"]).of("pg.schema.sequence_exhaustion")
    assert set(out) == {"public.a_id_seq", "public.b_seq", "public.c_id_seq"}
    a, b = out["public.a_id_seq"], out["public.b_seq"]
    assert a.severity.name == "CRITICAL" and a.evidence["column"] == "public.a.id"
    assert [ln.split("  -- locks")[0] for ln in a.fix.splitlines()] == [
        "ALTER TABLE public.a ALTER COLUMN id TYPE bigint;  -- rewrites the table and its indexes "
        "under ACCESS EXCLUSIVE lock", "ALTER SEQUENCE public.a_id_seq AS bigint;"]
    assert b.severity.name == "WARNING" and b.evidence["limited_by"] == "column type integer"
    assert b.evidence["limit"] == 2147483647 and 88 < b.evidence["used_pct"] < 89
    assert b.fix.startswith("ALTER TABLE public.b ALTER COLUMN id TYPE bigint;")
    c = out["public.c_id_seq"]
    assert c.evidence["column_type"] == "smallint"
    # an identity sequence follows its column's type: one statement is enough
    assert c.fix == ("ALTER TABLE public.c ALTER COLUMN id TYPE bigint;  -- rewrites the table and its "
                     "indexes under ACCESS EXCLUSIVE lock")

    pg_twin.sql("CREATE TABLE a (id bigserial PRIMARY KEY)")
    pg_twin.sql("SELECT setval('a_id_seq', 2100000000)")
    pg_twin.sql("CREATE TABLE b (id serial)")
    pg_twin.sql("SELECT setval('b_id_seq', 1000)")
    assert not pg_advise(pg_twin.url, ["pg.schema.sequence_exhaustion"]).of("pg.schema.sequence_exhaustion")


def test_not_valid_constraints(pg_db, pg_twin, pg_advise):
    for db in (pg_db, pg_twin):
        db.sql("CREATE TABLE p (id int PRIMARY KEY)")
        db.sql("CREATE TABLE q (pid int, amount int)")
        db.sql("INSERT INTO q VALUES (NULL, 5)")
    pg_db.sql("ALTER TABLE q ADD CONSTRAINT q_amount_pos CHECK (amount > 0) NOT VALID")
    pg_db.sql("ALTER TABLE q ADD CONSTRAINT q_pid_fk FOREIGN KEY (pid) REFERENCES p NOT VALID")
    pg_twin.sql("ALTER TABLE q ADD CONSTRAINT q_amount_pos CHECK (amount > 0)")
    out = pg_advise(pg_db.url, ["pg.schema.invalid_constraint"]).of("pg.schema.invalid_constraint")
    assert set(out) == {"public.q.q_amount_pos", "public.q.q_pid_fk"}
    assert out["public.q.q_pid_fk"].evidence["type"] == "foreign key"
    assert out["public.q.q_amount_pos"].fix.startswith("ALTER TABLE public.q VALIDATE CONSTRAINT q_amount_pos;  -- SHARE")
    assert not pg_advise(pg_twin.url, ["pg.schema.invalid_constraint"]).of("pg.schema.invalid_constraint")


def test_sequence_without_select_privilege_is_not_misjudged(pg_judge):
    """Without SELECT/USAGE the last value is hidden: say so once, with the GRANT."""
    seq = {"sequence": "public.s", "sequence_type": "integer", "min_value": 1, "max_value": 2147483647,
           "increment": 1, "cycle": False, "last_value": None, "readable": False,
           "table_qualified": "public.t", "column_name": "id", "column_type": "integer", "dependency": "a"}
    facts = {"pg.sequences": {"rows": [seq]}}
    out = pg_judge("pg.schema.sequence_exhaustion", facts).of("pg.schema.sequence_exhaustion")
    assert set(out) == {"sequences"} and out["sequences"].severity.name == "INFO"
    assert out["sequences"].fix == "GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO {{advisor_role}};"
    desc = {**seq, "increment": -1, "min_value": -2147483648, "max_value": -1, "last_value": -2100000000,
            "readable": True}
    out = pg_judge("pg.schema.sequence_exhaustion", {"pg.sequences": {"rows": [desc]}})
    assert out.of("pg.schema.sequence_exhaustion")["public.s"].severity.name == "CRITICAL"


def test_standalone_sequence_near_its_max(pg_db, pg_twin, pg_advise):
    """A sequence no column owns (nextval() called by the application) is judged on its own
    type; the fact once failed on it (format('%I') of the missing owner's NULL name)."""
    pg_db.sql("CREATE SEQUENCE orphan AS integer")
    pg_db.sql("SELECT setval('orphan', 2100000000)")
    out = pg_advise(pg_db.url, ["pg.schema.sequence_exhaustion"]).of("pg.schema.sequence_exhaustion")
    assert set(out) == {"public.orphan"} and out["public.orphan"].severity.name == "CRITICAL"
    assert out["public.orphan"].fix.startswith("ALTER SEQUENCE public.orphan AS bigint;  --")
    pg_twin.sql("CREATE SEQUENCE orphan AS integer")
    assert not pg_advise(pg_twin.url, ["pg.schema.sequence_exhaustion"]).of("pg.schema.sequence_exhaustion")
