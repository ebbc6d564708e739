"""Accounts: who can log in from where, and with which kind of credential.

Only booleans leave this module: password hashes never reach a report or snapshot.
MariaDB 10.4+ keeps accounts as JSON in mysql.global_priv (mysql.user is a view);
MySQL keeps them in mysql.user with account_locked.
"""

from __future__ import annotations

import json
from typing import Any

from advisor.facts import provides

# plugins whose credential is a password: an empty authentication string means no password
PASSWORD_PLUGINS = {"", "mysql_native_password", "mysql_old_password", "caching_sha2_password",
                    "sha256_password", "ed25519", "parsec"}


def _passwordless(methods: list[dict[str, Any]]) -> bool:
    return any((m.get("plugin") or "") in PASSWORD_PLUGINS and not m.get("authentication_string")
               for m in methods)


@provides("mysql", "mysql.accounts")
def accounts(s, facts) -> dict[str, Any]:
    """Each account: user, host, plugins, passwordless (a password plugin with an empty
    credential), locked, is_role."""
    server = facts.get("mysql.server")
    out = []
    if server["vendor"] == "mariadb" and tuple(server["version_tuple"]) >= (10, 4, 0):
        rows = s.query("SELECT User AS user, Host AS host, Priv AS priv FROM mysql.global_priv",
                       enable="GRANT SELECT ON mysql.global_priv TO <advisor user>")
        for r in rows:
            priv = json.loads(r["priv"] or "{}")
            top = {"plugin": priv.get("plugin", ""), "authentication_string": priv.get("authentication_string", "")}
            methods = [m or top for m in priv.get("auth_or", [])] or [top]
            out.append({"user": r["user"], "host": r["host"],
                        "plugins": sorted({m.get("plugin") or "" for m in methods}),
                        "passwordless": _passwordless(methods),
                        "locked": bool(priv.get("account_locked")),
                        "is_role": bool(priv.get("is_role")) or r["host"] == ""})
    else:
        ver = tuple(server["version_tuple"])
        mysql57 = server["vendor"] == "mysql" and ver >= (5, 7, 6)
        locked = "account_locked = 'Y'" if mysql57 else "FALSE"
        # MariaDB < 10.4 (and MySQL < 5.7) keep native hashes in the Password column
        empty = "authentication_string = ''" if mysql57 else \
            "(COALESCE(authentication_string, '') = '' AND Password = '')"
        rows = s.query(f"""
            SELECT User AS user, Host AS host, plugin, {empty} AS empty,
                   {locked} AS locked
            FROM mysql.user""", enable="GRANT SELECT ON mysql.user TO <advisor user>")
        for r in rows:
            out.append({"user": r["user"], "host": r["host"], "plugins": [r["plugin"] or ""],
                        "passwordless": _passwordless([{"plugin": r["plugin"],
                                                        "authentication_string": "" if r["empty"] else "x"}]),
                        "locked": bool(r["locked"]), "is_role": False})
    return {"rows": out}
