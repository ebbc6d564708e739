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


def ident(name: str) -> str:
    """An SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def set_on(settings: dict[str, Any], name: str) -> dict[str, str] | None:
    """{"database": ..., "role": ...} when the value seen comes from ALTER DATABASE / ALTER ROLE."""
    return (settings.get(name) or {}).get("set_on")


def scope(settings: dict[str, Any], name: str) -> str:
    """Where the value seen applies: "server-wide", "in database app", "for role x", ..."""
    where = set_on(settings, name)
    if not where:
        return "server-wide"
    parts = ([f"for role {where['role']} (the advisor's role)"] if "role" in where else []) + \
            ([f"in database {where['database']}"] if "database" in where else [])
    return " ".join(parts)


def _alter_scoped(where: dict[str, str], name: str, value_sql: str) -> list[str]:
    """ALTER DATABASE / ROLE ... SET: a value set there overrides ALTER SYSTEM's, so it is
    changed where it was set. Stored in the catalog: restarts, standbys and pod restarts keep it."""
    if "role" in where:
        target = f"ROLE {ident(where['role'])}" + (f" IN DATABASE {ident(where['database'])}"
                                                   if "database" in where else "")
    else:
        target = f"DATABASE {ident(where['database'])}"
    return [f"ALTER {target} SET {name} = {value_sql};",
            f"-- applies to sessions opened after this ({scope({name: {'set_on': where}}, name)}); "
            f"kept in the catalog, so restarts and standbys keep it; existing sessions keep the old value"]


def alter_system(settings: dict[str, Any], name: str, value_sql: str, helm_value: str | None = None,
                 context: str | None = None) -> str:
    """ALTER SYSTEM SET name = value; the reload/restart; the persistence note. A value set
    with ALTER DATABASE / ALTER ROLE is changed there instead (ALTER SYSTEM would not win)."""
    where = set_on(settings, name)
    if where:
        return "\n".join(_alter_scoped(where, name, value_sql))
    helm = helm_value if helm_value is not None else value_sql.strip("'")
    return "\n".join([f"ALTER SYSTEM SET {name} = {value_sql};", apply_line(settings, name, context),
                      persistence_note(name, helm)])
