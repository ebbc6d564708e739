"""How a dynamic server setting is changed now and kept across restarts, by version (no checks)."""

from __future__ import annotations

from ._common import mariadb, version


def set_global(ctx, assignment: str, note: str = "dynamic") -> str:
    """`SET PERSIST x = v` on MySQL 8 (survives restarts), else `SET GLOBAL x = v` and the my.cnf
    line that keeps it; `note` says what the change does to running sessions."""
    if not mariadb(ctx) and version(ctx) >= (8, 0, 0):
        return f"SET PERSIST {assignment};  -- {note}; SET PERSIST survives restarts"
    return f"SET GLOBAL {assignment};  -- {note}; persist: the same setting under [mysqld] in my.cnf"
