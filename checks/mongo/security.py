"""Security: access control off, listening on every interface."""

from advisor.model import Severity
from advisor.registry import check

REF = "MongoDB Security Checklist (Enable Access Control; Limit Network Exposure)"
ALL = {"0.0.0.0", "::", "*", "::,0.0.0.0", "0.0.0.0,::"}


def _auth_enabled(o: dict) -> bool:
    # keyFile / x509 cluster auth imply access control; transitionToAuth accepts unauthenticated clients
    return (o.get("authorization") == "enabled" or o.get("keyFile")) and not o.get("transitionToAuth")


def _binds_all(o: dict) -> bool:
    ips = {x.strip() for x in str(o.get("bindIp") or "").split(",") if x.strip()}
    return bool(o.get("bindIpAll")) or bool(ips & {"0.0.0.0", "::", "*"})


@check(
    id="mongo.security.authorization", title="Access control disabled", category="security",
    severity=Severity.CRITICAL, facts=["mongo.cmdline"], reference=REF,
)
def authorization(ctx):
    """Without security.authorization (or a keyFile, which implies it) anyone who
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
                  "transitionToAuth": o.get("transitionToAuth"), "bindIp": o.get("bindIp"),
                  "bindIpAll": o.get("bindIpAll")},
        recommendation="Create an administrator (db.createUser in admin with root or "
                       "userAdminAnyDatabase), then turn on authorization and restart; give "
                       "applications least-privilege users.",
        fix="# mongod.conf\nsecurity:\n  authorization: enabled")


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
                  "authorization": o.get("authorization"), "tls_mode": o.get("tls_mode")},
        recommendation="Bind only to localhost and the private interface the applications use; "
                       "allow the port only from application hosts; require TLS.",
        fix="# mongod.conf\nnet:\n  bindIp: 127.0.0.1,<private ip>")
