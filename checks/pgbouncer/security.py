"""TLS: remote clients and remote PostgreSQL servers reached without encryption."""

from advisor.model import Severity
from advisor.registry import check

from ._common import DOCS, ini_fix, setting

_OFF = ("", "disable", "allow")  # allow: TLS only if the other side insists


@check(id="pgbouncer.security.client_tls_off", title="Remote clients connect without TLS", category="security",
       severity=Severity.WARNING, reference=DOCS + " client_tls_sslmode",
       facts=["pgbouncer.config", "pgbouncer.clients"])
def client_tls_off(ctx):
    """client_tls_sslmode = disable (the default) while clients connect from other hosts: their
    passwords (with md5, a replayable hash; SCRAM resists) and every query and row cross the
    network in clear text. Fix: a certificate and client_tls_sslmode = require, with clients using
    sslmode=require (or verify-full)."""
    mode = str(setting(ctx, "client_tls_sslmode", "disable") or "")
    c = ctx.fact("pgbouncer.clients")
    if mode not in _OFF or not c.get("remote_without_tls"):
        return
    yield ctx.finding(
        object="client_tls_sslmode",
        summary=f"{c['remote_without_tls']} clients from other hosts connect without TLS "
                f"(client_tls_sslmode = {mode or 'disable'})",
        evidence={"client_tls_sslmode": mode, "remote_clients": c.get("remote"),
                  "remote_without_tls": c["remote_without_tls"], "clients_read": len(c.get("rows", []))},
        recommendation="Give PgBouncer a certificate and require TLS from clients; then connect with "
                       "sslmode=require (verify-full with the CA to also check the host).",
        fix=ini_fix(["client_tls_sslmode = require", "client_tls_key_file = {{key_file}}",
                     "client_tls_cert_file = {{cert_file}}"],
                    note="clients that cannot do TLS are refused afterwards: enable it on the clients first "
                         "with sslmode=prefer"))


@check(id="pgbouncer.security.server_tls_off", title="PgBouncer reaches a remote PostgreSQL without TLS",
       category="security", severity=Severity.WARNING, reference=DOCS + " server_tls_sslmode",
       facts=["pgbouncer.config", "pgbouncer.databases", "pgbouncer.servers"])
def server_tls_off(ctx):
    """A [databases] entry points at another host while server_tls_sslmode never insists on TLS
    (disable, the default up to 1.23, or allow), or server connections to other hosts run without
    TLS (prefer with a PostgreSQL that has ssl = off): the server passwords and all traffic between
    PgBouncer and PostgreSQL cross the network in clear text. Fix: ssl = on in PostgreSQL and
    server_tls_sslmode = verify-full with the CA of its certificate."""
    mode = str(setting(ctx, "server_tls_sslmode", "disable") or "")
    remote = sorted({str(d.get("host")) for d in ctx.fact("pgbouncer.databases") if d.get("host_is_remote")})
    clear = (ctx.optional("pgbouncer.servers") or {}).get("remote_without_tls", 0)
    if not remote or (mode not in _OFF and not clear):
        return
    yield ctx.finding(
        object="server_tls_sslmode",
        summary=f"server_tls_sslmode = {mode or 'disable'} with PostgreSQL on other hosts ({', '.join(remote[:5])})"
                + (f"; {clear} server connections without TLS" if clear else ""),
        evidence={"server_tls_sslmode": mode, "remote_hosts": remote[:20], "remote_servers_without_tls": clear},
        recommendation="Turn ssl = on in PostgreSQL (it needs a certificate) and make PgBouncer require and "
                       "verify it.",
        fix=ini_fix(["server_tls_sslmode = verify-full", "server_tls_ca_file = {{ca_file}}"],
                    note="new server connections use it; existing ones keep their link until closed"))
