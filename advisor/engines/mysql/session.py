"""A read-only MySQL / MariaDB session (pymysql) with a timeout on every statement.

The vendor and version are read once at connect time: MariaDB bounds a
statement with max_statement_time (seconds), MySQL 5.7.8+ with
max_execution_time (milliseconds, SELECT only); both get connect/read/write
socket timeouts, so a silent server ends the run within --timeout.
"""

from __future__ import annotations

import getpass
import os
import re
from typing import Any
from urllib.parse import unquote

import pymysql
import pymysql.cursors

from advisor.engines.options import DEFAULT_TIMEOUT
from advisor.errors import FactUnavailable, TargetLost, TargetUnreachable
from advisor.targets import Target

# error codes (mysqld_error.h / MariaDB) the advisor turns into skips
_DENIED = {1044, 1045, 1142, 1143, 1227, 1370}   # access denied variants
_TIMEOUT = {3024, 1969, 1317}                    # max_execution_time, max_statement_time, interrupted
_LOST = {2006, 2013, 2055}                       # gone away, lost connection
MONITOR_GRANT = ("GRANT PROCESS, SELECT ON performance_schema.* TO <advisor user>; "
                 "GRANT SELECT ON sys.* TO <advisor user>; GRANT SHOW VIEW ON *.* TO <advisor user>")


def parse_version(text: str) -> tuple[int, int, int]:
    m = re.match(r"(\d+)\.(\d+)\.(\d+)", text or "")
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else (0, 0, 0)


class MySession:
    def __init__(self, conn: pymysql.connections.Connection, timeout: float, target: Target,
                 vendor: str, version: tuple[int, int, int], version_text: str):
        self.conn = conn
        self.timeout = timeout
        self.target = target
        self.vendor = vendor            # "mariadb" | "mysql"
        self.version = version          # (10, 11, 6)
        self.version_text = version_text
        self.queries = 0
        self.database: str | None = None

    @property
    def mariadb(self) -> bool:
        return self.vendor == "mariadb"

    def query(self, sql: str, params: Any = None, *, limit: int | None = None,
              enable: str | None = None) -> list[dict[str, Any]]:
        """Rows as dicts (lower-case keys); at most `limit` rows are read from the server."""
        self.queries += 1
        try:
            with self.conn.cursor(pymysql.cursors.DictCursor) as cur:
                cur.execute(sql, params)
                rows = cur.fetchmany(limit) if limit else cur.fetchall()
                return [{k.lower(): v for k, v in r.items()} for r in rows]
        except pymysql.err.MySQLError as e:
            code = e.args[0] if e.args and isinstance(e.args[0], int) else None
            msg = _message(e)
            if code in _LOST or isinstance(e, pymysql.err.InterfaceError) or not self.conn.open:
                raise TargetLost(msg) from None
            if code in _DENIED:
                raise FactUnavailable(f"permission denied: {msg}", enable or MONITOR_GRANT) from None
            if code in _TIMEOUT:
                raise FactUnavailable(f"query timed out after {self.timeout * 0.75:g}s",
                                      "raise --timeout if the catalog is very large") from None
            raise FactUnavailable(msg, enable) from None  # unknown table/column/variable...

    def scalar(self, sql: str, params: Any = None) -> Any:
        rows = self.query(sql, params, limit=1)
        return next(iter(rows[0].values())) if rows else None


def _message(e: BaseException) -> str:
    if isinstance(e, pymysql.err.MySQLError) and len(e.args) >= 2:
        text = f"({e.args[0]}) {e.args[1]}"
    else:
        text = str(e) or type(e).__name__
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return "; ".join(lines[:2]) if lines else text


def _connect_kwargs(target: Target, timeout: float) -> dict[str, Any]:
    p = target.parts
    password = target.password
    if password is None:
        password = os.environ.get("MYSQL_PWD", "")
    db = unquote(p.path.lstrip("/")) or None
    q = target.query
    kw: dict[str, Any] = dict(
        host=p.hostname or "localhost", port=p.port or 3306,
        user=target.username or os.environ.get("MYSQL_USER") or getpass.getuser(),
        password=password, database=db, charset="utf8mb4", autocommit=True,
        connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout,
        program_name="db-advisor",
    )
    if p.hostname in (None, "localhost") and q.get("socket"):
        kw["unix_socket"] = q["socket"]
    if q.get("ssl", "").lower() in ("1", "true", "required") or q.get("ssl_ca"):
        # with a CA: verify the certificate and host name; without: encrypt only
        kw["ssl"] = {"ca": q["ssl_ca"]} if q.get("ssl_ca") else {"check_hostname": False}
    return kw


def connect(target: Target, options: dict[str, Any]) -> MySession:
    timeout = float(options.get("timeout", DEFAULT_TIMEOUT))
    kwargs = _connect_kwargs(target, timeout)
    try:
        conn = pymysql.connect(**kwargs)
    except pymysql.err.MySQLError as e:
        raise TargetUnreachable(f"cannot connect to {target.redacted}: {_message(e)}") from None
    except (OSError, ValueError, UnicodeError) as e:
        raise TargetUnreachable(f"cannot connect to {target.redacted}: {e}") from None
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT VERSION(), @@version_comment")
            version_text, comment = cur.fetchone()
            vendor = "mariadb" if "mariadb" in f"{version_text} {comment}".lower() else "mysql"
            version = parse_version(version_text)
            # every later statement runs in a read-only transaction, bounded in time; the
            # server-side bound is shorter than the socket read_timeout, so a slow query
            # becomes a skip (the session survives) instead of a lost connection
            bound = max(0.001, timeout * 0.75)  # 0 would mean no bound at all
            cur.execute("SET SESSION TRANSACTION READ ONLY")
            cur.execute("SET SESSION lock_wait_timeout = %s", (max(1, int(timeout)),))
            if vendor == "mariadb":
                if version >= (10, 1, 1):
                    cur.execute("SET SESSION max_statement_time = %s", (bound,))
            else:
                if version >= (5, 7, 8):
                    cur.execute("SET SESSION max_execution_time = %s", (int(bound * 1000),))
                if version >= (8, 0, 3):
                    # information_schema.TABLES statistics are cached for a day by default
                    cur.execute("SET SESSION information_schema_stats_expiry = 0")
    except pymysql.err.MySQLError as e:
        conn.close()
        raise TargetUnreachable(f"cannot connect to {target.redacted}: {_message(e)}") from None
    session = MySession(conn, timeout, target, vendor, version, version_text)
    session.database = kwargs["database"]  # the URL's database scopes schema-level facts
    return session


def close(session: MySession) -> None:
    try:
        session.conn.close()
    except Exception:  # pragma: no cover
        pass


def server_version(facts: Any) -> str | None:
    s = facts.get("mysql.server")
    return f"{'MariaDB' if s['vendor'] == 'mariadb' else 'MySQL'} {s['version']}"
