"""How a finding's `fix` is written, so that it can be run as printed.

A fix is meant to be copied and run. Two conventions make that checkable:

- A value only the DBA can choose (a password, a size, a host) is a placeholder written
  `{{name}}` (lower-case name). Nothing else in a fix uses double braces. `fill()` puts the
  chosen values in; the advise-apply-advise tests use it.
- A fix that cannot be applied mechanically (it needs an external tool such as pg_repack or
  pt-online-schema-change, an application change, or a human decision) says so in the
  finding's evidence: `evidence["fix_kind"] = "manual"`. Other kinds may be stated the same
  way; a finding without `fix_kind` has its engine's default kind (see DEFAULT_KIND).
"""

from __future__ import annotations

import re

FIX_KINDS = {
    "sql": "SQL statements, run as printed by a client connected to the target",
    "command": "server commands (redis-cli, mongosh), run as printed against the target",
    "config": "lines for the server's configuration file, then the reload or restart the fix names",
    "shell": "commands for the database host's shell (sysctl, /sys settings, ...)",
    "manual": "needs an external tool, an application change or a human decision: not applied mechanically",
}

DEFAULT_KIND = {"postgres": "sql", "mysql": "sql", "mongo": "command", "redis": "command", "pgbouncer": "config"}

PLACEHOLDER = re.compile(r"\{\{([a-z][a-z0-9_]*)\}\}")


def placeholders(fix: str | None) -> list[str]:
    """The placeholder names in a fix, in order of first appearance."""
    seen: list[str] = []
    for name in PLACEHOLDER.findall(fix or ""):
        if name not in seen:
            seen.append(name)
    return seen


def fill(fix: str, values: dict[str, str]) -> str:
    """The fix with every placeholder replaced; a placeholder without a value is an error."""
    missing = [n for n in placeholders(fix) if n not in values]
    if missing:
        raise KeyError(f"no value for placeholder(s) {', '.join(missing)} in fix: {fix}")
    return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), fix)


def kind(engine: str, evidence: dict | None) -> str:
    """The kind of a finding's fix: what its evidence states, else the engine's default."""
    stated = (evidence or {}).get("fix_kind")
    return stated if stated in FIX_KINDS else DEFAULT_KIND.get(engine, "manual")
