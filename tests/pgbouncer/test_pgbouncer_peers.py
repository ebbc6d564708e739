"""PgBouncer judged against the PostgreSQL behind it when both are targets of one run: the pools
PgBouncer may open are compared with that server's real max_connections (live: the local
PostgreSQL behind a private pgbouncer; recorded: the arithmetic and the matching)."""

from __future__ import annotations

import json
import shutil

import pytest

from recorded import facts
from servers import PgBouncerServer, server_url
from support import judge, subprocess_cli

CHECK = "pgbouncer.sizing.postgres_max_connections"


def peer(**kw):
    return {"target": "pg", "host": "127.0.0.1", "port": 5432, "max_connections": 100,
            "superuser_reserved": 3, "reserved": 0, "client_backends": 10, **kw}


def test_pools_larger_than_postgres_accepts():
    f = facts("1.18")
    for d in f["pgbouncer.databases"]:
        d["pool_size"] = 200
    over = judge(CHECK, {**f, "pgbouncer.postgres_peers": [peer()]}).findings
    assert len(over) == 1 and over[0].evidence["postgres_accepts"] == 97
    assert "max_db_connections = " in over[0].fix
    roomy = judge(CHECK, {**f, "pgbouncer.postgres_peers": [peer(max_connections=100000)]}).findings
    assert roomy == []
    elsewhere = judge(CHECK, {**f, "pgbouncer.postgres_peers": [peer(host="10.0.0.9"), peer(host="10.0.0.8")]})
    assert elsewhere.findings == []          # two candidates, neither at PgBouncer's backend address


@pytest.mark.skipif(not (shutil.which("pgbouncer") or shutil.which("/usr/sbin/pgbouncer")),
                    reason="pgbouncer is not installed (scripts/prepare-local-servers)")
def test_one_run_with_pgbouncer_and_its_postgres():
    pg = server_url("postgres")
    if pg is None:
        pytest.skip("no PostgreSQL server")
    with PgBouncerServer(pg, databases={"app": "", "reports": ""}, settings={"default_pool_size": 300}) as b:
        p = subprocess_cli("run", "--json", "--fail-on", "never", "--checks", "pgbouncer.sizing.*",
                           "--checks", "pg.connections.*", b.url, pg)
        assert p.returncode == 0, p.stderr
        report = json.loads(p.stdout)
        assert [t["engine"] for t in report["targets"]] == ["pgbouncer", "postgres"]   # order kept
        [f] = [f for f in report["findings"] if f["check"] == CHECK]
        assert f["evidence"]["matched_by"] == "host and port"
        assert f["evidence"]["possible_server_connections"] == 600
        # the printed fix, as a pgbouncer.ini line of a PgBouncer started with it: the finding is gone
        line = next(ln for ln in f["fix"].splitlines() if ln.startswith("max_db_connections = "))
        fixed = {"default_pool_size": 300, "max_db_connections": int(line.split("=")[1])}
        with PgBouncerServer(pg, databases={"app": "", "reports": ""}, settings=fixed) as after:
            again = json.loads(subprocess_cli("run", "--json", "--fail-on", "never", "--checks", "pgbouncer.sizing.*",
                                              "--checks", "pg.connections.*", after.url, pg).stdout)
            assert not [x for x in again["findings"] if x["check"] == CHECK]
        alone = json.loads(subprocess_cli("run", "--json", "--fail-on", "never", "--checks", "pgbouncer.sizing.*",
                                          b.url).stdout)
        assert not [f for f in alone["findings"] if f["check"] == CHECK]
        assert not [s for s in alone["skipped"] if s["check"] == CHECK]   # nothing to compare with: silent
