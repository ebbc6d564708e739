"""PgBouncer live: private pgbouncers (Debian's package) on free loopback ports in front of the
local PostgreSQL, one with planted waits (more clients holding transactions or sessions than
the pool has servers) and a healthy twin. Module-scoped: both start once (~0.1 s each)."""

from __future__ import annotations

import json
import shutil
import threading
import time

import psycopg
import pytest

from servers import PgBouncerServer, server_url

pytestmark = pytest.mark.skipif(not (shutil.which("pgbouncer") or shutil.which("/usr/sbin/pgbouncer")),
                                reason="pgbouncer is not installed (scripts/prepare-local-servers)")


def _pg() -> str:
    url = server_url("postgres")
    if url is None:
        pytest.skip("no PostgreSQL server")
    return url


def _maxwait(bouncer: PgBouncerServer, db: str) -> float:
    with psycopg.connect(bouncer.url.replace("pgbouncer://", "postgresql://"), autocommit=True) as c:
        cur = c.execute("SHOW POOLS", prepare=False)
        names = [d.name for d in cur.description]
        for row in cur.fetchall():
            r = dict(zip(names, row))
            if r["database"] == db and r["cl_waiting"]:
                return float(r["maxwait"]) + float(r["maxwait_us"]) / 1e6
    return 0.0


def _connect_quietly(url: str) -> None:
    try:
        psycopg.connect(url, connect_timeout=30).close()
    except psycopg.Error:
        pass                      # PgBouncer cannot reach that PostgreSQL, or it was stopped


def _wait_for_a_server(conn) -> None:
    try:
        conn.execute("SELECT 1")  # blocks inside PgBouncer until the holder lets its server go
    except psycopg.Error:
        pass                      # the teardown closed it first


@pytest.fixture(scope="module")
def planted():
    """busy: transaction mode, pool_size 1, one client in an open transaction and two waiting.
    sess: session mode, pool_size 1, one client owning the server and two waiting.
    dead: a database line whose PostgreSQL port is closed, one client waiting at login."""
    from servers import free_port
    b = PgBouncerServer(_pg(), databases={"busy": "pool_size=1", "sess": "pool_size=1 pool_mode=session",
                                          "dead": f"port={free_port()}"},  # the later port= wins
                        settings={"pool_mode": "transaction", "default_pool_size": 20})
    conns, threads = [], []
    try:
        lost = threading.Thread(target=_connect_quietly, args=(b.db_url("dead"),), daemon=True)
        lost.start()
        for db in ("busy", "sess"):
            holder = psycopg.connect(b.db_url(db))          # not autocommit: SELECT opens a transaction
            holder.execute("SELECT 1")
            conns.append(holder)
            for _ in range(2):
                c = psycopg.connect(b.db_url(db), autocommit=True)
                conns.append(c)
                t = threading.Thread(target=_wait_for_a_server, args=(c,), daemon=True)
                t.start()
                threads.append(t)
        deadline = time.monotonic() + 10
        while min(_maxwait(b, "busy"), _maxwait(b, "sess")) < 1.2 and time.monotonic() < deadline:
            time.sleep(0.1)
        yield b
    finally:
        for c in conns[::3]:
            c.rollback()
            c.close()          # frees the servers: the waiters run their SELECT and return
        for t in threads:
            t.join(5)
        for c in conns:
            c.close()
        b.stop()


@pytest.fixture(scope="module")
def healthy():
    """The guide's settings on one database in transaction mode, traffic that never queues."""
    b = PgBouncerServer(_pg(), databases={"calm": ""},
                        settings={"pool_mode": "transaction", "default_pool_size": 5, "max_db_connections": 50,
                                  "reserve_pool_size": 10, "min_pool_size": 0})
    try:
        for _ in range(3):
            with psycopg.connect(b.db_url("calm"), autocommit=True) as c:
                for _ in range(5):
                    c.execute("SELECT 1")
        yield b
    finally:
        b.stop()


def _run(run_cli, *args):
    code, out, err = run_cli("run", "--json", *args)
    assert code in (0, 1), err
    report = json.loads(out)
    return report, {(f["check"], f["object"]): f for f in report["findings"]}


def test_waiting_clients_are_found_per_pool_with_their_cause(planted, run_cli):
    report, found = _run(run_cli, planted.url)
    busy = found[("pgbouncer.pools.clients_waiting", "busy/postgres")]
    assert busy["evidence"]["cl_waiting"] == 2 and busy["evidence"]["maxwait_s"] >= 1
    assert busy["evidence"]["cause"] == "pool_size" and busy["evidence"]["pool_size"] == 1
    # busy's own [databases] line sets pool_size=1: the fix changes that line, not default_pool_size
    assert "[databases]\nbusy = host=127.0.0.1 port=5432 dbname=postgres pool_size=3" in busy["fix"], busy["fix"]
    assert "RELOAD" in busy["fix"] and "never sends it" in busy["fix"]
    sess = found[("pgbouncer.pools.clients_waiting", "sess/postgres")]
    assert sess["evidence"]["cause"] == "session_mode" and "pool_mode = transaction" in sess["fix"]
    many = found[("pgbouncer.pool_mode.session_many_clients", "sess/postgres")]
    assert many["evidence"]["clients"] == 3 and "advisory" in many["recommendation"]
    assert "before PgBouncer 1.21" in many["recommendation"]  # Debian's 1.18
    assert ("pgbouncer.pool_mode.session_many_clients", "busy/postgres") not in found  # transaction mode
    stalled = {o for c, o in found if c == "pgbouncer.pools.server_login_stalled"}
    assert stalled == {"dead/postgres"}, stalled  # busy and sess have a working server
    assert ("pgbouncer.versions.before_prepared_statements", "version") in found
    assert ("pgbouncer.sizing.no_db_connection_cap", "max_db_connections") in found
    assert ("pgbouncer.sizing.no_reserve_pool", "reserve_pool_size") in found
    assert report["targets"][0]["engine"] == "pgbouncer" and report["targets"][0]["server_version"].startswith("1.")


def test_the_healthy_twin_stays_quiet(healthy, run_cli):
    report, found = _run(run_cli, healthy.url)
    assert not report["targets"][0].get("skipped"), report["targets"][0].get("skipped")
    assert set(c for c, _ in found) == {"pgbouncer.versions.before_prepared_statements"}, sorted(found)


def test_a_stats_user_reads_everything(planted, run_cli):
    """stats_users is enough: the same findings, nothing skipped."""
    _, admin = _run(run_cli, planted.url)
    report, stats = _run(run_cli, planted.url.replace("postgres@", "stats@"))
    assert not report["targets"][0].get("skipped")
    assert set(stats) == set(admin)


def test_snapshot_then_analyze_gives_the_same_findings(planted, run_cli, tmp_path):
    snap = tmp_path / "snap.json"
    code, _, err = run_cli("snapshot", "-o", str(snap), planted.url)
    assert code == 0, err
    _, live = _run(run_cli, planted.url)
    code, out, err = run_cli("analyze", "--json", str(snap))
    offline = {(f["check"], f["object"]) for f in json.loads(out)["findings"]}
    assert offline == set(live) and ("pgbouncer.pools.clients_waiting", "busy/postgres") in offline


def test_a_user_outside_admin_and_stats_users_exits_3_naming_the_setting(planted, run_cli):
    code, out, err = run_cli("run", planted.url.replace("postgres@", "nobody@"))
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 3 and len(lines) == 1 and "Traceback" not in err, err
    assert "stats_users" in lines[0] and "admin_users" in lines[0]


def test_plain_postgresql_on_the_port_is_named(run_cli):
    pg = _pg()
    from urllib.parse import urlsplit
    p = urlsplit(pg)
    code, out, err = run_cli("run", f"pgbouncer://{p.username}@{p.hostname}:{p.port or 5432}/pgbouncer")
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 3 and len(lines) == 1, err
    assert "PostgreSQL" in lines[0] and "postgresql://" in lines[0]


def test_only_show_commands_reach_the_console(planted):
    from advisor.engines.pgbouncer.session import SHOW_COMMANDS
    from advisor.engines import load
    from advisor.targets import parse_target
    s = load("pgbouncer").connect(parse_target(planted.url), {"timeout": 5})
    try:
        for bad in ("RELOAD", "PAUSE", "KILL busy", "SET default_pool_size = 2"):
            with pytest.raises(ValueError):
                s.show(bad)
        assert "POOLS" in SHOW_COMMANDS and not any(c.split()[0] in ("RELOAD", "PAUSE", "KILL", "SET")
                                                    for c in SHOW_COMMANDS)
    finally:
        s.close()


def test_the_tui_shows_the_waiting_clients(planted, tmp_path, monkeypatch):
    """`advisor tui pgbouncer://...` goes through the same pipeline: the finding is in the table."""
    import asyncio
    import sys
    from pathlib import Path

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    sys.path.insert(0, str(Path(__file__).parents[1] / "tui"))
    from tui_helpers import live_sources, wait_finished

    from advisor.runner import RunOptions
    from advisor.tui.app import AdvisorApp

    async def scenario():
        app = AdvisorApp(live_sources(planted.url), RunOptions(timeout=10))
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_finished(pilot, app)
            assert app.states["t0"].status == "done"
            assert ("pgbouncer.pools.clients_waiting", "busy/postgres") in {(f.check, f.object) for f in app.shown}

    asyncio.run(scenario())


@pytest.mark.parametrize("stall", [False, True], ids=["cut", "silent"])
def test_a_console_lost_or_silent_mid_run_ends_within_the_timeout(healthy, stall):
    """Login answered, then the link is cut or goes silent during the SHOWs: a partial report on
    one line per problem, within --timeout, no traceback."""
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).parents[1] / "qa"))
    from qa_helpers import CuttingProxy
    from support import subprocess_cli

    proxy = CuttingProxy(healthy.port, cut_after=2000, stall=stall)  # the login is ~400 bytes
    try:
        t0 = time.monotonic()
        p = subprocess_cli("run", "--timeout", "2", f"pgbouncer://postgres@127.0.0.1:{proxy.port}/pgbouncer")
        elapsed = time.monotonic() - t0
    finally:
        proxy.close()
    assert p.returncode == 3 and "Traceback" not in p.stderr, p.stderr
    assert "report is partial" in p.stderr
    assert ("no answer within 2s" in p.stderr) == stall
    assert elapsed < 10, elapsed


def test_server_lifetime_zero_opens_a_backend_per_transaction(run_cli):
    """The behaviour the check relies on, measured here, and the finding; the healthy twin (3600 s
    by default) has no such finding (test_the_healthy_twin_stays_quiet)."""
    with PgBouncerServer(_pg(), databases={"app": ""},
                         settings={"pool_mode": "transaction", "server_lifetime": 0}) as b:
        with psycopg.connect(b.db_url("app"), autocommit=True) as c:
            pids = {c.execute("SELECT pg_backend_pid()").fetchone()[0] for _ in range(3)}
        assert len(pids) == 3
        _, found = _run(run_cli, b.url)
    x = found[("pgbouncer.config.server_lifetime_zero", "server_lifetime")]
    assert "server_lifetime = 3600" in x["fix"]
