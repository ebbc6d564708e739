"""`advisor size` output: text, JSON, and a Helm values.yaml fragment."""

from __future__ import annotations

import json
import re
from typing import Any

from ..units import human_bytes
from .calculator import Sizing

_PLAIN = re.compile(r"^([A-Za-z_./][A-Za-z0-9_ ./=:+-]*|\d+(\.\d+)?[A-Za-z]+)$")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (int, float)):
        return repr(v)
    s = str(v)
    if _PLAIN.match(s) and s.lower() not in _RESERVED and ": " not in s and not s.endswith(":") \
            and " #" not in s and not s.endswith(" "):
        return s
    return json.dumps(s)  # a JSON string is a valid YAML double-quoted scalar


def to_yaml(d: dict[str, Any], indent: int = 0) -> str:
    """Block-style YAML for nested dicts of scalars (all a values.yaml fragment needs)."""
    out = []
    pad = "  " * indent
    for k, v in d.items():
        key = _scalar(k)
        if isinstance(v, dict):
            out.append(f"{pad}{key}:")
            out.append(to_yaml(v, indent + 1).rstrip("\n"))
        else:
            out.append(f"{pad}{key}: {_scalar(v)}")
    return "\n".join(out) + "\n"


FORMULA_SUFFIX = "_from_formula"


def _chart_settings(d: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Settings without the advisor's own estimates (keys ending in _from_formula), which no chart
    reads: they become comments. Nested dicts are walked (e.g. Loki's caches)."""
    kept, estimates = {}, []
    for k, v in d.items():
        if str(k).endswith(FORMULA_SUFFIX):
            estimates.append(f"{k[:-len(FORMULA_SUFFIX)]} (formula): {v}")
        elif isinstance(v, dict):
            kept[k], inner = _chart_settings(v)
            estimates += inner
        else:
            kept[k] = v
    return kept, estimates


def render_helm(s: Sizing) -> str:
    head = f"# {s.chart} {s.tier or 'custom'}: {s.cpus} vCPU, {human_bytes(s.memory)} (db-advisor size)\n"
    values, estimates = _chart_settings(s.helm_values())
    notes = "".join(f"# note: {n}\n" for n in s.notes)
    notes += "".join(f"# estimate, not a chart setting: {e}\n" for e in estimates)
    for name, values_ in s.companions.items():   # a Deployment of its own, not this chart's values
        notes += f"# {name} (its own Deployment, pgbouncer.ini [pgbouncer] section; guide: Connection Pooling):\n"
        notes += "".join(f"#   {k} = {v}\n" for k, v in values_.items())
    return head + notes + to_yaml(values)


def render_text(s: Sizing) -> str:
    r = s.row
    lines = [f"{s.chart} — tier {s.tier or 'custom'} ({s.cpus} vCPU, {human_bytes(s.memory)})"]
    cols = [f"vCPU {r.vcpu}", f"memory {r.memory_gb} GB"]
    if r.iops:
        cols.append(f"IOPS {r.iops}")
    if r.connections:
        cols.append(f"connections {r.connections}")
    cols += [f"{k.replace('_', ' ')} {v}" for k, v in r.extra.items()]
    lines.append("guide row: " + ", ".join(cols) + f" — {r.use_case}")
    lines.append("resources: requests cpu {requests[cpu]} memory {requests[memory]}, "
                 "limits cpu {limits[cpu]} memory {limits[memory]}".format(**s.resources))
    lines.append("settings:")
    lines += ["  " + ln for ln in to_yaml(s.settings).splitlines()]
    for name, values in s.companions.items():
        lines.append(f"{name} (pgbouncer.ini [pgbouncer], guide: Connection Pooling):")
        lines += [f"  {k} = {v}" for k, v in values.items()]
    if s.notes:
        lines.append("notes:")
        lines += [f"  - {n}" for n in s.notes]
    return "\n".join(lines) + "\n"


def render_json(s: Sizing) -> str:
    return json.dumps(s.to_dict(), indent=2) + "\n"
