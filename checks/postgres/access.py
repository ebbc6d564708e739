"""Access and security: pg_hba rules, password hashing, TLS, strong roles, the public schema,
and the advisor's own role (CIS PostgreSQL Benchmark; PostgreSQL docs, Client Authentication)."""

from __future__ import annotations

import ipaddress
from typing import Any

from advisor.model import Severity
from advisor.registry import check

HBA_DOCS = "PostgreSQL docs, 21.1 The pg_hba.conf File and 21.5 Password Authentication; CIS PostgreSQL Benchmark"
TCP = ("host", "hostssl", "hostnossl", "hostgssenc", "hostnogssenc")
RELOAD = "# then reload (no restart): SELECT pg_reload_conf();"


def is_local_address(r: dict[str, Any]) -> bool:
    """The rule only matches connections from this machine (loopback or samehost)."""
    addr, mask = r.get("address"), r.get("netmask")
    if addr in ("samehost", "localhost"):
        return True
    try:
        ip = ipaddress.ip_address(addr)
        full = mask is None or ipaddress.ip_address(mask).packed == b"\xff" * len(ip.packed)
        return ip.is_loopback and full
    except ValueError:
        return False


def hba_line(r: dict[str, Any], method: str) -> str:
    """The rule as a pg_hba.conf line, with another method (options kept)."""
    addr = r.get("address") or ""
    if r.get("netmask"):
        try:
            prefix = bin(int(ipaddress.ip_address(r["netmask"]))).count("1")  # IPv6 masks too
            addr = f"{addr}/{prefix}"
        except ValueError:
            addr = f"{addr} {r['netmask']}"
    fields = [r["type"], ",".join(r.get("database") or []), ",".join(r.get("user_name") or [])]
    if r["type"] != "local":
        fields.append(addr)
    fields.append(method)
    fields += list(r.get("options") or [])
    return "    ".join(fields)


def where(r: dict[str, Any]) -> str:
    return f"{r.get('file_name') or 'pg_hba.conf'} line {r['line_number']}"


@check(
    id="pg.access.hba",
    title="pg_hba.conf rules: trust over TCP, cleartext or MD5 passwords, broken lines",
    category="security",
    severity=Severity.WARNING,
    facts=["pg.hba_rules"],
    reference=HBA_DOCS,
)
def hba(ctx):
    """pg_hba.conf decides who may connect and how they prove it. `trust` lets anyone
    who reaches the address log in as any role, the superuser included, without a
    password: over TCP that is every process on the host (loopback) or on the network.
    `password` sends the password in clear text; `md5` is a weak hash and a replayable
    challenge where SCRAM-SHA-256 (PostgreSQL 10+) is available (PostgreSQL 18
    deprecates MD5 passwords). A line the server cannot parse (error column) is
    dropped at the next reload.

    Fix: the printed line with scram-sha-256, after the roles that connect through it
    have SCRAM passwords, then `SELECT pg_reload_conf();` (no restart). The rules
    read are the file on disk: a change not yet reloaded shows here first."""
    found = []
    for r in ctx.fact("pg.hba_rules"):
        if r.get("error"):
            found.append(ctx.finding(
                object=where(r), severity=Severity.WARNING,
                summary=f"{where(r)}: the server cannot load this rule: {r['error']}",
                evidence={"rule": r, "fix_kind": "manual"},
                recommendation="Correct the line; until then the next reload skips it (and may "
                               "refuse the whole file).",
                fix=None))
            continue
        method, tcp = r.get("auth_method"), r.get("type") in TCP
        local_only = r.get("type") == "local" or is_local_address(r)
        if method == "trust" and tcp:
            sev = Severity.WARNING if local_only else Severity.CRITICAL
            what = ("trust over TCP from this machine: any local process logs in as any role, "
                    "the superuser included, without a password" if local_only else
                    f"trust over TCP from {r.get('address')}: anyone who reaches the port logs in "
                    "as any role without a password")
        elif method == "password":
            sev = Severity.WARNING if local_only else Severity.CRITICAL
            what = "method password sends passwords in clear text"
        elif method == "md5":
            sev, what = Severity.WARNING, "method md5 where SCRAM-SHA-256 is available"
        else:
            continue
        found.append(ctx.finding(
            object=where(r), severity=sev, summary=f"{where(r)}: {what}",
            evidence={"line_number": r["line_number"], "type": r["type"], "database": r.get("database"),
                      "user_name": r.get("user_name"), "address": r.get("address"),
                      "netmask": r.get("netmask"), "auth_method": method,
                      "local_only": local_only, "fix_kind": "config"},
            recommendation="Use scram-sha-256 on this rule once the roles it admits have SCRAM "
                           "passwords (password_encryption = scram-sha-256, then set each password "
                           "again), and reload.",
            fix=f"# {where(r)}, instead of the current line:\n{hba_line(r, 'scram-sha-256')}\n"
                "# first: every role connecting through it has a SCRAM password "
                "(ALTER ROLE name PASSWORD '{{password}}' with password_encryption = scram-sha-256)\n"
                + RELOAD))
    yield from found


@check(
    id="pg.access.password_encryption",
    title="Passwords hashed with MD5",
    category="security",
    severity=Severity.WARNING,
    facts=["pg.settings", "pg.roles"],
    reference="PostgreSQL docs, 20.3 password_encryption and 21.5 Password Authentication; CIS PostgreSQL Benchmark",
)
def password_encryption(ctx):
    """password_encryption decides how a new password is stored. With md5 the stored
    hash is enough to log in (to any server with the same role name) and is cheap to
    brute-force; scram-sha-256 (the default since PostgreSQL 14) is salted and
    iterated. Changing the setting only affects passwords set afterwards: roles
    whose stored password is still an MD5 hash (listed when the advisor's role can
    read pg_authid) need their password set again.

    Fix: `ALTER SYSTEM SET password_encryption = 'scram-sha-256'; SELECT
    pg_reload_conf();` then set each listed role's password again (`\\password name`
    in psql); md5 rules in pg_hba.conf accept SCRAM passwords too."""
    enc = ctx.fact("pg.settings")["password_encryption"]["value"]
    md5_roles = ctx.fact("pg.roles")["md5_password_roles"]
    if enc != "md5" and not md5_roles:
        return
    fix = [] if enc != "md5" else ["ALTER SYSTEM SET password_encryption = 'scram-sha-256';",
                                    "SELECT pg_reload_conf();  -- reload, no restart"]
    fix += ["-- set each MD5-hashed role's password again (psql: \\password name):",
            "ALTER ROLE {{role}} PASSWORD '{{password}}';"]
    who = f"; {len(md5_roles)} role(s) still have an MD5 hash" if md5_roles else ""
    yield ctx.finding(
        object="password_encryption", severity=Severity.WARNING,
        summary=f"password_encryption = {enc}{who}",
        evidence={"password_encryption": enc, "md5_password_roles": md5_roles,
                  "md5_roles_known": md5_roles is not None},
        recommendation="Store new passwords as SCRAM-SHA-256 and set the MD5-hashed ones again.",
        fix="\n".join(fix))


@check(
    id="pg.access.ssl",
    title="TLS off while remote connections are allowed",
    category="security",
    severity=Severity.WARNING,
    facts=["pg.settings", "pg.hba_rules"],
    reference="PostgreSQL docs, 19.9 Secure TCP/IP Connections with SSL; CIS PostgreSQL Benchmark",
)
def ssl(ctx):
    """With ssl = off every remote session (passwords, queries, results) crosses the
    network in clear text, and `host` rules cannot be narrowed to `hostssl`. Rules that
    only admit this machine (loopback, samehost) do not count.

    Fix: install a certificate and key, `ssl = on` (a reload is enough since
    PostgreSQL 10), then turn the remote `host` rules into `hostssl` so clients cannot
    skip TLS."""
    if ctx.fact("pg.settings")["ssl"]["value"]:
        return
    remote = [r for r in ctx.fact("pg.hba_rules")
              if r.get("type") in ("host", "hostnossl") and not r.get("error") and not is_local_address(r)
              and r.get("auth_method") != "reject"]
    if not remote:
        return
    yield ctx.finding(
        object="ssl", severity=Severity.WARNING,
        summary=f"ssl = off while {len(remote)} pg_hba rule(s) admit remote TCP clients "
                f"({', '.join(where(r) for r in remote[:5])})",
        evidence={"ssl": False, "remote_rules": [{"line_number": r["line_number"], "type": r["type"],
                                                  "address": r.get("address"), "auth_method": r.get("auth_method")}
                                                 for r in remote[:20]], "fix_kind": "config"},
        recommendation="Turn TLS on with a real certificate and require it (hostssl) for remote rules.",
        fix="# postgresql.conf (files readable by the postgres OS user only)\nssl = on\n"
            "ssl_cert_file = '{{server_cert_file}}'\nssl_key_file = '{{server_key_file}}'\n"
            "# pg_hba.conf: the remote rules as hostssl instead of host\n"
            "# then reload (no restart since PostgreSQL 10): SELECT pg_reload_conf();")


@check(
    id="pg.access.privileged_roles",
    title="Login roles with SUPERUSER, REPLICATION or BYPASSRLS",
    category="security",
    severity=Severity.WARNING,
    facts=["pg.roles"],
    reference="PostgreSQL docs, 22.2 Role Attributes; CIS PostgreSQL Benchmark (least privilege)",
)
def privileged_roles(ctx):
    """A SUPERUSER bypasses every permission check and can run programs as the server's
    OS user (COPY ... PROGRAM); REPLICATION can stream every row of the cluster;
    BYPASSRLS ignores row-level security. The bootstrap superuser (the one initdb
    created) is expected; every other login role with these attributes is one more
    password that gives away everything. Application roles need none of them.

    Fix (after checking what the role does): `ALTER ROLE name NOSUPERUSER;` (or
    NOREPLICATION / NOBYPASSRLS), granting instead the predefined roles it needs
    (pg_monitor, pg_read_all_data, pg_signal_backend, ...)."""
    for r in ctx.fact("pg.roles")["privileged"]:
        if r["bootstrap"]:
            continue
        attrs = [a for a, on in (("SUPERUSER", r["superuser"]), ("REPLICATION", r["replication"]),
                                 ("BYPASSRLS", r["bypassrls"])) if on]
        name = '"' + r["name"].replace('"', '""') + '"'
        yield ctx.finding(
            object=f"role {r['name']}",
            severity=Severity.WARNING if r["superuser"] else Severity.INFO,
            summary=f"login role {r['name']} has {', '.join(attrs)}",
            evidence={"role": r["name"], "attributes": attrs, "valid_until": r.get("valid_until"),
                      "fix_kind": "manual"},
            recommendation="Keep these attributes for the roles that need them (a standby's "
                           "replication user, a DBA's personal role); give application roles the "
                           "predefined roles they need instead.",
            fix="-- only once nothing relies on the attribute:\n"
                + "\n".join(f"ALTER ROLE {name} NO{a};" for a in attrs))


@check(
    id="pg.access.public_schema",
    title="Every role may create objects in the public schema",
    category="security",
    severity=Severity.WARNING,
    facts=["pg.public_schema"],
    reference="PostgreSQL docs, 5.9.6 Usage Patterns (schemas); CVE-2018-1058; CIS PostgreSQL Benchmark",
)
def public_schema(ctx):
    """Before PostgreSQL 15 every role may CREATE in the schema public. Any role can
    then plant a function or operator there with the name of one another role's query
    calls, and since public is on everybody's search_path the other role runs it with
    its own privileges (CVE-2018-1058). PostgreSQL 15 no longer grants it; a database
    created from an old template or upgraded keeps the old ACL.

    Fix: `REVOKE CREATE ON SCHEMA public FROM PUBLIC;` in this database (and in
    template1, so new databases inherit it); roles that create objects there get an
    explicit `GRANT CREATE ON SCHEMA public TO role;`."""
    p = ctx.fact("pg.public_schema")
    if not p["exists"] or not p["public_create"]:
        return
    yield ctx.finding(
        object=f"database {p['database']}", severity=Severity.WARNING,
        summary=f"database {p['database']}: PUBLIC has CREATE on schema public",
        evidence={k: p[k] for k in ("database", "owner", "public_create", "public_usage")},
        recommendation="Revoke CREATE on schema public from PUBLIC here and in template1; grant it "
                       "to the roles that own the application's objects.",
        fix="REVOKE CREATE ON SCHEMA public FROM PUBLIC;\n"
            "-- the same in template1 and every other database; then, for the schema's owners:\n"
            "-- GRANT CREATE ON SCHEMA public TO {{app_owner_role}};")


ADVISOR_ROLE = ("CREATE ROLE advisor LOGIN PASSWORD '{{password}}' IN ROLE pg_monitor;\n"
                "GRANT SELECT ON pg_hba_file_rules TO advisor;\n"
                "GRANT EXECUTE ON FUNCTION pg_hba_file_rules() TO advisor;\n"
                "-- PostgreSQL 14+, for the index advisor's pg_stats and EXPLAIN: "
                "GRANT pg_read_all_data TO advisor;")


@check(
    id="pg.access.advisor_role",
    title="The advisor is connected as a superuser",
    category="security",
    severity=Severity.INFO,
    facts=["pg.server"],
    reference="PostgreSQL docs, 22.5 Predefined Roles (pg_monitor); README, Permissions (least privilege)",
)
def advisor_role(ctx):
    """The advisor only reads: a superuser login for it is a credential that could do
    anything, stored wherever the advisor runs (CI, a laptop). pg_monitor gives it
    every statistic it needs; SELECT on pg_hba_file_rules lets it judge the
    authentication rules.

    Fix: create the least-privilege role below and connect with it."""
    s = ctx.fact("pg.server")
    if not s["superuser"]:
        return
    yield ctx.finding(
        object=f"role {s['user']}",
        summary=f"the advisor is connected as {s['user']}, a superuser; it needs pg_monitor only",
        evidence={"user": s["user"], "superuser": True},
        recommendation="Connect the advisor with a role that has pg_monitor (and SELECT on "
                       "pg_hba_file_rules), not a superuser.",
        fix=ADVISOR_ROLE)
