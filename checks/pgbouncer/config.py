"""Settings that undo pooling: server_lifetime = 0."""

from advisor.model import Severity
from advisor.registry import check

from ._common import DOCS, ini_fix, setting


@check(id="pgbouncer.config.server_lifetime_zero", title="server_lifetime = 0: a new server connection for "
       "every use", category="connections", severity=Severity.WARNING, reference=DOCS + " server_lifetime",
       facts=["pgbouncer.config"])
def server_lifetime_zero(ctx):
    """server_lifetime = 0 means a server connection is used once and closed (PgBouncer docs; on
    1.18 here, four transactions of one client ran in four PostgreSQL backends): every transaction
    pays PostgreSQL's connection start-up (a fork, authentication, catalog caches), which is what
    the pooler is there to avoid. It is often set by mistake, meaning "no limit". Fix: the default
    3600 s, which still recycles connections hourly."""
    raw = setting(ctx, "server_lifetime")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return
    if value != 0:
        return
    yield ctx.finding(
        object="server_lifetime",
        summary="server_lifetime = 0: each server connection is used once, every transaction opens a new "
                "PostgreSQL connection",
        evidence={"server_lifetime": raw, "server_idle_timeout": setting(ctx, "server_idle_timeout")},
        recommendation="Give server connections a lifetime (the default is 3600 s); use server_idle_timeout "
                       "to close idle ones sooner.",
        fix=ini_fix(["server_lifetime = 3600"]))
