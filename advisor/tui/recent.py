"""Recent targets for the connect screen: a small JSON file, never a password.

Stored in $XDG_STATE_HOME/db-advisor/recent.json (default ~/.local/state/...).
URLs are redacted with advisor.targets.redact before they touch the disk.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from advisor.targets import redact

LIMIT = 10


def state_file() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "db-advisor" / "recent.json"


def load() -> list[str]:
    """Most recent first; a missing or unreadable file is an empty list."""
    try:
        data = json.loads(state_file().read_text())
    except (OSError, ValueError):
        return []
    if not isinstance(data, dict) or not isinstance(data.get("targets"), list):
        return []
    return [u for u in data["targets"] if isinstance(u, str)][:LIMIT]


def remember(urls: list[str]) -> None:
    """Put `urls` (redacted) at the top; failure to write is not an error worth a crash."""
    if not urls:
        return
    new = [redact(u) for u in urls]
    merged = new + [u for u in load() if u not in new]
    path = state_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"targets": merged[:LIMIT]}, indent=1))
        os.chmod(tmp, 0o600)
        tmp.replace(path)
    except OSError:
        pass


def needs_password(url: str) -> bool:
    """A remembered URL whose password was removed: the user must type it again."""
    return "***" in url
