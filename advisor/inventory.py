"""Fleet inventory: a TOML file naming the targets of one run.

    # defaults for every target (optional)
    timeout = 10
    memory = "16GiB"
    parallel = 8                     # targets inspected at the same time (default 8)

    [[target]]
    name = "orders-primary"          # the target's id in the report, baselines and mutes
    url_env = "ORDERS_PG_URL"        # or url = "postgresql://advisor@db1:5432/orders"
    timeout = 5                      # connect and per-query bound for this target
    memory = "64GiB"
    cpus = 16
    options = { statement_limit = 200 }   # [options.<engine>] for this target only

Keep passwords out of the file: `url_env` names an environment variable holding
the URL. A target whose variable is unset or invalid is reported as not inspected
(with the reason); the others still run.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .errors import AdvisorError, UsageError
from .model import TargetError, TargetResult
from .targets import Target, parse_target
from .units import parse_memory

_SETTINGS = {"timeout", "memory", "cpus", "options", "sample", "history"}
_TARGET_KEYS = {"name", "url", "url_env"} | _SETTINGS


@dataclass
class Inventory:
    path: str
    parallel: int | None = None  # thread-pool size for this fleet (RunOptions.max_parallel)
    targets: list[Target] = field(default_factory=list)
    unusable: list[TargetResult] = field(default_factory=list)  # not inspected: why, per target


def load(path: str) -> Inventory:
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text())
    except FileNotFoundError:
        raise UsageError(f"inventory file not found: {path}") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise UsageError(f"{path}: not a valid TOML inventory: {e}") from None
    return parse(data, path)


def parse(data: dict[str, Any], where: str = "inventory") -> Inventory:
    unknown = set(data) - _SETTINGS - {"target", "parallel"}
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {sorted(unknown)} "
                         f"(known: target, parallel, {', '.join(sorted(_SETTINGS))})")
    entries = data.get("target")
    if not isinstance(entries, list) or not entries:
        raise UsageError(f"{where}: no [[target]] tables")
    defaults = _settings(data, where)
    _defaults_options(defaults.get("options", {}), where)
    inv = Inventory(path=where, parallel=_parallel(data.get("parallel"), where))
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        label = f"{where}: target #{i + 1}"
        if not isinstance(entry, dict):
            raise UsageError(f"{label} must be a table")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise UsageError(f"{label} needs a name")
        label = f"{where}: target {name!r}"
        if name in seen:
            raise UsageError(f"{label} appears twice (names must be unique)")
        seen.add(name)
        bad = set(entry) - _TARGET_KEYS
        if bad:
            raise UsageError(f"{label}: unknown key(s) {sorted(bad)} (known: {', '.join(sorted(_TARGET_KEYS))})")
        if ("url" in entry) == ("url_env" in entry):
            raise UsageError(f"{label} needs exactly one of url = ... or url_env = ...")
        own = _settings(entry, label)
        settings = {**defaults, **own, "options": {**defaults.get("options", {}), **own.get("options", {})}}
        if "url" in entry:
            try:
                target = parse_target(str(entry["url"]), name=name)
            except UsageError as e:
                raise UsageError(f"{label}: {e}") from None
        else:
            target = _from_env(str(entry["url_env"]), name, inv)
            if target is None:
                continue
        _check_options(target.engine, settings, own.get("options", {}), label)
        target.options = settings
        inv.targets.append(target)
    return inv


def _check_options(engine: str, settings: dict[str, Any], own: dict[str, Any], label: str) -> None:
    """A target's own options must be declared for its engine; the file's default options apply
    to the targets whose engine declares them (a mixed fleet shares one defaults table)."""
    from .engines.options import OPTIONS, problems
    found = problems(engine, own)
    if found:
        raise UsageError(f"{label}: {found[0]}")
    settings["options"] = {k: v for k, v in settings.get("options", {}).items()
                           if k in own or k in OPTIONS[engine]}
    found = problems(engine, settings["options"])
    if found:
        raise UsageError(f"{label}: {found[0]}")


def _defaults_options(values: dict[str, Any], where: str) -> None:
    from .engines.options import OPTIONS
    known = {name for opts in OPTIONS.values() for name in opts}
    unknown = sorted(set(values) - known)
    if unknown:
        raise UsageError(f"{where}: no engine has option {unknown[0]!r} (valid: {', '.join(sorted(known))})")


def _parallel(v: Any, where: str) -> int | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 64:
        raise UsageError(f"{where}: parallel must be a whole number from 1 to 64")
    return v


def _from_env(var: str, name: str, inv: Inventory) -> Target | None:
    url = os.environ.get(var, "").strip()
    try:
        if not url:
            raise UsageError(f"environment variable {var} is not set")
        return parse_target(url, name=name)
    except AdvisorError as e:
        r = TargetResult(id=name, engine=_engine_guess(url), url=f"${var}", reachable=False)
        r.errors.append(TargetError(name, f"not inspected: {e}"))
        inv.unusable.append(r)
        return None


def _engine_guess(url: str) -> str:
    from .targets import SCHEMES
    return SCHEMES.get(url.split("://", 1)[0].lower(), "postgres") if "://" in url else "postgres"


def _settings(d: dict[str, Any], label: str) -> dict[str, Any]:
    """timeout / memory / cpus / options of a target (or the file's defaults), validated."""
    from .config import positive_number, text_value
    out: dict[str, Any] = {}
    try:
        if "timeout" in d:
            out["timeout"] = positive_number(d["timeout"], "timeout", float)
        if "memory" in d:
            out["memory_bytes"] = parse_memory(text_value(d["memory"], "memory"))
        if "cpus" in d:
            out["cpus"] = positive_number(d["cpus"], "cpus", int)
        if "sample" in d:
            out["sample"] = positive_number(d["sample"], "sample", float)
        if "history" in d:
            out["history"] = text_value(d["history"], "history")
    except (TypeError, ValueError) as e:
        raise UsageError(f"{label}: {e}") from None
    if "options" in d:
        if not isinstance(d["options"], dict):
            raise UsageError(f"{label}: options must be a table")
        out["options"] = dict(d["options"])
    return out
