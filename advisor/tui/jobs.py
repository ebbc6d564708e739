"""What a TUI worker runs for one target: the run pipeline (runner.inspect), with progress
and cancellation.

No textual here: the app calls `run_source` in a thread worker and passes an
event callback that posts progress messages and raises `Cancelled` once the worker
is cancelled (a re-run, or quitting). Events fire before each check, so a
cancelled run stops at the next check and its session is closed by the
runner's own `finally`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable

from advisor import runner
from advisor.model import TargetError, TargetResult
from advisor.report import Report
from advisor.runner import OnEvent, RunOptions
from advisor.targets import Target, scrub


class Cancelled(BaseException):
    """Raised by the event callback to abandon a run; BaseException so that run_checks'
    per-check `except Exception` does not record it as a failed check."""


@dataclass
class Source:
    """Where a target's result comes from: a live URL, a snapshot entry, or a saved report."""

    label: str
    engine: str
    target: Target | None = None
    entry: Any = None  # runner.SnapshotEntry, or a snapshot entry dict
    fixed: TargetResult | None = None

    @property
    def rerunnable(self) -> bool:
        return self.fixed is None

    @property
    def live(self) -> bool:
        return self.target is not None


def run_detached(func: Callable[[], Any], cancelled: Callable[[], bool], poll: float = 0.05) -> Any:
    """func() in a daemon thread; its result, or Cancelled as soon as cancelled() is true.

    A connect or query that hangs until its timeout must hold up neither quitting nor a
    re-run: the caller returns at once and the abandoned thread ends on its own (its hook
    raises Cancelled at the next check; a daemon thread never delays the exit).
    """
    box: dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["result"] = func()
        except BaseException as e:  # handed to the caller below
            box["error"] = e
        finally:
            done.set()

    threading.Thread(target=target, name="advisor-target", daemon=True).start()
    while not done.wait(poll):
        if cancelled():
            raise Cancelled
    if "error" in box:
        raise box["error"]
    return box["result"]


def run_source(src: Source, opts: RunOptions, on_event: OnEvent) -> Report:
    """One target through the pipeline (its inventory settings, the config's mutes); never
    raises except Cancelled (errors become part of the result)."""
    if src.fixed is not None:
        return Report(targets=[src.fixed])
    try:
        return runner.inspect([src.target if src.target is not None else src.entry], opts, on_event)
    except Cancelled:
        raise
    except Exception as e:  # an engine bug must show in place, not end the app
        secrets = [src.target.password] if src.target else []
        result = TargetResult(id=src.label, engine=src.engine,
                              url=src.target.redacted if src.target else src.label, reachable=False)
        result.errors.append(TargetError(result.id, scrub(f"internal error: {type(e).__name__}: {e}", secrets)))
        return Report(targets=[result])
