"""Passwords with every reserved character, on every scheme, through run, snapshot, inventory
files and the TUI's connect screen: no byte sequence of the password ever comes back, whether
the URL parsed or not, and a URL that drivers would split differently is exit 2 with the
percent-encoding hint (never exit 3 with half a password in a host name).

Most cases run the CLI in-process (advisor.cli.main catches everything as the command does);
a few go through a real subprocess to hold the same for the installed entry point."""

from __future__ import annotations

import asyncio
import json
import os
from urllib.parse import quote

import pytest

from advisor.cli import main
from qa_helpers import closed_port
from support import subprocess_cli

SCHEMES = ["postgresql", "postgres", "mysql", "mariadb", "redis", "rediss", "mongodb"]
RESERVED = list(":/?#[]@!$&'()*+,;=%") + [" ", "\\", '"', "`"]
HEAD, TAIL = "Ab3", "Xq7Zk"          # around the reserved character: neither may come back


def password(c: str) -> str:
    return f"{HEAD}{c}{TAIL}"


def url(scheme: str, pw: str, port: int, encoded: bool = False) -> str:
    pw = quote(pw, safe="") if encoded else pw
    path = "0" if scheme.startswith("redis") else "db"
    return f"{scheme}://advisor:{pw}@127.0.0.1:{port}/{path}"


def leaks(text: str) -> bool:
    return HEAD in text or TAIL in text


@pytest.fixture(scope="module")
def port():
    return closed_port()


def run_main(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("scheme", SCHEMES)
def test_run_never_prints_the_password(scheme, port, capsys, tmp_path):
    for c in RESERVED:
        for encoded in (False, True):
            report = tmp_path / "r.json"
            code, out, err = run_main(capsys, "run", "--json", "--timeout", "2", "-o", str(report),
                                      url(scheme, password(c), port, encoded))
            written = report.read_text() if report.exists() else ""
            assert not leaks(out + err + written), (c, encoded, err)
            assert "Traceback" not in err
            if encoded:   # a well-formed URL: the closed port makes it exit 3
                assert code == 3, (c, err)
            assert code in (2, 3), (c, encoded, code, err)
            report.unlink(missing_ok=True)


@pytest.mark.parametrize("c", ["@", "/", "?", "#", "%"])
@pytest.mark.parametrize("scheme", ["postgresql", "mysql", "redis", "mongodb"])
def test_ambiguous_userinfo_is_a_usage_error_with_the_encoding_hint(scheme, c, port, capsys):
    code, out, err = run_main(capsys, "run", url(scheme, password(c), port))
    assert code == 2, err
    assert "percent-encode" in err and "%40" in err
    assert len(err.strip().splitlines()) == 1
    assert not leaks(out + err)


@pytest.mark.parametrize("scheme", ["postgresql", "mysql", "redis", "mongodb"])
def test_snapshot_never_holds_the_password(scheme, port, capsys, tmp_path):
    for c in RESERVED:
        snap = tmp_path / "s.json"
        code, out, err = run_main(capsys, "snapshot", "--timeout", "2", "-o", str(snap),
                                  url(scheme, password(c), port, encoded=True))
        assert code == 3 and not leaks(out + err), (c, err)
        assert not snap.exists() or not leaks(snap.read_text())


def test_inventory_files_never_print_the_password(port, capsys, tmp_path, monkeypatch):
    for scheme in ("postgresql", "mysql", "redis", "mongodb"):
        for c in RESERVED:
            inv = tmp_path / "fleet.toml"
            monkeypatch.setenv("FLEET_URL", url(scheme, password(c), port))
            raw = json.dumps(url(scheme, password(c), port))   # a TOML basic string
            inv.write_text(f'timeout = 2\n[[target]]\nname = "env"\nurl_env = "FLEET_URL"\n'
                           f'[[target]]\nname = "inline"\nurl = {raw}\n')
            code, out, err = run_main(capsys, "run", "--json", "--inventory", str(inv))
            assert code in (2, 3) and not leaks(out + err), (scheme, c, err)


def test_installed_command_and_tui_never_print_the_password(port):
    for argv in (["run", url("postgresql", password("@"), port)],
                 ["run", url("redis", password("#"), port)],
                 ["tui", url("mysql", password("/"), port)],
                 ["snapshot", "-o", os.devnull, url("mongodb", password("?"), port)]):
        p = subprocess_cli(*argv, timeout=60)
        assert p.returncode == 2, p.stderr
        assert "percent-encode" in p.stderr and not leaks(p.stdout + p.stderr)


def test_tui_connect_screen_never_shows_the_password():
    from textual.widgets import Input

    from advisor.runner import RunOptions
    from advisor.tui.app import AdvisorApp
    from advisor.tui.screens import ConnectScreen

    async def scenario():
        app = AdvisorApp([], RunOptions())
        async with app.run_test() as pilot:
            await pilot.pause()
            for c in ("@", "/", "#", "?", "%"):
                box = app.screen.query_one("#url", Input)
                box.value = url("postgresql", password(c), 1)
                await pilot.press("enter")
                await pilot.pause()
                assert isinstance(app.screen, ConnectScreen)
                shown = str(app.screen.query_one("#connect-error").render())
                assert "percent-encode" in shown and not leaks(shown), shown

    asyncio.run(scenario())
