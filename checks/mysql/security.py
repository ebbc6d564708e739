"""Account hygiene: anonymous accounts, accounts without a password, root from anywhere."""

from advisor.model import Severity
from advisor.registry import check

REF = "MySQLTuner security checks; Percona PMM advisors (anonymous user, '%' host); mysql_secure_installation"


def _account(a):
    return f"'{a['user']}'@'{a['host']}'"


def _active(ctx):
    return [a for a in ctx.fact("mysql.accounts")["rows"] if not a["locked"] and not a["is_role"]]


@check(
    id="mysql.security.anonymous",
    title="Anonymous accounts",
    category="security",
    severity=Severity.CRITICAL,
    facts=["mysql.accounts"],
    reference=REF,
)
def anonymous(ctx):
    """An account with an empty user name matches any user name from its host: anyone can
    log in, and because it is more specific on host it can even shadow a real account
    ('bob'@'%' logging in from localhost gets ''@'localhost' and its privileges). Drop it
    (mysql_secure_installation does)."""
    for a in _active(ctx):
        if a["user"] == "":
            yield ctx.finding(
                object=_account(a),
                summary=f"anonymous account {_account(a)} lets any user name log in",
                evidence={"user": "", "host": a["host"], "plugins": a["plugins"], "passwordless": a["passwordless"]},
                recommendation="Drop the anonymous account.",
                fix=f"DROP USER {_account(a)};  -- replicated to replicas like any account change",
            )


@check(
    id="mysql.security.no_password",
    title="Accounts that log in without a password",
    category="security",
    severity=Severity.CRITICAL,
    facts=["mysql.accounts"],
    reference=REF,
)
def no_password(ctx):
    """An unlocked account using a password plugin (mysql_native_password,
    caching_sha2_password, ed25519...) with an empty credential logs in with no password
    from every host it matches. Accounts authenticated by unix_socket / auth_socket (the OS
    user) are not reported. Set a password, switch it to socket authentication, or lock
    it."""
    for a in _active(ctx):
        if a["passwordless"] and a["user"] != "":
            local = a["host"] in ("localhost", "127.0.0.1", "::1")
            yield ctx.finding(
                object=_account(a),
                severity=Severity.WARNING if local else None,
                summary=f"account {_account(a)} has no password"
                        + (" (local connections only)" if local else ""),
                evidence={"user": a["user"], "host": a["host"], "plugins": a["plugins"]},
                recommendation="Set a strong password (or use socket authentication for local admin "
                               "accounts), or lock the account.",
                fix=f"ALTER USER {_account(a)} IDENTIFIED BY '{{{{password}}}}';\n"
                    f"-- give the new password to the clients that use this account first: they fail to log "
                    f"in from now on\n-- or: ALTER USER {_account(a)} ACCOUNT LOCK;",
            )


@check(
    id="mysql.security.root_remote",
    title="root reachable from any host",
    category="security",
    severity=Severity.WARNING,
    facts=["mysql.accounts"],
    reference=REF,
)
def root_remote(ctx):
    """root with a wildcard host ('%', or a pattern like '10.%') can be tried from the
    network, and it holds every privilege: brute-force target number one. Keep root local
    (localhost / socket) and give remote administration a named account with only the
    privileges it needs."""
    for a in _active(ctx):
        if a["user"] == "root" and ("%" in a["host"] or "_" in a["host"] or a["host"] in ("", "::")):
            yield ctx.finding(
                object=_account(a),
                severity=Severity.CRITICAL if a["passwordless"] else None,
                summary=f"root can log in from {a['host']!r}" + (" without a password" if a["passwordless"] else ""),
                evidence={"user": "root", "host": a["host"], "passwordless": a["passwordless"]},
                recommendation="Drop remote root; create a named admin account limited to the hosts and "
                               "privileges it needs.",
                fix=f"DROP USER {_account(a)};\n-- first create a named admin account for the hosts that "
                    f"need one, and check that root@localhost (or socket access) remains",
            )
