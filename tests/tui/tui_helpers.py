"""Helpers shared by the TUI tests (a module name no other test folder uses)."""

from __future__ import annotations

import asyncio
import time

from advisor.targets import parse_target
from advisor.tui.jobs import Source


def live_sources(*urls: str) -> list[Source]:
    return [Source(label=t.id, engine=t.engine, target=t) for t in map(parse_target, urls)]


async def wait_until(pilot, condition, timeout: float = 30.0, what: str = "condition") -> None:
    """Let the app process messages until `condition()` holds (workers run in threads)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)
        await pilot.pause()


async def wait_finished(pilot, app, timeout: float = 30.0) -> None:
    await wait_until(pilot, lambda: app.states and all(s.status not in ("running", "queued") for s in app.states.values()),
                     timeout, "every target to finish")
    await pilot.pause()


def table_rows(app, table_id: str) -> list[list[str]]:
    """The plain text of every row of a DataTable."""
    from textual.widgets import DataTable
    from textual.css.query import NoMatches
    for screen in reversed(app.screen_stack):  # the top screen first, then the ones under it
        try:
            table = screen.query_one(table_id, DataTable)
            break
        except NoMatches:
            continue
    else:
        raise AssertionError(f"no table {table_id}")
    return [[str(getattr(c, "plain", c)) for c in table.get_row_at(i)] for i in range(table.row_count)]


def screen_lines(app) -> list[str]:
    """What the terminal shows, line by line (the top screen over the ones under it)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]
