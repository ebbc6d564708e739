"""Every check against its declaration: run each engine's checks on recorded facts and fail
when a check reads a fact or an engine option that its @check does not declare (a snapshot
collects the declared facts only, so an undeclared read makes `analyze` differ from `run`).

Fact sets per engine: MongoDB from the recorded replies (tests/mongo: a mockupdb replica set
through the real collector), MySQL 8.0/8.4/MariaDB from tests/mysql/recorded_facts.py,
Redis from the recorded INFO replies of a master and a replica (tests/redis/replies), PgBouncer
from the recorded SHOW replies of 1.17-1.23 (tests/pgbouncer/recorded.py), and PostgreSQL,
MariaDB, Redis and a private PgBouncer collected live from the local servers where they run.
Engine option declarations are held against the providers' `options.get(name, default)`.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from advisor import registry, runner
from advisor.engines import ENGINES
from advisor.engines.options import OPTIONS
from advisor.targets import parse_target
from servers import server_url
from support import judge, undeclared

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent


def _with_path(folder: str):
    if str(TESTS / folder) not in sys.path:
        sys.path.insert(0, str(TESTS / folder))


def _live(url: str | None, engine: str) -> list[dict]:
    if url is None:
        return []
    entry = runner.collect(parse_target(url), runner.RunOptions(include=[f"{ENGINES[engine].prefix}.*"]))
    return [entry["facts"]]


def _mongo() -> list[dict]:
    _with_path("mongo")
    from mockmongod import replica_set
    members = replica_set()
    try:
        entry = runner.collect(parse_target(f"mongodb://{members[0].address}/?replicaSet=rs0"),
                               runner.RunOptions(timeout=5))
    finally:
        for m in members:
            m.stop()
    return [entry["facts"]]


def _mysql() -> list[dict]:
    _with_path("mysql")
    import recorded_facts as rf
    sets = [rf.facts(server) for server in rf.SERVERS]
    from support import MySqlScratch
    url = server_url("mysql")
    if url:
        db = MySqlScratch(url)
        try:
            db.sql("CREATE TABLE t (id int, a int, KEY ia (a), KEY ia2 (a))")
            sets += _live(db.url, "mysql")
        finally:
            db.drop()
    return sets


def _redis() -> list[dict]:
    from advisor.engines.redis.facts_server import parse_info
    replies = TESTS / "redis" / "replies"
    sets = [{"redis.info": parse_info((replies / name).read_text())}
            for name in ("redis7_master_info.txt", "redis7_replica_info.txt")]
    return sets + _live(server_url("redis"), "redis")


def _postgres() -> list[dict]:
    from support import PgScratch
    url = server_url("postgres")
    if url is None:
        pytest.skip("no PostgreSQL server")
    db = PgScratch(url)
    try:
        db.sql("CREATE TABLE nopk (a int, b text); CREATE INDEX nopk_a ON nopk (a); CREATE INDEX nopk_a2 ON nopk (a)")
        return _live(db.url, "postgres")
    finally:
        db.drop()


def _pgbouncer() -> list[dict]:
    """Recorded SHOW replies of 1.17-1.23 (tests/pgbouncer/recorded.py) and a live private pgbouncer."""
    _with_path("pgbouncer")
    import recorded
    sets = [recorded.facts(v) for v in recorded.VERSIONS]
    url = server_url("postgres")
    if url and (shutil.which("pgbouncer") or os.path.exists("/usr/sbin/pgbouncer")):
        from servers import PgBouncerServer
        with PgBouncerServer(url, databases={"app": "pool_size=2"}) as b:
            sets += _live(b.url, "pgbouncer")
    return sets


FACT_SETS = {"mongo": _mongo, "mysql": _mysql, "redis": _redis, "postgres": _postgres, "pgbouncer": _pgbouncer}


@pytest.mark.parametrize("engine", sorted(FACT_SETS))
def test_every_check_reads_only_what_it_declares(engine):
    checks = registry.select(engine)
    sets = FACT_SETS[engine]()
    assert sets
    union = {k: v for s in sets for k, v in s.items()}  # every fact any set has
    bad: dict[str, set[str]] = {}
    # each fact also missing in turn: fallbacks (CONFIG blocked -> INFO, ...) are reads too
    without_one = [{k: v for k, v in union.items() if k != gone} for gone in union]
    for facts in [*sets, union, *without_one]:
        for memory in (None, 16 * 1024**3):
            judged = judge(checks, facts, memory=memory, cpus=4, errors_ok=True, strict=False)
            for c in checks:
                found = undeclared(c, judged.reads[c.id])
                if found:
                    bad.setdefault(c.id, set()).update(found)
    assert not bad, "declare these in @check(facts=[...]) (or options=[...]): " + repr(
        {k: sorted(v) for k, v in sorted(bad.items())})


def test_declared_facts_have_providers():
    from advisor import engines
    from advisor.facts import providers
    missing = {}
    for name in ENGINES:
        engines.load(name)
        known = set(providers(name))
        for c in registry.select(name):
            unknown = set(c.facts) - known
            if unknown:
                missing[c.id] = sorted(unknown)
    assert not missing, missing


def test_engine_options_are_declared_with_the_providers_defaults():
    """Each `options.get("name", default)` in an engine's code names a declared option with the
    same default: `advisor options` and the code cannot drift apart."""
    pattern = re.compile(r'options\.get\("([a-z_]+)"(?:,\s*([^)]+))?\)')
    found = {}
    for engine in ENGINES:
        for path in (ROOT / "advisor" / "engines" / engine).glob("*.py"):
            for name, default in pattern.findall(path.read_text()):
                if name in ("timeout", "db") or path.name == "session.py":
                    continue  # the session's own settings, not [options.<engine>]
                o = OPTIONS[engine].get(name)
                assert o is not None, f"{path.name}: options.get({name!r}) is not declared for {engine}"
                try:
                    value = eval(default, {"Policy": _policy(), "SLOWLOG_ENTRIES": 128, "CLIENT_LIST_MAX": 10_000})
                except Exception:
                    continue
                if default:
                    found[(engine, name)] = (value, o.default)
    assert {k: v for k, v in found.items() if v[0] != v[1]} == {}


def _policy():
    from advisor.indexadvisor.candidates import Policy
    return Policy


def test_the_report_schema_names_the_engines_of_the_one_table():
    """The schema is a published file: it must agree with advisor/engines/__init__.py."""
    import json
    schema = json.loads((ROOT / "advisor" / "schema" / "report-v1.json").read_text())
    text = json.dumps(schema)
    assert f'"enum": {json.dumps(list(ENGINES))}' in text
    assert "^(" + "|".join(e.prefix for e in ENGINES.values()) + ")\\\\." in text
