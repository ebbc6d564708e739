"""The snapshot file: the facts of one or more targets, collected once, analyzed elsewhere.

    {"snapshot_version": 1, "tool": {...}, "taken_at": "...",
     "host": {"memory_bytes": ..., "cpus": ...},
     "targets": [{"id", "engine", "url", "server_version", "facts", "unavailable",
                  "options", "errors", "duration_ms"}, ...]}
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from .errors import UsageError
from .model import Host

SNAPSHOT_VERSION = 1


def document(entries: list[dict[str, Any]], host: Host) -> dict[str, Any]:
    from . import __version__
    return {
        "snapshot_version": SNAPSHOT_VERSION,
        "tool": {"name": "db-advisor", "version": __version__},
        "taken_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "host": {"memory_bytes": host.memory_bytes, "cpus": host.cpus},
        "targets": entries,
    }


def write(doc: dict[str, Any], path: str) -> None:
    try:
        Path(path).write_text(json.dumps(doc, indent=1, default=str))
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror}") from None


def load(path: str) -> dict[str, Any]:
    """A snapshot document, checked; a one-line UsageError for anything else."""
    try:
        doc = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise UsageError(f"snapshot file not found: {path}") from None
    except (OSError, ValueError) as e:
        raise UsageError(f"{path}: not a snapshot file: {e}") from None
    return parse(doc, path)


def parse(doc: Any, path: str) -> dict[str, Any]:
    if isinstance(doc, dict) and "findings" in doc and "schema_version" in doc:
        raise UsageError(f"{path}: this is a report (advisor run --json), not a snapshot: "
                         "take one with 'advisor snapshot URL -o FILE'")
    if not isinstance(doc, dict) or doc.get("snapshot_version") != SNAPSHOT_VERSION:
        raise UsageError(f"{path}: not a db-advisor snapshot (snapshot_version {SNAPSHOT_VERSION})")
    found = problem(doc)
    if found:
        raise UsageError(f"{path}: damaged snapshot: {found}")
    return doc


def problem(doc: dict[str, Any]) -> str | None:
    """The first structural defect of a snapshot document, or None."""
    from .engines import NAMES
    targets = doc.get("targets")
    if not isinstance(targets, list) or not targets:
        return "'targets' must be a non-empty list"
    if not isinstance(doc.get("host", {}), dict):
        return "'host' must be an object"
    for i, t in enumerate(targets):
        if not isinstance(t, dict) or not all(isinstance(t.get(k), str) for k in ("id", "engine", "url")):
            return f"target #{i + 1} needs 'id', 'engine' and 'url' strings"
        if t["engine"] not in NAMES:
            return f"target {t['id']!r}: unknown engine {t['engine']!r} (known: {', '.join(NAMES)})"
        for key in ("facts", "unavailable", "options"):
            if not isinstance(t.get(key, {}), dict):
                return f"target {t['id']!r}: {key!r} must be an object"
        if not isinstance(t.get("errors", []), list):
            return f"target {t['id']!r}: 'errors' must be a list"
    return None


def sources(doc: dict[str, Any]) -> list[Any]:
    """The pipeline's sources for a snapshot: each entry with the host recorded in its file
    (memory/cpus given on the command line or in the config still win)."""
    from .runner import SnapshotEntry
    host = doc.get("host") or {}
    return [SnapshotEntry(e, host) for e in doc["targets"]]
