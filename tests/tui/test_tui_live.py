"""Pilot tests against the real local servers: planted problems show up, Enter opens the
detail, filters narrow the table, a dead or slow target shows its error in place."""

from __future__ import annotations

import asyncio
import re
import socket

import pytest
from textual.widgets import DataTable, Input

from advisor.tui.app import AdvisorApp
from advisor.tui.screens import DetailScreen, FilterScreen, HelpScreen
from tui_helpers import table_rows, wait_finished, wait_until

pytestmark = pytest.mark.postgres


def plant_pg(db) -> None:
    """Two problems existing checks find: a planner switch off (warning), a table without a key (info)."""
    db.sql(f'ALTER DATABASE "{db.name}" SET enable_seqscan = off')
    db.sql("CREATE TABLE public.events (at timestamptz, payload text)")


def checks_of(app: AdvisorApp) -> list[str]:
    return [f.check for f in app.shown]


def test_planted_findings_appear_and_enter_opens_detail(make_app, pg_db):
    plant_pg(pg_db)

    async def scenario():
        app = make_app(pg_db.url)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_finished(pilot, app)
            checks = checks_of(app)
            assert "pg.config.dangerous" in checks and "pg.schema.no_primary_key" in checks
            # sorted by severity: the warning comes before the info finding
            sev = [f.severity for f in app.shown]
            assert sev == sorted(sev, reverse=True)
            rows = table_rows(app, "#findings")
            assert any(any(c.endswith("enable_*") for c in r) and "WARN" in r for r in rows), rows
            assert any("public.events" in r for r in rows)
            # the target row shows its score and no error
            (target,) = table_rows(app, "#targets")
            label = pg_db.url.replace("postgresql://postgres@", "postgres://")
            assert app.states["t0"].source.label == label
            head, _, tail = target[0].partition("…")  # long ids lose their middle at 80 columns
            assert label.startswith(head) and label.endswith(tail) and len(target[0]) <= 40
            assert int(target[1]) < 100 and "✓" in target[2]

            # Enter on the planner finding opens its detail with the evidence and the fix
            table = app.query_one("#findings", DataTable)
            table.focus()
            table.move_cursor(row=[f.object for f in app.shown].index("enable_*"))
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, DetailScreen)
            assert (app.screen.finding.check, app.screen.finding.object) == ("pg.config.dangerous", "enable_*")
            evidence = dict((r[0], r[1]) for r in table_rows(app, "#evidence"))
            assert "enable_seqscan" in evidence["disabled"]
            await pilot.press("c")
            assert f'ALTER DATABASE "{pg_db.name}" SET enable_seqscan = on;' in app.clipboard
            # n / p walk the table in place
            at = app.screen.index
            await pilot.press("n")
            await pilot.pause()
            assert isinstance(app.screen, DetailScreen) and app.screen.finding is app.shown[at + 1]
            await pilot.press("p")
            await pilot.pause()
            assert app.screen.finding.object == "enable_*"
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, DetailScreen)

    asyncio.run(scenario())


def test_healthy_twin_has_neither_finding(make_app, pg_db):
    pg_db.sql("CREATE TABLE public.events (id bigint PRIMARY KEY, payload text)")

    async def scenario():
        app = make_app(pg_db.url)
        async with app.run_test() as pilot:
            await wait_finished(pilot, app)
            objects = {(f.check, f.object) for f in app.shown}
            assert ("pg.config.dangerous", "enable_*") not in objects
            assert not any(c == "pg.schema.no_primary_key" for c, _ in objects)
            assert app.states["t0"].status == "done"

    asyncio.run(scenario())


def test_filters_and_search_narrow_the_table(make_app, pg_db, mysql_db):
    plant_pg(pg_db)
    mysql_db.sql("CREATE TABLE events (at datetime, payload text) ENGINE=InnoDB")

    async def scenario():
        app = make_app(pg_db.url, mysql_db.url, include=["pg.config.*", "pg.schema.*", "mysql.schema.*",
                                                         "mysql.observability.*", "mysql.index.*"])
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_finished(pilot, app)
            everything = list(app.shown)
            engines = {f.target.split(":")[0] for f in everything}
            assert engines == {"postgres", "mysql"}
            assert any(f.check == "mysql.schema.no_primary_key" for f in everything)

            # f: severity filter (warning only) — applied live while the dialog is open
            await pilot.press("f")
            await pilot.pause()
            assert isinstance(app.screen, FilterScreen)
            sev_list = app.screen.query_one("#f-severity")
            sev_list.select("warning")
            await pilot.pause()
            assert app.shown and all(str(f.severity) == "warning" for f in app.shown)
            assert len(app.shown) < len(everything)
            # engine: MySQL only, on top of the severity
            app.screen.query_one("#f-engine").select("mysql")
            await pilot.pause()
            assert all(f.target.startswith("mysql://") for f in app.shown)
            assert len(table_rows(app, "#findings")) == len(app.shown)
            await pilot.press("x")  # clear all
            await pilot.pause()
            assert len(app.shown) == len(everything)
            await pilot.press("escape")
            await pilot.pause()

            # /: text search on check ids and objects
            await pilot.press("slash")
            assert isinstance(app.focused, Input)
            await pilot.press(*"no_primary_key")
            await pilot.pause()
            assert {f.check for f in app.shown} == {"pg.schema.no_primary_key", "mysql.schema.no_primary_key"}
            await pilot.press("enter")
            assert app.focused.id == "findings"
            assert "search: 'no_primary_key'" in str(app.query_one("#filter-bar").render())
            await pilot.press("escape")
            await pilot.pause()
            assert len(app.shown) == len(everything)

            # Enter on a target row: only its findings
            targets = app.query_one("#targets", DataTable)
            targets.focus()
            targets.move_cursor(row=1)
            await pilot.press("enter")
            await pilot.pause()
            assert app.shown and all(f.target.startswith("mysql://") for f in app.shown)

    asyncio.run(scenario())


def test_dead_target_shows_error_in_place_and_others_still_report(make_app, pg_db):
    from servers import free_port
    plant_pg(pg_db)
    dead = f"postgresql://advisor:s3cret-pw@127.0.0.1:{free_port()}/postgres"

    async def scenario():
        app = make_app(dead, pg_db.url)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_finished(pilot, app)
            assert app.states["t0"].status == "unreachable"
            assert app.states["t1"].status == "done"
            dead_row = table_rows(app, "#targets")[0]
            assert dead_row[1] == "—" and dead_row[2].startswith("✗") and "refused" in dead_row[2].lower()
            errors = table_rows(app, "#errors")
            assert len(errors) == 1 and "refused" in errors[0][1].lower()
            assert "s3cret-pw" not in " ".join(errors[0])
            # the live target's findings are all there
            assert "pg.config.dangerous" in checks_of(app)

    asyncio.run(scenario())


def test_slow_target_keeps_ui_responsive_then_times_out(make_app, tmp_path):
    """A server that accepts TCP but never answers: the UI keeps working while it hangs."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"postgresql://postgres@127.0.0.1:{silent.getsockname()[1]}/postgres"

        async def scenario():
            app = make_app(url, timeout=2)
            async with app.run_test() as pilot:
                await pilot.pause(0.3)
                assert app.states["t0"].status == "running"
                assert "connecting" in table_rows(app, "#targets")[0][2]
                # past half a second a hanging connect shows a spinner and its time
                await wait_until(pilot, lambda: table_rows(app, "#targets")[0][2][0] in "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏", 5,
                                 "the spinner")
                assert re.search(r"connecting… \d+\.\ds", table_rows(app, "#targets")[0][2])
                await pilot.press("question_mark")  # the UI answers while the worker waits
                await pilot.pause()
                assert isinstance(app.screen, HelpScreen)
                await pilot.press("escape")
                await wait_finished(pilot, app, timeout=20)
                assert app.states["t0"].status == "unreachable"
                assert "timeout" in table_rows(app, "#errors")[0][1].lower()

        asyncio.run(scenario())


def test_rerun_cancels_the_run_in_progress(make_app):
    """r while a target hangs: the hung run is cancelled at once and its outcome never shows."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    url = f"postgresql://postgres@127.0.0.1:{silent.getsockname()[1]}/postgres"

    async def scenario():
        app = make_app(url, timeout=60)
        async with app.run_test() as pilot:
            await pilot.pause(0.3)
            first = app.states["t0"].worker
            assert app.states["t0"].status == "running"
            await pilot.press("r")
            second = app.states["t0"].worker
            assert second is not first and app.states["t0"].gen == 2
            await wait_until(pilot, lambda: first.is_finished, 5, "the first run to end")
            assert first.is_cancelled and not second.is_finished
            assert app.states["t0"].status == "running"
            silent.close()  # both connects now fail; only the second run may report it
            await wait_finished(pilot, app, timeout=20)
            assert app.states["t0"].status == "unreachable"
            assert len(table_rows(app, "#errors")) == 1

    try:
        asyncio.run(scenario())
    finally:
        silent.close()


def test_rerun_after_a_finished_run_replaces_its_findings(make_app, pg_db):
    plant_pg(pg_db)

    async def scenario():
        app = make_app(pg_db.url, include=["pg.config.*", "pg.schema.*"])
        async with app.run_test() as pilot:
            await wait_finished(pilot, app)
            before = len(app.shown)
            pg_db.sql("ALTER TABLE public.events ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY")
            await pilot.press("r")
            await wait_finished(pilot, app)
            assert app.states["t0"].gen == 2
            assert [f.object for f in app.shown].count("enable_*") == 1  # one run's worth, not two
            assert "pg.schema.no_primary_key" not in checks_of(app) and len(app.shown) == before - 1

    asyncio.run(scenario())


def test_export_writes_the_json_report(make_app, pg_db, tmp_path):
    import json
    plant_pg(pg_db)
    out = tmp_path / "report.json"

    async def scenario():
        app = make_app(pg_db.url)
        async with app.run_test() as pilot:
            await wait_finished(pilot, app)
            await pilot.press("e")
            await pilot.pause()
            box = app.screen.query_one("#export-path", Input)
            box.value = str(out)
            await pilot.press("enter")
            await pilot.pause()

    asyncio.run(scenario())
    doc = json.loads(out.read_text())
    assert doc["schema_version"] == 1
    assert any(f["check"] == "pg.config.dangerous" for f in doc["findings"])


def test_recent_targets_are_remembered_without_password(make_app, pg_db, state_home):
    from advisor.tui import recent
    url = pg_db.url.replace("postgres@", "postgres:hunter2@")

    async def scenario():
        app = make_app(url)
        async with app.run_test() as pilot:
            await wait_finished(pilot, app)

    asyncio.run(scenario())
    text = recent.state_file().read_text()
    assert recent.state_file().is_relative_to(state_home)
    assert "hunter2" not in text and "postgres:***@" in text
    assert recent.load()[0] == url.replace("hunter2", "***")


def test_quit_does_not_wait_for_a_hung_connect(make_app):
    """q while a target hangs in connect: the worker ends at once, the hung thread is left behind."""
    import threading
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"postgresql://postgres@127.0.0.1:{silent.getsockname()[1]}/postgres"
        hung: list[threading.Thread] = []

        async def scenario():
            app = make_app(url, timeout=60)
            async with app.run_test() as pilot:
                await pilot.pause(0.3)
                worker = app.states["t0"].worker
                assert app.states["t0"].status == "running"
                hung.extend(t for t in threading.enumerate() if t.name == "advisor-target")
                await pilot.press("q")
                await wait_until(pilot, lambda: worker.is_finished, 5, "the worker to end")
                assert worker.is_cancelled

        asyncio.run(scenario())
        assert hung and all(t.daemon and t.is_alive() for t in hung)  # still in connect, not waited for


def test_progress_is_reported_per_target(make_app, pg_db):
    from advisor import registry
    from advisor.tui.app import TargetProgress
    from advisor.tui.view import progress_bar
    seen: list[TargetProgress] = []
    include = ["pg.config.*", "pg.schema.*", "pg.index.*"]

    async def scenario():
        app = make_app(pg_db.url, include=include)
        async with app.run_test(message_hook=lambda m: seen.append(m) if isinstance(m, TargetProgress)
                                else None) as pilot:
            await wait_finished(pilot, app)

    asyncio.run(scenario())
    total = len(registry.select("postgres", include))
    assert seen and seen[0].done == 1 and all(m.total == total for m in seen)
    assert [m.done for m in seen] == sorted(m.done for m in seen)  # never backwards
    assert all(m.check.startswith("pg.") for m in seen)
    assert progress_bar(3, 12, 8) == "██░░░░░░" and progress_bar(0, 0, 4) == "░░░░"


@pytest.mark.redis
def test_redis_target_with_planted_problem_and_healthy_twin(make_app, redis_server):
    """A throw-away redis-server without persistence (planted) next to one with AOF on (healthy)."""
    from servers import RedisServer
    healthy = RedisServer("--appendonly", "yes", "--appendfsync", "everysec").start()
    try:
        async def scenario():
            app = make_app(redis_server.url, healthy.url, include=["redis.persistence.*", "redis.server.*"])
            async with app.run_test(size=(120, 40)) as pilot:
                await wait_finished(pilot, app)
                assert {s.status for s in app.states.values()} == {"done"}
                hits = [f.target for f in app.shown if f.check == "redis.persistence.none"]
                assert hits == [app.states["t0"].source.label]  # the planted one, not its twin
                rows = table_rows(app, "#targets")
                assert rows[0][1].startswith("Redis ")  # engine column with the version at 120 columns
                table = app.query_one("#findings", DataTable)
                table.focus()
                table.move_cursor(row=checks_of(app).index("redis.persistence.none"))
                await pilot.press("enter")
                await pilot.pause()
                await pilot.press("c")
                assert "appendonly yes" in app.clipboard

        asyncio.run(scenario())
    finally:
        healthy.stop()


def test_at_most_max_parallel_targets_run_at_once(pg_db):
    """max_parallel=1: the second target waits in line behind a hung one, then runs."""
    from advisor.runner import RunOptions
    from tui_helpers import live_sources
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    hung = f"postgresql://postgres@127.0.0.1:{silent.getsockname()[1]}/postgres"

    async def scenario():
        app = AdvisorApp(live_sources(hung, pg_db.url), RunOptions(timeout=60, max_parallel=1,
                                                                    include=["pg.config.*"]), remember=False)
        async with app.run_test() as pilot:
            await pilot.pause(0.3)
            assert [s.status for s in app.states.values()] == ["running", "queued"]
            assert table_rows(app, "#targets")[1][2] == "queued"
            assert "1 queued" in str(app.query_one("#filter-bar").render())
            silent.close()  # the hung target fails, the queued one starts
            await wait_finished(pilot, app, timeout=20)
            assert [s.status for s in app.states.values()] == ["unreachable", "done"]

    try:
        asyncio.run(scenario())
    finally:
        silent.close()


@pytest.mark.redis
def test_redis_key_sampling_shows_a_sign_of_life():
    """Sampling a big keyspace takes seconds inside one check (300k keys: ~2-3 s here): the row
    says so, with a spinner and the time spent, instead of sitting still; the line goes once
    the run ends."""
    import redis

    from advisor.runner import RunOptions
    from servers import RedisServer
    from tui_helpers import live_sources
    srv = RedisServer("--enable-debug-command", "local").start()
    try:
        client = redis.Redis.from_url(srv.url)
        client.execute_command("DEBUG", "POPULATE", 300_000, "user:session")
        assert client.dbsize() == 300_000
        seen: list[str] = []

        async def scenario():
            # SCAN 10 keys a round trip: sampling takes seconds whatever the machine (30,000 round trips)
            opts = RunOptions(include=["redis.keys.*"], engine_options={"redis": {"sample_keys": 300_000, "scan_count": 10}})
            app = AdvisorApp(live_sources(srv.url), opts, remember=False)
            async with app.run_test(size=(80, 24)) as pilot:
                def sampling() -> bool:
                    seen.append(table_rows(app, "#targets")[0][2])
                    return "sampling keys" in seen[-1]
                try:
                    await wait_until(pilot, sampling, 20, "the sampling line")
                except AssertionError as e:
                    result = app.states["t0"].result
                    raise AssertionError(f"{e}; the row said {list(dict.fromkeys(seen))[-8:]}; "
                                         f"{result and (result.findings, result.skipped, result.errors)}") from None
                await wait_finished(pilot, app)
                assert table_rows(app, "#targets")[0][2].startswith("✓")
                assert app.states["t0"].result.findings  # it did sample: redis.keys.prefixes reports

        asyncio.run(scenario())
        line = next(s for s in seen if "sampling keys" in s)
        assert line[0] in "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏" and "s · " in line, line  # spinner, seconds, then the check
    finally:
        srv.stop()
