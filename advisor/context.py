"""What a check sees: facts, its thresholds, the host, and a way to make findings.

The context records what the check reads (`ctx.reads`: facts, thresholds, options), so a
test can hold every check to what its @check declares (tests/core/test_contracts.py):
a snapshot collects the declared facts only, so an undeclared read would make a live run
and `analyze` of a snapshot differ.

Thresholds reach evidence through one convention: `finding()` adds every threshold the
check read to `evidence["thresholds"]` (name -> value used), next to whatever the check
already put there.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from .errors import FactUnavailable, Skip
from .facts import FactStore
from .model import Finding, Host, Severity
from .registry import Check
from .units import human_duration
from .scope import check_scope
from .window import YOUNG_COUNTERS_S, counters_age

class Reads:
    """Names a check read, by kind."""

    def __init__(self) -> None:
        self.facts: set[str] = set()
        self.thresholds: set[str] = set()
        self.options: set[str] = set()


class _RecordingFacts:
    """The fact store as a check sees it: every name asked for is recorded."""

    def __init__(self, store: FactStore, reads: Reads):
        self._store, self._reads = store, reads

    def get(self, name: str) -> Any:
        self._reads.facts.add(name)
        return self._store.get(name)

    def has(self, name: str) -> bool:
        self._reads.facts.add(name)
        return self._store.has(name)

    @property
    def options(self) -> Mapping[str, Any]:
        return _RecordingMap(self._store.options, self._reads.options)

    def __getattr__(self, name: str) -> Any:  # values, unavailable, ... for diagnostics
        return getattr(self._store, name)


class _RecordingMap(Mapping[str, Any]):
    def __init__(self, values: Mapping[str, Any], seen: set[str]):
        self._values, self._seen = values, seen

    def __getitem__(self, key: str) -> Any:
        self._seen.add(key)
        return self._values[key]

    def get(self, key: str, default: Any = None) -> Any:
        self._seen.add(key)
        return self._values.get(key, default)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self._seen.add(key)
        return key in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


class CheckContext:
    def __init__(self, check: Check, target: str, facts: FactStore, host: Host,
                 thresholds: dict[str, Any]):
        self.check = check
        self.target = target
        self.reads = Reads()
        self.facts = _RecordingFacts(facts, self.reads)
        self.host = host
        self.thresholds: Mapping[str, Any] = _RecordingMap(thresholds, self.reads.thresholds)

    def fact(self, name: str) -> Any:
        """A fact by name; raises FactUnavailable (-> skipped) when it cannot be read."""
        return self.facts.get(name)

    def optional(self, name: str, default: Any = None) -> Any:
        """A fact that only refines the judgement: its value, or `default` when it cannot be read.
        It must still be declared in facts=[...] (a snapshot collects only declared facts)."""
        try:
            return self.facts.get(name)
        except FactUnavailable:
            return default

    @property
    def window_s(self) -> float | None:
        """The --sample window the check's cumulative facts were judged over, else None."""
        store = self.facts._store
        if store.window and any(store.windowed(f) for f in self.check.facts):
            return store.window["sample_s"]
        return None

    def threshold(self, name: str) -> Any:
        return self.thresholds[name]

    @property
    def options(self) -> Mapping[str, Any]:
        return self.facts.options

    def require_memory(self, fallback: int | None = None, fallback_source: str = "") -> tuple[int, str]:
        """Host memory in bytes and where it came from; skip the check when unknown."""
        if self.host.memory_bytes:
            return self.host.memory_bytes, "--memory"
        if fallback:
            return int(fallback), fallback_source
        raise Skip("host memory unknown", "pass --memory SIZE (e.g. --memory 16GiB) to judge sizing")

    def thresholds_read(self) -> dict[str, Any]:
        values = self.thresholds._values  # type: ignore[attr-defined]
        return {k: values[k] for k in sorted(self.reads.thresholds) if k in values}

    def _judged_on(self, evidence: dict[str, Any], severity: Severity) -> tuple[dict[str, Any], Severity]:
        """For a check that judges cumulative counters: say whether it judged a --sample window
        or counters since the last restart/reset and how old they are; young counters (a
        restart, a reset) do not escalate beyond info, since a few minutes say little."""
        if self.window_s:   # its own facts were read at both ends of the window
            return {**evidence, "judged_on": "window", "window_s": self.window_s}, severity
        age = counters_age(self.check.engine, self.facts._store.values)
        evidence = {**evidence, "judged_on": "cumulative", "counters_age_s": None if age is None else round(age)}
        if age is not None and age < YOUNG_COUNTERS_S and severity > Severity.INFO:
            evidence["severity_note"] = (
                f"{severity} lowered to info: the counters are {human_duration(age)} old (server restart or "
                f"statistics reset), too young to judge; run again later, or judge a window with --sample 60")
            severity = Severity.INFO
        return evidence, severity

    def finding(self, *, summary: str, evidence: dict[str, Any], recommendation: str,
                object: str | None = None, fix: str | None = None,
                severity: Severity | None = None, reference: str | None = None) -> Finding:
        used = self.thresholds_read()
        own = evidence.get("thresholds")
        if used and (own is None or isinstance(own, dict)):  # the one convention, written once
            evidence = {**evidence, "thresholds": {**used, **(own or {})}}
        severity = severity or self.check.severity
        if self.check.counters:
            evidence, severity = self._judged_on(evidence, severity)
        return Finding(
            target=self.target, check=self.check.id,
            severity=severity, category=self.check.category,
            object=object, summary=summary, evidence=evidence,
            recommendation=recommendation, fix=fix,
            reference=reference or self.check.reference,
            scope=check_scope(self.check.engine, self.check.facts),
        )
