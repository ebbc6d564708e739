"""Security: access control off, listening on every interface."""

from advisor.model import Severity
from advisor.registry import check

REF = "MongoDB Security Checklist (Enable Access Control; Limit Network Exposure)"
ALL = {"0.0.0.0", "::", "*", "::,0.0.0.0", "0.0.0.0,::"}


# Internal authentication (keyFile, or x509 member certificates) enforces client access control too
# (MongoDB docs: "Enforce Keyfile Access Control" / "Use x.509 Certificate for Membership Authentication").
X509_MODES = {"x509", "sendX509"}
TLS_ON = {"allowTLS", "preferTLS", "requireTLS", "allowSSL", "preferSSL", "requireSSL"}


def _internal_auth(o: dict) -> str | None:
    """What turns access control on besides security.authorization, or None."""
    if o.get("keyFile"):
        return "keyFile"
    if o.get("clusterAuthMode") in X509_MODES and o.get("tls_mode") in TLS_ON:
        return f"clusterAuthMode {o['clusterAuthMode']}"
    return None


def _auth_enabled(o: dict) -> bool:
    # transitionToAuth accepts unauthenticated clients whatever else is set
    return bool(o.get("authorization") == "enabled" or _internal_auth(o)) and not o.get("transitionToAuth")


def _binds_all(o: dict) -> bool:
    ips = {x.strip() for x in str(o.get("bindIp") or "").split(",") if x.strip()}
    return bool(o.get("bindIpAll")) or bool(ips & {"0.0.0.0", "::", "*"})


@check(
    id="mongo.security.authorization", title="Access control disabled", category="security",
    severity=Severity.CRITICAL, facts=["mongo.cmdline"], reference=REF,
)
def authorization(ctx):
    """Without security.authorization (or internal authentication, a keyFile or x509
    clusterAuthMode with TLS, which implies it) anyone who
    can reach the port can read, change or drop every database; internet-facing
    instances without auth are found and ransomed within hours.
    Fix: create an admin user, then enable authorization and restart."""
    o = ctx.fact("mongo.cmdline")
    if _auth_enabled(o):
        return
    exposed = _binds_all(o)
    yield ctx.finding(
        object="security.authorization",
        summary="access control is disabled" + (" and mongod listens on every interface" if exposed else ""),
        evidence={"authorization": o.get("authorization"), "keyFile": o.get("keyFile"),
                  "clusterAuthMode": o.get("clusterAuthMode"), "tls_mode": o.get("tls_mode"),
                  "fix_kind": "config", "transitionToAuth": o.get("transitionToAuth"), "bindIp": o.get("bindIp"),
                  "bindIpAll": o.get("bindIpAll")},
        recommendation="Create an administrator (db.createUser in admin with root or "
                       "userAdminAnyDatabase), then turn on authorization and restart; give "
                       "applications least-privilege users.",
        fix="# 1. first, as a client on localhost: create an administrator (mongosh: db.getSiblingDB(\"admin\")"
            ".createUser({user: \"{{admin_user}}\", pwd: passwordPrompt(), roles: [\"root\"]}))\n"
            "# 2. give every application a user and its credentials, or they fail at the restart\n"
            "# 3. mongod.conf on every member (replica-set members also need a keyFile or x509), then a\n"
            "#    rolling restart (secondaries first, then rs.stepDown() and the old primary):\n"
            "security:\n  authorization: enabled")


@check(
    id="mongo.security.bind_all", title="Listening on all network interfaces", category="security",
    severity=Severity.WARNING, facts=["mongo.cmdline"], reference=REF,
)
def bind_all(ctx):
    """net.bindIpAll or bindIp 0.0.0.0/:: exposes mongod on every interface,
    including public ones; since 3.6 the default is localhost only. Fix: bind to
    localhost and the private address the applications use, and firewall the port.
    Critical when access control is also off."""
    o = ctx.fact("mongo.cmdline")
    if not _binds_all(o):
        return
    yield ctx.finding(
        object="net.bindIp",
        severity=Severity.WARNING if _auth_enabled(o) else Severity.CRITICAL,
        summary="mongod listens on all interfaces" +
                ("" if _auth_enabled(o) else " with access control disabled"),
        evidence={"bindIp": o.get("bindIp"), "bindIpAll": o.get("bindIpAll"),
                  "authorization": o.get("authorization"), "tls_mode": o.get("tls_mode"), "fix_kind": "config"},
        recommendation="Bind only to localhost and the private interface the applications use; "
                       "allow the port only from application hosts; require TLS.",
        fix="# mongod.conf on every member, then a rolling restart (secondaries first); clients must use that address\n"
            "net:\n  bindIp: 127.0.0.1,{{private_ip}}")
