"""A read-only PostgreSQL session with a timeout on every statement."""

from __future__ import annotations

import math
import re
from typing import Any

import psycopg
from psycopg import errors as pgerr
from psycopg.rows import dict_row

from advisor.engines.options import DEFAULT_TIMEOUT
from advisor.errors import FactUnavailable, TargetLost, TargetUnreachable
from advisor.targets import Target

MONITOR_GRANT = "GRANT pg_monitor TO <advisor user>"
OWN_TAG = "/* db-advisor */ "


class PgSession:
    def __init__(self, conn: psycopg.Connection, timeout: float, target: Target):
        self.conn = conn
        self.timeout = timeout
        self.target = target
        self.version_num: int = conn.info.server_version  # e.g. 150020
        self.queries = 0
        self.counts_own_reads = True  # False once track_counts is off for this session

    def query(self, sql: str, params: Any = None, *, limit: int | None = None) -> list[dict[str, Any]]:
        """Rows as dicts; at most `limit` rows are read from the server.

        Every statement carries the OWN_TAG comment, which pg_stat_statements keeps in the
        text it records: the statement checks leave the advisor's own catalog reads out."""
        self.queries += 1
        try:
            with self.conn.cursor(row_factory=dict_row) as cur:
                cur.execute(OWN_TAG + sql, params)
                if cur.description is None:
                    return []
                return cur.fetchmany(limit) if limit else cur.fetchall()
        except pgerr.InsufficientPrivilege as e:
            raise FactUnavailable(f"permission denied: {_first_line(e)}", MONITOR_GRANT) from None
        except pgerr.QueryCanceled:
            raise FactUnavailable(f"query timed out after {self.timeout:g}s (statement_timeout)",
                                  "raise --timeout if the catalog is very large") from None
        except pgerr.LockNotAvailable:
            raise FactUnavailable("a catalog lock was not available within lock_timeout") from None
        except (pgerr.UndefinedTable, pgerr.UndefinedFunction, pgerr.UndefinedColumn,
                pgerr.ObjectNotInPrerequisiteState, pgerr.FeatureNotSupported) as e:
            raise FactUnavailable(_first_line(e)) from None
        except psycopg.OperationalError as e:
            if self.conn.closed or self.conn.broken:
                raise TargetLost(_first_line(e)) from None
            raise FactUnavailable(_first_line(e)) from None
        except psycopg.InterfaceError as e:
            raise TargetLost(_first_line(e)) from None

    def scalar(self, sql: str, params: Any = None) -> Any:
        rows = self.query(sql, params, limit=1)
        return next(iter(rows[0].values())) if rows else None


def _first_line(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return "; ".join(lines[:2]) if lines else text


def _connect_error(e: BaseException, target: Target) -> str:
    msg = _first_line(e)
    # libpq prefixes every line with 'connection to server at "h" (ip), port p failed:'
    msg = re.sub(r'connection to server at "[^"]*" \([^)]*\), port \d+ failed: ', "", msg)
    msg = re.sub(r'connection to server (at|on) [^,]*(, port \d+)? failed: ', "", msg)
    return f"cannot connect to {target.redacted}: {msg}"


def connect(target: Target, options: dict[str, Any]) -> PgSession:
    timeout = float(options.get("timeout", DEFAULT_TIMEOUT))
    try:
        conn = psycopg.connect(
            target.url,
            connect_timeout=max(1, math.ceil(timeout)),
            autocommit=True,
            application_name="db-advisor",
        )
    except psycopg.Error as e:
        raise TargetUnreachable(_connect_error(e, target)) from None
    except UnicodeDecodeError as e:  # pragma: no cover - server messages in odd encodings
        raise TargetUnreachable(f"cannot connect to {target.redacted}: {e}") from None
    try:
        ms = max(1, int(timeout * 1000))  # 0 would mean no timeout at all
        with conn.cursor() as cur:
            # SET, not startup options: works through PgBouncer too
            cur.execute(f"SET statement_timeout = {ms}")
            cur.execute(f"SET lock_timeout = {min(ms, 2000)}")
            cur.execute("SET default_transaction_read_only = on")
            cur.execute(f"SET idle_in_transaction_session_timeout = {ms}")
            # catalog queries on big catalogs cost enough to trigger JIT, which only adds
            # compile time to them (0.3-0.5 s per query on 5,000 tables)
            cur.execute("SELECT set_config('jit', 'off', false) WHERE current_setting('jit', true) IS NOT NULL")
            counted = _stop_counting_own_reads(cur, conn.info.server_version)
    except psycopg.Error as e:
        conn.close()
        raise TargetUnreachable(_connect_error(e, target)) from None
    session = PgSession(conn, timeout, target)
    session.counts_own_reads = counted
    return session


def _stop_counting_own_reads(cur, version_num: int) -> bool:
    """track_counts = off for this session when the user may set it (superuser, or PG15+
    GRANT SET ON PARAMETER track_counts): then the advisor's own reads, e.g. the index-endpoint
    probes the planner makes while EXPLAINing a join, add nothing to pg_stat_user_tables/indexes
    or pg_statio_*. Asked without an error when not allowed (no noise in the server log).
    Returns whether the session's reads are still counted."""
    allowed = "current_setting('is_superuser') = 'on'"
    if version_num >= 150000:
        allowed += " OR has_parameter_privilege('track_counts', 'SET')"
    try:
        cur.execute(f"SELECT set_config('track_counts', 'off', false) WHERE {allowed}")
    except pgerr.QueryCanceled:  # a --timeout of a few ms: the run goes on, its reads counted
        return True
    return cur.fetchone() is None


def close(session: PgSession) -> None:
    try:
        session.conn.close()
    except Exception:  # pragma: no cover
        pass


def server_version(facts: Any) -> str | None:
    return facts.get("pg.server").get("version")
