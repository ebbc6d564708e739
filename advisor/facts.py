"""Facts: everything a check may know about a target, each read at most once per run.

An engine registers *providers* (functions that query the server) by fact name.
Checks ask `ctx.fact(name)`; the store calls the provider on first use and keeps
the value (or the reason it is unavailable). A snapshot is the same store,
written to JSON and read back offline.
"""

from __future__ import annotations

import datetime as dt
import decimal
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from .errors import FactUnavailable, TargetLost

Provider = Callable[[Any, "FactStore"], Any]
_PROVIDERS: dict[str, dict[str, Provider]] = {}


def provides(engine: str, name: str) -> Callable[[Provider], Provider]:
    """Register `func(session, facts)` as the provider of fact `name` for `engine`."""

    def wrap(func: Provider) -> Provider:
        _PROVIDERS.setdefault(engine, {})[name] = func
        return func

    return wrap


def providers(engine: str) -> dict[str, Provider]:
    return _PROVIDERS.get(engine, {})


_PLAIN = frozenset({type(None), bool, int, float, str})  # exact types JSON keeps as they are


def jsonable(v: Any) -> Any:
    """Normalize a provider's value to what JSON gives back, so that live and
    snapshot runs judge identical data (Decimal -> float, datetime -> ISO text,
    timedelta -> seconds, bytes -> text, tuples -> lists)."""
    # fast paths by exact type: facts of big catalogs hold hundreds of thousands of values
    t = type(v)
    if t in _PLAIN:
        return v
    if t is dict:
        return {k if type(k) is str else str(k): x if type(x) in _PLAIN else jsonable(x)
                for k, x in v.items()}
    if t is list:
        return [x if type(x) in _PLAIN else jsonable(x) for x in v]
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set, frozenset)):
        return [jsonable(x) for x in v]
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() and abs(v) < 2**63 else float(v)
    if isinstance(v, dt.timedelta):
        return v.total_seconds()
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).decode("utf-8", "replace")
    return str(v)


_listener = threading.local()


@contextmanager
def collecting(callback: Callable[[str | None], None]) -> Iterator[None]:
    """While inside, `callback(name)` hears which fact this thread's LiveFacts start collecting,
    and `callback(None)` (or the enclosing fact's name) when it ends: the TUI shows a slow one
    (Redis key sampling) instead of a row that looks frozen. A thread-local, so that neither the
    runner nor the checks take a parameter for it."""
    _listener.callback, _listener.stack = callback, []
    try:
        yield
    finally:
        _listener.callback = None


class FactStore:
    """Base: memoized facts with recorded unavailability."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.unavailable: dict[str, dict[str, str | None]] = {}
        self.options: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        if name in self.values:
            return self.values[name]
        if name in self.unavailable:
            u = self.unavailable[name]
            raise FactUnavailable(u["reason"], u.get("enable"))
        return self._fetch(name)

    def has(self, name: str) -> bool:
        try:
            self.get(name)
            return True
        except FactUnavailable:
            return False

    def _fetch(self, name: str) -> Any:  # pragma: no cover - overridden
        raise FactUnavailable(f"fact {name!r} is not known")

    def snapshot(self) -> dict[str, Any]:
        return {"facts": self.values, "unavailable": self.unavailable}


class LiveFacts(FactStore):
    """Facts read from a live server through the engine's providers."""

    def __init__(self, engine: str, session: Any, options: dict[str, Any] | None = None):
        super().__init__()
        self.engine = engine
        self.session = session
        self.options = options or {}
        self.queries = 0          # provider calls, for benchmarks
        self.fetch_seconds = 0.0

    def _fetch(self, name: str) -> Any:
        provider = providers(self.engine).get(name)
        if provider is None:
            raise FactUnavailable(f"no provider for fact {name!r} on {self.engine}")
        heard = getattr(_listener, "callback", None)
        if heard:
            _listener.stack.append(name)
            heard(name)
        t0 = time.perf_counter()
        try:
            value = provider(self.session, self)
        except FactUnavailable as e:
            self.unavailable[name] = {"reason": e.reason, "enable": e.enable}
            raise
        except TargetLost:
            raise
        finally:
            self.queries += 1
            self.fetch_seconds += time.perf_counter() - t0
            if heard:
                _listener.stack.pop()
                heard(_listener.stack[-1] if _listener.stack else None)
        value = jsonable(value)
        self.values[name] = value
        return value


class SnapshotFacts(FactStore):
    """Facts read back from a snapshot file: nothing is queried."""

    def __init__(self, facts: dict[str, Any], unavailable: dict[str, dict] | None = None,
                 options: dict[str, Any] | None = None):
        super().__init__()
        self.values = dict(facts)
        self.unavailable = dict(unavailable or {})
        self.options = options or {}

    def _fetch(self, name: str) -> Any:
        raise FactUnavailable(f"fact {name!r} was not collected in this snapshot",
                              "take the snapshot again with these checks selected")
