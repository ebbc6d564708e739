"""Bad URLs and dead targets through the real CLI, for every engine: one clear line on
stderr, the documented exit code (2 usage, 3 nothing could be inspected), no traceback,
never the password. All traffic stays on 127.0.0.0/8."""

from __future__ import annotations

import time

import pytest

from qa_helpers import SECRET, SilentServer, assert_contract, closed_port
from support import subprocess_cli

SCHEMES = ["postgresql", "mysql", "redis", "mongodb", "pgbouncer"]
DB = {"redis": "0", "pgbouncer": "pgbouncer"}  # the path each scheme accepts (PgBouncer: its admin console)


def url(scheme: str, port: int, host: str = "127.0.0.1") -> str:
    return f"{scheme}://u:{SECRET}@{host}:{port}/" + DB.get(scheme, "db")


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("url, fragment", [
    ("{s}x://u:{pw}@127.0.0.1:1/db", "unknown URL scheme"),              # typo in the scheme
    ("{s}:/u:{pw}@127.0.0.1:1/db", "not a database URL"),                # one slash short
    ("{s}://u:{pw}@127.0.0.1:54x32/db", "malformed URL"),                 # bad port
    ("{s}://u:{pw}@127.0.0.1:99999/db", "malformed URL"),
    ("{s}://u:{pw}@127.0.0.1:0/db", "port 0"),                           # drivers read 0 as "default"
    ("{s}://u:{pw}@127.0.0.1:1/my db", "contains a space"),
    ("{s}://u:{pw} x@127.0.0.1:1/db", "contains a space"),
])
def test_malformed_url_exits_2(scheme, url, fragment):
    p = subprocess_cli("run", url.format(s=scheme, pw=SECRET))
    assert_contract(p, 2, fragment)
    assert p.stdout == ""


@pytest.mark.parametrize("url, fragment", [
    ("mongodb://u:{pw}@/db", "no host"),
    ("redis://:{pw}@127.0.0.1:1/zero", "Redis databases are numbers"),
    ("mysql://u:{pw}@h1,h2/db", "several hosts"),
    ("redis://:{pw}@127.0.0.1:1/0?socket_timout=3", "unknown option 'socket_timout'"),
    ("pgbouncer://u:{pw}@127.0.0.1:1/app", "admin console is the database pgbouncer"),
])
def test_engine_specific_url_mistakes_exit_2(url, fragment):
    assert_contract(subprocess_cli("run", url.format(pw=SECRET)), 2, fragment)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("host", ["127.0.0.1", "127.255.255.254"])  # the second: an odd, still local address
def test_closed_port_exits_3(scheme, host):
    port = closed_port("127.0.0.1")
    db = DB.get(scheme, "dé")
    t0 = time.monotonic()
    p = subprocess_cli("run", "--timeout", "30", f"{scheme}://ü-user:{SECRET}@{host}:{port}/{db}")
    line = assert_contract(p, 3, "cannot connect to", ":***@")
    assert "refused" in line.lower()
    assert time.monotonic() - t0 < 10  # a refusal is final: no waiting out the timeout (MongoDB did)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_silent_server_exits_3_within_the_timeout(scheme):
    srv = SilentServer()
    try:
        t0 = time.monotonic()
        p = subprocess_cli("run", "--timeout", "1", url(scheme, srv.port))
        elapsed = time.monotonic() - t0
    finally:
        srv.close()
    assert_contract(p, 3, "cannot connect to")
    assert elapsed < 8, elapsed  # interpreter start + 1 s bound (+ driver retry slack)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_tiny_timeout_is_a_clean_refusal_or_report(scheme):
    """--timeout 0.001 against a dead port: one line, exit 3; never 'timeout = 0 = unbounded'."""
    p = subprocess_cli("run", "--timeout", "0.001", url(scheme, closed_port()))
    assert_contract(p, 3, "cannot connect to")


def test_fleet_of_dead_targets_names_each_once():
    port = closed_port()
    urls = [url(s, port) for s in SCHEMES]
    p = subprocess_cli("run", "--timeout", "2", *urls)
    assert p.returncode == 3
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == len(SCHEMES) and all("cannot connect to" in ln for ln in lines)
    assert "Traceback" not in p.stderr and SECRET not in p.stdout + p.stderr
