"""Helpers shared by test modules: scratch databases and the CLI in a subprocess.

Import them with `from support import ...` (never `from conftest import ...`: several test
folders have a conftest.py, and which one the name `conftest` means depends on import order).
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import uuid
from urllib.parse import urlsplit, urlunsplit


def subprocess_cli(*args: str, timeout: float = 120, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the real `python -m advisor` (tests that need a separate process)."""
    return subprocess.run([sys.executable, "-m", "advisor", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env=env)


def one_error_line(err: str) -> str:
    """The only non-blank line of a command's stderr (asserts there is one, and no traceback)."""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@contextlib.contextmanager
def silent_tcp_server():
    """A local port that accepts TCP connections and never says a word; yields the port."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    conns, stop = [], threading.Event()

    def loop():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conns.append(srv.accept()[0])
            except OSError:
                pass

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    try:
        yield srv.getsockname()[1]
    finally:
        stop.set()
        t.join()
        for c in conns:
            c.close()
        srv.close()


def _with_db(url: str, db: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, "/" + db, p.query, p.fragment))


class PgScratch:
    """A scratch database; `sql()` runs statements in it as the admin user."""

    def __init__(self, admin_url: str):
        import psycopg
        self.name = "advisor_t_" + uuid.uuid4().hex[:10]
        self.admin_url = admin_url
        with psycopg.connect(admin_url, autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{self.name}"')
        self.url = _with_db(admin_url, self.name)
        self.conn = psycopg.connect(self.url, autocommit=True)

    def sql(self, statement: str, params=None):
        with self.conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall() if cur.description else None

    def drop(self) -> None:
        import psycopg
        self.conn.close()
        with psycopg.connect(self.admin_url, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class MySqlScratch:
    """A scratch schema; `sql()` runs statements in it as the admin user."""

    def __init__(self, admin_url: str):
        import pymysql
        p = urlsplit(admin_url)
        self.name = "advisor_t_" + uuid.uuid4().hex[:10]
        self.kw = dict(host=p.hostname or "127.0.0.1", port=p.port or 3306, user=p.username or "root",
                       password=p.password or "", autocommit=True)
        self.conn = pymysql.connect(**self.kw)
        self.sql(f"CREATE DATABASE `{self.name}`")
        self.sql(f"USE `{self.name}`")
        self.url = _with_db(admin_url, self.name)

    def sql(self, statement: str, params=None):
        with self.conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall()

    def drop(self) -> None:
        self.sql(f"DROP DATABASE IF EXISTS `{self.name}`")
        self.conn.close()


class RecordingPgSession:
    """A stand-in PostgreSQL session of a given server_version_num for the SQL of versions that do
    not run here: records what a fact provider sends (`sent`) and answers with no rows."""

    def __init__(self, version_num: int):
        self.version_num = version_num
        self.sent: list[str] = []

    def query(self, sql, params=None, **kw):
        self.sent.append(sql)
        return []

    def scalar(self, sql, params=None):
        self.sent.append(sql)
        return None
