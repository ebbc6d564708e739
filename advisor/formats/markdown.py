"""Markdown for pull-request comments and mail: a summary table, findings by severity,
each with its evidence and the exact fix in a code block.

Text from the database (object names, key names, query text) is escaped, and the
whole document stays under GitHub's comment limit (findings beyond it are counted,
not shown).
"""

from __future__ import annotations

import json
import re

from ..model import Finding, Severity
from ..report import SEVERITY_ORDER, Report
from advisor.scope import shown_object, target_scope

MAX_CHARS = 60000  # GitHub refuses comments above 65536 characters
_ICON = {Severity.CRITICAL: "🔴", Severity.WARNING: "🟠", Severity.INFO: "🔵"}
_FENCE_LANG = {"postgres": "sql", "mysql": "sql", "mongo": "js", "redis": "text", "pgbouncer": "ini"}
_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
_LINE_START = re.compile(r"^([#>+-])")
_NUMBERED = re.compile(r"^(\d+)\.(?=\s)")


def esc(text: object) -> str:
    """Plain text that Markdown shows literally (one line)."""
    s = _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
    return _NUMBERED.sub(r"\1\\.", _LINE_START.sub(r"\\\1", s))


def code(text: object) -> str:
    """An inline code span that survives backticks inside the text."""
    s = " ".join(str(text).split())
    ticks = "`" * (max((len(m) for m in re.findall(r"`+", s)), default=0) + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{ticks}{pad}{s}{pad}{ticks}"


def block(text: str, lang: str = "") -> list[str]:
    fence = "`" * max(3, max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    return [f"{fence}{lang}", text.rstrip("\n"), fence]


def _evidence(ev: dict) -> str:
    parts = []
    for k, v in ev.items():
        v = json.dumps(v, default=str) if isinstance(v, (dict, list)) else str(v)
        parts.append(f"{k}={v[:117] + '...' if len(v) > 120 else v}")
    return code(", ".join(parts))


def _finding(f: Finding, engine: str, many_targets: bool) -> list[str]:
    where = f" · {code(shown_object(f))}" if f.object or f.scope else ""
    out = [f"#### {_ICON[f.severity]} {code(f.check)}{where}", "", esc(f.summary), ""]
    if f.evidence:
        out.append(f"- **evidence:** {_evidence(f.evidence)}")
    out.append(f"- **do:** {esc(f.recommendation)}")
    if many_targets:
        out.append(f"- **target:** {code(f.target)}")
    out.append(f"- **reference:** {esc(f.reference)}")
    if f.fix:
        out += [""] + block(f.fix, _FENCE_LANG.get(engine, ""))
    return out + [""]


def render(report: Report, max_chars: int = MAX_CHARS) -> str:
    findings = report.findings
    counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITY_ORDER}
    lines = ["## db-advisor report", "",
             f"**{len(findings)} finding(s):** " + ", ".join(f"{counts[s]} {s}" for s in SEVERITY_ORDER), "",
             "| target | engine | scope | version | score | findings | skipped |", "|---|---|---|---|---|---|---|"]
    for t in report.targets:
        score = "unreachable" if not t.reachable else f"{t.score}/100"
        lines.append(f"| {code(t.id)} | {t.engine} | {esc(target_scope(t.engine, t.url))} | {esc(t.server_version or '?')} | {score} "
                     f"| {len(t.findings)} | {len(t.skipped)} |")
    lines.append("")
    engine_of = {t.id: t.engine for t in report.targets}
    many = len(report.targets) > 1
    size = sum(len(x) + 1 for x in lines)
    shown = 0
    for sev in SEVERITY_ORDER:
        group = [f for f in findings if f.severity == sev]
        if not group or size > max_chars:
            continue
        lines += [f"### {_ICON[sev]} {str(sev).capitalize()} ({len(group)})", ""]
        for f in group:
            part = _finding(f, engine_of.get(f.target, ""), many)
            cost = sum(len(x) + 1 for x in part)
            if size + cost > max_chars:
                break
            lines += part
            size += cost
            shown += 1
    if shown < len(findings):
        lines += [f"> {len(findings) - shown} more finding(s) not shown here: the comment would be too "
                  "long. See the JSON or SARIF report.", ""]
    lines += _details("Errors", [f"{code(e.target)}: {esc(e.message)}" for e in report.errors])
    lines += _details("Skipped checks", [f"{code(s.check)} on {code(s.target)}: {esc(s.reason)}"
                                         for s in report.skipped])
    lines += _details("Muted or baselined", [
        f"{code(m['check'])}" + (f" · {code(m['object'])}" if m.get("object") else "")
        + f" on {code(m['target'])}: {esc(m['reason'])}" for m in report.muted])
    if not findings and not report.errors:
        lines += ["No findings. ✅", ""]
    return "\n".join(lines)


def _details(title: str, items: list[str]) -> list[str]:
    if not items:
        return []
    return [f"<details><summary>{title} ({len(items)})</summary>", ""] + [f"- {i}" for i in items] \
        + ["", "</details>", ""]
