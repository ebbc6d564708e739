"""Rates and time left, for the forecast checks: when does a counter reach its limit?

A rate needs two samples of the same figure: the previous run in the history (`--history`)
and this run's facts, or, with no earlier run, the start and the end of this run's sampling
window (`--sample`). The history fact every engine offers (`<prefix>.history`) holds the
earlier sample's figures and times (and `rate_from`: "history" or "sample window"); checks
combine it with the current facts here. Severity
rises as the time left falls: critical below `critical_days`, warning below `warning_days`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import FactUnavailable
from .model import Severity
from .registry import Threshold
from .units import human_duration

HISTORY_FACT = {"postgres": "pg.history", "mysql": "mysql.history", "redis": "redis.history",
                "mongo": "mongo.history"}
NO_HISTORY = ("no earlier run of this target in a history file, and no sampling window",
              "pass --history FILE to every run (e.g. from cron): the next run forecasts from the rate; "
              "or --sample SECONDS for the rate within one run")

SOURCE = "db-advisor: time left at the observed rate (PgHero and check_postgres judge only today's percentage)"
THRESHOLDS = {
    "critical_days": Threshold(7, "days", SOURCE + "; a week is the time to plan and run a type change"),
    "warning_days": Threshold(30, "days", SOURCE + "; a month: one release cycle"),
}


def no_history(session: Any, facts: Any) -> None:
    """The provider behind every `<prefix>.history` fact: the runner puts the sample in the
    store when a history holds one; otherwise the forecast checks are skipped with this."""
    raise FactUnavailable(*NO_HISTORY)


@dataclass
class Rate:
    per_s: float        # change per second (positive: toward the limit)
    seconds: float      # between the two samples
    previous: float
    current: float

    @property
    def per_day(self) -> float:
        return self.per_s * 86400

    def evidence(self) -> dict[str, Any]:
        return {"previous_value": self.previous, "current_value": self.current,
                "sampled_over_s": round(self.seconds), "rate_per_day": round(self.per_day, 2)}


def rate(history: dict[str, Any], name: str, current: float | None) -> Rate | None:
    """The rate of figure `name` between the history's sample and now; None when unknown."""
    prev = (history.get("figures") or {}).get(name)
    seconds = float(history.get("now", 0)) - float(history.get("taken_at", 0))
    if prev is None or current is None or seconds <= 0:
        return None
    return Rate(per_s=(float(current) - float(prev)) / seconds, seconds=seconds,
                previous=float(prev), current=float(current))


def time_left(remaining: float, per_s: float) -> float | None:
    """Seconds until `remaining` is used up at `per_s`; None when not moving toward it."""
    if per_s <= 0:
        return None
    return max(0.0, remaining) / per_s


def judge(ctx: Any, seconds_left: float | None) -> Severity | None:
    if seconds_left is None:
        return None
    days = seconds_left / 86400
    if days < ctx.threshold("critical_days"):
        return Severity.CRITICAL
    if days < ctx.threshold("warning_days"):
        return Severity.WARNING
    return None


def left_text(seconds_left: float) -> str:
    return human_duration(seconds_left)


def history_evidence(history: dict[str, Any], left_s: float, **more: Any) -> dict[str, Any]:
    since = "window_started_at" if history.get("rate_from") == "sample window" else "previous_run_at"
    return {**more, "time_left_s": round(left_s), "time_left_days": round(left_s / 86400, 1),
            "rate_from": history.get("rate_from", "history"), since: history.get("taken_at"),
            "judged_at": history.get("now")}


GROWTH_THRESHOLD = Threshold(1024**3, "bytes/day", "db-advisor: 1 GiB a day fills a 100 GB volume in three months")


def growth_findings(ctx: Any, history: dict[str, Any], sizes: dict[str, float]):
    """The growth checks of every engine: the whole set of tables, then each table, that grew
    faster than the threshold since the previous run."""
    from .units import human_bytes
    floor = ctx.threshold("min_bytes_per_day")
    total = sum(sizes.values()) if sizes else None
    for name, size in [(None, total), *sizes.items()]:
        r = rate(history, "tables_bytes" if name is None else f"table_bytes:{name}", size)
        if r is None or r.per_day < floor:
            continue
        yield ctx.finding(
            object=name,
            summary=(f"tables grow {human_bytes(r.per_day)} a day "
                     f"({human_bytes(r.current - r.previous)} since the previous run)" if name is None
                     else f"table {name} grows {human_bytes(r.per_day)} a day"),
            evidence=r.evidence(),
            recommendation="Check that the volume has room for the coming months at this rate; archive "
                           "old rows or partition by time, which makes dropping old data cheap.",
            fix=None)
