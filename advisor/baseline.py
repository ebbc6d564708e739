"""Baselines: today's findings, recorded by a stable fingerprint, so that CI and cron
fail only on findings that are new.

A fingerprint is check id + target id + object. Findings without an object (a
server-wide problem) use their summary with every number replaced by '#', so a
value that drifts from run to run (a ratio, a byte count) does not make an old
finding look new. The summary text is never used when an object exists.
A baselined finding whose severity has risen since (warning -> critical) counts
as new again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .errors import UsageError
from .model import Finding, Severity

BASELINE_VERSION = 1
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def normalized_key(f: Finding) -> str:
    if f.object:
        return " ".join(f.object.split())
    return _NUMBER.sub("#", " ".join(f.summary.split()))


def fingerprint(f: Finding) -> str:
    raw = "\x1f".join((f.check, f.target, normalized_key(f)))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


@dataclass
class Baseline:
    path: str
    severities: dict[str, Severity] = field(default_factory=dict)  # fingerprint -> recorded severity

    def __contains__(self, f: Finding) -> bool:
        recorded = self.severities.get(fingerprint(f))
        return recorded is not None and f.severity <= recorded


def document(findings: list[Finding]) -> dict[str, Any]:
    """The baseline file's content: sorted, so that re-recording an unchanged state is a no-op diff."""
    entries = {fingerprint(f): {"fingerprint": fingerprint(f), "check": f.check, "target": f.target,
                                "object": f.object, "severity": str(f.severity), "summary": f.summary}
               for f in findings}
    return {
        "baseline_version": BASELINE_VERSION,
        "tool": {"name": "db-advisor", "version": __version__},
        "created_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "findings": [entries[k] for k in sorted(entries)],
    }


def write(findings: list[Finding], path: str) -> int:
    doc = document(findings)
    try:
        Path(path).write_text(json.dumps(doc, indent=1) + "\n")
    except OSError as e:
        raise UsageError(f"cannot write baseline {path}: {e.strerror}") from None
    return len(doc["findings"])


def load(path: str) -> Baseline:
    try:
        doc = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise UsageError(f"baseline file not found: {path} (record one with --write-baseline)") from None
    except (OSError, ValueError) as e:
        raise UsageError(f"{path}: not a baseline file: {e}") from None
    if not isinstance(doc, dict) or doc.get("baseline_version") != BASELINE_VERSION \
            or not isinstance(doc.get("findings"), list):
        raise UsageError(f"{path}: not a db-advisor baseline (baseline_version {BASELINE_VERSION})")
    try:
        return Baseline(path, {str(e["fingerprint"]): Severity.parse(e.get("severity", "critical"))
                               for e in doc["findings"]})
    except (TypeError, KeyError, AttributeError, ValueError):
        raise UsageError(f"{path}: every baseline entry needs a fingerprint and a severity") from None


def apply(report: Any, baseline: Baseline) -> int:
    """Move findings that are in the baseline to report.muted; return how many."""
    moved = 0
    for t in report.targets:
        kept = []
        for f in t.findings:
            if f in baseline:
                report.muted.append({"target": f.target, "check": f.check, "object": f.object,
                                     "reason": f"in baseline {baseline.path}", "fingerprint": fingerprint(f)})
                moved += 1
            else:
                kept.append(f)
        t.findings = kept
    return moved
