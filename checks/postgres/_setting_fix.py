"""The text of a fix that changes a server setting: ALTER SYSTEM, then the reload or restart
the setting's context needs (from pg_settings), and where the change persists.

Every line is SQL or an SQL comment, so the fix runs as printed in psql or a driver. The
restart line always reads `-- then restart PostgreSQL ...` (the advise-apply tests look for it).
"""

from __future__ import annotations

from typing import Any

# pg_settings.context values whose changes a reload applies (backend ones: to new sessions)
_RELOAD = {"sighup", "superuser", "user"}
_NEW_SESSIONS = {"backend", "superuser-backend"}


def literal(value: str) -> str:
    """An SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    """An SQL identifier, always quoted."""
    return '"' + name.replace('"', '""') + '"'


def needs_restart(settings: dict[str, Any], name: str) -> bool:
    return (settings.get(name) or {}).get("context") == "postmaster"


def apply_line(settings: dict[str, Any], name: str, context: str | None = None) -> str:
    """How the new value takes effect: pg_reload_conf() or a restart. Unknown context
    (a setting of a library not loaded yet, recorded facts without it): `context` decides."""
    ctx = (settings.get(name) or {}).get("context") or context
    if ctx == "postmaster":
        return f"-- then restart PostgreSQL: {name} is read only at server start"
    if ctx in _NEW_SESSIONS:
        return f"SELECT pg_reload_conf();  -- {name} applies to sessions opened after this"
    return "SELECT pg_reload_conf();"


def persistence_note(name: str, value: str) -> str:
    """Where ALTER SYSTEM's change lives, and the persistent place on Kubernetes."""
    return (f"-- ALTER SYSTEM writes postgresql.auto.conf on this node only (standbys keep their own); "
            f"on Kubernetes it lives in the pod's volume: set it in the Helm values.yaml too "
            f"(postgresql.{name}: {value})")


def set_on(settings: dict[str, Any], name: str) -> dict[str, str] | None:
    """{"database": ..., "role": ...} when the value seen comes from ALTER DATABASE / ALTER ROLE."""
    return (settings.get(name) or {}).get("set_on")


def _where(place: dict[str, str] | None) -> str:
    """"server-wide", "in database app", "for role x (the advisor's role) in database app"."""
    if not place:
        return "server-wide"
    return " ".join(([f"for role {place['role']} (the advisor's role)"] if "role" in place else []) +
                    ([f"in database {place['database']}"] if "database" in place else []))


def scope(settings: dict[str, Any], name: str) -> str:
    """Where the value seen applies (see _where)."""
    return _where(set_on(settings, name))


def _alter_scoped(place: dict[str, str], name: str, value_sql: str) -> list[str]:
    """ALTER DATABASE / ROLE ... SET: a value set there overrides ALTER SYSTEM's, so it is
    changed where it was set. Stored in the catalog: restarts, standbys and pod restarts keep it."""
    if "role" in place:
        target = f"ROLE {quote_ident(place['role'])}" + (
            f" IN DATABASE {quote_ident(place['database'])}" if "database" in place else "")
    else:
        target = f"DATABASE {quote_ident(place['database'])}"
    return [f"ALTER {target} SET {name} = {value_sql};",
            f"-- applies to sessions opened after this ({_where(place)}); "
            f"kept in the catalog, so restarts and standbys keep it; existing sessions keep the old value"]


def alter_system(settings: dict[str, Any], name: str, value_sql: str, helm_value: str | None = None,
                 context: str | None = None) -> str:
    """ALTER SYSTEM SET name = value; the reload/restart; the persistence note. A value set
    with ALTER DATABASE / ALTER ROLE is changed there instead (ALTER SYSTEM would not win)."""
    place = set_on(settings, name)
    if place:
        return "\n".join(_alter_scoped(place, name, value_sql))
    helm = helm_value if helm_value is not None else value_sql.strip("'")
    return "\n".join([f"ALTER SYSTEM SET {name} = {value_sql};", apply_line(settings, name, context),
                      persistence_note(name, helm)])
