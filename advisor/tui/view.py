"""What the screens show, computed without textual: filters, sorting, labels."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from advisor.engines import NAMES as ENGINE_NAMES
from advisor.model import Finding, Severity, TargetResult
from advisor.scope import shown_object

SEVERITY_LABEL = {Severity.CRITICAL: "CRIT", Severity.WARNING: "WARN", Severity.INFO: "info"}


@dataclass
class FindingFilter:
    """Empty sets mean "all"; `text` matches target, check, object and summary (case-insensitive)."""

    severities: set[str] = field(default_factory=set)
    engines: set[str] = field(default_factory=set)
    categories: set[str] = field(default_factory=set)
    text: str = ""
    target: str | None = None  # one target's findings only

    def matches(self, f: Finding, engine: str) -> bool:
        if self.target and f.target != self.target:
            return False
        if self.severities and str(f.severity) not in self.severities:
            return False
        if self.engines and engine not in self.engines:
            return False
        if self.categories and f.category not in self.categories:
            return False
        needle = self.text.strip().lower()
        if needle:
            hay = " ".join([f.target, f.check, shown_object(f), f.summary]).lower()
            return all(word in hay for word in needle.split())
        return True

    @property
    def active(self) -> bool:
        return bool(self.severities or self.engines or self.categories or self.text.strip()
                    or self.target)

    def describe(self) -> str:
        parts = [f"target: {self.target}"] if self.target else []
        for name, values in (("severity", self.severities), ("engine", self.engines),
                             ("category", self.categories)):
            if values:
                parts.append(f"{name}: {','.join(sorted(values))}")
        if self.text.strip():
            parts.append(f"search: {self.text.strip()!r}")
        return " · ".join(parts)


def sort_key(f: Finding) -> tuple:
    """Worst first, then target, check, object (the report's order)."""
    return (-f.severity, f.target, f.check, f.object or "")


def visible_findings(results: list[TargetResult], flt: FindingFilter) -> list[Finding]:
    out = [f for r in results for f in r.findings if flt.matches(f, r.engine)]
    return sorted(out, key=sort_key)


def severity_counts(findings: list[Finding]) -> dict[Severity, int]:
    counts = {s: 0 for s in Severity}
    for f in findings:
        counts[f.severity] += 1
    return counts


def counts_label(findings: list[Finding]) -> str:
    c = severity_counts(findings)
    return f"{c[Severity.CRITICAL]}/{c[Severity.WARNING]}/{c[Severity.INFO]}"


def engine_label(engine: str) -> str:
    return ENGINE_NAMES.get(engine, engine)


def score_label(r: TargetResult | None) -> str:
    if r is None or r.score is None:
        return "—"
    return str(r.score)


def evidence_rows(evidence: dict[str, Any]) -> list[tuple[str, str]]:
    """Evidence as (name, value) rows; nested values as compact JSON."""
    rows = []
    for k, v in (evidence or {}).items():
        if isinstance(v, (dict, list, tuple)):
            v = json.dumps(v, default=str)
        elif v is None:
            v = "—"
        rows.append((str(k), str(v)))
    return rows


def middle_cut(text: str, width: int) -> str:
    """Cut the middle out: both the host and the database of a target id stay readable."""
    if len(text) <= width:
        return text
    head = (width - 1) // 2
    return text[:head] + "…" + text[len(text) - (width - 1 - head):]


FACT_LABELS = {"redis.key_sample": "sampling keys", "mongo.collections": "listing collections"}


def fact_label(fact: str) -> str:
    """What a slow fact is doing, in words: "sampling keys", else "collecting <fact>"."""
    return FACT_LABELS.get(fact, f"collecting {fact}")


def progress_bar(done: int, total: int, width: int = 10) -> str:
    if total <= 0:
        return "░" * width
    filled = round(width * min(done, total) / total)
    return "█" * filled + "░" * (width - filled)


def fit_widths(available: int, natural: list[int], shares: list[float | None], prose: int = 40) -> list[int]:
    """Column widths for a table `available` cells wide (DataTable pads each column by 2).

    `natural` is each column's widest content (header included). A column with a share
    gets its natural width up to that fraction of the space; the one column with share
    None (the prose: summary, status, reason) gets the rest, at least 8. The prose then
    lends what it can spare (beyond its own content, or beyond `prose` cells) to the
    columns that were cut, so wide windows show names whole. The table fills the
    window at any size and never scrolls sideways.
    """
    space = available - 2 * len(natural)
    widths = [min(n, max(1, int(sh * space))) if sh is not None else 0 for n, sh in zip(natural, shares)]
    flex = shares.index(None)
    rest = space - sum(widths)
    spare = rest - min(natural[flex], prose)
    for i, (n, sh) in enumerate(zip(natural, shares)):
        if sh is not None and spare > 0 and widths[i] < n:
            grow = min(spare, n - widths[i])
            widths[i] += grow
            spare -= grow
            rest -= grow
    widths[flex] = max(8, rest)
    return widths


def tail_cut(name: str, width: int) -> str:
    """Cut a dotted name so that its last segment, which tells objects apart, stays whole:
    `public.first_aid_b` -> `pub….first_aid_b`, or `…first_aid_b` when even that is too long.
    A name without a dot (a setting) keeps its start instead."""
    if len(name) <= width:
        return name
    if width <= 1:
        return "…"[:width]
    head, dot, last = name.rpartition(".")
    if not dot:
        return name[: width - 1] + "…"
    keep = width - len(last) - 2
    if keep >= 1:
        return head[:keep].rstrip(".") + "…." + last
    return "…" + name[len(name) - width + 1:]


def short_version(version: str | None, engine: str) -> str:
    """"15.20 (Debian ...)" -> "PostgreSQL 15.20"; "MariaDB 10.11.19" stays (the vendor matters)."""
    m = re.search(r"\d+(\.\d+)+", version or "")
    if not m:
        return engine_label(engine)
    head = (version or "")[: m.start()].split()
    vendor = head[-1] if head and head[-1][:1].isalpha() else engine_label(engine)
    if vendor.lower() in (engine, engine_label(engine).lower()):  # "redis 7.0.15" -> "Redis 7.0.15"
        vendor = engine_label(engine)
    return f"{vendor} {m.group(0)}"


def status_counts(findings: list[Finding]) -> str:
    """"1 crit 2 warn" (zeros left out), or "no findings"."""
    c = severity_counts(findings)
    parts = [f"{c[s]} {SEVERITY_LABEL[s].lower()}" for s in sorted(Severity, reverse=True) if c[s]]
    return " ".join(parts) or "no findings"


def reachability_message(message: str) -> str:
    """The reason of a connection error without the redacted URL the row already shows."""
    if message.startswith("cannot connect to ") and ": " in message:
        message = message.split(": ", 1)[1]
    return message.removeprefix("connection failed: ")
