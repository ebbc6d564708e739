"""The connect screen (no URL given), snapshot and report files, and bad input on the command line."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import Input, OptionList, Static

from advisor.runner import RunOptions
from advisor.tui import load_sources, recent
from advisor.tui.app import AdvisorApp
from advisor.tui.screens import ConnectScreen
from tui_helpers import table_rows, wait_finished


def plant(db) -> None:
    db.sql(f'ALTER DATABASE "{db.name}" SET enable_seqscan = off')


def test_connect_screen_validates_in_place_then_runs_the_target(pg_db):
    plant(pg_db)

    async def scenario():
        app = AdvisorApp([], RunOptions(include=["pg.config.*"]))
        async with app.run_test() as pilot:
            await pilot.pause()
            assert isinstance(app.screen, ConnectScreen)
            await pilot.press(*"nonsense", "enter")
            await pilot.pause()
            assert isinstance(app.screen, ConnectScreen)  # still here, error shown in place
            assert "not a database URL" in str(app.screen.query_one("#connect-error").render())
            box = app.screen.query_one("#url", Input)
            box.value = pg_db.url
            await pilot.press("enter")
            await pilot.pause()
            assert not isinstance(app.screen, ConnectScreen)
            await wait_finished(pilot, app)
            assert ("pg.config.dangerous", "enable_*") in {(f.check, f.object) for f in app.shown}

    asyncio.run(scenario())
    assert recent.load()[0] == pg_db.url


def test_recent_target_with_a_password_asks_for_it(pg_db):
    recent.remember([pg_db.url.replace("postgres@", "postgres:pw123@")])

    async def scenario():
        app = AdvisorApp([], RunOptions())
        async with app.run_test() as pilot:
            await pilot.pause()
            options = app.screen.query_one("#recent", OptionList)
            assert options.option_count == 1
            assert "pw123" not in str(options.get_option_at_index(0).prompt)
            options.focus()
            options.highlighted = 0
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, ConnectScreen)
            assert app.screen.query_one("#url", Input).value.count("***") == 1
            assert "retype the password" in str(app.screen.query_one("#connect-error").render())
            assert app.states == {}

    asyncio.run(scenario())


def test_picking_a_recent_target_connects_and_clears_the_old_error(pg_db):
    plant(pg_db)
    recent.remember([pg_db.url])

    async def scenario():
        app = AdvisorApp([], RunOptions(include=["pg.config.*"]))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            screen = app.screen
            await pilot.press(*"nonsense", "enter")
            await pilot.pause()
            error = screen.query_one("#connect-error", Static)
            assert "not a database URL" in str(error.render())
            options = screen.query_one("#recent", OptionList)
            options.focus()
            options.highlighted = 0
            await pilot.press("enter")
            await pilot.pause()
            assert "not a database URL" not in str(error.render())
            assert not isinstance(app.screen, ConnectScreen)  # the run started, no second Enter
            assert [s.source.target.url for s in app.states.values()] == [pg_db.url]
            await wait_finished(pilot, app)
            assert ("pg.config.dangerous", "enable_*") in {(f.check, f.object) for f in app.shown}

    asyncio.run(scenario())


def test_escape_on_the_first_connect_screen_quits():
    async def scenario():
        app = AdvisorApp([], RunOptions())
        async with app.run_test() as pilot:
            await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
            assert app.return_code == 0 and not app.is_running

    asyncio.run(scenario())


def test_snapshot_file_is_analyzed_offline_and_rerun(pg_db, run_cli, tmp_path):
    plant(pg_db)
    snap = tmp_path / "snap.json"
    code, _, err = run_cli("snapshot", pg_db.url, "-o", snap)
    assert code == 0, err
    pg_db.sql(f'ALTER DATABASE "{pg_db.name}" RESET enable_seqscan')  # the server changes, the file not

    async def scenario():
        opts = RunOptions()
        app = AdvisorApp(load_sources(str(snap), opts), opts)
        async with app.run_test() as pilot:
            await wait_finished(pilot, app)
            assert app.sub_title == "offline"
            assert ("pg.config.dangerous", "enable_*") in {(f.check, f.object) for f in app.shown}
            await pilot.press("r")  # re-analyzes the file
            await wait_finished(pilot, app)
            assert app.states["t0"].gen == 2
            assert ("pg.config.dangerous", "enable_*") in {(f.check, f.object) for f in app.shown}

    asyncio.run(scenario())
    assert recent.load() == []  # offline files are not "recent targets"


def test_saved_report_shows_its_unreachable_target_and_cannot_rerun():
    from pathlib import Path
    path = Path(__file__).parent / "data" / "report.json"

    async def scenario():
        opts = RunOptions()
        app = AdvisorApp(load_sources(str(path), opts), opts, remember=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            statuses = {s.source.label: s.status for s in app.states.values()}
            assert statuses["postgres://10.0.0.9:5432/billing"] == "unreachable"
            assert any(r[3].startswith("✗ Connection refused") for r in table_rows(app, "#targets"))
            await pilot.press("r")
            await pilot.pause()
            assert all(s.gen == 0 for s in app.states.values())

    asyncio.run(scenario())


@pytest.mark.parametrize("args, message", [
    (["tui", "nonsense"], "not a database URL"),
    (["tui", "postgresql://u:topsecret@h:99999/x"], "malformed URL"),
    (["tui", "--snapshot", "/nonexistent/snap.json"], "snapshot file not found"),
    (["tui", "--inventory", "/nonexistent/fleet.toml"], "inventory file not found"),
    (["tui", "--checks", "pg.nothing_like_this.*", "postgresql://h/db"], "matches no check"),
])
def test_bad_input_is_one_line_and_exit_2(run_cli, args, message):
    code, out, err = run_cli(*args)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1
    assert "topsecret" not in err and "Traceback" not in err


def test_a_file_that_is_neither_snapshot_nor_report(run_cli, tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"hello": 1}')
    code, _, err = run_cli("tui", "--snapshot", bad)
    assert code == 2 and "not a db-advisor snapshot" in err


def test_columns_follow_a_resize():
    from pathlib import Path
    path = Path(__file__).parent / "data" / "report.json"

    async def scenario():
        opts = RunOptions()
        app = AdvisorApp(load_sources(str(path), opts), opts, remember=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            targets = app.query_one("#targets")
            findings = app.query_one("#findings")
            assert [str(c.label) for c in targets.columns.values()] == ["Target", "Score", "Status"]
            narrow = list(findings.columns.values())[-1].width
            await pilot.resize_terminal(130, 30)
            await pilot.pause()
            await pilot.pause()
            assert [str(c.label) for c in targets.columns.values()] == ["Target", "Engine", "Score", "Status"]
            assert "Target" in [str(c.label) for c in findings.columns.values()]
            assert list(findings.columns.values())[-1].width > narrow
            total = sum(c.width + 2 for c in findings.columns.values())
            assert total <= 130  # never wider than the window: no sideways scrolling

    asyncio.run(scenario())


def test_inventory_targets_and_config_mutes(pg_db, tmp_path, monkeypatch):
    """--inventory: named targets run live, an unusable one shows why; advisor.toml mutes apply."""
    from advisor import config, inventory
    from advisor.tui import build_sources
    plant(pg_db)
    pg_db.sql("CREATE TABLE public.events (at timestamptz)")
    monkeypatch.setenv("SHOP_PG_URL", pg_db.url)
    monkeypatch.delenv("BILLING_PG_URL", raising=False)
    inv_file = tmp_path / "fleet.toml"
    inv_file.write_text('[[target]]\nname = "shop"\nurl_env = "SHOP_PG_URL"\n\n'
                        '[[target]]\nname = "billing"\nurl_env = "BILLING_PG_URL"\n')
    cfg_file = tmp_path / "advisor.toml"
    cfg_file.write_text('[[mute]]\ncheck = "pg.schema.no_primary_key"\nreason = "append-only log"\n')
    cfg = config.load(str(cfg_file))
    opts = RunOptions(include=["pg.config.*", "pg.schema.*"], mutes=cfg.mutes)
    sources = build_sources([], opts, inventory=inventory.load(str(inv_file)))
    assert [s.label for s in sources] == ["shop", "billing"] and sources[1].fixed is not None

    async def scenario():
        app = AdvisorApp(sources, opts)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_finished(pilot, app)
            rows = {r[0]: r for r in table_rows(app, "#targets")}
            assert rows["billing"][3].startswith("✗") and "BILLING_PG_URL" in rows["billing"][3]
            assert rows["shop"][3].startswith("✓")
            checks = {(f.target, f.check, f.object) for f in app.shown}
            assert ("shop", "pg.config.dangerous", "enable_*") in checks
            assert not any(c == "pg.schema.no_primary_key" for _, c, _ in checks)  # muted
            assert "1 muted in the config" in str(app.query_one("#filter-bar").render())

    asyncio.run(scenario())


def test_tui_inventory_honours_each_targets_timeout_and_memory(pg_db, tmp_path, monkeypatch):
    """`advisor tui --inventory`: a target's own timeout beats --timeout 60 (a silent server gives
    up within seconds) and its own memory reaches the sizing checks (the others still lack it)."""
    import socket
    import time

    from advisor import cli

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    inv_file = tmp_path / "fleet.toml"
    inv_file.write_text(
        f'[[target]]\nname = "silent"\nurl = "postgresql://postgres@127.0.0.1:{silent.getsockname()[1]}/postgres"\n'
        'timeout = 2\n\n'
        f'[[target]]\nname = "sized"\nurl = "{pg_db.url}"\nmemory = "64GiB"\n\n'
        f'[[target]]\nname = "unsized"\nurl = "{pg_db.url}"\n')
    monkeypatch.chdir(tmp_path)  # no advisor.toml of the project's
    seen = {}

    def run(app):
        async def scenario():
            t0 = time.monotonic()
            async with app.run_test(size=(120, 40)) as pilot:
                await wait_finished(pilot, app, timeout=40)
                seen["seconds"] = time.monotonic() - t0
                seen["status"] = {s.source.label: s.status for s in app.states.values()}
                seen["skipped"] = {(sk.target, sk.check): sk.reason for r in app.results for sk in r.skipped}
        asyncio.run(scenario())
        return 0

    monkeypatch.setattr(AdvisorApp, "run", run)
    try:
        assert cli.main(["tui", "--inventory", str(inv_file), "--timeout", "60",
                         "--checks", "pg.memory.shared_buffers"]) == 0
    finally:
        silent.close()
    assert seen["status"] == {"silent": "unreachable", "sized": "done", "unsized": "done"}
    assert seen["seconds"] < 20  # the inventory's timeout = 2, not --timeout 60
    assert "host memory unknown" in seen["skipped"][("unsized", "pg.memory.shared_buffers")]
    assert ("sized", "pg.memory.shared_buffers") not in seen["skipped"]
