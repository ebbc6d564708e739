"""Security: no password on the default user, protected-mode off while listening on all interfaces."""

from advisor.errors import FactUnavailable
from advisor.model import Severity
from advisor.registry import check

from ._common import MANAGED, cli, config_fix, persist_acl

REF = "Redis security docs (ACL, protected mode); RedisInsight (user with nopass)"
ALL_INTERFACES = {"*", "0.0.0.0", "::", "-::*", "*-", "::*"}


def _open_bind(cfg: dict) -> bool:
    addrs = {a.lstrip("-") for a in cfg.get("bind", "").split()}
    return not addrs or bool(addrs & {a.lstrip("-") for a in ALL_INTERFACES})


def _nopass_users(ctx) -> tuple[list[str], str]:
    """Enabled users that accept any password, from ACL (preferred) or requirepass."""
    acl = ctx.optional("redis.acl")
    if acl is not None:
        users = acl["users"]
        return sorted(u for u, v in users.items() if "on" in v["flags"] and "nopass" in v["flags"]), "ACL GETUSER"
    cfg = ctx.fact("redis.config")
    return (["default"] if cfg.get("requirepass", "") == "" else []), "CONFIG requirepass"


def password_fix(ctx, user: str) -> str:
    """A password for a nopass user, with the order that keeps replicas, Sentinel and clients connected.
    Users with nopass accept any password, so everything can send it before the server demands it."""
    c = cli(ctx)
    if user != "default":
        return "\n".join([
            f"# clients logging in as {user} must send {{{{password}}}} first (nopass accepts any password, "
            "so they can be changed before this)",
            f"{c} ACL SETUSER {user} resetpass '>{{{{password}}}}'    # a long random string without quotes",
            persist_acl(ctx, c), MANAGED])
    auth = f"REDISCLI_AUTH='{{{{password}}}}' {c}"
    return "\n".join([
        "# A password breaks every client, replica (masterauth) and Sentinel that does not send it yet. In order:",
        "# 1. each replica of this server: CONFIG SET masteruser default; CONFIG SET masterauth {{password}};",
        "#    CONFIG REWRITE (a passwordless master accepts AUTH default with any password: safe now)",
        "# 2. each Sentinel monitoring it: SENTINEL SET {{sentinel_master_name}} auth-user default, then",
        "#    SENTINEL SET {{sentinel_master_name}} auth-pass {{password}}",
        "# 3. every client: log in as user default with {{password}} (accepted before and after the change)",
        "# 4. then this server (and every replica, which may become the master):",
        f"{c} ACL SETUSER default on '>{{{{password}}}}'    # a long random string without quotes",
        persist_acl(ctx, auth).replace("# persist", "# persist (the server now wants the password)"),
        "# (requirepass {{password}} in redis.conf or the Helm values does the same without ACL lines)",
        MANAGED])


@check(id="redis.security.no_auth", title="Users without a password (nopass)", category="security",
       severity=Severity.CRITICAL, facts=["redis.acl", "redis.config"], reference=REF)
def no_auth(ctx):
    """A user with nopass (the default user, unless requirepass or ACLs are set) lets anyone who
    reaches the port run any command it allows: read all data, FLUSHALL, or write files with
    CONFIG SET dir (a known path to remote code execution). Fix: set a password on the default
    user (or disable it) and give applications their own ACL users."""
    users, source = _nopass_users(ctx)
    for u in users:
        yield ctx.finding(
            object=f"user {u}",
            severity=None if u == "default" else Severity.WARNING,
            summary=f"ACL user {u!r} is enabled with nopass: no authentication is required"
                    if u != "default" else "the default user needs no password: anyone reaching the port has full access",
            evidence={"user": u, "flags": ["on", "nopass"], "source": source},
            recommendation="Give the user a strong password (or turn it off) and use per-application ACL users.",
            fix=password_fix(ctx, u),
        )


@check(id="redis.security.protected_mode", title="protected-mode off on all interfaces", category="security",
       severity=Severity.WARNING, facts=["redis.config", "redis.acl"], reference=REF)
def protected_mode(ctx):
    """protected-mode makes a password-less Redis answer only loopback clients. Turned off while
    bound to all interfaces (bind * or 0.0.0.0, or no bind), the server is reachable from the
    network, and without a password it is open to anyone. Fix: bind to the private interface,
    set a password, and keep protected-mode yes."""
    cfg = ctx.fact("redis.config")
    if cfg.get("protected-mode") != "no" or not _open_bind(cfg):
        return
    try:
        users, _ = _nopass_users(ctx)
    except FactUnavailable:
        users = []
    yield ctx.finding(
        object="protected-mode",
        severity=Severity.CRITICAL if "default" in users else None,
        summary="protected-mode is off and Redis listens on all interfaces"
                + (" without a password" if "default" in users else ""),
        evidence={"protected-mode": "no", "bind": cfg.get("bind", ""), "nopass_users": users},
        recommendation="Bind to the private address only (bind 10.0.0.5 127.0.0.1), require a password, "
                       "and keep protected-mode yes.",
        fix=config_fix(ctx, {"protected-mode": "yes"},
                       caveat="while the default user has no password, remote clients are refused from now on: "
                              "set the password first (redis.security.no_auth)"),
    )
