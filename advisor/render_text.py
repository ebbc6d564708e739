"""Human output: findings grouped by severity, readable in 80 columns."""

from __future__ import annotations

import json
import textwrap

from .model import Severity
from .report import SEVERITY_ORDER, Report
from .scope import shown_object, target_scope

WIDTH = 80
_MARK = {Severity.CRITICAL: "CRITICAL", Severity.WARNING: "WARNING", Severity.INFO: "INFO"}


def _wrap(text: str, indent: str) -> list[str]:
    out = []
    for para in str(text).splitlines() or [""]:
        out.extend(textwrap.wrap(para, WIDTH - len(indent), break_long_words=True,
                                 break_on_hyphens=False) or [""])
    return [indent + line for line in out]


_PLAIN = {None: "none", True: "yes", False: "no"}


def _evidence(ev: dict) -> str:
    parts = []
    for k, v in ev.items():
        if v is None or isinstance(v, bool):
            v = _PLAIN[v]   # not Python's None/True/False
        elif isinstance(v, (dict, list)):
            v = json.dumps(v, default=str)
            if len(v) > 120:
                v = v[:117] + "..."
        parts.append(f"{k}={v}")
    return ", ".join(parts)


def render(report: Report, verbose: bool = False) -> str:
    lines: list[str] = []
    muted = {}
    for m in report.muted:
        muted[m["target"]] = muted.get(m["target"], 0) + 1
    for t in report.targets:
        score = "unreachable" if not t.reachable else (
            "not scored" if t.score is None else f"score {t.score}/100")
        ver = f" ({t.server_version})" if t.server_version else ""
        hidden = f" (+{muted[t.id]} muted or in the baseline)" if muted.get(t.id) else ""
        lines.append(f"{t.id}{ver}: {score}, scope {target_scope(t.engine, t.url)}, {len(t.findings)} finding(s){hidden}, "
                     f"{len(t.skipped)} skipped, {t.duration_ms} ms")
    if report.muted:
        lines.append(f"{len(report.muted)} finding(s) muted or in the baseline (listed by --format json); "
                     "scores count them: they are known, not gone")
    several = len(report.targets) > 1
    findings = report.findings
    for sev in SEVERITY_ORDER:
        group = [f for f in findings if f.severity == sev]
        if not group:
            continue
        lines += ["", _rule(f"{_MARK[sev]} ({len(group)})")]
        for f in group:
            where = f" {shown_object(f)}" if f.object or f.scope else ""
            head = f"[{f.check}]{where}"
            if several:   # the target on the header line when it fits, else right under it
                on = f"  @ {f.target}"
                head = head + on if len(head + on) <= WIDTH else head + "\n  @ " + f.target
            lines += [""] + _wrap(head, "")
            lines += _wrap(f.summary, "  ")
            if f.evidence:
                lines += _wrap("evidence: " + _evidence(f.evidence), "  ")
            lines += _wrap("do: " + f.recommendation, "  ")
            if f.fix:   # never wrapped: a wrapped comment or option would run as a command when pasted
                lines.append("  fix:")
                lines += ["    " + ln for ln in f.fix.splitlines()]
            if verbose:
                lines += _wrap("ref: " + f.reference, "  ")
    if report.skipped:
        lines += ["", _rule(f"SKIPPED ({len(report.skipped)})")]
        for s in report.skipped:
            lines += _wrap(f"{s.check}{f' @ {s.target}' if several else ''}: {s.reason}", "  ")
    if report.errors:
        lines += ["", _rule(f"ERRORS ({len(report.errors)})")]
        for e in report.errors:
            lines += _wrap(f"{e.target}: {e.message}", "  ")
    if not findings and not report.errors:
        lines += ["", "No findings."]
    return "\n".join(lines) + "\n"


def _rule(title: str) -> str:
    """`== WARNING (12) ====...`: exactly WIDTH columns, whatever the count's digits."""
    head = f"== {title} "
    return head + "=" * max(0, WIDTH - len(head))
