"""PgBouncer checks on recorded SHOW replies of 1.17, 1.18 (captured), 1.21 and 1.23 (column sets of
those releases, see recorded.py): every provider reads every version, the checks judge them the
same way, and each check's planted variant is found while its quiet twin is not."""

from __future__ import annotations

import pytest

from recorded import VERSIONS, RecordedSession, facts
from support import judge, require_checks

ALL = "pgbouncer.*"


@pytest.mark.parametrize("version", VERSIONS)
def test_every_version_is_read_and_judged_alike(version):
    f = facts(version)
    assert f["pgbouncer.version"]["version"] == version
    busy = next(p for p in f["pgbouncer.pools"] if p["database"] == "busy")
    assert busy["cl_waiting"] == 2 and busy["maxwait_s"] > 1
    assert all(p["database"] != "pgbouncer" for p in f["pgbouncer.pools"])  # the console's own pool
    assert {d["name"]: d["reserve_pool_size"] for d in f["pgbouncer.databases"]} == {"busy": 0, "sess": 0}
    judged = judge(ALL, f)
    found = {(x.check, x.object): x for x in judged.findings}
    assert found[("pgbouncer.pools.clients_waiting", "busy/postgres")].evidence["cause"] == "pool_size"
    assert found[("pgbouncer.pools.clients_waiting", "sess/postgres")].evidence["cause"] == "session_mode"
    many = found[("pgbouncer.pool_mode.session_many_clients", "sess/postgres")]
    old = version < "1.21"
    assert (("pgbouncer.versions.before_prepared_statements", "version") in found) == old
    assert ("before PgBouncer 1.21" in many.recommendation) == old
    # 1.21 has max_prepared_statements = 0 by default: the fix turns it on; 1.23's default is 200
    assert ("max_prepared_statements = 200" in many.fix) == (version.startswith("1.21"))
    assert not judged.skipped, [(s.check, s.reason) for s in judged.skipped]


def test_only_read_only_show_commands_are_sent():
    s = RecordedSession("1.18.0")
    from advisor.facts import LiveFacts
    import advisor.engines.pgbouncer  # noqa: F401
    store = LiveFacts("pgbouncer", s)
    for name in ("pgbouncer.version", "pgbouncer.pools", "pgbouncer.databases", "pgbouncer.stats",
                 "pgbouncer.config", "pgbouncer.lists", "pgbouncer.clients", "pgbouncer.servers"):
        store.get(name)
    assert all(c.split()[0] == "SHOW" for c in s.sent) and len(s.sent) == 8


def _set(replies, what, match, **values):
    reply = replies[what]
    for row in reply["rows"]:
        r = dict(zip(reply["columns"], row))
        if all(r.get(k) == v for k, v in match.items()):
            for k, v in values.items():
                row[reply["columns"].index(k)] = v


def _config(**values):
    def edit(r):
        for row in r["CONFIG"]["rows"]:
            if row[0] in values:
                row[1] = str(values[row[0]])
    return edit


def test_max_db_connections_reached_is_named_as_the_cause():
    f = facts("1.18.0", lambda r: _set(r, "DATABASES", {"name": "busy"}, max_connections=1, current_connections=1))
    x = next(x for x in judge("pgbouncer.pools.clients_waiting", f).findings if x.object == "busy/postgres")
    assert x.evidence["cause"] == "max_db_connections" and "max_db_connections = 3" in x.fix


def test_a_pool_on_the_default_size_is_fixed_with_default_pool_size():
    f = facts("1.18.0", lambda r: (_set(r, "DATABASES", {"name": "busy"}, pool_size=20),
                                   _set(r, "POOLS", {"database": "busy"}, sv_active=20, cl_waiting=5)))
    x = next(x for x in judge("pgbouncer.pools.clients_waiting", f).findings if x.object == "busy/postgres")
    assert x.evidence["cause"] == "pool_size" and "[pgbouncer]\ndefault_pool_size = 25" in x.fix


def test_waits_under_the_threshold_or_near_the_drop_point():
    f = facts("1.18.0")
    assert not judge("pgbouncer.pools.clients_waiting", f, thresholds={"maxwait_s": 5}).findings
    crit = facts("1.18.0", lambda r: _set(r, "POOLS", {"database": "busy"}, maxwait=70))
    x = next(x for x in judge("pgbouncer.pools.clients_waiting", crit).findings if x.object == "busy/postgres")
    assert str(x.severity) == "critical"  # 70 s of query_wait_timeout 120


def test_stalled_server_logins():
    quiet = judge("pgbouncer.pools.server_login_stalled", facts("1.18.0"))
    assert not quiet.findings  # busy pools with a working server are not stalled
    f = facts("1.18.0", lambda r: _set(r, "POOLS", {"database": "busy"}, sv_active=0, sv_login=1))
    assert [x.object for x in judge("pgbouncer.pools.server_login_stalled", f).findings] == ["busy/postgres"]


@pytest.mark.parametrize("version, counts", [("1.18.0", "total_xact_count"), ("1.23.1", "total_server_assignment_count")])
def test_average_wait_per_assignment(version, counts):
    def slow(r):
        _set(r, "STATS", {"database": "busy"}, total_xact_count=1000, total_wait_time=50_000_000)
        if counts != "total_xact_count":
            _set(r, "STATS", {"database": "busy"}, total_server_assignment_count=2000)
    found = judge("pgbouncer.stats.avg_wait", facts(version, slow)).findings
    assert [x.object for x in found] == ["busy"]
    assert found[0].evidence["mean_wait_ms"] == (50.0 if counts == "total_xact_count" else 25.0)
    assert not judge("pgbouncer.stats.avg_wait", facts(version)).findings  # 3 transactions: too few


def test_sizing_against_the_guide():
    f = facts("1.18.0")
    ids = {x.check for x in judge("pgbouncer.sizing.*", f).findings}
    assert ids == {"pgbouncer.sizing.no_db_connection_cap", "pgbouncer.sizing.no_reserve_pool"}
    guide = facts("1.18.0", _config(max_db_connections=100, reserve_pool_size=10, max_client_conn=10000))
    found = {x.check: x for x in judge("pgbouncer.sizing.*", guide).findings}
    assert set(found) == {"pgbouncer.sizing.fd_limit"}  # 10000 clients need more than 1024 fds
    assert found["pgbouncer.sizing.fd_limit"].evidence["fd_needed"] > 10000
    full = facts("1.18.0", lambda r: _set(r, "LISTS", {"list": "used_clients"}, items=95))
    assert "pgbouncer.sizing.clients_near_max" in {x.check for x in judge("pgbouncer.sizing.*", full).findings}


def test_tls_toward_remote_clients_and_servers():
    assert not judge("pgbouncer.security.*", facts("1.18.0")).findings  # all on loopback

    def remote(r):
        _set(r, "CLIENTS", {"database": "busy"}, addr="10.1.2.3")
        _set(r, "DATABASES", {"name": "busy"}, host="db.internal")
    found = {x.check: x for x in judge("pgbouncer.security.*", facts("1.18.0", remote)).findings}
    assert set(found) == {"pgbouncer.security.client_tls_off", "pgbouncer.security.server_tls_off"}
    assert "client_tls_sslmode = require" in found["pgbouncer.security.client_tls_off"].fix
    assert found["pgbouncer.security.server_tls_off"].evidence["remote_hosts"] == ["db.internal"]

    def with_tls(r):
        remote(r)
        _config(client_tls_sslmode="require", server_tls_sslmode="verify-full")(r)
    assert not judge("pgbouncer.security.*", facts("1.18.0", with_tls)).findings


def test_the_check_ids_exist():
    require_checks("pgbouncer.pools.clients_waiting", "pgbouncer.pool_mode.session_many_clients",
                   "pgbouncer.stats.avg_wait", "pgbouncer.versions.before_prepared_statements")


def test_server_idle_timeout_zero_keeps_idle_servers():
    off = judge("pgbouncer.config.server_idle_timeout_zero", facts("1.18.0", _config(server_idle_timeout=0))).findings
    assert [x.object for x in off] == ["server_idle_timeout"] and "server_idle_timeout = 600" in off[0].fix
    assert not judge("pgbouncer.config.server_idle_timeout_zero", facts("1.18.0")).findings
