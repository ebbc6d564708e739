"""The advisor tags its statements; pg_stat_statements keeps the tag and the checks skip them."""

from __future__ import annotations

from advisor.engines import load
from advisor.facts import LiveFacts
from advisor.targets import parse_target


def test_own_statements_are_recorded_but_not_judged(pg_db, run_cli):
    pg_db.sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    code, _, err = run_cli("run", pg_db.url, "--fail-on", "never")
    assert code == 0, err
    own = pg_db.sql("SELECT count(*) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
                    "WHERE d.datname = current_database() AND s.query LIKE '/* db-advisor */%%'")[0][0]
    assert own > 5  # the tag survives into pg_stat_statements

    engine = load("postgres")
    session = engine.connect(parse_target(pg_db.url), {"timeout": 10})
    try:
        rows = LiveFacts("postgres", session, {}).get("pg.statements")["rows"]
    finally:
        engine.close(session)
    assert rows and not [r for r in rows if (r["query"] or "").startswith("/* db-advisor */")]
