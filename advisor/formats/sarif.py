"""SARIF 2.1.0 for code-scanning dashboards (GitHub, GitLab, Azure DevOps).

One rule per check (help text from the check's docstring), one result per finding
with a partialFingerprint (advisor.baseline.fingerprint) so dashboards track a
finding across runs. critical -> error, warning -> warning, info -> note.

Findings concern databases, not source files: each result carries a logical
location (target / object) and, because GitHub code scanning rejects results
without a physical location, a pseudo path `db-advisor/<target>/<object>`.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from .. import __version__, registry
from ..baseline import fingerprint
from ..model import Finding, Severity
from ..registry import Check
from ..report import Report
from advisor.scope import SERVER, SERVER_LABEL

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {Severity.CRITICAL: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
FINGERPRINT_KEY = "dbAdvisorFinding/v1"
_URL = re.compile(r"https?://[^\s)>\]]+")


def _rule_name(check_id: str) -> str:
    return "".join(p.capitalize() for p in re.split(r"[._]", check_id))


def _rule(c: Check) -> dict[str, Any]:
    paragraphs = [p for p in c.doc.split("\n\n") if p.strip()]
    help_md = c.doc + f"\n\n**Reference:** {c.reference}"
    if c.thresholds:
        help_md += "\n\n**Thresholds:**\n" + "\n".join(
            f"- `{name}` = {t.default} {t.unit} ({t.source})" for name, t in c.thresholds.items())
    rule = {
        "id": c.id,
        "name": _rule_name(c.id),
        "shortDescription": {"text": c.title},
        "fullDescription": {"text": " ".join((paragraphs[0] if paragraphs else c.title).split())},
        "help": {"text": c.doc or c.title, "markdown": help_md},
        "defaultConfiguration": {"level": LEVEL[c.severity]},
        "properties": {"tags": [c.engine, c.category], "category": c.category,
                       "reference": c.reference},
    }
    m = _URL.search(c.reference)
    if m:
        rule["helpUri"] = m.group(0).rstrip(".,;")
    return rule


def _unknown_rule(f: Finding) -> dict[str, Any]:
    """A finding from a check this installation does not know (a report from elsewhere)."""
    return {"id": f.check, "name": _rule_name(f.check), "shortDescription": {"text": f.check},
            "help": {"text": f.reference}, "defaultConfiguration": {"level": LEVEL[f.severity]}}


def _rules(report: Report) -> list[dict[str, Any]]:
    engines = {t.engine for t in report.targets}
    known = {c.id: c for c in registry.all_checks()}
    ids = sorted({c.id for c in known.values() if c.engine in engines} | {f.check for f in report.findings})
    return [_rule(known[i]) if i in known else _unknown_rule(next(f for f in report.findings if f.check == i))
            for i in ids]


def _location(f: Finding) -> dict[str, Any]:
    path = "db-advisor/" + quote(f.target, safe="") + ("/" + quote(f.object, safe="") if f.object else "")
    logical = {"name": f.object or f.target, "fullyQualifiedName": f"{f.target}/{f.object or ''}".rstrip("/"),
               "kind": "server" if f.scope == SERVER or not f.object else "object"}
    return {"physicalLocation": {"artifactLocation": {"uri": path}}, "logicalLocations": [logical]}


def _result(f: Finding, index: dict[str, int]) -> dict[str, Any]:
    mark = f"{SERVER_LABEL} " if f.scope == SERVER else ""   # server-wide, not the URL's database
    text = f"{mark}{f.summary.rstrip('.')}. {f.recommendation}"
    md = f"{mark}**{f.summary}**\n\n{f.recommendation}"
    if f.fix:
        md += f"\n\n```\n{f.fix}\n```"
    return {
        "ruleId": f.check,
        "ruleIndex": index[f.check],
        "level": LEVEL[f.severity],
        "kind": "fail",
        "message": {"text": text, "markdown": md},
        "locations": [_location(f)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(f)},
        "properties": {"target": f.target, "object": f.object, "scope": f.scope or "target", "severity": str(f.severity),
                       "category": f.category, "evidence": f.evidence, "fix": f.fix,
                       "reference": f.reference},
    }


def _notifications(report: Report, index: dict[str, int]) -> list[dict[str, Any]]:
    out = [{"level": "error", "message": {"text": f"{e.target}: {e.message}"}} for e in report.errors]
    for s in report.skipped:
        n: dict[str, Any] = {"level": "note", "message": {"text": f"{s.check} skipped on {s.target}: {s.reason}"}}
        if s.check in index:
            n["associatedRule"] = {"id": s.check, "index": index[s.check]}
        out.append(n)
    return out


def to_sarif(report: Report) -> dict[str, Any]:
    rules = _rules(report)
    index = {r["id"]: i for i, r in enumerate(rules)}
    run = {
        "tool": {"driver": {"name": "db-advisor", "version": __version__, "semanticVersion": __version__,
                            "rules": rules}},
        "invocations": [{"executionSuccessful": all(t.reachable for t in report.targets),
                         "endTimeUtc": report.generated_at,
                         "toolExecutionNotifications": _notifications(report, index)}],
        "results": [_result(f, index) for f in report.findings],
        "columnKind": "unicodeCodePoints",
        "properties": {"targets": [t.header() for t in report.targets], "muted": len(report.muted)},
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(report: Report) -> str:
    return json.dumps(to_sarif(report), indent=2, default=str) + "\n"
