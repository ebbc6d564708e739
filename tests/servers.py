"""Where the integration tests find real servers.

Order: an explicit URL in the environment, else a testcontainers container when a
Docker engine answers, else the local servers of a python-svc machine
(prepared by scripts/prepare-local-servers). With Docker, ADVISOR_TEST_PG_IMAGE,
ADVISOR_TEST_MYSQL_IMAGE (e.g. mysql:8.4) and ADVISOR_TEST_MONGO_IMAGE pick the images.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

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


class MariaDBServer:
    """A private mariadbd for tests that change server settings or restart the server.

        with MariaDBServer("innodb_buffer_pool_size=32M", server_id=1, log_bin=True) as srv:
            srv.sql("SELECT 1")          # rows as tuples, autocommit
            srv.add_config("max_connections=50"); srv.restart()

    `options` are my.cnf lines for [mysqld] (a leading "--" is dropped). The server reads only
    its own `cnf_path` (--defaults-file), so `restart()` applies whatever that file holds then.
    Root has an empty password over TCP at 127.0.0.1:`port`; `url` is its advisor URL.
    `server_id`/`log_bin` set server_id and a binary log in the datadir (for replication pairs).
    Attributes: url, port, datadir, cnf_path. `stop()` removes everything.
    """

    def __init__(self, *options: str, server_id: int | None = None, log_bin: bool = False):
        self.dir = tempfile.mkdtemp(prefix="advisor-mariadb-")
        self.datadir = os.path.join(self.dir, "data")
        self.cnf_path = os.path.join(self.dir, "my.cnf")
        self.socket = os.path.join(self.dir, "sock")
        self.port = free_port()
        self.proc = None
        lines = [f"datadir={self.datadir}", f"port={self.port}", "bind-address=127.0.0.1",
                 f"socket={self.socket}", f"pid-file={self.dir}/pid", f"log-error={self.dir}/error.log",
                 "innodb_buffer_pool_size=32M", "innodb_log_file_size=16M", "performance_schema=ON"]
        if os.geteuid() == 0:
            lines.append("user=root")
        if server_id is not None:
            lines.append(f"server_id={server_id}")
        lines.append(f"log-bin={self.datadir}/mysql-bin" if log_bin else "skip-log-bin")
        with open(self.cnf_path, "w") as f:
            f.write("[mysqld]\n")
        self.add_config(*lines, *options)
        try:
            self._install()
            self._start()
            # mariadb-install-db's root accounts differ between versions: make TCP root certain.
            self._sql_socket("CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'",
                             "GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION")
        except BaseException:
            self.stop()
            raise

    @property
    def url(self) -> str:
        return f"mysql://root@127.0.0.1:{self.port}/mysql"

    def add_config(self, *lines: str) -> None:
        """Append lines to the [mysqld] section (they apply at the next restart)."""
        with open(self.cnf_path, "a") as f:
            for line in lines:
                f.write(line.removeprefix("--") + "\n")

    def sql(self, stmt: str, args=None) -> list[tuple]:
        """Run one statement as root over TCP; the rows it returns."""
        import pymysql
        conn = pymysql.connect(host="127.0.0.1", port=self.port, user="root", autocommit=True)
        try:
            with conn.cursor() as cur:
                cur.execute(stmt, args)
                return list(cur.fetchall())
        finally:
            conn.close()

    def restart(self) -> None:
        """Stop cleanly and start again: re-reads cnf_path."""
        self._shutdown()
        self._start()

    def stop(self) -> None:
        self._shutdown()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "MariaDBServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    _template: str | None = None  # one mariadb-install-db per test process; each server copies it

    def _install(self) -> None:
        cls = MariaDBServer
        if cls._template is None or not os.path.isdir(cls._template):
            import atexit
            import subprocess
            install = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
            if not install:
                raise RuntimeError("mariadb-install-db not installed")
            template = tempfile.mkdtemp(prefix="advisor-mariadb-template-")
            as_root = ["--user=root"] if os.geteuid() == 0 else []
            subprocess.run([install, "--no-defaults", f"--datadir={template}/data", *as_root,
                            "--auth-root-authentication-method=normal", "--skip-test-db"],
                           check=True, capture_output=True, timeout=120)
            atexit.register(shutil.rmtree, template, True)
            cls._template = template
        shutil.copytree(f"{cls._template}/data", self.datadir)

    def _start(self) -> None:
        import subprocess
        import time
        daemon = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
        self.proc = subprocess.Popen([daemon, f"--defaults-file={self.cnf_path}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if os.path.exists(self.socket):
                try:
                    self._sql_socket("SELECT 1")
                    return
                except Exception:
                    pass
            time.sleep(0.1)
        log = ""
        if os.path.exists(f"{self.dir}/error.log"):
            with open(f"{self.dir}/error.log") as f:
                log = f.read()[-2000:]
        raise RuntimeError(f"private mariadbd did not start:\n{log}")

    def _sql_socket(self, *stmts: str) -> None:
        import pymysql
        conn = pymysql.connect(unix_socket=self.socket, user="root", autocommit=True, connect_timeout=2)
        try:
            with conn.cursor() as cur:
                for stmt in stmts:
                    cur.execute(stmt)
        finally:
            conn.close()

    def _shutdown(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: a clean shutdown
            self.proc.wait(60)
        self.proc = None

def pg_bindir() -> str | None:
    if os.environ.get("ADVISOR_TEST_PG_BIN"):
        return os.environ["ADVISOR_TEST_PG_BIN"]
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[-3]) if p.split("/")[-3].isdigit() else 0)
    return os.path.dirname(found[-1]) if found else None


class PgCluster:
    """A private PostgreSQL cluster in a temp dir on free loopback ports (this machine's
    binaries), for tests that must change settings, restart, or run a replica (the shared
    server must not be reconfigured). initdb/pg_ctl/pg_basebackup run as the postgres OS user
    when we are root. One per test module: initdb + start take about a second."""

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

    def start(self, name: str, *settings: str, fsync_off: bool = True) -> str:
        """Start with these -c settings (command-line settings beat ALTER SYSTEM: plant the ones
        a fix must change with append() instead; fsync_off=False leaves fsync to the files)."""
        port = free_port()
        opts = " ".join([f"-p {port}", f"-k {self.dir}", "-c listen_addresses=127.0.0.1",
                         *(["-c fsync=off"] if fsync_off else []), *(f"-c {s}" for s in settings)])
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

    def append(self, name: str, line: str, file: str = "postgresql.conf") -> None:
        """A line at the end of a file of the data directory (settings planted there, unlike
        start()'s -c options, can be overridden by ALTER SYSTEM; pg_hba.conf rules)."""
        with open(f"{self.dir}/{name}/{file}", "a") as f:
            f.write(line + "\n")

    def reload(self, name: str, line: str | None = None, file: str = "postgresql.auto.conf") -> None:
        """pg_ctl reload, after appending `line` (if any) to `file`."""
        if line is not None:
            self.append(name, line, file)
        self._run("pg_ctl", "-D", f"{self.dir}/{name}", "reload")

    def restart(self, name: str) -> None:
        """pg_ctl restart: same port and -o options (pg_ctl keeps them in postmaster.opts)."""
        self._run("pg_ctl", "-D", f"{self.dir}/{name}", "-l", f"{self.dir}/{name}.log", "-w", "-m", "fast",
                  "restart")

    def stop(self) -> None:
        for name in reversed(list(self.ports)):
            try:
                self._run("pg_ctl", "-D", f"{self.dir}/{name}", "-m", "immediate", "stop")
            except subprocess.SubprocessError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def private_cluster():
    """A PgCluster (the test skipped when there are no server binaries), stopped on exit."""
    c = PgCluster.or_skip()
    try:
        yield c
    finally:
        c.stop()


class PgBouncerServer:
    """A private pgbouncer (Debian's package) on a free loopback port in front of a PostgreSQL,
    in a temp dir of its own; auth_type = trust with an auth_file listing `users`.

        with PgBouncerServer(databases={"app": "pool_size=1"}, settings={"pool_mode": "transaction"}) as b:
            b.url            # pgbouncer://postgres@127.0.0.1:PORT/pgbouncer (postgres is in admin_users)
            b.db_url("app")  # postgresql://postgres@127.0.0.1:PORT/app (a pooled database)

    `databases` maps a name to extra options of its [databases] line (host/port/dbname of the
    PostgreSQL are filled in); `settings` are more [pgbouncer] lines. As root it runs as the
    postgres OS user (`pgbouncer -u postgres`: PgBouncer refuses to run as root)."""

    def __init__(self, pg_url: str = "postgresql://postgres@127.0.0.1:5432/postgres",
                 databases: dict[str, str] | None = None, settings: dict[str, object] | None = None,
                 users: tuple[str, ...] = ("postgres", "stats", "nobody")):
        from urllib.parse import urlsplit
        exe = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if os.path.exists("/usr/sbin/pgbouncer") else None)
        if exe is None:
            raise RuntimeError("pgbouncer is not installed (scripts/prepare-local-servers installs it)")
        pg = urlsplit(pg_url)
        self.dir = tempfile.mkdtemp(prefix="advisor-pgbouncer-")
        self.port = free_port()
        lines = ["[databases]"]
        for name, extra in (databases or {"postgres": ""}).items():
            lines.append(f"{name} = host={pg.hostname} port={pg.port or 5432} dbname={pg.path.strip('/') or 'postgres'} "
                         f"{extra}".rstrip())
        conf = {"listen_addr": "127.0.0.1", "listen_port": self.port, "unix_socket_dir": "", "auth_type": "trust",
                "auth_file": f"{self.dir}/users.txt", "admin_users": "postgres", "stats_users": "stats",
                "logfile": f"{self.dir}/pgbouncer.log", "pidfile": f"{self.dir}/pgbouncer.pid",
                **(settings or {})}
        lines += ["", "[pgbouncer]", *(f"{k} = {v}" for k, v in conf.items())]
        with open(f"{self.dir}/pgbouncer.ini", "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(f"{self.dir}/users.txt", "w") as f:
            f.writelines(f'"{u}" ""\n' for u in users)
        as_user = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            for name in os.listdir(self.dir):
                shutil.chown(f"{self.dir}/{name}", "postgres")
            as_user = ["-u", "postgres"]  # pgbouncer's own switch: the signals reach pgbouncer itself
        self.proc = subprocess.Popen([exe, *as_user, f"{self.dir}/pgbouncer.ini"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"pgbouncer did not start: {self.log()[-500:]}")

    @property
    def url(self) -> str:
        return f"pgbouncer://postgres@127.0.0.1:{self.port}/pgbouncer"

    def db_url(self, name: str, user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{name}"

    def log(self) -> str:
        try:
            with open(f"{self.dir}/pgbouncer.log") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # immediate shutdown (SIGTERM waits for clients)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "PgBouncerServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
