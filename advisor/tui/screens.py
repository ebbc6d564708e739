"""Screens above the main one: finding detail, filters, export, connect, help."""

from __future__ import annotations

from typing import Callable

from rich.segment import Segment
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.strip import Strip
from textual.widgets import Checkbox, DataTable, Footer, Header, Input, Label, OptionList, SelectionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

from advisor.errors import UsageError
from advisor.model import Finding, Severity
from advisor.scope import shown_object
from advisor.targets import parse_target, redact

from .recent import needs_password
from .style import severity_text
from .view import FindingFilter, engine_label, evidence_rows


class DetailScreen(Screen):
    """One finding: what, where, the evidence, what to do, the exact fix and its source."""

    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("c", "copy_fix", "Copy fix"),
        Binding("n", "step(1)", "Next"),
        Binding("p", "step(-1)", "Previous"),
    ]

    def __init__(self, findings: list[Finding], index: int, describe: Callable[[str], str | None]) -> None:
        super().__init__()
        self.findings, self.index, self.describe = findings, index, describe
        self.finding = findings[index]
        self.doc = describe(self.finding.check)

    def compose(self) -> ComposeResult:
        f = self.finding
        yield Header()
        with VerticalScroll(id="detail"):
            head = Text.assemble(severity_text(self.app, f.severity), " ", (f.check, "bold"))
            if f.object or f.scope:
                head.append(f"  {shown_object(f)}")
            yield Static(head, id="detail-head")
            yield Static(Text(f.summary, style="bold"), id="detail-summary")
            yield Static(Text(f"target {f.target}{' · server-wide' if f.scope else ''} · category {f.category} · "
                              f"{self.index + 1} of {len(self.findings)} (n/p)"), classes="muted")
            yield Label("Evidence", classes="section")
            yield DataTable(id="evidence", cursor_type="row", show_cursor=False)
            yield Label("Recommendation", classes="section")
            yield Static(Text(f.recommendation), id="detail-recommendation")
            fix = Static(Text(f.fix or "no exact fix: see the recommendation"), id="detail-fix",
                         classes="" if f.fix else "muted")
            fix.border_title = "Fix — c copies it" if f.fix else "Fix"
            yield fix
            yield Label("Reference", classes="section")
            yield Static(Text(f.reference), id="detail-reference")
            if self.doc:
                yield Label("About this check", classes="section")
                yield Static(Text(self.doc), id="detail-doc")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#evidence", DataTable)
        rows = evidence_rows(self.finding.evidence)
        name_w = min(30, max([4] + [len(n) for n, _ in rows]))
        table.add_column("Name", width=name_w)
        table.add_column("Value", width=max(20, self.app.size.width - name_w - 10))
        for name, value in rows:  # long values (lists, statements) wrap instead of scrolling
            table.add_row(Text(name), Text(value), height=None)
        self.query_one("#detail").focus()

    def action_step(self, delta: int) -> None:
        """n / p: the next or previous finding of the (filtered) table, in place."""
        index = self.index + delta
        if 0 <= index < len(self.findings):
            self.app.switch_screen(DetailScreen(self.findings, index, self.describe))

    def action_copy_fix(self) -> None:
        if not self.finding.fix:
            self.notify("this finding has no exact fix to copy", severity="warning")
            return
        self.app.copy_to_clipboard(self.finding.fix)
        self.notify("fix copied to the clipboard (OSC 52)")


class CheckList(SelectionList[str]):
    """A SelectionList whose boxes read without colour: ✓ when chosen, blank when not
    (Textual draws an X in both and tells them apart by colour only)."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        segments = list(strip)
        try:
            option = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return strip
        if len(segments) > 1 and segments[1].text == Checkbox.BUTTON_INNER:
            glyph = "✓" if option.value in self._selected else " "
            segments[1] = Segment(glyph, segments[1].style)
            return Strip(segments, strip.cell_length)
        return strip


class FilterScreen(ModalScreen):
    """Severity, engine and category filters; the table behind follows every toggle."""

    BINDINGS = [
        Binding("escape,f", "close", "Close"),
        Binding("x", "clear", "Clear all"),
    ]

    def __init__(self, flt: FindingFilter, engines: list[str], categories: list[str],
                 changed: Callable[[], None]) -> None:
        super().__init__()
        self.flt, self.engines, self.categories, self.changed = flt, engines, categories, changed

    def compose(self) -> ComposeResult:
        with Vertical(id="filter-dialog") as box:
            box.border_title = "Filters — space toggles, x clears, Esc closes"
            with Horizontal():
                yield self._list("severity", "Severity",
                                 [(str(s).upper(), str(s)) for s in sorted(Severity, reverse=True)],
                                 self.flt.severities)
                yield self._list("engine", "Engine", [(engine_label(e), e) for e in self.engines],
                                 self.flt.engines)
                yield self._list("category", "Category", [(c, c) for c in self.categories],
                                 self.flt.categories)

    @staticmethod
    def _list(name: str, title: str, items: list[tuple[str, str]], chosen: set[str]) -> SelectionList:
        sl = CheckList(*[(label, value, value in chosen) for label, value in items], id=f"f-{name}")
        sl.border_title = title
        return sl

    @on(SelectionList.SelectedChanged)
    def apply(self, event: SelectionList.SelectedChanged) -> None:
        name = (event.selection_list.id or "").removeprefix("f-")
        chosen = set(event.selection_list.selected)
        setattr(self.flt, {"severity": "severities", "engine": "engines", "category": "categories"}[name],
                chosen)
        self.changed()

    def action_clear(self) -> None:
        for sl in self.query(SelectionList):
            sl.deselect_all()

    def action_close(self) -> None:
        self.dismiss()


class ExportScreen(ModalScreen[str | None]):
    """Where to write the JSON report (schema v1, the same as `advisor run --json`)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, default: str) -> None:
        super().__init__()
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog", classes="dialog") as box:
            box.border_title = "Export the report as JSON"
            yield Label("File (Enter writes, Esc cancels):")
            yield Input(self.default, id="export-path")

    @on(Input.Submitted)
    def submit(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConnectScreen(Screen[str | None]):
    """Type a database URL, or pick a recent one (remembered without its password)."""

    BINDINGS = [Binding("escape", "cancel", "Back / quit")]

    def __init__(self, recent: list[str], can_cancel: bool) -> None:
        super().__init__()
        self.recent = recent
        self.can_cancel = can_cancel

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="connect"):
            yield Label("Database URL", classes="section")
            yield Input(placeholder="postgresql://user@host:5432/db  mysql://…  redis://…  mongodb://…",
                        id="url")
            yield Static(id="connect-error")
            yield Label("Recent targets (passwords are never stored: retype them where *** stands)",
                        classes="section", id="recent-title")
            yield OptionList(*[Option(u, id=str(i)) for i, u in enumerate(self.recent)], id="recent")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#recent").display = self.query_one("#recent-title").display = bool(self.recent)
        self.query_one("#url", Input).focus()

    @on(Input.Submitted, "#url")
    def submit(self, event: Input.Submitted) -> None:
        self.connect(event.value)

    def connect(self, url: str) -> None:
        """Connect to `url`, or say in place why not (the previous message is replaced)."""
        url = url.strip()
        error = self.query_one("#connect-error", Static)
        try:
            parse_target(url)
        except UsageError as e:
            error.update(Text(f"✗ {e}", style="bold"))
            return
        if needs_password(url):
            error.update(Text(f"✗ replace *** in {redact(url)} with the password", style="bold"))
            return
        error.update("")
        self.dismiss(url)

    @on(OptionList.OptionSelected, "#recent")
    def pick(self, event: OptionList.OptionSelected) -> None:
        url = self.recent[int(event.option.id)]
        box = self.query_one("#url", Input)
        box.value = url
        if needs_password(url):
            box.focus()
            self.query_one("#connect-error", Static).update(Text("retype the password where *** stands"))
        else:  # directly: Input.action_submit is a coroutine since Textual 8
            self.connect(url)

    def action_cancel(self) -> None:
        self.dismiss(None)


HELP = """\
[b]Keys[/b]
  r      re-run every target (cancels the run in progress)
  /      search target, check, object, summary (Esc clears)
  f      filters: severity, engine, category (space, x clears)
  Enter  finding: its detail · target: only its findings
  c      in a detail: copy the fix to the clipboard (OSC 52)
  n / p  in a detail: next / previous finding
  e      export the report as JSON (as advisor run --json)
  a      add a target          t  light / dark theme
  Tab    next pane             ?  help       q  quit

[b]Columns[/b]
  Object: ⌂ marks a server-wide finding (the server's settings,
  not the database or schema the URL names).
  Score: 0-100 per target (critical -15, warning -5, info -1;
  at most 3 findings of one check count). Skipped checks and
  errors have their own tabs, each with its reason.
"""


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,question_mark,q", "app.pop_screen", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog", classes="dialog") as box:
            box.border_title = "db-advisor — help (Esc closes)"
            yield Static(HELP)
