"""Global privileges and TLS requirements per account (never the credential columns).

mysql.user holds one Y/N column per static global privilege on MySQL and MariaDB (on MariaDB
10.4+ it is a view over mysql.global_priv that still exposes them); MySQL 8's dynamic
privileges (SYSTEM_VARIABLES_ADMIN, ...) are rows of mysql.global_grants.
"""

from __future__ import annotations

from typing import Any

from advisor.errors import FactUnavailable
from advisor.facts import provides

USER_GRANT = "GRANT SELECT ON mysql.user TO <advisor user>"


@provides("mysql", "mysql.account_privileges")
def account_privileges(s, facts) -> dict[str, Any]:
    """Each account's global privileges (static Y columns, and MySQL 8 dynamic grants) and its
    REQUIRE SSL/X509 setting (ssl_type)."""
    cols = [r["c"] for r in s.query(
        "SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'mysql' "
        "AND TABLE_NAME = 'user' AND COLUMN_NAME LIKE '%\\_priv' ORDER BY ORDINAL_POSITION")]
    if not cols:
        raise FactUnavailable("mysql.user is not readable", USER_GRANT)
    picked = ", ".join(f"`{c}`" for c in cols)
    rows = s.query(f"SELECT User AS user, Host AS host, ssl_type, {picked} FROM mysql.user", enable=USER_GRANT)
    out = []
    for r in rows:
        privs = sorted(c.removesuffix("_priv").upper() for c in cols if r.get(c.lower()) == "Y")
        out.append({"user": r["user"], "host": r["host"], "ssl_type": (r["ssl_type"] or "").upper(),
                    "global": privs, "dynamic": [],
                    # ALL PRIVILEGES does not include GRANT OPTION
                    "all_static": set(privs) >= {c.removesuffix("_priv").upper() for c in cols} - {"GRANT"}})
    server = facts.get("mysql.server")
    if server["vendor"] == "mysql" and tuple(server["version_tuple"]) >= (8, 0, 0):
        try:
            grants = s.query("SELECT USER AS user, HOST AS host, PRIV AS priv FROM mysql.global_grants")
        except FactUnavailable:
            grants = []
        for a in out:
            a["dynamic"] = sorted(g["priv"] for g in grants if g["user"] == a["user"] and g["host"] == a["host"])
    return {"accounts": out, "static_privileges": len(cols)}
