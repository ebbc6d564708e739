"""A 0-100 health score per target, from its findings.

Each finding costs points by severity (critical 15, warning 5, info 1); a
check that fires on many objects costs at most three findings' worth, so one
noisy check on a big catalog cannot hide every other problem. 100 = nothing
found; the score is never below 0. Unreachable targets have no score.
"""

from __future__ import annotations

from collections import Counter

from .model import Finding, Severity

PENALTY = {Severity.CRITICAL: 15, Severity.WARNING: 5, Severity.INFO: 1}
MAX_PER_CHECK = 3


def score(findings: list[Finding]) -> int:
    per_check: Counter = Counter()
    total = 0
    for f in sorted(findings, key=lambda f: -f.severity):
        if per_check[f.check] >= MAX_PER_CHECK:
            continue
        per_check[f.check] += 1
        total += PENALTY[f.severity]
    return max(0, 100 - total)
