"""The main screen: targets with their progress and score, then findings / skipped / errors.

Each target runs in its own thread worker (group "target:<key>", exclusive), so a
re-run cancels the run in progress and a slow target never blocks the others or
the UI. Workers post TargetProgress / TargetFinished; a generation number drops
messages from a run that was replaced.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Input, Static, TabbedContent, TabPane
from textual.worker import Worker, get_current_worker

from advisor import registry
from advisor.facts import collecting
from advisor.model import Finding, TargetResult
from advisor.report import Report
from advisor.runner import Event, RunOptions
from advisor.scope import table_object

from . import recent
from .style import severity_text
from .jobs import Cancelled, Source, run_detached, run_source
from .view import (FindingFilter, fact_label, fit_widths, middle_cut, progress_bar,
                   reachability_message, score_label, short_version, status_counts, tail_cut, visible_findings)


PROGRESS_EVERY = 0.1  # seconds between progress messages of one target
SLOW_FACT = 0.5  # seconds: a fact collected for longer shows in the target's row, with a spinner
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


@dataclass
class TargetState:
    key: str
    source: Source
    status: str = "queued"  # queued | running | done | unreachable
    done: int = 0
    total: int = 0
    current: str = ""
    result: TargetResult | None = None
    gen: int = 0
    worker: Worker | None = None
    fact: str | None = None  # the fact being collected (Redis key sampling...), since when
    fact_since: float = 0.0
    fact_shown: bool = False
    started: float = 0.0  # when the run started (a connect that hangs shows its time)


class TargetProgress(Message):
    def __init__(self, key: str, gen: int, done: int, total: int, check: str) -> None:
        super().__init__()
        self.key, self.gen, self.done, self.total, self.check = key, gen, done, total, check


class TargetFact(Message):
    """A target's run started collecting a fact (None: it finished)."""

    def __init__(self, key: str, gen: int, fact: str | None) -> None:
        super().__init__()
        self.key, self.gen, self.fact = key, gen, fact


class TargetFinished(Message):
    def __init__(self, key: str, gen: int, result: TargetResult, muted: int = 0) -> None:
        super().__init__()
        self.key, self.gen, self.result, self.muted = key, gen, result, muted


def check_doc(check_id: str) -> str | None:
    """The check's docstring (what the problem is and how to fix it), if the check is known."""
    try:
        return registry.get(check_id).doc
    except KeyError:
        return None


class AdvisorApp(App[int]):
    TITLE = "db-advisor"
    CSS_PATH = "advisor.tcss"
    BINDINGS = [
        Binding("r", "rerun", "Re-run"),
        Binding("slash", "search", "Search", key_display="/"),
        Binding("f", "filters", "Filters"),
        Binding("e", "export", "Export JSON"),
        Binding("a", "add_target", "Add target"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
        Binding("t", "toggle_theme", "Light/dark", show=False),
        Binding("escape", "clear_search", "Clear search", show=False),
    ]

    def __init__(self, sources: list[Source], opts: RunOptions, *,
                 describe: Callable[[str], str | None] = check_doc, remember: bool = True,
                 history: Any = None) -> None:
        super().__init__()
        self.opts = opts
        self.history = history   # advisor.history.History (--history): read only, runs feed forecasts
        if history is not None:
            opts.history = True
        self.describe = describe
        self.remember = remember
        self.muted: dict[str, int] = {}  # per target key: findings muted in advisor.toml (opts.mutes)
        self.states: dict[str, TargetState] = {}
        self.filter = FindingFilter()
        self.shown: list[Finding] = []
        for src in sources:
            self._add_state(src)

    # --- layout -----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="targets-box") as box:
            box.border_title = "Targets"
            yield DataTable(id="targets", cursor_type="row", zebra_stripes=True)
        yield Static(id="filter-bar")
        with TabbedContent(id="tabs"):
            with TabPane("Findings", id="findings-tab"):
                yield DataTable(id="findings", cursor_type="row", zebra_stripes=True)
            with TabPane("Skipped", id="skipped-tab"):
                yield DataTable(id="skipped", cursor_type="row", zebra_stripes=True)
            with TabPane("Errors", id="errors-tab"):
                yield DataTable(id="errors", cursor_type="row", zebra_stripes=True)
            if self.history is not None:
                with TabPane("History", id="history-tab"), VerticalScroll(id="history-box"):
                    yield Static(id="history")
        yield Input(placeholder="/ search target, check, object, summary — Enter keeps, Esc clears",
                    id="search")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "offline" if self.states and not any(
            s.source.live for s in self.states.values()) else ""
        self.theme_changed_signal.subscribe(self, lambda _theme: (self.refresh_tables(), self.show_history()))
        self.set_interval(0.25, self._show_slow_facts)
        self.refresh_tables()
        self.show_history()
        self.query_one("#findings", DataTable).focus()
        if self.states:  # after the first frame: the user sees the screen before any work starts
            self.call_after_refresh(self.start_all)
        else:
            self.action_add_target()

    # --- running ----------------------------------------------------------------

    def _add_state(self, src: Source) -> TargetState:
        key = f"t{len(self.states)}"
        state = TargetState(key, src)
        if self.history is not None and src.live:   # the earlier run the forecast checks take a rate from
            sample = self.history.previous(src.target.id)
            if sample is not None:
                self.opts.history_samples[src.target.id] = sample.to_fact()
        if src.fixed is not None:
            state.result, state.status = src.fixed, _final_status(src.fixed)
        self.states[key] = state
        return state

    def add_target(self, src: Source) -> None:
        if any(s.source.label == src.label for s in self.states.values()):
            self.notify(f"{src.label} is already in the list", severity="warning")
            return
        state = self._add_state(src)
        self.sub_title = ""
        self.refresh_bindings()  # `r` once something can be re-run
        self.refresh_tables()
        self.start(state)

    def start_all(self) -> None:
        if self.remember:
            recent.remember([s.source.target.url for s in self.states.values() if s.source.live])
        for state in self.states.values():
            self._queue(state)
        self._launch_queued()

    def start(self, state: TargetState) -> None:
        self._queue(state)
        self._launch_queued()

    def _queue(self, state: TargetState) -> None:
        """Forget the target's result and put it in line; a run in progress is cancelled."""
        if not state.source.rerunnable:
            return
        state.gen += 1  # messages of the replaced run are dropped from now on
        if state.worker is not None and not state.worker.is_finished:
            state.worker.cancel()
        self.muted.pop(state.key, None)
        state.status, state.done, state.total, state.current, state.result = "queued", 0, 0, "", None
        state.fact, state.fact_shown = None, False

    def _launch_queued(self) -> None:
        """Start queued targets, at most opts.max_parallel at a time (as `advisor run`)."""
        running = sum(s.status == "running" for s in self.states.values())
        for state in self.states.values():
            if state.status != "queued" or running >= max(1, self.opts.max_parallel):
                continue
            running += 1
            state.status, state.started = "running", time.monotonic()
            # exclusive: a new run of this target cancels the one in progress
            state.worker = self.run_worker(partial(self._work, state.key, state.gen, state.source),
                                           name=state.source.label, group=f"target:{state.key}",
                                           exclusive=True, thread=True, exit_on_error=False)
        self.refresh_tables()

    def _work(self, key: str, gen: int, source: Source) -> None:
        """Runs in a thread: only post_message (thread-safe) talks to the UI."""
        worker = get_current_worker()

        last = [0.0]

        def on_event(event: Event) -> None:
            if worker.is_cancelled:
                raise Cancelled
            if event.kind == "sampling":   # the --sample window: idle time, shown as such
                self.post_message(TargetProgress(key, gen, 0, 0, f"sampling counters {event.index}/{event.total} s"))
                return
            if event.kind != "check_started":
                return
            now = time.monotonic()
            if event.index == 1 or now - last[0] >= PROGRESS_EVERY:  # a few updates a second are enough
                last[0] = now
                self.post_message(TargetProgress(key, gen, event.index, event.total, event.check or ""))

        def run() -> TargetResult:
            with collecting(lambda fact: self.post_message(TargetFact(key, gen, fact))):
                return run_source(source, self.opts, on_event)

        try:
            report = run_detached(run, lambda: worker.is_cancelled)
        except Cancelled:
            return
        if not worker.is_cancelled:
            self.post_message(TargetFinished(key, gen, report.targets[0], len(report.muted)))

    def on_target_progress(self, msg: TargetProgress) -> None:
        state = self.states.get(msg.key)
        if state is None or state.gen != msg.gen:
            return
        state.done, state.total, state.current = msg.done, msg.total, msg.check
        self._update_target_row(state)

    def on_target_fact(self, msg: TargetFact) -> None:
        state = self.states.get(msg.key)
        if state is None or state.gen != msg.gen:
            return
        state.fact, state.fact_since = msg.fact, time.monotonic()
        if state.fact_shown:  # a slow fact ended: its line must not linger
            self._update_target_row(state)

    def _show_slow_facts(self) -> None:
        """A connect or a fact that takes long (Redis key sampling) shows with a spinner and its time."""
        now = time.monotonic()
        for s in self.states.values():
            if s.status == "running" and (now - s.fact_since >= SLOW_FACT if s.fact else
                                          not s.total and now - s.started >= SLOW_FACT):
                self._update_target_row(s)

    def on_target_finished(self, msg: TargetFinished) -> None:
        state = self.states.get(msg.key)
        if state is None or state.gen != msg.gen:
            return
        if msg.muted:
            self.muted[msg.key] = msg.muted
        state.result, state.status = msg.result, _final_status(msg.result)
        self._launch_queued()
        self.show_history()

    # --- history ----------------------------------------------------------------

    def selected_state(self) -> TargetState | None:
        """The target under the cursor of the targets table."""
        table = self.query_one("#targets", DataTable)
        if not self.states or table.row_count == 0:
            return None
        return self.states.get(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    @on(DataTable.RowHighlighted, "#targets")
    def show_history(self) -> None:
        """The History tab follows the selected target."""
        state = self.selected_state() if self.history is not None else None
        if state is None:
            return
        from .trends import history_text
        target = state.result.id if state.result else (state.source.target.id if state.source.live
                                                        else state.source.label)
        theme = self.current_theme
        self.query_one("#history", Static).update(
            history_text(self.history, target, state.result, theme.error or "", theme.success or ""))

    # --- tables -----------------------------------------------------------------

    @property
    def results(self) -> list[TargetResult]:
        return [s.result for s in self.states.values() if s.result is not None]

    def _target_cells(self, s: TargetState) -> list:
        """Target, engine (and version), score, status: progress, counts, or the error in place."""
        r = s.result
        engine = short_version(r.server_version if r else None, s.source.engine)
        if s.status == "running":
            now = time.monotonic()
            status = (f"{progress_bar(s.done, s.total, 8)} {s.done}/{s.total} {s.current}" if s.total
                      else s.current or ("connecting…" if s.source.live else "analyzing…"))
            s.fact_shown = bool(s.fact) and now - s.fact_since >= SLOW_FACT
            if s.fact_shown:  # first, so that a narrow column keeps the sign of life
                status = f"{_busy(fact_label(s.fact) + '…', now - s.fact_since)} · {s.done}/{s.total} {s.current}"
            elif not s.total and now - s.started >= SLOW_FACT:
                status = _busy(status, now - s.started)
            return [s.source.label, engine, "…", status]
        if r is None:
            return [s.source.label, engine, "—", s.status]
        if s.status == "unreachable":
            msg = reachability_message(r.errors[0].message) if r.errors else "unreachable"
            status = Text("✗ " + " ".join(msg.split()), style=f"bold {self.current_theme.error}")
        else:
            status = Text("✓ " + status_counts(r.findings), style="bold" if r.findings else "")
            status.append(f" · {len(r.skipped)} skipped" + (f" · {len(r.errors)} errors" if r.errors else ""))
        return [s.source.label, engine, score_label(r), status]

    def _update_target_row(self, state: TargetState) -> None:
        table = self.query_one("#targets", DataTable)
        if state.key not in table.rows:
            return self.refresh_tables()
        cells = self._target_cells(state)
        if len(table.columns) == 3:
            cells = [cells[0], cells[2], cells[3]]
        for col, cell in zip(table.columns, _fit(cells, table, [middle_cut])):
            table.update_cell(state.key, col, cell)

    def on_resize(self) -> None:
        self.call_after_refresh(self._relayout)  # once the new size is known

    def _relayout(self) -> None:
        # narrow: the footer drops the palette hint and padding, so that `q Quit` stays in sight
        footer = self.screen_stack[0].query_one(Footer)  # the main screen's, even under a detail
        wide = self.size.width >= 100
        if footer.show_command_palette != wide:
            footer.compact, footer.show_command_palette = not wide, wide
            footer.refresh(recompose=True)
        self.refresh_tables()

    def refresh_tables(self) -> None:
        width = self.size.width
        targets = self.query_one("#targets", DataTable)
        row = targets.cursor_row
        rows = [self._target_cells(s) for s in self.states.values()]
        inset = 4 if len(rows) > 6 else 2  # the box's border, and a scrollbar past 6 rows (max-height 7)
        if width >= 100:
            _set_columns(targets, ["Target", "Engine", "Score", "Status"], rows, [0.45, 0.2, 1.0, None], inset)
        else:  # the id starts with the engine (postgres://, mysql://...): leave the version out
            rows = [[c[0], c[2], c[3]] for c in rows]
            _set_columns(targets, ["Target", "Score", "Status"], rows, [0.55, 1.0, None], inset)
        for s, cells in zip(self.states.values(), rows):
            targets.add_row(*_fit(cells, targets, [middle_cut]), key=s.key)
        if self.states:
            targets.move_cursor(row=min(row, len(self.states) - 1))
        self.refresh_findings()
        results = self.results
        skipped = sorted((s for r in results for s in r.skipped), key=lambda s: (s.target, s.check))
        table = self.query_one("#skipped", DataTable)
        if width >= 120:
            rows = [[sk.target, sk.check, sk.reason] for sk in skipped]
            _set_columns(table, ["Target", "Check", "Reason"], rows, [0.25, 0.25, None], prose=width // 2)
            cuts = [middle_cut, tail_cut]
        else:  # narrower: the target under the check, so that the reason keeps the width
            rows = [[f"{sk.check}\n{sk.target}", sk.reason] for sk in skipped]
            _set_columns(table, ["Check / target", "Reason"], rows, [0.35, None])
            cuts = []
        width0 = next(iter(table.columns.values())).width
        for sk, cells in zip(skipped, rows):  # long reasons wrap: they are the point of these tabs
            first = (_fit(cells[:-1], table, cuts) if cuts else
                     [Text.assemble(tail_cut(sk.check, width0), "\n",
                                    (middle_cut(sk.target, width0), self.current_theme.secondary or ""))])
            table.add_row(*first, Text(cells[-1]), height=None)
        errors = [[e.target, e.message] for r in results for e in r.errors]
        table = self.query_one("#errors", DataTable)
        _set_columns(table, ["Target", "Message"], errors, [0.35, None], prose=width // 2)
        for cells in errors:
            table.add_row(*_fit(cells[:-1], table, [middle_cut]), Text(cells[-1]), height=None)
        tabs = self.query_one(TabbedContent)
        tabs.get_tab("skipped-tab").label = f"Skipped ({len(skipped)})"
        tabs.get_tab("errors-tab").label = f"Errors ({len(errors)})"

    def refresh_findings(self) -> None:
        results = self.results
        self.shown = visible_findings(results, self.filter)
        table = self.query_one("#findings", DataTable)
        row = table.cursor_row
        with_target = len(self.states) > 1 and self.size.width >= 110  # narrower: Enter on a target filters
        header = ["Sev", *(["Target"] if with_target else []), "Check", "Object", "Summary"]
        shares = [1.0, *([0.22] if with_target else []), 0.3, 0.2, None]
        cuts = [None, *([middle_cut] if with_target else []), tail_cut, tail_cut]
        rows = [[severity_text(self, f.severity), *([f.target] if with_target else []),
                 f.check, table_object(f), f.summary] for f in self.shown]
        _set_columns(table, header, rows, shares)
        for i, cells in enumerate(rows):
            table.add_row(*_fit(cells, table, cuts), key=str(i))
        if self.shown:
            table.move_cursor(row=min(row, len(self.shown) - 1))
        total = sum(len(r.findings) for r in results)
        self.query_one(TabbedContent).get_tab("findings-tab").label = (
            f"Findings ({len(self.shown)}/{total})" if self.filter.active else f"Findings ({total})")
        self.query_one("#filter-bar", Static).update(self._filter_line(total))

    def _filter_line(self, total: int) -> Text:
        running = sum(s.status == "running" for s in self.states.values())
        queued = sum(s.status == "queued" for s in self.states.values())
        muted = sum(self.muted.values())
        parts = [f"{total} finding(s)" + (f" ({muted} muted in the config)" if muted else "")]
        if self.filter.active:
            parts.append(f"showing {len(self.shown)} — {self.filter.describe()}")
        if running or queued:
            parts.append(f"{running} target(s) running" + (f", {queued} queued" if queued else ""))
        if not self.states:
            parts = ["no target yet: press a to add one"]
        return Text(" · ".join(parts))

    # --- actions ----------------------------------------------------------------

    MAIN_ONLY = {"rerun", "search", "filters", "export", "add_target", "clear_search"}

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Main-screen keys are off (and out of the footer) while a detail or dialog is open;
        `r` is offered only when something can be re-run (not for a saved report)."""
        if action in self.MAIN_ONLY and len(self.screen_stack) > 1:
            return False
        if action == "rerun":
            return any(s.source.rerunnable for s in self.states.values())
        return True

    @on(DataTable.RowSelected, "#findings")
    def open_finding(self, event: DataTable.RowSelected) -> None:
        from .screens import DetailScreen
        self.push_screen(DetailScreen(list(self.shown), int(event.row_key.value), self.describe))

    @on(DataTable.RowSelected, "#targets")
    def target_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a target: show only its findings (again: show all)."""
        state = self.states[event.row_key.value]
        label = state.result.id if state.result else state.source.label
        self.filter.target = None if self.filter.target == label else label
        self.refresh_findings()

    def action_rerun(self) -> None:  # offered only when a target is rerunnable (check_action)
        self.start_all()

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.add_class("shown")
        search.focus()

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        self.filter.text = event.value
        self.refresh_findings()

    @on(Input.Submitted, "#search")
    def search_done(self) -> None:
        self.query_one(TabbedContent).active = "findings-tab"
        self.query_one("#findings", DataTable).focus()

    def action_clear_search(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_class("shown") or search.value:
            search.value = ""
            search.remove_class("shown")
            self.filter.text = ""
            self.refresh_findings()
            self.query_one("#findings", DataTable).focus()

    def action_filters(self) -> None:
        from .screens import FilterScreen
        results = self.results
        engines = sorted({s.source.engine for s in self.states.values()})
        categories = sorted({f.category for r in results for f in r.findings} | self.filter.categories)
        self.push_screen(FilterScreen(self.filter, engines, categories, self.refresh_findings))

    def action_export(self) -> None:
        from .screens import ExportScreen
        if not self.results:
            self.notify("nothing to export yet", severity="warning")
            return
        self.push_screen(ExportScreen("advisor-report.json"), self.export_to)

    def export_to(self, path: str | None) -> None:
        if not path:
            return
        report = Report(targets=self.results)
        try:
            Path(path).expanduser().write_text(report.to_json())
        except OSError as e:
            self.notify(f"cannot write {path}: {e.strerror}", severity="error")
            return
        self.notify(f"wrote {len(report.findings)} finding(s) to {path}")

    def action_add_target(self) -> None:
        from .screens import ConnectScreen
        self.push_screen(ConnectScreen(recent.load(), can_cancel=bool(self.states)), self.connect_to)

    def connect_to(self, url: str | None) -> None:
        if url is None:
            if not self.states:
                self.exit(0)
            return
        from advisor.targets import parse_target
        target = parse_target(url)  # validated by the connect screen
        if self.remember:
            recent.remember([target.url])
        self.add_target(Source(label=target.id, engine=target.engine, target=target))

    def action_help(self) -> None:
        from .screens import HelpScreen
        self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"


def _busy(doing: str, seconds: float) -> str:
    """A spinner, what is being done and for how long: `⠹ sampling keys… 1.8s`."""
    return f"{SPINNER[int(seconds * 8) % len(SPINNER)]} {doing} {seconds:.1f}s"


def _final_status(r: TargetResult) -> str:
    return "done" if r.reachable else "unreachable"


def _cell(value, width: int) -> Text:
    """A cell as one line of Text cut to `width` (names with [brackets] are never markup)."""
    text = value if isinstance(value, Text) else Text(str(value))
    if text.cell_len > width or "\n" in text.plain:
        text = text.copy()
        text.plain = text.plain.replace("\n", " ")
        if text.cell_len > width:
            text.truncate(max(1, width - 1))
            text.append("…")
    return text


def _natural(value) -> int:
    text = value if isinstance(value, Text) else Text(str(value))
    return max(Text(line).cell_len for line in text.plain.split("\n"))


def _set_columns(table: DataTable, header: list[str], rows: list[list], shares: list[float | None],
                 inset: int = 2, prose: int = 40) -> None:
    """Reset `table` with widths from the window and the content (see view.fit_widths);
    `inset` = the cells around the table (borders, vertical scrollbar)."""
    natural = [max([len(h)] + [_natural(r[i]) for r in rows]) for i, h in enumerate(header)]
    table.clear(columns=True)
    for h, w in zip(header, fit_widths(table.app.size.width - inset, natural, shares, prose)):
        table.add_column(h, width=w)


def _fit(cells: list, table: DataTable, cuts: list[Callable[[str, int], str] | None] = ()) -> list[Text]:
    """Cells cut to their columns: `cuts[i]` shortens a name its own way (middle_cut, tail_cut)."""
    out = []
    for i, (value, col) in enumerate(zip(cells, table.columns.values())):
        cut = cuts[i] if i < len(cuts) else None
        out.append(_cell(cut(value, col.width) if cut and isinstance(value, str) else value, col.width))
    return out
