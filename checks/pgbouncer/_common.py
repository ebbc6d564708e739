"""Helpers shared by the PgBouncer checks: settings, per-pool limits, and the fix's form."""

from __future__ import annotations

from typing import Any

from advisor.errors import FactUnavailable
from advisor.versions import parse

DOCS = "PgBouncer docs (pgbouncer.org/usage.html, /config.html)"
GUIDE = "guide: Database Performance > PostgreSQL > 2. Connection Pooling"
# The guide's PgBouncer values (its Kubernetes deployment of pgbouncer/pgbouncer:1.21.0).
GUIDE_VALUES = {"pool_mode": "transaction", "max_client_conn": 10000, "default_pool_size": 25,
                "min_pool_size": 10, "reserve_pool_size": 10, "max_db_connections": 100}

APPLY = ("# apply: RELOAD on the admin console (psql -p 6432 -U <admin user> pgbouncer -c RELOAD) or "
         "kill -HUP <pgbouncer pid>; the advisor never sends it.\n"
         "# several PgBouncer processes (so_reuseport, replicas behind a Service): change every one; in "
         "Kubernetes put it in the ConfigMap/env of the deployment and roll the pods")


def settings(ctx) -> dict[str, Any]:
    return ctx.fact("pgbouncer.config")["settings"]


def setting(ctx, name: str, default: Any = None) -> Any:
    return settings(ctx).get(name, default)


def setting_int(ctx, name: str, default: int = 0) -> int:
    try:
        return int(float(setting(ctx, name, default)))
    except (TypeError, ValueError):
        return default


def version(ctx) -> tuple[int, ...] | None:
    v = ctx.optional("pgbouncer.version", {}).get("version")
    try:
        return parse(v) if v else None
    except ValueError:
        return None


def database_row(ctx, name: str) -> dict[str, Any]:
    """The SHOW DATABASES row of a pool's database ({} when it is not listed)."""
    for r in ctx.optional("pgbouncer.databases", []) or []:
        if r.get("name") == name:
            return r
    return {}


def pool_size(ctx, pool: dict[str, Any]) -> int:
    """The pool's size: its database's pool_size (which already holds default_pool_size unless the
    [databases] line overrides it), else default_pool_size."""
    db = database_row(ctx, pool.get("database"))
    size = db.get("pool_size")
    return int(size) if isinstance(size, (int, float)) and size >= 0 else setting_int(ctx, "default_pool_size", 20)


def pool_size_fix(ctx, pool: dict[str, Any], new: int) -> str:
    """The line that gives the pool `new` servers: default_pool_size, or the database's own line in
    [databases] when that line sets pool_size (raising the default would not reach it then)."""
    db = database_row(ctx, pool.get("database"))
    own = db.get("pool_size")
    if db and own is not None and int(own) != setting_int(ctx, "default_pool_size", 20):
        parts = [f"host={db['host']}" if db.get("host") else None,
                 f"port={db['port']}" if db.get("port") else None,
                 f"dbname={db['database']}" if db.get("database") else None,
                 f"user={db['force_user']}" if db.get("force_user") else None,
                 f"pool_size={new}"]
        return ini_fix([f"{db['name']} = {' '.join(p for p in parts if p)}"], section="databases",
                       note=f"this database's line sets pool_size={own}: change it there and keep the line's "
                            "other options (password=, auth_user=, pool_mode=, ...)")
    return ini_fix([f"default_pool_size = {new}"],
                   note=f"or for this database only: pool_size={new} on its line in [databases]")


def servers(pool: dict[str, Any]) -> int:
    return sum(int(pool.get(k) or 0) for k in ("sv_active", "sv_idle", "sv_used", "sv_tested", "sv_login"))


def clients(pool: dict[str, Any]) -> int:
    return int(pool.get("cl_active") or 0) + int(pool.get("cl_waiting") or 0)


def pool_name(pool: dict[str, Any]) -> str:
    return f"{pool.get('database')}/{pool.get('user')}"


def ini_fix(lines: list[str], section: str = "pgbouncer", note: str | None = None) -> str:
    """pgbouncer.ini lines under their section, then how the change is applied."""
    out = [f"# {ln}" for ln in (note or "").splitlines() if ln.strip()]
    out += [f"[{section}]", *lines, APPLY]
    return "\n".join(out)


def need(value: Any, what: str) -> Any:
    if value is None:
        raise FactUnavailable(f"{what} is not shown by this PgBouncer")
    return value
