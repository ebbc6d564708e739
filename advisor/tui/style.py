"""Theme-aware text shared by the app and its screens."""

from __future__ import annotations

from rich.text import Text
from textual.app import App

from advisor.model import Severity

from .view import SEVERITY_LABEL


def severity_text(app: App, sev: Severity, label: str | None = None) -> Text:
    """A severity label in the theme's colours, so it reads on light and dark themes."""
    theme = app.current_theme
    color = {Severity.CRITICAL: theme.error, Severity.WARNING: theme.warning,
             Severity.INFO: theme.primary}[sev]
    return Text(label or SEVERITY_LABEL[sev], style=f"bold {color}" if color else "bold")
