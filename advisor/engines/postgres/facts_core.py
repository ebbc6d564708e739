"""Server identity and settings: the facts nearly every PostgreSQL check needs."""

from __future__ import annotations

from typing import Any

from advisor.facts import provides

_MEMORY_UNITS = {"B": 1, "kB": 1024, "8kB": 8192, "16kB": 16384, "32kB": 32768, "64kB": 65536,
                 "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
_TIME_UNITS_MS = {"us": 0.001, "ms": 1, "s": 1000, "min": 60000, "h": 3600000, "d": 86400000}


@provides("postgres", "pg.server")
def server(s, facts) -> dict[str, Any]:
    row = s.query("""
        SELECT version() AS version_string,
               current_setting('server_version') AS version,
               current_setting('server_version_num')::int AS version_num,
               current_database() AS database,
               current_user AS "user",
               (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
               pg_has_role(current_user, 'pg_monitor', 'MEMBER') AS pg_monitor,
               pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER') AS pg_read_all_stats,
               pg_is_in_recovery() AS in_recovery,
               pg_postmaster_start_time() AS started_at,
               extract(epoch FROM now() - pg_postmaster_start_time())::float8 AS uptime_s,
               (SELECT stats_reset FROM pg_stat_database WHERE datname = current_database())
                   AS stats_reset,
               extract(epoch FROM now() - coalesce(
                   (SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()),
                   pg_postmaster_start_time()))::float8 AS stats_age_s,
               now() AS now
    """)[0]
    return row


def _normalize(row: dict[str, Any]) -> Any:
    """A setting's value in base units: bytes for memory, milliseconds for time."""
    v, unit, vartype = row["setting"], row["unit"], row["vartype"]
    if vartype == "bool":
        return v == "on"
    if vartype in ("integer", "real"):
        num = float(v)
        if unit in _MEMORY_UNITS:
            return int(num * _MEMORY_UNITS[unit]) if num >= 0 else int(num)
        if unit in _TIME_UNITS_MS:
            return num * _TIME_UNITS_MS[unit] if num >= 0 else num
        return int(num) if vartype == "integer" else num
    return v


@provides("postgres", "pg.settings")
def settings(s, facts) -> dict[str, dict[str, Any]]:
    """Every setting: raw text, unit, normalized value (bytes / ms), source."""
    rows = s.query("""
        SELECT name, setting, unit, vartype, source, boot_val, reset_val, pending_restart, context,
               current_database() AS db, current_user AS role,
               -- what the advisor's own SET hides: a database or role value under it
               CASE WHEN source = 'session' THEN (
                   SELECT CASE WHEN d.setrole <> 0 AND d.setdatabase <> 0 THEN 'database user'
                               WHEN d.setrole <> 0 THEN 'user' ELSE 'database' END
                   FROM pg_db_role_setting d, unnest(d.setconfig) AS c(item)
                   WHERE lower(split_part(c.item, '=', 1)) = name
                     AND d.setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))
                     AND d.setrole IN (0, (SELECT oid FROM pg_roles WHERE rolname = current_user))
                     AND (d.setrole <> 0 OR d.setdatabase <> 0)
                   ORDER BY d.setrole <> 0 DESC, d.setdatabase <> 0 DESC LIMIT 1) END AS under_session
        FROM pg_settings
    """)
    for r in rows:
        # ALTER DATABASE / ALTER ROLE values: name where they were set, for the fix to change
        # them there (ALTER SYSTEM would not override them); the most specific wins, as in PostgreSQL
        r["set_on"] = {"database": {"database": r["db"]}, "user": {"role": r["role"]},
                       "database user": {"database": r["db"], "role": r["role"]}
                       }.get(r["under_session"] or r["source"])
        if r["source"] == "session":
            # set by the advisor's own session (timeouts, read-only, track_counts): judge the value
            # the server gives every other session, not the advisor's
            r["setting"] = r["reset_val"]
            r["source"] = "default" if r["reset_val"] == r["boot_val"] else "configuration"
    return {r["name"]: {"setting": r["setting"], "unit": r["unit"], "vartype": r["vartype"],
                        "value": _normalize(r), "source": r["source"], "boot_val": r["boot_val"],
                        "pending_restart": r["pending_restart"], "context": r["context"],
                        **({"set_on": r["set_on"]} if r["set_on"] else {})}
            for r in rows}


@provides("postgres", "pg.extensions")
def extensions(s, facts) -> dict[str, Any]:
    """Installed extensions in this database, and those available to install."""
    installed = {r["extname"]: r["extversion"] for r in
                 s.query("SELECT extname, extversion FROM pg_extension")}
    available = {r["name"]: r["default_version"] for r in
                 s.query("SELECT name, default_version FROM pg_available_extensions")}
    return {"installed": installed, "available": available}
