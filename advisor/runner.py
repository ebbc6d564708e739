"""Run checks against targets (live or from a snapshot) and build the report."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from . import engines, registry, scoring
from .context import CheckContext
from .errors import AdvisorError, FactUnavailable, TargetLost, TargetUnreachable
from .facts import FactStore, LiveFacts, SnapshotFacts
from .model import Host, Skipped, TargetError, TargetResult
from .registry import Check
from .report import Report
from .targets import Target, scrub


@dataclass
class RunOptions:
    timeout: float = 10.0
    host: Host = field(default_factory=Host)
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    thresholds: dict[str, dict[str, Any]] = field(default_factory=dict)
    engine_options: dict[str, dict[str, Any]] = field(default_factory=dict)  # [options.<engine>]
    max_parallel: int = 8

    def checks_for(self, engine: str) -> list[Check]:
        return registry.select(engine, self.include, self.exclude)

    def for_engine(self, engine: str) -> dict[str, Any]:
        return {"timeout": self.timeout, **self.engine_options.get(engine, {})}

    def for_target(self, target: Target) -> "RunOptions":
        """These options with a target's own timeout/memory/cpus/options (from an inventory)."""
        o = target.options
        if not o:
            return self
        engine_options = dict(self.engine_options)
        if o.get("options"):
            engine_options[target.engine] = {**engine_options.get(target.engine, {}), **o["options"]}
        return replace(self, timeout=o.get("timeout", self.timeout), engine_options=engine_options,
                       host=Host(memory_bytes=o.get("memory_bytes", self.host.memory_bytes),
                                 cpus=o.get("cpus", self.host.cpus)))


def run_checks(result: TargetResult, checks: list[Check], facts: FactStore, opts: RunOptions) -> None:
    """Judge every check on the facts; a lost connection ends the target with a partial report."""
    for i, c in enumerate(checks):
        ctx = CheckContext(c, result.id, facts, opts.host, c.effective_thresholds(opts.thresholds))
        try:
            result.findings.extend(c.func(ctx) or [])
        except FactUnavailable as e:
            result.skipped.append(Skipped(result.id, c.id, e.describe()))
        except TargetLost as e:
            result.complete = False
            result.errors.append(TargetError(result.id, f"connection lost during {c.id}: {e}; report is partial"))
            result.skipped.extend(Skipped(result.id, rest.id, "not run: connection to the target was lost")
                                  for rest in checks[i + 1:])
            break
        except Exception as e:  # a bug in one check must not hide the others
            result.errors.append(TargetError(result.id, f"check {c.id} failed: {type(e).__name__}: {e}"))


def _connect(target: Target, opts: RunOptions) -> tuple[Any, Any]:
    engine = engines.load(target.engine)
    return engine, engine.connect(target, opts.for_engine(target.engine))


def inspect_target(target: Target, opts: RunOptions) -> TargetResult:
    result = TargetResult(id=target.id, engine=target.engine, url=target.redacted)
    t0 = time.monotonic()
    secrets = [target.password]
    try:
        engine, session = _connect(target, opts)
    except Exception as e:  # a driver's surprise on one target must not end the others' runs
        msg = str(e) if isinstance(e, AdvisorError) else f"cannot connect: {type(e).__name__}: {e}"
        result.reachable = False
        result.errors.append(TargetError(result.id, scrub(msg, secrets)))
        result.duration_ms = int((time.monotonic() - t0) * 1000)
        return result
    try:
        facts = LiveFacts(target.engine, session, opts.for_engine(target.engine))
        try:
            result.server_version = engine.server_version(facts)
        except (FactUnavailable, TargetLost):
            pass
        run_checks(result, opts.checks_for(target.engine), facts, opts)
        for e in result.errors:
            e.message = scrub(e.message, secrets)
        result.score = scoring.score(result.findings)
    finally:
        engine.close(session)
        result.duration_ms = int((time.monotonic() - t0) * 1000)
    return result


def _parallel_map(fn: Callable[[Any], Any], items: list[Any], workers: int) -> list[Any]:
    """fn over items in `workers` daemon threads, results in order. Unlike a
    ThreadPoolExecutor, Ctrl-C ends the command at once: nothing waits at exit for
    a thread stuck in a connect to a silent server."""
    results: list[Any] = [None] * len(items)
    failures: list[BaseException] = []
    todo = iter(enumerate(items))
    lock = threading.Lock()

    def work() -> None:
        while not failures:
            with lock:
                nxt = next(todo, None)
            if nxt is None:
                return
            try:
                results[nxt[0]] = fn(nxt[1])
            except BaseException as e:  # re-raised in the calling thread
                failures.append(e)

    threads = [threading.Thread(target=work, name=f"advisor-target-{i}", daemon=True) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]
    return results


def run(targets: list[Target], opts: RunOptions) -> Report:
    """Inspect targets concurrently; one slow or dead target never stops the others."""
    workers = max(1, min(opts.max_parallel, len(targets)))
    if workers == 1:
        results = [inspect_target(t, opts.for_target(t)) for t in targets]
    else:
        results = _parallel_map(lambda t: inspect_target(t, opts.for_target(t)), targets, workers)
    report = Report(targets=results)
    report.extra_errors.extend(TargetError("plugins", m) for m in registry.plugin_errors)
    return report


# --- snapshots ---------------------------------------------------------------

SNAPSHOT_VERSION = 1


def collect(target: Target, opts: RunOptions) -> dict[str, Any]:
    """Read every fact the selected checks need, once; return a JSON-ready snapshot entry."""
    entry: dict[str, Any] = {"id": target.id, "engine": target.engine, "url": target.redacted,
                             "facts": {}, "unavailable": {}, "errors": []}
    t0 = time.monotonic()
    try:
        engine, session = _connect(target, opts)
    except TargetUnreachable as e:
        raise TargetUnreachable(scrub(str(e), [target.password])) from None
    try:
        facts = LiveFacts(target.engine, session, opts.for_engine(target.engine))
        try:
            entry["server_version"] = engine.server_version(facts)
        except FactUnavailable:
            entry["server_version"] = None
        needed = sorted({f for c in opts.checks_for(target.engine) for f in c.facts})
        for name in needed:
            try:
                facts.get(name)
            except FactUnavailable:
                pass
            except TargetLost as e:
                entry["errors"].append(f"connection lost while reading {name}: {e}; snapshot is partial")
                break
        entry["facts"], entry["unavailable"] = facts.values, facts.unavailable
        entry["options"] = opts.for_engine(target.engine)
    finally:
        engine.close(session)
    entry["duration_ms"] = int((time.monotonic() - t0) * 1000)
    return entry


def analyze_snapshot(entry: dict[str, Any], opts: RunOptions) -> TargetResult:
    result = TargetResult(id=entry["id"], engine=entry["engine"], url=entry["url"],
                          server_version=entry.get("server_version"))
    t0 = time.monotonic()
    facts = SnapshotFacts(entry.get("facts", {}), entry.get("unavailable", {}),
                          {**entry.get("options", {}), **opts.engine_options.get(entry["engine"], {})})
    result.errors.extend(TargetError(result.id, m) for m in entry.get("errors", []))
    result.complete = not entry.get("errors")  # a snapshot cut short by a lost connection
    run_checks(result, opts.checks_for(entry["engine"]), facts, opts)
    result.score = scoring.score(result.findings)
    result.duration_ms = int((time.monotonic() - t0) * 1000)
    return result
