"""`advisor tui`: the interactive terminal UI (Textual).

Only `advisor tui` imports this package: textual is never loaded by the
headless commands (tests/tui/test_headless.py enforces it).
"""

from __future__ import annotations

from typing import Any

from advisor.runner import RunOptions

from .jobs import Source


def load_sources(path: str, opts: RunOptions) -> list[Source]:
    """Targets from a file: a snapshot (analyzed here, re-runnable) or a saved JSON report."""
    import json
    from pathlib import Path

    from advisor import snapshot
    from advisor.report import Report

    try:
        doc: Any = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        doc = None
    if isinstance(doc, dict) and "schema_version" in doc and "findings" in doc:
        report = Report.from_dict(doc)
        for t in report.targets:
            t.reachable = not (t.score is None and t.errors)
        return [Source(label=t.id, engine=t.engine, fixed=t) for t in report.targets]
    doc = snapshot.load(path)  # one-line UsageError for anything else
    return [Source(label=s.entry["id"], engine=s.entry["engine"], entry=s) for s in snapshot.sources(doc)]


def build_sources(urls: list[str], opts: RunOptions, snapshot: str | None = None,
                  inventory: Any = None) -> list[Source]:
    """URLs, an inventory's targets and a snapshot/report file, side by side."""
    from advisor.targets import parse_target

    targets = [parse_target(u) for u in urls] + (list(inventory.targets) if inventory else [])
    sources = [Source(label=t.id, engine=t.engine, target=t) for t in targets]
    if inventory:  # targets the inventory could not use (unset url_env...) show why, in place
        sources += [Source(label=r.id, engine=r.engine, fixed=r) for r in inventory.unusable]
        if inventory.parallel:
            opts.max_parallel = inventory.parallel
    if snapshot:
        sources += load_sources(snapshot, opts)
    return sources


def run_app(urls: list[str], opts: RunOptions, snapshot: str | None = None, inventory: Any = None,
            history: Any = None) -> int:
    """`advisor tui`: targets run through the same pipeline as `advisor run` (inventory
    settings per target, opts.mutes from advisor.toml); `history` (advisor.history.History)
    adds the History tab and the forecasts from its runs."""
    sources = build_sources(urls, opts, snapshot, inventory)
    from .app import AdvisorApp

    app = AdvisorApp(sources, opts, history=history)
    return app.run() or 0
