"""Shared pieces for the index-advisor tests: a small catalog and helpers."""

from __future__ import annotations

import pytest

from advisor.indexadvisor.catalog import Catalog
from ia_catalog import PK, table  # noqa: F401


@pytest.fixture
def shop_catalog():
    return Catalog.from_fact({"search_path": ["app", "public"], "tables": [
        table("orders", 100_000, [("id", "bigint", -1), ("customer_id", "bigint", 5000), ("status", "text", 4),
                                  ("created_at", "timestamptz", -0.9), ("note", "text", -0.3),
                                  ("is_gift", "boolean", 2)], [PK]),
        table("customers", 20_000, [("id", "bigint", -1), ("email", "text", -1), ("country", "text", 200),
                                    ("name", "text", -1)], [PK]),
        table("events", 100_000, [("id", "bigint", -1), ("kind", "text", 500), ("created_at", "timestamptz", -1)],
              [PK], schema="app"),
        table("currencies", 3, [("code", "text", -1), ("name", "text", -1)]),
    ]})


class PrivateMariaDB:
    """A throw-away mariadbd (own datadir, loopback port, performance_schema ON): its digest
    table holds only this test run's statements, whatever other suites do to the shared server."""

    def __init__(self):
        import tempfile
        from servers import free_port
        self.dir = tempfile.mkdtemp(prefix="advisor_mdb_")
        self.port = free_port()
        self.proc = None

    @property
    def url(self) -> str:
        return f"mysql://root@127.0.0.1:{self.port}/mysql"

    def start(self) -> "PrivateMariaDB":
        import os
        import shutil
        import subprocess
        import time
        import pymysql
        install, daemon = shutil.which("mariadb-install-db"), shutil.which("mariadbd") or "/usr/sbin/mariadbd"
        if not install or not os.path.exists(daemon):
            raise RuntimeError("mariadb-install-db / mariadbd not installed")
        as_root = ["--user=root"] if os.geteuid() == 0 else []
        data = os.path.join(self.dir, "data")
        subprocess.run([install, "--no-defaults", f"--datadir={data}", *as_root,
                        "--auth-root-authentication-method=normal", "--skip-test-db"],
                       check=True, capture_output=True, timeout=120)
        self.proc = subprocess.Popen(
            [daemon, "--no-defaults", f"--datadir={data}", *as_root, f"--port={self.port}",
             "--bind-address=127.0.0.1", f"--socket={self.dir}/sock", "--performance-schema=ON",
             "--skip-log-bin", "--innodb-buffer-pool-size=32M", f"--pid-file={self.dir}/pid"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                pymysql.connect(host="127.0.0.1", port=self.port, user="root", connect_timeout=1).close()
                return self
            except pymysql.err.OperationalError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("private mariadbd did not start")

    def stop(self) -> None:
        import shutil
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def own_mysql_url():
    try:
        srv = PrivateMariaDB().start()
    except Exception as e:  # no MariaDB binaries on this machine
        pytest.skip(f"cannot start a private MariaDB: {e}")
    try:
        yield srv.url
    finally:
        srv.stop()


@pytest.fixture
def own_mysql_db(own_mysql_url):
    from support import MySqlScratch
    db = MySqlScratch(own_mysql_url)
    try:
        yield db
    finally:
        db.drop()
