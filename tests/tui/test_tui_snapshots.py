"""Screenshots of the main screens at 80x24 and 160x48 (pytest-textual-snapshot).

The data is a recorded report (tests/tui/data/report.json: real findings from the
local servers, host names replaced), so the pictures depend on neither a server,
the clock, nor checks added later. Update after a deliberate UI change with
`python -m pytest tests/tui/test_tui_snapshots.py --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.runner import RunOptions
from advisor.tui import load_sources, recent
from advisor.tui.app import AdvisorApp

REPORT = Path(__file__).parent / "data" / "report.json"
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]
DOCS = {"pg.config.dangerous": "fsync=off or full_page_writes=off can corrupt the database after a "
                               "crash; autovacuum=off lets dead rows and transaction-ID age grow. "
                               "Fix: turn them back on."}


def report_app() -> AdvisorApp:
    opts = RunOptions()
    return AdvisorApp(load_sources(str(REPORT), opts), opts, describe=DOCS.get, remember=False)


@pytest.mark.parametrize("size", SIZES)
def test_main_screen(snap_compare, size):
    assert snap_compare(report_app(), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_finding_detail(snap_compare, size):
    assert snap_compare(report_app(), press=["enter"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_filters_dialog(snap_compare, size):
    assert snap_compare(report_app(), press=["f", "space"], terminal_size=size)


def test_search_narrows(snap_compare):
    assert snap_compare(report_app(), press=["slash", *"index", "enter"], terminal_size=(80, 24))


def test_errors_tab_shows_the_unreachable_target(snap_compare):
    async def errors_tab(pilot):
        await pilot.pause()  # mounted first: on_mount focuses the findings table
        pilot.app.query_one("TabbedContent").active = "errors-tab"
        await pilot.pause()

    assert snap_compare(report_app(), run_before=errors_tab, terminal_size=(80, 24))


@pytest.mark.parametrize("size", SIZES)
def test_skipped_tab_keeps_the_reasons_wide(snap_compare, size):
    async def skipped_tab(pilot):
        await pilot.pause()
        pilot.app.query_one("TabbedContent").active = "skipped-tab"
        await pilot.pause()

    assert snap_compare(report_app(), run_before=skipped_tab, terminal_size=size)


def test_help(snap_compare):
    assert snap_compare(report_app(), press=["question_mark"], terminal_size=(80, 24))


def test_light_theme(snap_compare):
    assert snap_compare(report_app(), press=["t"], terminal_size=(160, 48))


def test_connect_screen_lists_recent_targets_without_passwords(snap_compare):
    recent.remember(["redis://cache.internal:6379/0", "postgresql://app:s3cret@db.internal:5432/shop"])
    app = AdvisorApp([], RunOptions(), remember=False)

    async def steady_cursor(pilot):  # a blinking cursor would make the picture flaky
        pilot.app.screen.query_one("#url").cursor_blink = False
        await pilot.pause()

    assert snap_compare(app, run_before=steady_cursor, terminal_size=(80, 24))
