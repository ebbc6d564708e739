"""testcontainers helpers: throw-away servers configured for advising.

    from advisor.testing import advised_server

    @pytest.fixture(scope="session")
    def pg_url():
        with advised_server("postgres") as url:   # skips the test when Docker is absent
            yield url

Each container is configured the way the advisor needs it: PostgreSQL with
pg_stat_statements preloaded and track_io_timing on, MariaDB/MySQL with
performance_schema and statement history on, MongoDB with the profiler on for
slow operations, Redis as it ships. testcontainers (a test dependency) is imported
only when a container is asked for.
"""

from __future__ import annotations

import contextlib
import functools
import os
from dataclasses import dataclass, field, replace
from typing import Any, Iterator



@dataclass(frozen=True)
class ServerSpec:
    """How to start one engine for advising (plain data: inspectable without Docker)."""

    engine: str
    image: str
    module: str                  # testcontainers module and class that know how to wait for it
    cls: str
    command: str | None = None
    kwargs: dict = field(default_factory=dict)
    setup: tuple[str, ...] = ()  # statements run once the server answers

    def with_image(self, image: str | None) -> "ServerSpec":
        return replace(self, image=image) if image else self


SPECS = {
    "postgres": ServerSpec(
        "postgres", "postgres:16", "postgres", "PostgresContainer",
        command="postgres -c shared_preload_libraries=pg_stat_statements "
                "-c pg_stat_statements.track=top -c track_io_timing=on",
        kwargs={"driver": None},
        setup=("CREATE EXTENSION IF NOT EXISTS pg_stat_statements",)),
    "mysql": ServerSpec(
        "mysql", "mariadb:10.11", "mysql", "MySqlContainer",
        command="--performance-schema=ON --performance-schema-consumer-events-statements-history=ON "
                "--performance-schema-consumer-events-statements-history-long=ON",
        kwargs={"root_password": "advisor"}),
    "mongo": ServerSpec("mongo", "mongo:7", "mongodb", "MongoDbContainer",
                        command="mongod --profile 1 --slowms 50"),
    "redis": ServerSpec("redis", "redis:7", "redis", "RedisContainer"),
}


class DockerUnavailable(RuntimeError):
    """No Docker engine answers (or testcontainers is not installed)."""


@functools.lru_cache(maxsize=None)
def docker_unavailable_reason() -> str | None:
    """None when a Docker engine answers; otherwise why not, in one line."""
    if os.environ.get("ADVISOR_NO_DOCKER"):
        return "ADVISOR_NO_DOCKER is set"
    try:
        import docker
    except ImportError:
        return "testcontainers is not installed (pip install 'db-advisor[test]')"
    try:
        docker.from_env(timeout=3).ping()
    except Exception as e:  # docker raises many kinds when no engine answers
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return f"no Docker engine answers ({first[:160]})"
    return None


def _container_class(spec: ServerSpec) -> Any:
    """The testcontainers class: `testcontainers.community.*` (4.x) or the older path."""
    import importlib
    for path in (f"testcontainers.community.{spec.module}", f"testcontainers.{spec.module}"):
        try:
            return getattr(importlib.import_module(path), spec.cls)
        except (ImportError, AttributeError):
            continue
    raise DockerUnavailable(f"testcontainers has no {spec.cls}")


def container(engine: str, image: str | None = None) -> Any:
    """A configured, not yet started, testcontainers container (needs a Docker engine)."""
    spec = SPECS[engine].with_image(image)
    c = _container_class(spec)(spec.image, **spec.kwargs)
    return c.with_command(spec.command) if spec.command else c


def advisor_url(engine: str, c: Any) -> str:
    """The URL the advisor (and your test) connects to, for a started container."""
    host = c.get_container_host_ip()
    if engine == "postgres":
        return c.get_connection_url()
    if engine == "mysql":
        return f"mysql://root:{c.root_password}@{host}:{c.get_exposed_port(3306)}/{c.dbname}"
    if engine == "mongo":
        return f"mongodb://{c.username}:{c.password}@{host}:{c.get_exposed_port(27017)}/?authSource=admin"
    return f"redis://{host}:{c.get_exposed_port(6379)}/0"


def _unavailable(reason: str) -> None:
    """Skip the running test if we are under pytest; raise otherwise."""
    import sys
    if "pytest" in sys.modules:
        import pytest
        pytest.skip(f"db-advisor: {reason}")
    raise DockerUnavailable(reason)


def _setup(spec: ServerSpec, url: str) -> None:
    if spec.setup and spec.engine == "postgres":
        import psycopg
        with psycopg.connect(url, autocommit=True) as conn:
            for statement in spec.setup:
                conn.execute(statement)


@contextlib.contextmanager
def advised_server(engine: str, image: str | None = None) -> Iterator[str]:
    """Start a container for `engine` ready for advising; yield its URL; stop it after."""
    if engine not in SPECS:
        raise ValueError(f"unknown engine {engine!r} (one of {', '.join(SPECS)})")
    reason = docker_unavailable_reason()
    if reason:
        _unavailable(reason)
    c = container(engine, image)
    c.start()
    try:
        url = advisor_url(engine, c)
        _setup(SPECS[engine], url)
        yield url
    finally:
        c.stop()
