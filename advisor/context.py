"""What a check sees: facts, its thresholds, the host, and a way to make findings."""

from __future__ import annotations

from typing import Any

from .errors import Skip
from .facts import FactStore
from .model import Finding, Host, Severity
from .registry import Check


class CheckContext:
    def __init__(self, check: Check, target: str, facts: FactStore, host: Host,
                 thresholds: dict[str, Any]):
        self.check = check
        self.target = target
        self.facts = facts
        self.host = host
        self.thresholds = thresholds

    def fact(self, name: str) -> Any:
        """A fact by name; raises FactUnavailable (-> skipped) when it cannot be read."""
        return self.facts.get(name)

    def threshold(self, name: str) -> Any:
        return self.thresholds[name]

    @property
    def options(self) -> dict[str, Any]:
        return self.facts.options

    def require_memory(self, fallback: int | None = None, fallback_source: str = "") -> tuple[int, str]:
        """Host memory in bytes and where it came from; skip the check when unknown."""
        if self.host.memory_bytes:
            return self.host.memory_bytes, "--memory"
        if fallback:
            return int(fallback), fallback_source
        raise Skip("host memory unknown", "pass --memory SIZE (e.g. --memory 16GiB) to judge sizing")

    def finding(self, *, summary: str, evidence: dict[str, Any], recommendation: str,
                object: str | None = None, fix: str | None = None,
                severity: Severity | None = None, reference: str | None = None) -> Finding:
        return Finding(
            target=self.target, check=self.check.id,
            severity=severity or self.check.severity, category=self.check.category,
            object=object, summary=summary, evidence=evidence,
            recommendation=recommendation, fix=fix,
            reference=reference or self.check.reference,
        )
