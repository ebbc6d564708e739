"""Checks declare themselves with @check; the registry finds, validates and selects them."""

from __future__ import annotations

import fnmatch
import importlib
import inspect
import pkgutil
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from .engines import ENGINE_OF_PREFIX as _ENGINE_OF_PREFIX, ENGINES as _ENGINES
from .model import CATEGORIES, Severity

ENGINES = tuple(_ENGINES)
_ID_RE = re.compile(rf"^({'|'.join(_ENGINE_OF_PREFIX)})\.[a-z0-9_]+(\.[a-z0-9_]+)+$")


@dataclass(frozen=True)
class Threshold:
    """A number a check judges against, with where it comes from."""

    default: Any
    unit: str
    source: str  # "guide: ..." or an anchor, shown by `advisor checks`
    help: str = ""


@dataclass
class Check:
    id: str
    title: str
    engine: str
    category: str
    severity: Severity
    facts: tuple[str, ...]
    reference: str
    func: Callable
    thresholds: dict[str, Threshold] = field(default_factory=dict)
    doc: str = ""
    options: tuple[str, ...] = ()  # engine options the check itself reads (ctx.options)
    plugin: str | None = None  # distribution name for entry-point checks
    counters: bool = False  # judges cumulative counters: a --sample window, or their age, says how

    def matches(self, pattern: str) -> bool:
        return fnmatch.fnmatchcase(self.id, pattern)

    def effective_thresholds(self, overrides: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
        values = {k: t.default for k, t in self.thresholds.items()}
        values.update((overrides or {}).get(self.id, {}))
        return values


_REGISTRY: dict[str, Check] = {}


def check(*, id: str, title: str, category: str, severity: Severity | str, facts: Iterable[str],
          reference: str, thresholds: dict[str, Threshold] | None = None,
          options: Iterable[str] = (), counters: bool = False) -> Callable:
    """Register a check: a function of a CheckContext that yields Findings."""

    def wrap(func: Callable) -> Callable:
        sev = severity if isinstance(severity, Severity) else Severity.parse(severity)
        c = Check(
            id=id, title=title, engine=_ENGINE_OF_PREFIX.get(id.split(".")[0], "?"),
            category=category, severity=sev, facts=tuple(facts), reference=reference,
            func=func, thresholds=dict(thresholds or {}), doc=inspect.cleandoc(func.__doc__ or ""),
            plugin=getattr(func, "__advisor_plugin__", None), options=tuple(options),
            counters=counters,
        )
        problems = validate(c)
        if problems:
            raise ValueError(f"check {id!r} is malformed: {'; '.join(problems)}")
        if id in _REGISTRY and _REGISTRY[id].func.__qualname__ != func.__qualname__:
            raise ValueError(f"check id {id!r} registered twice")
        _REGISTRY[id] = c
        func.check = c
        return func

    return wrap


def validate(c: Check) -> list[str]:
    problems = []
    if not _ID_RE.match(c.id):
        problems.append(f"id must look like pg.topic.name (engine prefix {'|'.join(_ENGINE_OF_PREFIX)})")
    if c.category not in CATEGORIES:
        problems.append(f"category {c.category!r} not in {CATEGORIES}")
    if not c.title or len(c.title) > 80:
        problems.append("title must be 1-80 characters")
    if not c.reference:
        problems.append("reference is required (guide section or public source)")
    if len(c.doc) < 40:
        problems.append("docstring must explain the problem and the fix")
    for name, t in c.thresholds.items():
        if not isinstance(t, Threshold) or not t.source:
            problems.append(f"threshold {name!r} needs a Threshold with a source")
    return problems


_loaded: set[str] = set()  # engines whose built-in checks are imported
_plugins_loaded = False
plugin_errors: list[str] = []


def load_builtin(engine: str | None = None) -> None:
    """Import every module below `checks.<engine>` (one module per topic), or below `checks`.
    A run imports its engines' checks only: their helpers (sizing, the index advisor) too."""
    for name in ([engine] if engine else list(ENGINES)):
        if name in _loaded:
            continue
        _loaded.add(name)
        package = importlib.import_module(f"checks.{name}")
        for info in pkgutil.walk_packages(package.__path__, prefix=f"checks.{name}."):
            try:
                importlib.import_module(info.name)
            except Exception as e:  # reported like a broken plugin: the other checks still run
                plugin_errors.append(f"check module {info.name} failed to load: {type(e).__name__}: {e}")


PLUGIN_GROUP = "advisor.checks"


def declares_plugins(paths: list[str] | None = None) -> bool:
    """Whether any installed distribution declares the plugin group. importlib.metadata reads
    the metadata of every installed distribution to answer (~30 ms with a few hundred, on every
    run); the entry_points.txt files of the dist-info / egg-info folders on sys.path say it
    in a few ms, and entry_points() is asked only when one does."""
    import glob
    import os
    import sys
    marker = f"[{PLUGIN_GROUP}]"
    for d in paths if paths is not None else sys.path:
        if not d or not os.path.isdir(d):
            continue
        for f in glob.glob(os.path.join(glob.escape(d), "*.*-info", "entry_points.txt")):
            try:
                with open(f, encoding="utf-8", errors="replace") as fh:
                    if marker in fh.read():
                        return True
            except OSError:
                continue
    return False


def load_plugins() -> None:
    """Checks from other distributions: entry-point group `advisor.checks`.

    Each entry point names a module (imported for its @check decorators) or a
    callable (called once). A plugin that fails is reported, never fatal.
    """
    if not declares_plugins():
        return
    from importlib.metadata import entry_points

    for ep in entry_points(group=PLUGIN_GROUP):
        try:
            obj = ep.load()
            if callable(obj) and not inspect.ismodule(obj):
                obj()
        except Exception as e:  # a broken plugin must not break the run
            plugin_errors.append(f"plugin {ep.name!r} ({ep.value}) failed to load: {type(e).__name__}: {e}")


_load_lock = threading.RLock()


def _ensure_loaded(engine: str | None = None) -> None:
    """Import the checks (of one engine, or all) and the plugins, once, even from several threads."""
    global _plugins_loaded
    with _load_lock:
        load_builtin(engine)
        if not _plugins_loaded:
            _plugins_loaded = True
            load_plugins()


def all_checks() -> list[Check]:
    """Every registered check; the first call imports them."""
    _ensure_loaded()
    return sorted(_REGISTRY.values(), key=lambda c: c.id)


def select(engine: str | None = None, include: Iterable[str] = (), exclude: Iterable[str] = ()) -> list[Check]:
    include, exclude = list(include), list(exclude)
    _ensure_loaded(engine)
    out = []
    for c in sorted(_REGISTRY.values(), key=lambda c: c.id):
        if engine and c.engine != engine:
            continue
        if include and not any(c.matches(p) for p in include):
            continue
        if any(c.matches(p) for p in exclude):
            continue
        out.append(c)
    return out


def get(check_id: str) -> Check:
    all_checks()
    return _REGISTRY[check_id]
