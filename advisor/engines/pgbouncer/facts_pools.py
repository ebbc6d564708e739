"""SHOW POOLS, DATABASES, STATS, LISTS: pools, their queues and the traffic through them.

Columns differ between versions (1.17 has cl_cancel_req; 1.18 splits it and adds sv_active_cancel,
sv_being_canceled; 1.23 adds total_server_assignment_count to STATS; newer ones add
load_balance_hosts, server_lifetime, ...): rows are kept by column name and checks read the
columns they need with defaults, so a missing column is never an error.
"""

from __future__ import annotations

from typing import Any

from advisor.facts import provides
from advisor.window import Counters

ADMIN_DB = "pgbouncer"


def _waited_s(row: dict[str, Any], s: str = "maxwait", us: str = "maxwait_us") -> float:
    return float(row.get(s) or 0) + float(row.get(us) or 0) / 1e6


@provides("pgbouncer", "pgbouncer.pools")
def pools(s, facts) -> list[dict[str, Any]]:
    """SHOW POOLS without the console's own pool; maxwait_s = maxwait + maxwait_us."""
    rows, _ = s.show("POOLS")
    return [{**r, "maxwait_s": round(_waited_s(r), 6)} for r in rows if r.get("database") != ADMIN_DB]


@provides("pgbouncer", "pgbouncer.databases")
def databases(s, facts) -> list[dict[str, Any]]:
    """SHOW DATABASES without the console; reserve_pool (older name) is also given as
    reserve_pool_size, and host_is_remote says whether the host is neither a Unix socket nor loopback."""
    from .facts_server import is_local
    rows, _ = s.show("DATABASES")
    out = []
    for r in rows:
        if r.get("name") == ADMIN_DB:
            continue
        if "reserve_pool_size" not in r and "reserve_pool" in r:
            r = {**r, "reserve_pool_size": r["reserve_pool"]}
        out.append({**r, "host_is_remote": not is_local(r.get("host"))})
    return out


_STATS_TOTALS = ("total_xact_count", "total_query_count", "total_received", "total_sent", "total_xact_time",
                 "total_query_time", "total_wait_time", "total_server_assignment_count",
                 "total_client_parse_count", "total_server_parse_count", "total_bind_count")


@provides("pgbouncer", "pgbouncer.stats", counters=[Counters(_STATS_TOTALS, key=("database",))])
def stats(s, facts) -> list[dict[str, Any]]:
    """SHOW STATS per database (totals since start; avg_* over the last stats_period), without the
    console's own row."""
    rows, _ = s.show("STATS")
    return [r for r in rows if r.get("database") != ADMIN_DB]


@provides("pgbouncer", "pgbouncer.lists")
def lists(s, facts) -> dict[str, int]:
    """SHOW LISTS as {list: items} (used_clients, used_servers, pools, ...)."""
    rows, _ = s.show("LISTS")
    return {str(r.get("list")): r.get("items") for r in rows}
