"""The vocabulary shared by checks, the runner and every output format."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any


class Severity(enum.IntEnum):
    """Ordered so that `a >= b` means "a is at least as bad as b"."""

    INFO = 1
    WARNING = 2
    CRITICAL = 3

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (critical, warning, info)") from None

    def __str__(self) -> str:
        return self.name.lower()


CATEGORIES = (
    "queries", "indexes", "schema", "maintenance", "memory", "cache", "connections",
    "configuration", "durability", "replication", "storage", "security", "observability",
)


@dataclass
class Finding:
    target: str
    check: str
    severity: Severity
    category: str
    object: str | None
    summary: str
    evidence: dict[str, Any]
    recommendation: str
    fix: str | None
    reference: str
    scope: str | None = None   # "server": about the whole server, not the URL's database (advisor/scope.py)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["severity"] = str(self.severity)
        if d["scope"] is None:
            del d["scope"]   # the report's optional field: written only for server-wide findings
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Finding":
        d = dict(d)
        d["severity"] = Severity.parse(d["severity"])
        return cls(**{k: d.get(k) for k in cls.__dataclass_fields__})


@dataclass
class Skipped:
    target: str
    check: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TargetError:
    target: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TargetResult:
    """What one target contributed to a report."""

    id: str
    engine: str
    url: str  # password redacted
    server_version: str | None = None
    score: int | None = None
    duration_ms: int = 0
    reachable: bool = True
    complete: bool = True   # False when the connection was lost mid-run (partial report)
    sample_s: float | None = None   # the sampling window the counters were judged on, if any
    not_scored: str | None = None   # why no check was judged (no selected check applies to its engine)
    findings: list[Finding] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    errors: list[TargetError] = field(default_factory=list)
    figures: dict[str, float] = field(default_factory=dict, repr=False)  # for the history, not reported

    def header(self) -> dict[str, Any]:
        h = {
            "id": self.id, "engine": self.engine, "url": self.url,
            "server_version": self.server_version, "score": self.score,
            "duration_ms": self.duration_ms, "complete": self.reachable and self.complete,
        }
        if self.sample_s:
            h["sample_s"] = self.sample_s
        if self.not_scored:
            h["not_scored"] = self.not_scored
        return h


@dataclass
class Host:
    """What the user told us about the machine the database runs on."""

    memory_bytes: int | None = None
    cpus: int | None = None
