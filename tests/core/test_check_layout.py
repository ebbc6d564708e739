"""Where checks live (docs/architecture.md):

- check id `<prefix>.<topic>.<name>` is defined in `checks/<engine>/<topic>.py`
  (prefix pg -> folder postgres; the others are their own engine names);
- helpers shared by several check modules live in `_`-prefixed modules only;
- no check module imports another non-underscore check module.

The allow-lists below name what is out of place today. They are explicit so that a new
misplacement fails; the integrator moves these checks (after the other branches are merged)
and deletes the entries. Never add to them: put a new check in its topic's module.
"""

from __future__ import annotations

import ast
from pathlib import Path

from advisor import registry
from advisor.engines import ENGINE_OF_PREFIX

CHECKS = Path(__file__).resolve().parents[2] / "checks"

MISPLACED = {  # check id -> the module it is in today
    # MongoDB: plural module names, and topics split over other modules
    "mongo.concurrency.tickets": "checks.mongo.connections",
    "mongo.index.redundant": "checks.mongo.indexes",
    "mongo.index.suggested": "checks.mongo.index_advisor",
    "mongo.index.too_many": "checks.mongo.indexes",
    "mongo.index.unused": "checks.mongo.indexes",
    "mongo.query.collscan": "checks.mongo.queries",
    "mongo.query.sort": "checks.mongo.queries",
    "mongo.query.targeting": "checks.mongo.queries",
    "mongo.repl.lag": "checks.mongo.replication",
    "mongo.repl.members": "checks.mongo.replication",
    "mongo.repl.oplog_window": "checks.mongo.replication",
    "mongo.schema.large_documents": "checks.mongo.storage",
    "mongo.schema.too_many_collections": "checks.mongo.storage",
    # MySQL: caches.py holds cache.* and tmp.*; queries.* is split over statements.py and workload.py
    "mysql.cache.open_files": "checks.mysql.caches",
    "mysql.cache.query_cache": "checks.mysql.caches",
    "mysql.cache.table_open": "checks.mysql.caches",
    "mysql.tmp.disk_ratio": "checks.mysql.caches",
    "mysql.tmp.size_mismatch": "checks.mysql.caches",
    "mysql.index.duplicate": "checks.mysql.indexes",
    "mysql.index.missing": "checks.mysql.indexes",
    "mysql.index.unused": "checks.mysql.indexes",
    "mysql.index.suggested": "checks.mysql.index_advisor",
    "mysql.query.unindexable": "checks.mysql.index_advisor",
    "mysql.io.settings": "checks.mysql.durability",
    "mysql.memory.worst_case": "checks.mysql.innodb",
    "mysql.queries.full_scans": "checks.mysql.statements",
    "mysql.queries.slow_mean": "checks.mysql.statements",
    "mysql.queries.sort_merge": "checks.mysql.statements",
    "mysql.queries.tmp_disk": "checks.mysql.statements",
    "mysql.queries.top_total": "checks.mysql.statements",
    "mysql.queries.joins_without_index": "checks.mysql.workload",
    "mysql.queries.slow_ratio": "checks.mysql.workload",
    # PostgreSQL
    "pg.config.dangerous": "checks.postgres.settings_safety",
    "pg.index.duplicate": "checks.postgres.indexes",
    "pg.index.fk_missing": "checks.postgres.indexes",
    "pg.index.invalid": "checks.postgres.indexes",
    "pg.index.missing": "checks.postgres.indexes",
    "pg.index.unused": "checks.postgres.indexes",
    "pg.index.suggested": "checks.postgres.index_advisor",
    "pg.query.unindexable": "checks.postgres.index_advisor",
    "pg.maintenance.wraparound": "checks.postgres.wraparound",
    # Redis: memory.* mostly in fragmentation.py; observability.py holds four topics
    "redis.memory.allocator_fragmentation": "checks.redis.fragmentation",
    "redis.memory.cached_scripts": "checks.redis.fragmentation",
    "redis.memory.fragmentation": "checks.redis.fragmentation",
    "redis.memory.peak": "checks.redis.fragmentation",
    "redis.memory.rss_overhead": "checks.redis.fragmentation",
    "redis.memory.swapping": "checks.redis.fragmentation",
    "redis.keyspace.many_dbs": "checks.redis.observability",
    "redis.latency.monitor_disabled": "checks.redis.observability",
    "redis.latency.spikes": "checks.redis.observability",
    "redis.server.version": "checks.redis.observability",
    "redis.slowlog.disabled": "checks.redis.observability",
}

# helper modules without the `_` prefix (rename to _table_refs.py / _shapes.py)
HELPERS_WITHOUT_UNDERSCORE = {"checks.postgres.table_refs", "checks.mongo.shapes"}

CROSS_IMPORTS = {  # (importing module, imported check module) as today
    ("checks.postgres.config", "checks.postgres.maintenance"),
    ("checks.postgres.wraparound", "checks.postgres.maintenance"),
    ("checks.postgres.statements", "checks.postgres.table_refs"),
    ("checks.postgres.indexes", "checks.postgres.table_refs"),
    ("checks.mongo.queries", "checks.mongo.shapes"),
    ("checks.mongo.indexes", "checks.mongo.shapes"),
    ("checks.mongo.index_advisor", "checks.mongo.queries"),
    ("checks.mongo.index_advisor", "checks.mongo.shapes"),
}


def _home(check_id: str) -> str:
    prefix, topic = check_id.split(".")[:2]
    return f"checks.{ENGINE_OF_PREFIX[prefix]}.{topic}"


def _modules() -> dict[str, Path]:
    return {"checks." + ".".join(p.relative_to(CHECKS).with_suffix("").parts): p
            for p in CHECKS.rglob("*.py") if p.name != "__init__.py"}


def test_each_check_lives_in_its_topic_module():
    builtin = [c for c in registry.all_checks() if c.plugin is None]
    where = {c.id: c.func.__module__ for c in builtin}
    misplaced = {i: m for i, m in where.items() if m != _home(i) and MISPLACED.get(i) != m}
    assert misplaced == {}, f"define each check in checks/<engine>/<topic>.py: {misplaced}"
    moved = sorted(i for i, m in MISPLACED.items() if where.get(i) != m)
    assert moved == [], f"moved or renamed: delete from MISPLACED: {moved}"


def test_modules_without_checks_are_underscore_helpers():
    with_checks = {c.func.__module__ for c in registry.all_checks()}
    helpers = {m for m, p in _modules().items() if not p.name.startswith("_") and m not in with_checks}
    assert helpers == HELPERS_WITHOUT_UNDERSCORE, "shared helpers go in _-prefixed modules"


def test_check_modules_import_no_other_check_module():
    modules = _modules()
    found = set()
    for name, path in modules.items():
        package = name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                target = (f"{package}.{node.module}" if node.level == 1 and node.module
                          else node.module or "")
                if target in modules and not target.rsplit(".", 1)[1].startswith("_"):
                    found.add((name, target))
    assert found - CROSS_IMPORTS == set(), "import shared helpers from a _-prefixed module"
    assert CROSS_IMPORTS - found == set(), "fixed: delete these from CROSS_IMPORTS"
