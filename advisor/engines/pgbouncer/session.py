"""A session on PgBouncer's admin console (the virtual database `pgbouncer`).

The console speaks the simple query protocol only and knows its own commands, not SQL: every
statement is `SHOW <one of SHOW_COMMANDS>`, sent with PQsendQuery and read within the run's
timeout (the console has no statement_timeout to SET). Never PAUSE, RELOAD, KILL or SET.
"""

from __future__ import annotations

import math
import re
import select
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import pq

from advisor.engines.options import DEFAULT_TIMEOUT
from advisor.errors import FactUnavailable, TargetLost, TargetUnreachable
from advisor.targets import Target

DEFAULT_PORT = 6432
ADMIN_DB = "pgbouncer"
# what the advisor may send: read-only SHOW commands of the console (SHOW FDS blocks the event loop)
SHOW_COMMANDS = frozenset({"POOLS", "STATS", "DATABASES", "CONFIG", "LISTS", "VERSION", "CLIENTS",
                           "SERVERS", "USERS", "TOTALS"})
ACCESS_HINT = ("add the user to stats_users (enough: the advisor only runs SHOW) or admin_users in "
               "pgbouncer.ini, then RELOAD on the console or SIGHUP")

_INT_OIDS = {20, 21, 23, 26}
_NUMERIC_OID = 1700


class BouncerSession:
    def __init__(self, conn: psycopg.Connection, timeout: float, target: Target):
        self.conn = conn
        self.timeout = timeout
        self.target = target
        self.server_version_text = conn.info.parameter_status("server_version") or ""
        self.queries = 0

    def show(self, what: str, limit: int | None = None) -> tuple[list[dict[str, Any]], int]:
        """`SHOW <what>` as rows (dicts by column name, so that columns a version lacks are just
        absent), at most `limit` of them kept; also the number of rows the console sent."""
        what = what.upper()
        if what not in SHOW_COMMANDS:  # the one gate: nothing but these SHOWs reaches the console
            raise ValueError(f"SHOW {what} is not a command the advisor sends")
        self.queries += 1
        results = self._exec(f"SHOW {what}")
        rows: list[dict[str, Any]] = []
        total = 0
        for res in results:
            if res.status == pq.ExecStatus.FATAL_ERROR:
                msg = _pq_error(res)
                if "invalid command" in msg.lower():
                    raise FactUnavailable(f"SHOW {what} is not known to this PgBouncer ({msg})")
                if "admin access needed" in msg.lower() or "not allowed" in msg.lower():
                    raise FactUnavailable(f"SHOW {what} is refused for this user: {msg}",
                                          "add the user to admin_users in pgbouncer.ini, then RELOAD")
                raise FactUnavailable(f"SHOW {what} failed: {msg}")
            if res.status != pq.ExecStatus.TUPLES_OK:
                continue
            names = [(res.fname(i) or b"").decode() for i in range(res.nfields)]
            types = [res.ftype(i) for i in range(res.nfields)]
            total += res.ntuples
            keep = res.ntuples if limit is None else max(0, min(res.ntuples, limit - len(rows)))
            for r in range(keep):
                rows.append({n: _value(res.get_value(r, i), types[i]) for i, n in enumerate(names)})
        return rows, total

    def _exec(self, command: str) -> list[pq.PGresult]:
        """Send one simple-protocol query and collect its results within the timeout. A console
        that does not answer in time leaves the connection in an unknown state: it is closed
        and the run ends partial (TargetLost), like a PostgreSQL backend that went away."""
        pg = self.conn.pgconn
        deadline = time.monotonic() + self.timeout
        results: list[pq.PGresult] = []
        try:
            pg.send_query(command.encode())
            while pg.flush():
                self._wait(pg, deadline, write=True, command=command)
            while True:
                while pg.is_busy():
                    self._wait(pg, deadline, command=command)
                    pg.consume_input()
                res = pg.get_result()
                if res is None:
                    return results
                results.append(res)
        except psycopg.OperationalError as e:
            self.close()
            raise TargetLost(f"{command}: {_first_line(e)}") from None

    def _wait(self, pg, deadline: float, write: bool = False, command: str = "") -> None:
        left = deadline - time.monotonic()
        ready = select.select([], [pg.socket], [], max(0, left)) if write else \
            select.select([pg.socket], [], [], max(0, left))
        if not any(ready):
            self.close()
            raise TargetLost(f"{command}: no answer within {self.timeout:g}s")
        if pg.status == pq.ConnStatus.BAD:
            raise psycopg.OperationalError(_pq_conn_error(pg) or "connection closed by PgBouncer")

    def close(self) -> None:
        try:
            self.conn.close()
        except Exception:  # pragma: no cover
            pass


def _value(raw: bytes | None, oid: int) -> Any:
    """A console value as JSON-able data: integers and numerics as numbers, the rest as text."""
    if raw is None:
        return None
    text = raw.decode("utf-8", "replace")
    if oid in _INT_OIDS or oid == _NUMERIC_OID:
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return text
    return text


def _pq_error(res: pq.PGresult) -> str:
    msg = res.error_message.decode("utf-8", "replace").strip()
    return re.sub(r"^(ERROR|FATAL):\s+", "", msg).splitlines()[0] if msg else "error"


def _pq_conn_error(pg) -> str:
    lines = (pg.error_message or b"").decode("utf-8", "replace").strip().splitlines()
    return lines[0] if lines else ""


def _first_line(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return "; ".join(lines[:2]) if lines else text


def conninfo(target: Target) -> str:
    """The libpq URL of the console: postgresql://, port 6432 unless given, database pgbouncer."""
    p = urlsplit(target.url)
    netloc = p.netloc if p.port is not None else f"{p.netloc}:{DEFAULT_PORT}"
    return urlunsplit(("postgresql", netloc, f"/{ADMIN_DB}", p.query, ""))


def _connect_error(e: BaseException, target: Target) -> str:
    msg = _first_line(e)
    msg = re.sub(r'connection to server at "[^"]*" \([^)]*\), port \d+ failed: ', "", msg)
    msg = re.sub(r'connection to server (at|on) [^,]*(, port \d+)? failed: ', "", msg)
    msg = re.sub(r"^connection failed: ", "", msg)
    msg = re.sub(r"^(FATAL|ERROR):\s+", "", msg)
    low = msg.lower()
    where = f"cannot connect to {target.redacted}"
    if f'database "{ADMIN_DB}" does not exist' in low:
        return (f"{where}: a PostgreSQL server answers on this port, not PgBouncer (it has no database "
                f"{ADMIN_DB!r}): use postgresql:// to judge PostgreSQL, or PgBouncer's listen_port "
                f"(default {DEFAULT_PORT})")
    if re.search(r"\bnot allowed\b", low):
        return f"{where}: PgBouncer refused the console login (not allowed): {ACCESS_HINT}"
    if "authentication failed" in low:
        return (f"{where}: {msg} (PgBouncer checks the user against its auth_file or auth_query; "
                "a user it does not know fails this way too)")
    return f"{where}: {msg}"


def connect(target: Target, options: dict[str, Any]) -> BouncerSession:
    timeout = float(options.get("timeout", DEFAULT_TIMEOUT))
    try:
        conn = psycopg.connect(conninfo(target), connect_timeout=max(1, math.ceil(timeout)),
                               autocommit=True, application_name="db-advisor")
    except psycopg.Error as e:
        raise TargetUnreachable(_connect_error(e, target)) from None
    except UnicodeDecodeError as e:  # pragma: no cover - server messages in odd encodings
        raise TargetUnreachable(f"cannot connect to {target.redacted}: {e}") from None
    session = BouncerSession(conn, timeout, target)
    if "bouncer" not in session.server_version_text.lower():
        # a PostgreSQL that has a database called pgbouncer (or another pooler): nothing to SHOW
        session.close()
        raise TargetUnreachable(
            f"cannot connect to {target.redacted}: this is PostgreSQL {session.server_version_text or '?'}, "
            f"not PgBouncer's admin console: use postgresql:// to judge it")
    return session


def close(session: BouncerSession) -> None:
    session.close()


def server_version(facts: Any) -> str | None:
    return facts.get("pgbouncer.version").get("version")
