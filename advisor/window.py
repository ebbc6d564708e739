"""Sampling windows: judge cumulative counters on what happened between two reads.

Server counters (pg_stat_*, MySQL status and digests, Redis INFO stats, MongoDB
serverStatus) count since the server started or the statistics were reset. A ratio over
months hides today's problem and keeps yesterday's. With `--sample SECONDS` the advisor
reads every cumulative fact the selected checks need, waits, reads them again, and the
checks see the differences: the same shapes, with each counter field replaced by its
increase over the window.

A provider declares which fields of its value are counters with `Counters` specs
(advisor.facts.provides(..., counters=[...])). A spec points at a part of the value (`path`)
that is either a flat dict of fields, a list of rows matched by `key`, or a dict of rows
keyed by name (`key="*"`). Rules, each for a reason:
- a row absent from the first read is new in the window (its whole value counts), unless
  the first read was cut short by a limit (`truncated`) or is a top-N (`bounded`): then the
  row is left out, since its starting value is unknown, unless the server says it was first
  seen after that read (`born`, against the read's `now`);
- a counter that went down was reset during the window: its end value is the increase;
- fields that are not counters (gauges, names, settings) keep their end value;
- rows that are events (profiler entries) rather than counters are kept when newer than
  every row of the first read (`after`: their time field);
- a field named `prefix*` stands for every field of that name (MySQL's Com_*, Handler_*).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Counters:
    fields: tuple[str, ...]
    key: tuple[str, ...] | str | None = None   # row identity; "*" = the dict's own keys
    path: tuple[str, ...] = ()                 # where in the fact's value
    derive: Callable[[dict], dict] | None = None   # recompute per-row figures (a mean) from the increases
    bounded: bool = False   # the rows are a top-N: a row absent at the start may have been cut, not new
    active: str | None = None   # rows whose this counter did not move are left out (not run in the window)
    after: str | None = None    # rows are events (a log): keep those newer than the start read's newest
    born: str | None = None     # a row's first-seen time: with a cut start read, a row first seen after
                                # the start read's "now" (beside the rows) is new all the same


# Cumulative counters younger than this (a restart, a statistics reset) are judged at most
# as info: an hour of traffic is too little to call a ratio bad (MySQLTuner and
# postgresqltuner warn that figures under a day of uptime may be inaccurate).
YOUNG_COUNTERS_S = 3600

# where each engine's facts say how old their cumulative counters are (seconds): the
# statistics reset or the server start, whichever is later
COUNTER_AGE = {
    "postgres": ("pg.server", ("stats_age_s",)),
    "mysql": ("mysql.status", ("uptime_since_flush_status",)),
    "redis": ("redis.info", ("server", "uptime_in_seconds")),
    "mongo": ("mongo.server_status", ("uptime",)),
}


def counters_age(engine: str, values: dict[str, Any]) -> float | None:
    """How old the engine's counters are, from a fact already read (never a new query)."""
    fact, path = COUNTER_AGE.get(engine, (None, ()))
    v: Any = values.get(fact) if fact else None
    for p in path:
        v = v.get(p) if isinstance(v, dict) else None
    if v is None and engine == "mysql":
        v = (values.get("mysql.status") or {}).get("uptime")
    return float(v) if _num(v) else None


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _sub(start: dict, end: dict, fields: tuple[str, ...], resets: list[str], where: str,
         derive: Callable[[dict], dict] | None = None) -> dict:
    out = dict(end)
    for f in _expand(fields, end):
        a, b = start.get(f), end.get(f)
        if _num(a) and _num(b):
            if b < a:
                resets.append(f"{where}{f}")
                out[f] = b
            else:
                out[f] = b - a if not (isinstance(a, float) or isinstance(b, float)) else round(b - a, 6)
    return derive(out) if derive else out


def _expand(fields: tuple[str, ...], row: dict) -> list[str]:
    if not any(f.endswith("*") for f in fields):
        return list(fields)
    out = [f for f in fields if not f.endswith("*")]
    prefixes = tuple(f[:-1] for f in fields if f.endswith("*"))
    return out + [k for k in row if k.startswith(prefixes) and k not in out]


def _rowkey(row: dict, key: tuple[str, ...]) -> tuple:
    return tuple(row.get(k) for k in key)


def _apply(spec: Counters, start: Any, end: Any, truncated: bool, resets: list[str],
           since: Any = None) -> Any:
    if isinstance(end, list) and spec.after:
        seen = [r.get(spec.after) for r in start or [] if isinstance(r, dict) and r.get(spec.after) is not None]
        cut = max(seen) if seen else None
        return [r for r in end if cut is None or (r.get(spec.after) is not None and r[spec.after] > cut)]
    if isinstance(end, list):
        key = tuple(spec.key or ())
        before = {_rowkey(r, key): r for r in start or [] if isinstance(r, dict)}
        out = []
        for r in end:
            k = _rowkey(r, key)
            if k in before:
                out.append(_sub(before[k], r, spec.fields, resets, f"{k}.", spec.derive))
            elif not truncated or _born_after(r, spec.born, since):
                out.append(r)      # new in the window: all of it happened in the window
        return [r for r in out if r.get(spec.active)] if spec.active else out
    if isinstance(end, dict) and spec.key == "*":
        out = {}
        for name, r in end.items():
            if isinstance(r, dict) and name in (start or {}):
                out[name] = _sub(start[name], r, spec.fields, resets, f"{name}.", spec.derive)
            elif not truncated:
                out[name] = r
        return out
    if isinstance(end, dict):
        return _sub(start or {}, end, spec.fields, resets, "", spec.derive)
    return end


def _born_after(row: dict, field: str | None, since: Any) -> bool:
    born = row.get(field) if field else None
    return born is not None and since is not None and type(born) is type(since) and born > since


def _get(value: Any, path: tuple[str, ...]) -> Any:
    for p in path:
        value = value.get(p) if isinstance(value, dict) else None
    return value


def _set(value: Any, path: tuple[str, ...], part: Any) -> Any:
    if not path:
        return part
    out = dict(value)
    out[path[0]] = _set(value.get(path[0], {}), path[1:], part)
    return out


def delta(specs: list[Counters], start: Any, end: Any) -> tuple[Any, list[str]]:
    """The end value with every counter replaced by its increase since start; and the
    counters found reset during the window."""
    resets: list[str] = []
    out = end
    for spec in specs:
        s_part, e_part = _get(start, spec.path), _get(end, spec.path)
        if e_part is None:
            continue
        holder = _get(start, spec.path[:-1]) if spec.path else start
        truncated = spec.bounded or bool(isinstance(holder, dict) and holder.get("truncated"))
        since = holder.get("now") if isinstance(holder, dict) else None
        out = _set(out, spec.path, _apply(spec, s_part, e_part, truncated, resets, since))
    return out, resets
