"""The report: findings, skipped checks and errors of every target; JSON schema v1."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from . import __version__
from .errors import EXIT_FINDINGS, EXIT_OK, EXIT_UNREACHABLE
from .model import Finding, Severity, Skipped, TargetError, TargetResult

SCHEMA_VERSION = 1
SEVERITY_ORDER = [Severity.CRITICAL, Severity.WARNING, Severity.INFO]


@dataclass
class Report:
    targets: list[TargetResult]
    generated_at: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc)
                              .replace(microsecond=0).isoformat().replace("+00:00", "Z"))
    extra_errors: list[TargetError] = field(default_factory=list)  # plugin errors and the like
    muted: list[dict[str, Any]] = field(default_factory=list)
    expired_mutes: list[dict[str, Any]] = field(default_factory=list)  # config [[mute]]s past `expires`
    config: str | None = None   # the advisor.toml applied, if any (tool.config)

    @property
    def findings(self) -> list[Finding]:
        out = [f for t in self.targets for f in t.findings]
        return sorted(out, key=lambda f: (-f.severity, f.target, f.check, f.object or ""))

    @property
    def skipped(self) -> list[Skipped]:
        return [s for t in self.targets for s in t.skipped]

    @property
    def errors(self) -> list[TargetError]:
        return self.extra_errors + [e for t in self.targets for e in t.errors]

    def to_dict(self) -> dict[str, Any]:
        d = {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "db-advisor", "version": __version__, "config": self.config},
            "generated_at": self.generated_at,
            "targets": [t.header() for t in self.targets],
            "findings": [f.to_dict() for f in self.findings],
            "skipped": [s.to_dict() for s in self.skipped],
            "errors": [e.to_dict() for e in self.errors],
        }
        if self.muted:
            d["muted"] = self.muted
        if self.expired_mutes:
            d["expired_mutes"] = self.expired_mutes
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=_json_default) + "\n"

    def exit_code(self, fail_on: Severity | None) -> int:
        """3 only if no target could be inspected to the end; else 1 if a finding is at or
        above fail_on.

        In a fleet run one dead target must not hide the findings of the others: it is
        listed in `errors` (and on stderr) and the exit code follows the findings. A target
        whose connection was lost mid-run counts as not inspected: a partial report must
        not read as a clean bill of health.
        """
        if self.targets and not any(t.reachable and t.complete for t in self.targets):
            return EXIT_UNREACHABLE
        if fail_on is not None and any(f.severity >= fail_on for f in self.findings):
            return EXIT_FINDINGS
        return EXIT_OK

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Report":
        """A report read back from its JSON: to_dict() of the result gives `d` again."""
        targets = []
        for h in d["targets"]:
            t = TargetResult(id=h["id"], engine=h["engine"], url=h["url"],
                             server_version=h.get("server_version"), score=h.get("score"),
                             duration_ms=h.get("duration_ms", 0), complete=h.get("complete", True),
                             sample_s=h.get("sample_s"), not_scored=h.get("not_scored"))
            t.findings = [Finding.from_dict(f) for f in d["findings"] if f["target"] == t.id]
            t.skipped = [Skipped(**s) for s in d["skipped"] if s["target"] == t.id]
            t.errors = [TargetError(**e) for e in d["errors"] if e["target"] == t.id]
            targets.append(t)
        ids = {t.id for t in targets}
        return cls(targets=targets, generated_at=d["generated_at"],
                   extra_errors=[TargetError(**e) for e in d["errors"] if e["target"] not in ids],
                   muted=d.get("muted", []), expired_mutes=d.get("expired_mutes", []),
                   config=(d.get("tool") or {}).get("config"))


def _json_default(o: Any) -> Any:
    if isinstance(o, (dt.datetime, dt.date)):
        return o.isoformat()
    if isinstance(o, Severity):
        return str(o)
    if isinstance(o, (set, tuple)):
        return list(o)
    if isinstance(o, bytes):
        return o.decode("utf-8", "replace")
    try:
        import decimal
        if isinstance(o, decimal.Decimal):
            return float(o)
    except ImportError:  # pragma: no cover
        pass
    return str(o)


def json_schema() -> dict[str, Any]:
    return json.loads(resources.files("advisor.schema").joinpath("report-v1.json").read_text())
