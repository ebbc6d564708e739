"""`advisor tui --history FILE`: a History tab for the selected target (its recorded runs, the
score trend with this run last, the findings new and resolved since the last recorded run), and
the forecasts take their rate from the recorded run, as `advisor run --history` does."""

from __future__ import annotations

import asyncio
import json

import pytest
from textual.widgets import DataTable, Static, TabbedContent

from advisor import history
from support import PgScratch, one_error_line, subprocess_cli
from tui_helpers import screen_lines, wait_finished, wait_until

pytestmark = pytest.mark.postgres

CHECKS = ["pg.forecast.*", "pg.schema.*"]


def history_shown(app) -> str:
    return str(app.query_one("#history", Static).content)


def test_history_tab_follows_the_selected_target(make_app, pg_db, pg_admin_url, tmp_path):
    hist = tmp_path / "h.sqlite"
    pg_db.sql("CREATE TABLE orders (id serial PRIMARY KEY, v int)")
    pg_db.sql("SELECT setval('orders_id_seq', 1000000)")
    p = subprocess_cli("run", "--json", "--fail-on", "never", "--checks", *CHECKS[:1], "--checks", CHECKS[1],
                       "--history", hist, pg_db.url)
    assert p.returncode == 0, p.stderr
    recorded_score = json.loads(p.stdout)["targets"][0]["score"]
    pg_db.sql("SELECT setval('orders_id_seq', 21000000)")     # 20 M ids since the recorded run
    pg_db.sql("CREATE TABLE public.events (at timestamptz)")  # pg.schema.no_primary_key: new
    never = PgScratch(pg_admin_url)                           # a target with no recorded run

    async def scenario():
        app = make_app(pg_db.url, never.url, include=CHECKS, history=history.open_history(str(hist), create=False))
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_finished(pilot, app)
            # the recorded run fed the forecast, as in `advisor run --history`
            [f] = [f for f in app.shown if f.check == "pg.forecast.sequences"]
            assert f.evidence["rate_from"] == "history" and f.evidence["previous_value"] == 1000000
            app.query_one(TabbedContent).active = "history-tab"
            app.query_one("#targets", DataTable).move_cursor(row=0)
            await pilot.pause()
            text = history_shown(app)
            assert "1 recorded run(s)" in text
            now_score = app.states["t0"].result.score
            [score] = [line for line in text.splitlines() if line.strip().startswith("score")]
            assert score.endswith(f"{recorded_score} -> {now_score} (now)")
            assert "Since the last recorded run" in text and "2 new, 0 resolved" in text
            assert "+ critical [pg.forecast.sequences] public.orders_id_seq" in text
            assert "+ info     [pg.schema.no_primary_key] public.events" in text
            assert any("1 recorded run(s)" in line for line in screen_lines(app))   # on screen, not only built

            app.query_one("#targets", DataTable).move_cursor(row=1)   # the tab follows the cursor
            await wait_until(pilot, lambda: "no run of" in history_shown(app), 5, "the other target's history")
            assert never.name in history_shown(app)

    try:
        asyncio.run(scenario())
    finally:
        never.drop()


def test_tui_history_file_must_exist(tmp_path, pg_db):
    p = subprocess_cli("tui", "--history", tmp_path / "missing.sqlite", pg_db.url)
    assert p.returncode == 2 and "history file not found" in one_error_line(p.stderr)
