"""Where the integration tests find real servers.

Order: an explicit URL in the environment, else a testcontainers container when a
Docker engine answers, else the local servers of a python-svc machine
(prepared by scripts/prepare-local-servers). With Docker, ADVISOR_TEST_PG_IMAGE,
ADVISOR_TEST_MYSQL_IMAGE (e.g. mysql:8.4) and ADVISOR_TEST_MONGO_IMAGE pick the images.
"""

from __future__ import annotations

import functools
import glob
import os
import shutil
import socket
import subprocess
import tempfile

from advisor.demo import RedisDemoServer, free_port  # noqa: F401 (tests import free_port from here)

LOCAL = {
    "postgres": "postgresql://postgres@127.0.0.1:5432/postgres",
    "mysql": "mysql://root@127.0.0.1:3306/mysql",
    "redis": "redis://127.0.0.1:6379/0",
}
ENV = {"postgres": "ADVISOR_TEST_PG_URL", "mysql": "ADVISOR_TEST_MYSQL_URL",
       "redis": "ADVISOR_TEST_REDIS_URL", "mongo": "ADVISOR_TEST_MONGO_URL"}


@functools.lru_cache(maxsize=None)
def docker_available() -> bool:
    if os.environ.get("ADVISOR_TEST_NO_DOCKER"):
        return False
    try:
        import docker  # installed with testcontainers
        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


_containers: dict[str, object] = {}


def _container_url(engine: str) -> str | None:
    if not docker_available():
        return None
    if engine in _containers:
        return _containers[engine]._advisor_url
    if engine == "postgres":
        from testcontainers.postgres import PostgresContainer
        c = PostgresContainer(os.environ.get("ADVISOR_TEST_PG_IMAGE", "postgres:16"), driver=None).with_command(
            "postgres -c shared_preload_libraries=pg_stat_statements -c track_io_timing=on")
        c.start()
        url = c.get_connection_url()
    elif engine == "mysql":
        from testcontainers.mysql import MySqlContainer
        c = MySqlContainer(os.environ.get("ADVISOR_TEST_MYSQL_IMAGE", "mariadb:10.11"), root_password="root").with_command("--performance-schema=ON")
        c.start()
        url = f"mysql://root:root@{c.get_container_host_ip()}:{c.get_exposed_port(3306)}/mysql"
    elif engine == "mongo":
        from testcontainers.mongodb import MongoDbContainer
        c = MongoDbContainer(os.environ.get("ADVISOR_TEST_MONGO_IMAGE", "mongo:7"))
        c.start()
        url = c.get_connection_url()
    else:
        return None
    c._advisor_url = url
    _containers[engine] = c
    return url


def server_url(engine: str) -> str | None:
    """Admin URL of a real server for `engine`, or None when there is none."""
    if os.environ.get(ENV[engine]):
        return os.environ[ENV[engine]]
    url = _container_url(engine)  # None without a Docker engine (or for Redis: tests start their own)
    return url or (LOCAL.get(engine) if _local_up(engine) else None)


def _local_up(engine: str) -> bool:
    port = {"postgres": 5432, "mysql": 3306, "redis": 6379}.get(engine)
    if port is None:
        return False
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            return True
    except OSError:
        return False


class RedisServer(RedisDemoServer):
    """A throw-away redis-server on a free loopback port (Redis tests plant problems in it),
    in a dir of its own: RDB/AOF files never collide."""

    def __init__(self, *args: str):
        super().__init__(*args, dir=tempfile.mkdtemp(prefix="advisor-redis-"))

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def pg_bindir() -> str | None:
    if os.environ.get("ADVISOR_TEST_PG_BIN"):
        return os.environ["ADVISOR_TEST_PG_BIN"]
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[-3]) if p.split("/")[-3].isdigit() else 0)
    return os.path.dirname(found[-1]) if found else None


class PgCluster:
    """A private PostgreSQL cluster in a temp dir on free loopback ports (this machine's
    binaries); initdb/pg_ctl/pg_basebackup run as the postgres OS user when we are root."""

    def __init__(self, bindir: str):
        self.bin = bindir
        self.dir = tempfile.mkdtemp(prefix="advisor-pgpriv-")
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres")
        self.ports: dict[str, int] = {}

    @classmethod
    def or_skip(cls) -> "PgCluster":
        """A new cluster directory, or the calling test skipped when no server binaries exist."""
        import pytest

        bindir = pg_bindir()
        if not bindir or (os.geteuid() == 0 and not shutil.which("runuser")):
            pytest.skip("no PostgreSQL server binaries to start a private cluster")
        return cls(bindir)

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.as_user, os.path.join(self.bin, tool), *args], check=True,
                       capture_output=True, timeout=60)

    def start(self, name: str, *settings: str) -> str:
        port = free_port()
        opts = " ".join([f"-p {port}", f"-k {self.dir}", "-c listen_addresses=127.0.0.1",
                         "-c fsync=off", *(f"-c {s}" for s in settings)])
        self._run("pg_ctl", "-D", f"{self.dir}/{name}", "-l", f"{self.dir}/{name}.log", "-w", "-o", opts, "start")
        self.ports[name] = port
        return f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def initdb(self, name: str, *args: str) -> None:
        """A new data directory; `args` go to initdb after the defaults (e.g. --auth-host=...)."""
        self._run("initdb", "-D", f"{self.dir}/{name}", "-U", "postgres", "--auth=trust", "-N", "-E", "UTF8",
                  *args)

    def basebackup(self, source: str, name: str) -> None:
        self._run("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.ports[source]), "-U", "postgres",
                  "-D", f"{self.dir}/{name}", "-R", "-X", "stream", "-c", "fast")

    def reload(self, name: str, line: str) -> None:
        self.append(name, "postgresql.auto.conf", line)

    def append(self, name: str, file: str, line: str, reload: bool = True) -> None:
        """A line at the end of a file of the data directory (pg_hba.conf, ...), then a reload."""
        with open(f"{self.dir}/{name}/{file}", "a") as f:
            f.write(line + "\n")
        if reload:
            self._run("pg_ctl", "-D", f"{self.dir}/{name}", "reload")

    def stop(self) -> None:
        for name in reversed(list(self.ports)):
            try:
                self._run("pg_ctl", "-D", f"{self.dir}/{name}", "-m", "immediate", "stop")
            except subprocess.SubprocessError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)
