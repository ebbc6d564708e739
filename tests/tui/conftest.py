"""TUI fixtures: an app factory, a waiter for thread workers, and a private state dir."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from advisor.runner import RunOptions

sys.path.insert(0, str(Path(__file__).parent))
from tui_helpers import live_sources  # noqa: E402


@pytest.fixture(autouse=True)
def state_home(tmp_path, monkeypatch):
    """Recent targets go to tmp_path, never to the real ~/.local/state."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state"


@pytest.fixture
def make_app():
    from advisor.tui.app import AdvisorApp

    def _make(*urls: str, timeout: float = 10.0, include: list[str] | None = None, **kw):
        return AdvisorApp(live_sources(*urls), RunOptions(timeout=timeout, include=include or []), **kw)

    return _make
