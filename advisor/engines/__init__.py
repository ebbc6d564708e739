"""Engines: how to connect to each kind of server and which facts it provides.

Each engine is a package `advisor.engines.<name>` exposing:
  connect(target, options) -> session      (raises TargetUnreachable)
  close(session) -> None
  server_version(facts) -> str | None
and registering its fact providers with `advisor.facts.provides` on import.
Engines are imported lazily, so a run against PostgreSQL never imports pymongo.
"""

from __future__ import annotations

import importlib
from types import ModuleType

NAMES = {"postgres": "PostgreSQL", "mysql": "MySQL/MariaDB", "mongo": "MongoDB", "redis": "Redis"}


def load(engine: str) -> ModuleType:
    return importlib.import_module(f"advisor.engines.{engine}")
