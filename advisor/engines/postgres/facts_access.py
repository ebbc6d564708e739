"""Access and security: pg_hba rules, roles with strong attributes, the public schema's ACL."""

from __future__ import annotations

from typing import Any

from advisor.errors import FactUnavailable
from advisor.facts import provides

HBA_GRANT = ("GRANT SELECT ON pg_hba_file_rules TO <advisor user>; "
             "GRANT EXECUTE ON FUNCTION pg_hba_file_rules() TO <advisor user>;")


@provides("postgres", "pg.hba_rules")
def hba_rules(s, facts) -> list[dict[str, Any]]:
    """pg_hba.conf as the server parses it now (pg_hba_file_rules: the file on disk, which
    a reload would load). Superusers only unless granted (HBA_GRANT). PostgreSQL 16 adds
    rule_number and file_name (include files)."""
    extra = ("rule_number, file_name" if s.version_num >= 160000
             else "NULL::int AS rule_number, NULL::text AS file_name")
    try:
        return s.query(f"""
            SELECT line_number, type, database, user_name, address, netmask, auth_method, options,
                   error, {extra}
            FROM pg_hba_file_rules ORDER BY line_number
        """)
    except FactUnavailable as e:
        if e.reason.startswith("permission denied"):
            raise FactUnavailable(e.reason, HBA_GRANT) from None
        raise


@provides("postgres", "pg.roles")
def roles(s, facts) -> dict[str, Any]:
    """Login roles with SUPERUSER, REPLICATION or BYPASSRLS (pg_roles: readable by all), the
    bootstrap superuser (oid 10), and the roles whose stored password is an MD5 hash
    (pg_authid: superusers only; None when not readable)."""
    rows = s.query("""
        SELECT rolname AS name, oid = 10 AS bootstrap, rolsuper AS superuser,
               rolreplication AS replication, rolbypassrls AS bypassrls, rolvaliduntil AS valid_until
        FROM pg_roles
        WHERE rolcanlogin AND (rolsuper OR rolreplication OR rolbypassrls)
        ORDER BY rolname LIMIT 1000
    """)
    md5 = None
    if facts.get("pg.server")["superuser"]:
        md5 = [r["rolname"] for r in s.query(
            "SELECT rolname FROM pg_authid WHERE rolpassword LIKE 'md5%%' ORDER BY rolname LIMIT 1000")]
    return {"privileged": rows, "md5_password_roles": md5}


@provides("postgres", "pg.public_schema")
def public_schema(s, facts) -> dict[str, Any]:
    """Privileges of PUBLIC (every role) on the schema `public` of this database. PostgreSQL
    before 15 grants CREATE there to PUBLIC by default (CVE-2018-1058)."""
    rows = s.query("""
        SELECT n.nspname AS schema, pg_get_userbyid(n.nspowner) AS owner,
               coalesce(bool_or(a.privilege_type = 'CREATE') FILTER (WHERE a.grantee = 0), false)
                   AS public_create,
               coalesce(bool_or(a.privilege_type = 'USAGE') FILTER (WHERE a.grantee = 0), false)
                   AS public_usage
        FROM pg_namespace n
        LEFT JOIN LATERAL aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a ON true
        WHERE n.nspname = 'public'
        GROUP BY n.nspname, n.nspowner
    """)
    return {"exists": bool(rows), **(rows[0] if rows else {}), "database": facts.get("pg.server")["database"]}
