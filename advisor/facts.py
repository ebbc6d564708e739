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
_COUNTERS: dict[str, dict[str, list]] = {}   # engine -> fact -> [window.Counters]


def provides(engine: str, name: str, counters: list | None = None) -> Callable[[Provider], Provider]:
    """Register `func(session, facts)` as the provider of fact `name` for `engine`.

    `counters` (advisor.window.Counters) says which fields of the value are cumulative, so
    that a sampling window can judge their increase instead of their value."""

    def wrap(func: Provider) -> Provider:
        _PROVIDERS.setdefault(engine, {})[name] = func
        if counters:
            _COUNTERS.setdefault(engine, {})[name] = list(counters)
        return func

    return wrap


def providers(engine: str) -> dict[str, Provider]:
    return _PROVIDERS.get(engine, {})


def counters(engine: str) -> dict[str, list]:
    """The cumulative facts of an engine and how to subtract two reads of each."""
    return _COUNTERS.get(engine, {})


_PLAIN = frozenset({type(None), bool, int, float, str})  # exact types JSON keeps as they are
_STR = frozenset({str})


def jsonable(v: Any) -> Any:
    """Normalize a provider's value to what JSON gives back, so that live and
    snapshot runs judge identical data (Decimal -> float, datetime -> ISO text,
    timedelta -> seconds, bytes -> text, tuples -> lists)."""
    # fast paths by exact type: facts of big catalogs hold hundreds of thousands of values
    t = type(v)
    if t in _PLAIN:
        return v
    if t is dict:
        # a row of plain values is kept as it is: the type test runs in C, a copy would not
        if _PLAIN.issuperset(map(type, v.values())) and _STR.issuperset(map(type, v)):
            return v
        return {k if type(k) is str else str(k): x if type(x) in _PLAIN else jsonable(x)
                for k, x in v.items()}
    if t is list:
        if _PLAIN.issuperset(map(type, v)):
            return v
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
    """Base: memoized facts with recorded unavailability.

    With a sampling window (`window`), a cumulative fact read at the window's start is
    returned as its increase over the window; `values` keeps the raw end reads (that is
    what a snapshot stores, beside the start reads)."""

    engine: str = ""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.unavailable: dict[str, dict[str, str | None]] = {}
        self.options: dict[str, Any] = {}
        self.window: dict[str, Any] | None = None   # {"sample_s", "start": {fact: value}, "started_at"}
        self._deltas: dict[str, Any] = {}

    def windowed(self, name: str) -> bool:
        return bool(self.window) and name in self.window["start"]

    def get(self, name: str) -> Any:
        if self.windowed(name):
            if name not in self._deltas:
                from .window import delta
                end = self.values[name] if name in self.values else self._raw(name)
                self._deltas[name], resets = delta(counters(self.engine).get(name, []),
                                                   self.window["start"][name], end)
                if resets:
                    self.window.setdefault("resets", {})[name] = resets[:20]
            return self._deltas[name]
        return self._raw(name)

    def _raw(self, name: str) -> Any:
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


    def open_window(self, names: list[str], sample_s: float, wait: Callable[[float], None] = time.sleep,
                    gauges: tuple[str, ...] | list[str] = ()) -> dict[str, Any]:
        """Start a sampling window: read the cumulative facts among `names` now (in a store of
        their own, so that nothing read on the way is mistaken for an end value), then wait.
        The reads after the wait are the window's end. `gauges` are facts that are not
        cumulative but whose change over the window gives a rate (sequence values, sizes):
        they are read at both ends as well, and still judged on their end value. Returns the
        start reads (cumulative facts and gauges, raw)."""
        start = LiveFacts(self.engine, self.session, self.options)
        cumulative = counters(self.engine)
        read = [n for n in names if n in cumulative] + [g for g in gauges if g not in cumulative]
        for name in read:
            try:
                start.get(name)
            except FactUnavailable:
                pass   # unavailable at the end too; the checks say why
        self.queries += start.queries
        values = {n: start.values[n] for n in names if n in cumulative and n in start.values}
        self.window = {"sample_s": float(sample_s), "start": values, "started_at": time.time()}
        wait(sample_s)
        for name in read:   # the end reads together, right after the wait: one window for all
            self.values.pop(name, None)   # read before the window (mysql.status by server_version)
            self._deltas.pop(name, None)
            try:
                self._raw(name)
            except FactUnavailable:
                pass
        self.window["ended_at"] = time.time()
        return start.values


class SnapshotFacts(FactStore):
    """Facts read back from a snapshot file: nothing is queried."""

    def __init__(self, facts: dict[str, Any], unavailable: dict[str, dict] | None = None,
                 options: dict[str, Any] | None = None, engine: str = "",
                 window: dict[str, Any] | None = None):
        super().__init__()
        self.engine = engine
        self.window = window
        self.values = dict(facts)
        self.unavailable = dict(unavailable or {})
        self.options = options or {}

    def _fetch(self, name: str) -> Any:
        raise FactUnavailable(f"fact {name!r} was not collected in this snapshot",
                              "take the snapshot again with these checks selected")
