"""SHOW VERSION, CONFIG, CLIENTS, SERVERS: the process's version, settings and connections."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from advisor.facts import provides

_CONN_FIELDS = ("user", "database", "state", "addr", "port", "connect_time", "request_time", "wait",
                "wait_us", "tls", "application_name", "prepared_statements", "replication")


@provides("pgbouncer", "pgbouncer.version")
def version(s, facts) -> dict[str, Any]:
    """SHOW VERSION ('PgBouncer 1.18.0'); the login's server_version ('1.18.0/bouncer') if the
    console has no such command."""
    rows, _ = s.show("VERSION")
    text = str(next(iter(rows[0].values()))) if rows and rows[0] else s.server_version_text
    m = re.search(r"(\d+\.\d+(?:\.\d+)?)", text or "")
    return {"version": m.group(1) if m else None, "text": text}


@provides("pgbouncer", "pgbouncer.config")
def config(s, facts) -> dict[str, dict[str, Any]]:
    """SHOW CONFIG as {"settings": {key: value}, "defaults": {key: default}} (values as text, the
    way pgbouncer.ini holds them; `default` exists from 1.17 on)."""
    rows, _ = s.show("CONFIG")
    settings = {str(r["key"]): r.get("value") for r in rows if "key" in r}
    defaults = {str(r["key"]): r["default"] for r in rows if "key" in r and "default" in r}
    return {"settings": settings, "defaults": defaults}


def is_local(addr: Any) -> bool:
    """A connection over the Unix socket or the loopback interface."""
    text = str(addr or "")
    if text in ("", "unix") or text.startswith("/"):
        return True
    try:
        return ipaddress.ip_address(text.strip("[]")).is_loopback
    except ValueError:
        return text == "localhost"


def _connections(s, what: str, limit: int) -> dict[str, Any]:
    rows, total = s.show(what, limit=limit)
    kept = [{k: r[k] for k in _CONN_FIELDS if k in r} for r in rows]
    by_state: dict[str, int] = {}
    for r in kept:
        by_state[str(r.get("state"))] = by_state.get(str(r.get("state")), 0) + 1
    return {"rows": kept, "total": total, "truncated": total > len(kept), "by_state": by_state,
            "remote": sum(1 for r in kept if not is_local(r.get("addr"))),
            "remote_without_tls": sum(1 for r in kept if not is_local(r.get("addr")) and not r.get("tls"))}


@provides("pgbouncer", "pgbouncer.clients")
def clients(s, facts) -> dict[str, Any]:
    """SHOW CLIENTS (at most client_limit rows kept) and counts: by state, remote, remote without TLS."""
    return _connections(s, "CLIENTS", int(facts.options.get("client_limit", 10_000)))


@provides("pgbouncer", "pgbouncer.servers")
def servers(s, facts) -> dict[str, Any]:
    """SHOW SERVERS (at most server_limit rows kept) and the same counts."""
    return _connections(s, "SERVERS", int(facts.options.get("server_limit", 10_000)))
