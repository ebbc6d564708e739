"""Engines: the one table of supported engines, and how to load each one.

Each engine is a package `advisor.engines.<name>` exposing:
  connect(target, options) -> session      (raises TargetUnreachable)
  close(session) -> None
  server_version(facts) -> str | None
and registering its fact providers with `advisor.facts.provides` on import.
Engines are imported lazily, so a run against PostgreSQL never imports pymongo.
Its options ([options.<name>]) are declared in `advisor.engines.options`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Engine:
    name: str                  # "postgres": [options.postgres], checks/postgres/, report "engine"
    prefix: str                # check ids start with it: pg.cache.hit_ratio
    label: str                 # for people
    schemes: tuple[str, ...]   # URL schemes


ENGINES: dict[str, Engine] = {e.name: e for e in (
    Engine("postgres", "pg", "PostgreSQL", ("postgresql", "postgres")),
    Engine("mysql", "mysql", "MySQL/MariaDB", ("mysql", "mariadb")),
    Engine("mongo", "mongo", "MongoDB", ("mongodb", "mongodb+srv")),
    Engine("redis", "redis", "Redis", ("redis", "rediss")),
    Engine("pgbouncer", "pgbouncer", "PgBouncer", ("pgbouncer",)),
)}
NAMES = {e.name: e.label for e in ENGINES.values()}
SCHEMES = {s: e.name for e in ENGINES.values() for s in e.schemes}
ENGINE_OF_PREFIX = {e.prefix: e.name for e in ENGINES.values()}


def load(engine: str) -> ModuleType:
    return importlib.import_module(f"advisor.engines.{engine}")
