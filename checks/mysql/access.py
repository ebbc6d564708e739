"""Access and network exposure beyond account hygiene (mysql.security.* covers anonymous
accounts, empty passwords and remote root): wildcard hosts for other accounts, TLS not
required, global admin privileges, deprecated authentication plugins, LOAD DATA LOCAL, DNS
at login."""

from __future__ import annotations

from advisor.model import Severity
from advisor.registry import Threshold, check

from ._common import mariadb, on, set_global, version

CIS = "CIS Oracle MySQL Enterprise Edition 8.0 Benchmark (sections 4-7: local_infile, skip_name_resolve, require_secure_transport, wildcard hosts, SUPER)"
PMM = "Percona PMM advisors (anonymous user, '%' host)"
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
# accounts the server or a managed service creates for itself
SYSTEM_ACCOUNTS = {"mysql.sys", "mysql.session", "mysql.infoschema", "mariadb.sys", "debian-sys-maint",
                   "rdsadmin", "azure_superuser", "cloudsqladmin", "cloudsqlsuperuser"}
ADMIN_PRIVS = {"SUPER", "GRANT", "CREATE_USER", "FILE", "SHUTDOWN"}


def _account(a) -> str:
    return f"'{a['user']}'@'{a['host']}'"


def _wildcard(host: str) -> bool:
    return "%" in host or "_" in host or host in ("", "::")


def _remote(host: str) -> bool:
    return host not in LOCAL_HOSTS


def _active_privileges(ctx):
    """Accounts that can log in (not locked, not roles, not the server's own)."""
    live = {(a["user"], a["host"]) for a in ctx.fact("mysql.accounts")["rows"] if not a["locked"] and not a["is_role"]}
    return [a for a in ctx.fact("mysql.account_privileges")["accounts"]
            if (a["user"], a["host"]) in live and a["user"] not in SYSTEM_ACCOUNTS]


def _admin(a) -> list[str]:
    """The account's administrator-level global privileges (ALL, SUPER, GRANT OPTION, ...)."""
    if a["all_static"]:
        return ["ALL PRIVILEGES"]
    dyn = [p for p in a["dynamic"] if p in ("SYSTEM_VARIABLES_ADMIN", "CONNECTION_ADMIN", "BINLOG_ADMIN")]
    return sorted(set(a["global"]) & ADMIN_PRIVS) + dyn


@check(
    id="mysql.access.wildcard_host",
    title="Accounts that log in from any host ('%')",
    category="security",
    severity=Severity.WARNING,
    facts=["mysql.accounts", "mysql.account_privileges"],
    reference=f"{PMM}; MySQLTuner ('%' hosts); {CIS}",
)
def wildcard_host(ctx):
    """An account whose host is '%' (or a pattern such as '10.%') accepts its password from any
    address that reaches the port: a leaked or guessed password works from everywhere, and the
    host part no longer documents who the client is. Restrict each application account to its
    application servers' addresses or subnet. root from a wildcard host is
    mysql.security.root_remote and the anonymous account mysql.security.anonymous (not repeated
    here); an account without a password gets mysql.security.no_password first (set the
    password, then narrow the host: two fixes renaming and altering one account in one run
    would collide). Accounts with administrator privileges are reported as critical."""
    # a passwordless account is mysql.security.no_password's first (set a password, then narrow
    # the host): two fixes on one account in one run would collide
    passwordless = {(a["user"], a["host"]) for a in ctx.fact("mysql.accounts")["rows"] if a.get("passwordless")}
    for a in _active_privileges(ctx):
        if a["user"] in ("", "root") or not _wildcard(a["host"]) or (a["user"], a["host"]) in passwordless:
            continue
        admin = _admin(a)
        yield ctx.finding(
            object=_account(a),
            severity=Severity.CRITICAL if admin and a["host"] in ("%", "") else None,
            summary=f"account {_account(a)} can log in from {'any host' if a['host'] in ('%', '') else a['host']!r}"
                    + (f" with {', '.join(admin)}" if admin else ""),
            evidence={"user": a["user"], "host": a["host"], "admin_privileges": admin, "ssl_type": a["ssl_type"]},
            recommendation="Limit the account to the hosts or subnet its clients connect from.",
            fix=f"RENAME USER {_account(a)} TO '{a['user']}'@'{{{{client_hosts}}}}';  -- no restart; "
                "grants move with the account; sessions already open stay until they reconnect",
        )


@check(
    id="mysql.access.secure_transport",
    title="Unencrypted connections allowed while remote accounts exist",
    category="security",
    severity=Severity.WARNING,
    facts=["mysql.variables", "mysql.accounts", "mysql.account_privileges", "mysql.server"],
    reference=f"{CIS}; MySQL docs: require_secure_transport; MariaDB docs: Securing Connections",
)
def secure_transport(ctx):
    """With require_secure_transport = OFF (the default) a client may connect without TLS, so
    passwords exchanged by plugins that rely on the channel (sha256/caching_sha2 full
    authentication, clear-text plugins) and every query and result cross the network in clear.
    Reported when accounts reachable from other hosts exist and neither the server nor those
    accounts (REQUIRE SSL / X509) insist on TLS. The server must have a certificate first
    (have_ssl = YES; MySQL 8 and MariaDB 11.4 generate one). require_secure_transport is
    dynamic; clients that cannot do TLS are refused from then on."""
    v = ctx.fact("mysql.variables")
    if on(v.get("require_secure_transport", "OFF")):
        return
    remote = [a for a in _active_privileges(ctx) if _remote(a["host"]) and not a["ssl_type"]]
    if not remote:
        return
    tls = str(v.get("have_ssl", v.get("have_openssl", ""))).upper() == "YES"
    persist = set_global(ctx, "require_secure_transport = ON", "dynamic (MariaDB 10.5.2+); non-TLS clients "
                         "are refused from now on")
    yield ctx.finding(
        object="require_secure_transport",
        summary=f"require_secure_transport is OFF and {len(remote)} remote account(s) may connect without TLS"
                + ("" if tls else "; the server has no TLS certificate (have_ssl is not YES)"),
        evidence={"require_secure_transport": v.get("require_secure_transport"), "have_ssl": v.get("have_ssl"),
                  "remote_accounts": [_account(a) for a in remote][:50], "fix_kind": "sql" if tls else "config"},
        recommendation="Require TLS for every remote connection (server-wide, or per account with REQUIRE SSL); "
                       "check first that every client connects with TLS.",
        fix=persist if tls else
            "[mysqld]\nssl_cert = {{cert_pem}}\nssl_key = {{key_pem}}\nrequire_secure_transport = ON\n"
            "# restart the server (TLS files are read at startup)",
    )


@check(
    id="mysql.access.global_admin",
    title="Accounts with global administrator privileges (SUPER, ALL, GRANT)",
    category="security",
    severity=Severity.WARNING,
    facts=["mysql.accounts", "mysql.account_privileges"],
    reference=f"{CIS}; MySQL docs 8.2.2 (Privileges Provided by MySQL: SUPER deprecated)",
    thresholds={"admins": Threshold(["root", "mysql"], "user names",
                                    "the usual administrator accounts (root; MariaDB's 'mysql'@'localhost' for the "
                                    "OS user); list yours under [thresholds]")},
)
def global_admin(ctx):
    """ALL PRIVILEGES ON *.*, SUPER (kill any session, change any variable, write on a read-only
    server, bypass init_connect), GRANT OPTION, CREATE USER, FILE (read and write server files)
    or SHUTDOWN at global level belong to the administrator's accounts only (threshold
    `admins`, default root and MariaDB's mysql). An application account holding them turns an
    SQL injection into full control of the server. Grant the application what it uses on its
    own schema; use MySQL 8's dynamic privileges (CONNECTION_ADMIN, ...) for the rare extra."""
    admins = set(ctx.threshold("admins"))
    for a in _active_privileges(ctx):
        if a["user"] in admins:
            continue
        admin = _admin(a)
        if not admin:
            continue
        yield ctx.finding(
            object=_account(a),
            severity=Severity.CRITICAL if "ALL PRIVILEGES" in admin and _remote(a["host"]) else None,
            summary=f"account {_account(a)} holds {', '.join(admin)} on *.*",
            evidence={"user": a["user"], "host": a["host"], "admin_privileges": admin,
                      "global_privileges": a["global"], "dynamic_privileges": a["dynamic"], "fix_kind": "manual"},
            recommendation="Revoke the global privileges and grant what the account needs on its schema.",
            fix=f"REVOKE ALL PRIVILEGES, GRANT OPTION FROM {_account(a)};\n"
                f"GRANT {{{{privileges}}}} ON {{{{schema}}}}.* TO {_account(a)};  -- immediate for new statements; "
                "no restart",
        )


@check(
    id="mysql.access.auth_plugin",
    title="Accounts on deprecated or weak authentication plugins",
    category="security",
    severity=Severity.WARNING,
    facts=["mysql.accounts", "mysql.server"],
    reference="MySQL 8.4 docs 8.4.1 (mysql_native_password deprecated 8.0.34, disabled by default 8.4, "
              "removed 9.0; sha256_password deprecated 8.0.16); MariaDB docs: Authentication Plugins "
              "(mysql_old_password)",
)
def auth_plugin(ctx):
    """mysql_old_password (the pre-4.1 hash) is broken: the hash can be reversed, and it is
    reported on every version. On MySQL, mysql_native_password (SHA1 based) is deprecated since
    8.0.34, disabled by default in 8.4 (the server must start with
    mysql_native_password = ON for these accounts to log in) and removed in 9.0: move accounts to
    caching_sha2_password before upgrading; sha256_password is deprecated since 8.0.16. On
    MariaDB mysql_native_password is still the default and is not reported; ed25519 or parsec
    (11.6+) are stronger choices."""
    for a in ctx.fact("mysql.accounts")["rows"]:
        if a["locked"] or a["is_role"] or a["user"] in SYSTEM_ACCOUNTS:
            continue
        plugins = set(a["plugins"])
        if "mysql_old_password" in plugins:
            sev, why = Severity.CRITICAL, "mysql_old_password (pre-4.1 hash, reversible)"
        elif not mariadb(ctx) and "mysql_native_password" in plugins and version(ctx) >= (8, 0, 34):
            sev = None
            why = ("mysql_native_password (deprecated; disabled by default in MySQL 8.4, removed in 9.0)")
        elif not mariadb(ctx) and "sha256_password" in plugins and version(ctx) >= (8, 0, 16):
            sev, why = Severity.INFO, "sha256_password (deprecated since MySQL 8.0.16)"
        else:
            continue
        acct = f"'{a['user']}'@'{a['host']}'"
        yield ctx.finding(
            object=acct,
            severity=sev,
            summary=f"account {acct} authenticates with {why}",
            evidence={"user": a["user"], "host": a["host"], "plugins": a["plugins"]},
            recommendation="Re-create the credential with a current plugin; check the client libraries support it.",
            fix=(f"ALTER USER {acct} IDENTIFIED VIA ed25519 USING PASSWORD('{{{{password}}}}');"
                 "  -- once before: INSTALL SONAME 'auth_ed25519';"
                 if mariadb(ctx) else
                 f"ALTER USER {acct} IDENTIFIED WITH caching_sha2_password BY '{{{{password}}}}';")
                + "  -- no restart; the account's next login uses it (clients need the plugin)",
        )


@check(
    id="mysql.access.local_infile",
    title="LOAD DATA LOCAL INFILE enabled",
    category="security",
    severity=Severity.WARNING,
    facts=["mysql.variables", "mysql.server"],
    reference=f"{CIS}; MySQL docs 8.1.6 (Security Considerations for LOAD DATA LOCAL)",
)
def local_infile(ctx):
    """local_infile = ON lets a client ask to send one of its files with LOAD DATA LOCAL, and a
    malicious or compromised server can make a client that allows it send any file it can read;
    together with SQL injection it reads files from the application host. Off by default since
    MySQL 8.0; still ON by default on MariaDB. Dynamic; turn it off unless bulk loads need it."""
    v = ctx.fact("mysql.variables")
    if not on(v.get("local_infile", "OFF")):
        return
    yield ctx.finding(
        object="local_infile",
        summary="local_infile is ON: clients may stream local files with LOAD DATA LOCAL INFILE",
        evidence={"local_infile": v.get("local_infile")},
        recommendation="Turn it off unless an application uses LOAD DATA LOCAL (that load then fails with error 3948/4166).",
        fix=set_global(ctx, "local_infile = OFF"),
    )


@check(
    id="mysql.access.name_resolve",
    title="Host names resolved by DNS at every login (skip_name_resolve off)",
    category="security",
    severity=Severity.INFO,
    facts=["mysql.variables", "mysql.accounts"],
    reference=f"{CIS}; MySQLTuner (skip-name-resolve); MySQL docs 7.1.12.3 (DNS Lookups and the Host Cache)",
)
def name_resolve(ctx):
    """With skip_name_resolve = OFF the server looks up every client's address in DNS: a slow
    or failing DNS server delays or blocks logins, and accounts granted by host name trust
    whoever controls the reverse DNS record. Turn it on (not dynamic: my.cnf and a restart)
    once every account's host is an IP address, a subnet pattern or localhost: accounts defined
    by host name (listed in the finding) no longer match afterwards and must be renamed first."""
    v = ctx.fact("mysql.variables")
    if on(v.get("skip_name_resolve", "OFF")):
        return
    named = sorted({f"'{a['user']}'@'{a['host']}'" for a in ctx.fact("mysql.accounts")["rows"]
                    if a["host"] not in LOCAL_HOSTS and any(ch.isalpha() for ch in a["host"])
                    and ":" not in a["host"]})
    yield ctx.finding(
        object="skip_name_resolve",
        summary="skip_name_resolve is OFF: every login waits for a DNS lookup"
                + (f"; {len(named)} account(s) are defined by host name" if named else ""),
        evidence={"skip_name_resolve": v.get("skip_name_resolve"), "host_name_accounts": named[:50],
                  "fix_kind": "config"},
        recommendation="Define accounts by IP address or subnet, then turn skip_name_resolve on.",
        fix=("# first: RENAME USER each host-name account to its IP address / subnet\n" if named else "")
            + "[mysqld]\nskip_name_resolve = ON\n# restart the server (not dynamic)",
    )
