"""The layout at 80x24 (the size docs/tui.md promises) and at 160x48, through Pilot.

Long names on purpose: a target id longer than any column share, dotted objects whose
last segment tells them apart (`…first_aid_a` / `…first_aid_b`), long summaries and
skipped reasons.
"""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import DataTable

from advisor.model import Finding, Severity, Skipped, TargetResult
from advisor.runner import RunOptions
from advisor.tui.app import AdvisorApp
from advisor.tui.jobs import Source
from tui_helpers import screen_lines, table_rows

SHOP = "postgres://db-primary.shop.internal:5432/shop"
STOCK = "mysql://10.0.0.12:3306/inventory"
OBJECTS = ["public.first_aid_kits_by_region_a", "public.first_aid_kits_by_region_b",
           "inventory.stock_moves.idx_sku_wh", "log_min_duration_statement"]
REASON = ("host memory unknown; pass --memory SIZE (e.g. --memory 16GiB) to judge sizing of "
          "shared_buffers, effective_cache_size and work_mem against the RAM")


def finding(target, check, obj, sev=Severity.WARNING):
    summary = f"{obj} is a duplicate of another index with the same columns; it costs writes and space"
    return Finding(target, check, sev, "indexes", obj, summary, {}, "drop it", None, "ref")


def sources() -> list[Source]:
    shop = TargetResult(id=SHOP, engine="postgres", url=SHOP, score=80, findings=[
        finding(SHOP, "pg.index.duplicate", OBJECTS[0]), finding(SHOP, "pg.index.duplicate", OBJECTS[1]),
        finding(SHOP, "pg.config.slow_query_log", OBJECTS[3], Severity.INFO)],
        skipped=[Skipped(SHOP, "pg.memory.effective_cache_size", REASON)])
    stock = TargetResult(id=STOCK, engine="mysql", url=STOCK, score=95, findings=[
        finding(STOCK, "mysql.index.duplicate", OBJECTS[2], Severity.CRITICAL)],
        skipped=[Skipped(STOCK, "mysql.innodb.buffer_pool_memory", REASON)])
    return [Source(label=r.id, engine=r.engine, fixed=r) for r in (shop, stock)]


def run(size, scenario):
    async def main():
        app = AdvisorApp(sources(), RunOptions(), remember=False)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await scenario(app, pilot)

    asyncio.run(main())


def assert_last_segment_whole(cell: str, name: str, width: int) -> None:
    """A cut name keeps its end: never `public.…st_aid_b`."""
    if cell == name:
        return
    head, _, tail = cell.partition("…")
    assert name.startswith(head.rstrip(".")) and name.endswith(tail), (cell, name)
    last = name.rpartition(".")[2]
    if "." in name and len(last) + 1 <= width:
        assert cell.endswith(last), (cell, name)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_names_keep_their_end_and_the_footer_keeps_quit(size):
    async def scenario(app, pilot):
        table = app.query_one("#findings", DataTable)
        header = [str(c.label) for c in table.columns.values()]
        widths = {h: c.width for h, c in zip(header, table.columns.values())}
        assert sum(w + 2 for w in widths.values()) <= size[0]  # no sideways scrolling
        objects, checks = set(), set()
        for row, f in zip(table_rows(app, "#findings"), app.shown):
            cells = dict(zip(header, row))
            assert_last_segment_whole(cells["Object"], f.object, widths["Object"])
            assert_last_segment_whole(cells["Check"], f.check, widths["Check"])
            objects.add(cells["Object"])
            checks.add(cells["Check"])
        assert len(objects) == 4  # the a and b indexes stay apart
        lines = screen_lines(app)
        assert "q Quit" in lines[-1] and "Re-run" not in lines[-1]  # a saved report cannot be re-run
        if size[0] >= 160:  # wide: every name whole, target included
            assert objects == set(OBJECTS)
            assert {"pg.index.duplicate", "mysql.index.duplicate", "pg.config.slow_query_log"} == checks
            assert {r[1] for r in table_rows(app, "#findings")} == {SHOP, STOCK}
            assert {r[0] for r in table_rows(app, "#targets")} == {SHOP, STOCK}
        else:
            assert widths["Summary"] >= 30
        await pilot.press("r")  # nothing happens: no worker starts for a saved report
        await pilot.pause()
        assert all(s.worker is None for s in app.states.values())

    run(size, scenario)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_skipped_reasons_get_the_width(size):
    async def scenario(app, pilot):
        app.query_one("TabbedContent").active = "skipped-tab"
        await pilot.pause()
        table = app.query_one("#skipped", DataTable)
        reason = list(table.columns.values())[-1].width
        assert reason >= size[0] * 0.45
        rows = table_rows(app, "#skipped")
        assert all(len(r) == (3 if size[0] >= 120 else 2) for r in rows)
        heights = [table.rows[key].height for key in table.rows]
        assert max(heights) <= (2 if size[0] >= 120 else 4)  # was 7 lines a reason at 80 columns
        text = "\n".join(screen_lines(app))
        assert "mysql.innodb.buffer_pool_memory" in text or "….buffer_pool_memory" in text

    run(size, scenario)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_filter_line_is_complete_and_boxes_read_without_colour(size):
    async def scenario(app, pilot):
        await pilot.press("f")
        await pilot.pause()
        await pilot.press("space", "down", "space")  # severity: critical, warning
        await pilot.press("tab", "down", "space")  # engine: postgres
        await pilot.press("tab", "space")  # category: indexes
        await pilot.pause()
        dialog = "\n".join(screen_lines(app))
        assert dialog.count("▐✓▌") == 4 and "▐ ▌" in dialog  # ticked and unticked differ in glyph
        assert "▐X▌" not in dialog
        await pilot.press("escape")
        await pilot.pause()
        bar = " ".join(line.strip() for line in screen_lines(app)
                       if "finding(s)" in line or "category" in line or "engine" in line)
        for part in ("severity: critical,warning", "engine: postgres", "category: indexes"):
            assert part in bar, bar
        assert [f.check for f in app.shown] == ["pg.index.duplicate"] * 2
        assert len(table_rows(app, "#findings")) == 2

    run(size, scenario)


def test_help_lists_every_key():
    async def scenario(app, pilot):
        await pilot.press("question_mark")
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        for key in ("n / p", "next / previous finding", "copy the fix", "re-run", "quit"):
            assert key in text, key

    run((80, 24), scenario)


def test_a_resize_re_lays_out_columns_and_footer():
    async def scenario(app, pilot):
        assert "palette" in screen_lines(app)[-1]  # wide: the command-palette hint has room
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.pause()
        assert "q Quit" in screen_lines(app)[-1] and "palette" not in screen_lines(app)[-1]
        table = app.query_one("#findings", DataTable)
        assert "Target" not in [str(c.label) for c in table.columns.values()]
        assert sum(c.width + 2 for c in table.columns.values()) <= 80

    run((160, 48), scenario)
