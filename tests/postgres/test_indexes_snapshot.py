"""A snapshot taken on the real server, written as JSON and analyzed offline, gives the same
index/schema/statement findings as the live run."""

from __future__ import annotations

import json

import pytest

from advisor.runner import RunOptions, analyze_snapshot, collect, run
from advisor.targets import parse_target

pytestmark = pytest.mark.postgres
CHECKS = ["pg.index.*", "pg.schema.*", "pg.statements.*", "pg.cache.*"]


def test_snapshot_analysis_matches_live_run(pg_db):
    pg_db.sql("CREATE TABLE p (id serial PRIMARY KEY)")
    pg_db.sql("CREATE TABLE c (pid int REFERENCES p, a int, b int)")
    pg_db.sql("CREATE INDEX c_a ON c (a)")
    pg_db.sql("CREATE INDEX c_ab ON c (a, b)")
    pg_db.sql("ALTER TABLE c ADD CONSTRAINT c_a_pos CHECK (a > 0) NOT VALID")
    pg_db.sql("SELECT setval('p_id_seq', 2000000000)")
    opts = RunOptions(include=CHECKS)
    target = parse_target(pg_db.url)
    live = run([target], opts)
    entry = json.loads(json.dumps(collect(target, opts), default=str))
    offline = analyze_snapshot(entry, opts)
    key = lambda fs: sorted((f.check, f.object, f.summary, f.fix) for f in fs)  # noqa: E731
    assert key(live.findings) == key(offline.findings)
    checks = {f.check for f in live.findings}
    assert {"pg.index.duplicate", "pg.index.fk_missing", "pg.schema.no_primary_key",
            "pg.schema.invalid_constraint", "pg.schema.sequence_exhaustion",
            "pg.statements.extension"} <= checks
