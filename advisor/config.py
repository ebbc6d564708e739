"""advisor.toml / [tool.advisor]: thresholds, check selection, engine options, mutes."""

from __future__ import annotations

import datetime as dt
import fnmatch
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .errors import UsageError
from .model import Finding, Severity

_TOP_KEYS = {"fail_on", "checks", "skip", "timeout", "memory", "cpus", "thresholds", "options", "mute",
             "sample", "history", "history_retention_days"}


@dataclass
class Mute:
    check: str
    reason: str
    object: str | None = None
    target: str | None = None
    expires: dt.date | None = None

    def expired(self, today: dt.date | None = None) -> bool:
        return bool(self.expires and (today or dt.date.today()) > self.expires)

    def applies(self, f: Finding, today: dt.date | None = None) -> bool:
        if self.expired(today):
            return False
        if not fnmatch.fnmatchcase(f.check, self.check):
            return False
        if self.object and not fnmatch.fnmatchcase(f.object or "", self.object):
            return False
        if self.target and not fnmatch.fnmatchcase(f.target, self.target):
            return False
        return True


@dataclass
class Config:
    path: str | None = None
    fail_on: Severity | None = None
    fail_on_set: bool = False
    checks: list[str] = field(default_factory=list)
    skip: list[str] = field(default_factory=list)
    timeout: float | None = None
    memory: str | None = None
    cpus: int | None = None
    sample: float | None = None          # seconds of the sampling window (--sample)
    history: str | None = None           # the history file (--history)
    history_retention_days: float | None = None
    thresholds: dict[str, dict[str, Any]] = field(default_factory=dict)
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    mutes: list[Mute] = field(default_factory=list)


def load(path: str | None) -> Config:
    """Read --config FILE, else ./advisor.toml, else ./pyproject.toml [tool.advisor]."""
    if path:
        p = Path(path)
        if not p.is_file():
            raise UsageError(f"config file not found: {path}")
        data = _read(p)
        if p.name == "pyproject.toml":
            data = data.get("tool", {}).get("advisor", {})
    elif Path("advisor.toml").is_file():
        p = Path("advisor.toml")
        data = _read(p)
    elif Path("pyproject.toml").is_file() and "advisor" in _read(Path("pyproject.toml")).get("tool", {}):
        p = Path("pyproject.toml")
        data = _read(p)["tool"]["advisor"]
    else:
        return Config()
    cfg = parse(data, str(p))
    cfg.path = str(p.resolve())   # what the report's tool.config and --verbose name
    return cfg


def _read(p: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(p.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise UsageError(f"{p}: not valid TOML: {e}") from None


def parse(data: dict[str, Any], where: str = "config") -> Config:
    from . import registry

    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {sorted(unknown)} (known: {sorted(_TOP_KEYS)})")
    cfg = Config(path=where)
    try:
        if "fail_on" in data:
            fail_on = text_value(data["fail_on"], "fail_on")
            if fail_on.strip().lower() != "never":
                try:
                    cfg.fail_on = Severity.parse(fail_on)
                except ValueError:
                    raise ValueError(f"fail_on: unknown severity {fail_on!r} (critical, warning, info, never)") from None
            cfg.fail_on_set = True
        cfg.checks = _str_list(data.get("checks", []), "checks")
        cfg.skip = _str_list(data.get("skip", []), "skip")
        cfg.timeout = positive_number(data["timeout"], "timeout", float) if "timeout" in data else None
        cfg.memory = text_value(data["memory"], "memory") if "memory" in data else None
        cfg.cpus = positive_number(data["cpus"], "cpus", int) if "cpus" in data else None
        cfg.sample = positive_number(data["sample"], "sample", float) if "sample" in data else None
        cfg.history = text_value(data["history"], "history") if "history" in data else None
        if "history_retention_days" in data:
            cfg.history_retention_days = positive_number(data["history_retention_days"],
                                                         "history_retention_days", float)
    except (ValueError, TypeError) as e:
        raise UsageError(f"{where}: {e}") from None
    for name in ("thresholds", "options"):
        if not isinstance(data.get(name, {}), dict):
            raise UsageError(f"{where}: {name} must be a table ([{name}.<...>])")
    if not isinstance(data.get("mute", []), list):
        raise UsageError(f"{where}: mute must be an array of tables ([[mute]])")
    known = {c.id: c for c in registry.all_checks()} if data.get("thresholds") else {}
    for check_id, values in (data.get("thresholds") or {}).items():
        c = known.get(check_id)
        if c is None:
            raise UsageError(f"{where}: thresholds for unknown check {check_id!r}")
        if not isinstance(values, dict):
            raise UsageError(f"{where}: thresholds.{check_id!r} must be a table")
        for name, value in values.items():
            if name not in c.thresholds:
                raise UsageError(f"{where}: check {check_id!r} has no threshold {name!r} "
                                 f"(it has: {', '.join(sorted(c.thresholds)) or 'none'})")
            expected = _kind(c.thresholds[name].default)
            if expected and _kind(value) != expected:
                raise UsageError(f"{where}: threshold {check_id}.{name} must be a {expected}, not {value!r}")
        cfg.thresholds[check_id] = dict(values)
    from .engines import ENGINES
    from .engines.options import problems
    for engine, values in (data.get("options") or {}).items():
        if engine not in ENGINES:
            raise UsageError(f"{where}: options for unknown engine {engine!r} "
                             f"(known: {', '.join(sorted(ENGINES))})")
        if not isinstance(values, dict):
            raise UsageError(f"{where}: options.{engine} must be a table ([options.{engine}])")
        found = problems(engine, values)
        if found:
            raise UsageError(f"{where}: {found[0]}")
        cfg.options[engine] = dict(values)
    for i, m in enumerate(data.get("mute") or []):
        if not isinstance(m, dict) or "check" not in m or not m.get("reason"):
            raise UsageError(f"{where}: mute #{i + 1} needs at least check = ... and reason = ...")
        texts = [k for k in ("check", "reason", "object", "target") if k in m and not isinstance(m[k], str)]
        if texts:
            raise UsageError(f"{where}: mute #{i + 1}: {texts[0]} must be a string")
        expires = m.get("expires")
        if isinstance(expires, dt.datetime) or not isinstance(expires, (str, dt.date, type(None))):
            raise UsageError(f"{where}: mute #{i + 1}: expires must be a date (YYYY-MM-DD)")
        if isinstance(expires, str):
            try:
                expires = dt.date.fromisoformat(expires)
            except ValueError:
                raise UsageError(f"{where}: mute #{i + 1}: expires must be a date (YYYY-MM-DD)") from None
        if not any(c.matches(m["check"]) for c in registry.all_checks()):
            raise UsageError(f"{where}: mute #{i + 1}: check {m['check']!r} matches no check "
                             "(see 'advisor checks')")
        cfg.mutes.append(Mute(check=m["check"], reason=m["reason"], object=m.get("object"),
                              target=m.get("target"), expires=expires))
    return cfg


def _kind(v: Any) -> str | None:
    """The type name a threshold value must have to replace a default of this type."""
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    return {str: "string", list: "list"}.get(type(v))


def text_value(v: Any, name: str) -> str:
    if not isinstance(v, str):
        raise ValueError(f"{name} must be a string, not {v!r}")
    return v


def positive_number(v: Any, name: str, kind: type) -> Any:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or (kind is int and not isinstance(v, int)):
        raise ValueError(f"{name} must be a {'whole ' if kind is int else ''}number, not {v!r}")
    if v <= 0:
        raise ValueError(f"{name} must be > 0, not {v!r}")
    return kind(v)


def _str_list(v: Any, name: str) -> list[str]:
    if isinstance(v, str):
        return [v]
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise ValueError(f"{name} must be a list of strings")
    return v
