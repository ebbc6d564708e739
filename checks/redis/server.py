"""The server itself: version."""

from advisor.model import Severity
from advisor.registry import Threshold, check

from ._common import RI, info


@check(id="redis.server.version", title="Old Redis version", category="configuration", severity=Severity.INFO,
       facts=["redis.info"], reference=RI + " (version < 7); Redis release notes",
       thresholds={"min_major": Threshold(7, "major version", RI)})
def old_version(ctx):
    """Redis before 7 lacks listpack encodings, ACL selectors, Functions and many memory and
    latency fixes (6.x reached end of life). Valkey reports its own version and is judged on it."""
    server = info(ctx, "server")
    version = str(server.get("valkey_version") or server.get("redis_version") or "")
    if not version or "valkey_version" in server:
        return
    major = int(version.split(".")[0])
    if major >= ctx.threshold("min_major"):
        return
    yield ctx.finding(
        object="redis_version", summary=f"Redis {version} is older than {ctx.threshold('min_major')}.0",
        evidence={"redis_version": version, "min_major": ctx.threshold("min_major")},
        recommendation="Plan an upgrade to a supported Redis 7.x (or Valkey).",
    )
