"""The example Prometheus alerting rules of docs/ci.md: valid YAML, and every `check=~` regex
names checks that exist (a renamed check would silently mute an alert)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from advisor import registry

DOC = Path(__file__).resolve().parents[2] / "docs" / "ci.md"


def rules() -> dict[str, str]:
    text = DOC.read_text()
    block = text[text.index("Example alerting rules"):]
    block = block[block.index("```yaml") + 7:]
    doc = yaml.safe_load(block[:block.index("```")])
    return {r["alert"]: r["expr"] for g in doc["groups"] for r in g["rules"]}


def matched(expr: str) -> set[str]:
    """The check ids a rule's `check=~"..."` selects (PromQL regexes are anchored at both ends)."""
    [pattern] = re.findall(r'check=~"((?:[^"\\]|\\.)*)"', expr)
    regex = re.compile(pattern.encode().decode("unicode_escape"))   # the PromQL string's escapes
    return {c.id for c in registry.all_checks() if regex.fullmatch(c.id)}


def test_rules_select_the_checks_they_say():
    r = rules()
    assert matched(r["DbAdvisorExhaustion"]) == {
        "pg.maintenance.wraparound", "pg.schema.sequence_exhaustion", "mysql.schema.auto_increment"}
    assert matched(r["DbAdvisorForecast"]) == {c.id for c in registry.all_checks() if ".forecast." in c.id}
    repl = matched(r["DbAdvisorReplication"])
    assert {"pg.replication.lag", "mysql.replication.lag", "redis.replication.link_down", "mongo.repl.lag"} <= repl
    assert all(".repl" in c for c in repl)
