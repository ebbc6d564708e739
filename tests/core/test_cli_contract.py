"""The command-line contract: exit codes and one-line errors, never a traceback or a password."""

from __future__ import annotations

import socket
import time

import pytest

from support import one_error_line, silent_tcp_server, subprocess_cli


@pytest.mark.parametrize("args, fragment", [
    (["run", "foo://host/db"], "unknown URL scheme 'foo'"),
    (["run", "not a url"], "not a database URL"),
    (["run", "postgresql://u:secret@h:99999/db"], "malformed URL"),
    (["run", "--fail-on", "sometimes", "postgresql://h/db"], "unknown severity"),
    (["run", "--memory", "lots", "postgresql://h/db"], "not a memory size"),
    (["run", "--timeout", "-1", "postgresql://h/db"], "must be > 0"),
    (["run", "--checks", "pg.nothing.*", "postgresql://h/db"], "matches no check"),
    (["run"], "no URL given"),
    (["run", "--no-such-flag", "postgresql://h/db"], "unrecognized arguments"),
    (["analyze", "/nonexistent/snap.json"], "snapshot file not found"),
    (["run", "--config", "/nonexistent/advisor.toml", "postgresql://h/db"], "config file not found"),
])
def test_usage_errors_exit_2(run_cli, args, fragment):
    code, out, err = run_cli(*args)
    assert code == 2
    line = one_error_line(err)
    assert fragment in line
    assert "secret" not in err + out


def test_refused_connection_exits_3_without_password(run_cli):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    code, out, err = run_cli("run", f"postgresql://bob:hunter2@127.0.0.1:{port}/db")
    assert code == 3
    assert "hunter2" not in out + err
    assert "Connection refused" in err or "refused" in err.lower()


@pytest.fixture
def silent_server():
    """Accepts TCP connections and never says a word."""
    with silent_tcp_server() as port:
        yield port


@pytest.mark.parametrize("scheme", ["postgresql", "redis", "mysql"])
def test_silent_server_exits_3_within_timeout(silent_server, scheme):
    t0 = time.monotonic()
    db = "0" if scheme == "redis" else "db"  # a Redis database is a number
    p = subprocess_cli("run", "--timeout", "2", f"{scheme}://u:pw@127.0.0.1:{silent_server}/{db}")
    elapsed = time.monotonic() - t0
    assert p.returncode == 3, p.stderr
    assert elapsed < 20
    assert "pw@" not in p.stderr + p.stdout
    assert "Traceback" not in p.stderr


def test_version_and_help(run_cli):
    code, out, _ = run_cli("checks", "--json")
    assert code == 0 and '"checks"' in out
