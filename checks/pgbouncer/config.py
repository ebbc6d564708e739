"""Settings that undo pooling (server_lifetime = 0) or keep idle servers forever (server_idle_timeout = 0)."""

from advisor.model import Severity
from advisor.registry import check

from ._common import DOCS, ini_fix, setting


def _zero(ctx, name: str):
    """The setting's text when it is 0 (the value that switches the feature off), else None."""
    raw = setting(ctx, name)
    try:
        return raw if float(raw) == 0 else None
    except (TypeError, ValueError):
        return None


@check(id="pgbouncer.config.server_lifetime_zero", title="server_lifetime = 0: a new server connection for "
       "every use", category="connections", severity=Severity.WARNING, reference=DOCS + " server_lifetime",
       facts=["pgbouncer.config"])
def server_lifetime_zero(ctx):
    """server_lifetime = 0 means a server connection is used once and closed (PgBouncer docs; on
    1.18 here, four transactions of one client ran in four PostgreSQL backends): every transaction
    pays PostgreSQL's connection start-up (a fork, authentication, catalog caches), which is what
    the pooler is there to avoid. It is often set by mistake, meaning "no limit". Fix: the default
    3600 s, which still recycles connections hourly."""
    raw = _zero(ctx, "server_lifetime")
    if raw is None:
        return
    yield ctx.finding(
        object="server_lifetime",
        summary="server_lifetime = 0: each server connection is used once, every transaction opens a new "
                "PostgreSQL connection",
        evidence={"server_lifetime": raw, "server_idle_timeout": setting(ctx, "server_idle_timeout")},
        recommendation="Give server connections a lifetime (the default is 3600 s); use server_idle_timeout "
                       "to close idle ones sooner.",
        fix=ini_fix(["server_lifetime = 3600"]))


@check(id="pgbouncer.config.server_idle_timeout_zero", title="server_idle_timeout = 0: idle server connections "
       "are never closed", category="connections", severity=Severity.INFO, reference=DOCS + " server_idle_timeout",
       facts=["pgbouncer.config"])
def server_idle_timeout_zero(ctx):
    """server_idle_timeout = 0 disables closing idle server connections: after a burst, every
    (database, user) pool keeps all the servers it opened, each a PostgreSQL backend with its
    memory, until server_lifetime retires it. With many pools that keeps PostgreSQL near
    max_connections for nothing. Fix: the default 600 s."""
    raw = _zero(ctx, "server_idle_timeout")
    if raw is None:
        return
    yield ctx.finding(
        object="server_idle_timeout",
        summary="server_idle_timeout = 0: idle server connections stay open after a burst",
        evidence={"server_idle_timeout": raw, "server_lifetime": setting(ctx, "server_lifetime")},
        recommendation="Close idle server connections after a while (the default is 600 s) so PostgreSQL "
                       "backends are released once a burst is over.",
        fix=ini_fix(["server_idle_timeout = 600"]))
