"""Sessions (pg_stat_activity), aggregated server-side so huge session counts stay cheap."""

from __future__ import annotations

import re
from typing import Any

from advisor.facts import provides

# Sessions listed per category (idle in transaction, long running): the oldest first.
TOP = 20

# Without pg_read_all_stats even backend_type reads NULL for other roles' sessions; a
# client backend always has a database (background workers mostly do not).
CLIENT = "(a.backend_type = 'client backend' OR (a.backend_type IS NULL AND a.datname IS NOT NULL))"

_ACTIVITY = f"""
    SELECT a.pid, a.datname AS database, a.usename AS "user", a.application_name AS application,
           a.client_addr::text AS client, a.state,
           a.wait_event_type, a.wait_event,
           extract(epoch FROM now() - a.backend_start)::float8 AS connected_s,
           extract(epoch FROM now() - a.xact_start)::float8 AS xact_s,
           extract(epoch FROM now() - a.query_start)::float8 AS query_s,
           extract(epoch FROM now() - a.state_change)::float8 AS state_s,
           CASE WHEN a.state IS DISTINCT FROM 'idle' THEN left(a.query, %s) END AS query
    FROM pg_stat_activity a
    WHERE {CLIENT} AND a.pid <> pg_backend_pid()
"""


@provides("postgres", "pg.activity")
def activity(s, facts) -> dict[str, Any]:
    """Client sessions of the whole server: counts by state / database / user, and
    the oldest idle-in-transaction and the longest-running active sessions.

    Without pg_read_all_stats (pg_monitor) the state and query of other roles'
    sessions read NULL: they are counted as `hidden`.
    """
    limit = int(facts.options.get("activity_limit", 20000))
    text_len = int(facts.options.get("query_text_chars", 200))
    rows = s.query(_ACTIVITY + " LIMIT %s", (text_len, limit + 1))
    limits = s.query(f"""
        SELECT current_setting('max_connections')::int AS max_connections,
               current_setting('superuser_reserved_connections')::int AS superuser_reserved,
               coalesce(current_setting('reserved_connections', true), '0')::int AS reserved,
               (SELECT count(*) FROM pg_stat_activity a WHERE {CLIENT})::int AS client_backends
    """)[0]
    by_state: dict[str, int] = {}
    by_db: dict[str, int] = {}
    by_user: dict[str, int] = {}
    for r in rows:
        state = r["state"] or "hidden"
        by_state[state] = by_state.get(state, 0) + 1
        by_db[r["database"] or "?"] = by_db.get(r["database"] or "?", 0) + 1
        by_user[r["user"] or "?"] = by_user.get(r["user"] or "?", 0) + 1
    idle_tx = sorted((r for r in rows if (r["state"] or "").startswith("idle in transaction")),
                     key=lambda r: -(r["state_s"] or 0))
    active = sorted((r for r in rows if r["state"] == "active"), key=lambda r: -(r["query_s"] or 0))
    return {
        **limits,
        "sessions": len(rows[:limit]) + 1,  # + the advisor's own session
        "truncated": len(rows) > limit,
        "by_state": by_state,
        "by_database": by_db,
        "by_user": by_user,
        "hidden": by_state.get("hidden", 0),
        "idle_in_transaction": [_brief(r) for r in idle_tx[:TOP]],
        "idle_in_transaction_count": len(idle_tx),
        "longest_active": [_brief(r) for r in active[:TOP]],
    }


def _brief(r: dict[str, Any]) -> dict[str, Any]:
    out = {k: r[k] for k in ("pid", "database", "user", "application", "client", "state",
                             "wait_event_type", "wait_event", "xact_s", "query_s", "state_s")}
    out["query"] = redact(r["query"])
    return out


_PASSWORD = re.compile(r"(PASSWORD\s+)('+(?:[^']|'')*'*|\S+)", re.IGNORECASE)


def redact(query: str | None) -> str | None:
    """Query text goes into reports and snapshots: never a password literal
    (ALTER/CREATE ROLE ... PASSWORD '...')."""
    return _PASSWORD.sub(r"\1'***'", query) if query else query


# The advisor SETs these in its own session (session.py): judge the values other sessions get.
SESSION_SET = ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout",
               "default_transaction_read_only")


@provides("postgres", "pg.session_defaults")
def session_defaults(s, facts) -> dict[str, Any]:
    """Settings the advisor overrides in its session, as other sessions see them
    (pg_settings.reset_val: config file, database and role settings)."""
    from .facts_core import _normalize

    rows = s.query("SELECT name, reset_val AS setting, unit, vartype FROM pg_settings "
                   "WHERE name = ANY(%s)", (list(SESSION_SET),))
    return {r["name"]: _normalize(r) for r in rows}
