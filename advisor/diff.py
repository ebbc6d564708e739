"""`advisor diff OLD.json NEW.json`: findings new, resolved and changed between two reports.

Findings are matched by the baseline fingerprint (check + target + object, or the summary with
its numbers masked for a server-wide finding), so a drifting number does not make an old
finding look new. "Changed" means the same finding at another severity. Targets present in
only one report are named: their findings are not "resolved" or "new" because the database
went away or came in, and the output says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .baseline import fingerprint
from .errors import UsageError
from .model import Finding, Severity
from .report import Report


@dataclass
class Diff:
    old: Report
    new: Report
    added: list[Finding] = field(default_factory=list)
    resolved: list[Finding] = field(default_factory=list)
    changed: list[tuple[Finding, Finding]] = field(default_factory=list)   # (old, new)
    targets_gone: list[str] = field(default_factory=list)
    targets_new: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        def brief(f: Finding) -> dict[str, Any]:
            return {"target": f.target, "check": f.check, "object": f.object,
                    "severity": str(f.severity), "summary": f.summary, "fix": f.fix}
        return {
            "old": {"generated_at": self.old.generated_at}, "new": {"generated_at": self.new.generated_at},
            "new_findings": [brief(f) for f in self.added],
            "resolved_findings": [brief(f) for f in self.resolved],
            "changed_findings": [{**brief(n), "old_severity": str(o.severity)} for o, n in self.changed],
            "targets_only_in_old": self.targets_gone, "targets_only_in_new": self.targets_new,
        }

    def worst_new(self) -> Severity | None:
        rising = [n.severity for o, n in self.changed if n.severity > o.severity]
        return max([f.severity for f in self.added] + rising, default=None)


def load(path: str) -> Report:
    try:
        doc = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise UsageError(f"report file not found: {path}") from None
    except (OSError, ValueError) as e:
        raise UsageError(f"{path}: not a JSON report: {e}") from None
    if not isinstance(doc, dict) or doc.get("schema_version") != 1 or "findings" not in doc:
        raise UsageError(f"{path}: not a db-advisor report (advisor run --json, schema_version 1)")
    try:
        return Report.from_dict(doc)
    except (KeyError, TypeError, ValueError) as e:
        raise UsageError(f"{path}: damaged report: {type(e).__name__}: {e}") from None


def compare(old: Report, new: Report) -> Diff:
    d = Diff(old, new)
    old_ids, new_ids = {t.id for t in old.targets}, {t.id for t in new.targets}
    d.targets_gone, d.targets_new = sorted(old_ids - new_ids), sorted(new_ids - old_ids)
    both = old_ids & new_ids
    before = {fingerprint(f): f for f in old.findings if f.target in both}
    after = {fingerprint(f): f for f in new.findings if f.target in both}
    d.added = [f for k, f in after.items() if k not in before]
    d.resolved = [f for k, f in before.items() if k not in after]
    d.changed = [(before[k], f) for k, f in after.items() if k in before and before[k].severity != f.severity]
    return d


def render_text(d: Diff) -> str:
    lines = [f"advisor diff: {d.old.generated_at} -> {d.new.generated_at}: "
             f"{len(d.added)} new, {len(d.resolved)} resolved, {len(d.changed)} changed"]
    for title, items in (("NEW", d.added), ("RESOLVED", d.resolved)):
        if items:
            lines += ["", f"== {title} ({len(items)})"]
            lines += [f"  {str(f.severity).upper():<8} [{f.check}] {f.object or '(server)'} @ {f.target}: {f.summary}"
                      for f in items]
    if d.changed:
        lines += ["", f"== CHANGED ({len(d.changed)})"]
        lines += [f"  {str(o.severity)} -> {str(n.severity)} [{n.check}] {n.object or '(server)'} @ {n.target}: "
                  f"{n.summary}" for o, n in d.changed]
    for title, ids in (("only in the old report (not compared)", d.targets_gone),
                       ("only in the new report (not compared)", d.targets_new)):
        if ids:
            lines += ["", f"targets {title}: {', '.join(ids)}"]
    return "\n".join(lines) + "\n"
