"""The run pipeline: one entry point, `inspect(sources, options, on_event)`.

    sources (live Targets, snapshot entries)
      -> options resolved once per target (TargetOptions)
      -> facts (live session or snapshot) -> selected checks -> findings
      -> TargetResult -> Report (config mutes applied)

`advisor run`, `advisor analyze`, the TUI, the pytest fixture and fleet inventories all
go through `inspect`; `collect` (for `advisor snapshot`) shares the same resolution.

Option precedence, per target (docs/architecture.md):
    inventory entry > inventory defaults > command-line flags > config file > defaults
and for [options.<engine>]: inventory target > inventory defaults > config file > a
snapshot's recorded options > the declared defaults (advisor/engines/options.py).
`timeout` is the run's own setting, never an engine option.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Union

from . import engines, registry, scoring
from .context import CheckContext
from .engines.options import DEFAULT_TIMEOUT
from .errors import AdvisorError, FactUnavailable, TargetLost, TargetUnreachable
from .facts import FactStore, LiveFacts, SnapshotFacts
from .figures import FACTS as FIGURE_FACTS, WINDOW_FACTS, figures, window_figures
from .forecast import HISTORY_FACT, NO_HISTORY
from .model import Host, Skipped, TargetError, TargetResult
from .registry import Check
from .report import Report
from .targets import Target, scrub


@dataclass
class RunOptions:
    """What a command asks for (flags and config file, already merged); the same for every target."""

    timeout: float = DEFAULT_TIMEOUT
    host: Host = field(default_factory=Host)
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    thresholds: dict[str, dict[str, Any]] = field(default_factory=dict)
    engine_options: dict[str, dict[str, Any]] = field(default_factory=dict)  # [options.<engine>]
    max_parallel: int = 8
    mutes: list[Any] = field(default_factory=list)  # config.Mute: applied to the report
    sample_s: float | None = None  # --sample: judge counters on their increase over this window
    history: bool = False          # a history file is in use (--history): forecasts are wanted
    history_samples: dict[str, dict[str, Any]] = field(default_factory=dict)  # target id -> earlier run
    postgres_peers: list[dict[str, Any]] = field(default_factory=list)  # PostgreSQL targets of this run, for PgBouncer

    def checks_for(self, engine: str, sample_s: float | None = None) -> list[Check]:
        """The selected checks; the forecast checks only with a history (or when --checks names
        them), so that a run without one does not list them all as skipped; with a sampling
        window, those the window gives a rate for (figures.WINDOW_FACTS) too."""
        checks = registry.select(engine, self.include, self.exclude)
        if self.history or any("forecast" in p for p in self.include):
            return checks
        windowed = set(WINDOW_FACTS.get(engine, ())) if sample_s else set()
        return [c for c in checks if HISTORY_FACT.get(engine) not in c.facts or windowed.intersection(c.facts)]

    def for_target(self, source: "Source") -> "TargetOptions":
        """The options of one target, resolved once (see the module docstring for precedence)."""
        window_s = None   # a snapshot's recorded window: its checks are chosen as the live run's were
        if isinstance(source, Target):
            engine, own, recorded_options, recorded_host = source.engine, source.options or {}, {}, {}
        else:
            entry, recorded_host = (source.entry, source.host) if isinstance(source, SnapshotEntry) else (source, {})
            engine, own, recorded_options = entry["engine"], {}, entry.get("options", {})
            window_s = (entry.get("window") or {}).get("sample_s")
        recorded_options = {k: v for k, v in recorded_options.items() if k != "timeout"}
        sample_s = own.get("sample", self.sample_s)
        return TargetOptions(
            engine=engine,
            timeout=own.get("timeout", self.timeout),
            host=Host(memory_bytes=own.get("memory_bytes", self.host.memory_bytes or recorded_host.get("memory_bytes")),
                      cpus=own.get("cpus", self.host.cpus or recorded_host.get("cpus"))),
            options={**recorded_options, **self.engine_options.get(engine, {}), **own.get("options", {})},
            checks=tuple(self.checks_for(engine, sample_s or window_s)),
            thresholds=self.thresholds,
            sample_s=sample_s,
            history=self.history_samples.get(source_id(source)),
            peers=tuple(self.postgres_peers) if engine == "pgbouncer" else (),
        )


@dataclass(frozen=True)
class TargetOptions:
    """Everything that decides how one target is inspected, resolved once."""

    engine: str
    timeout: float
    host: Host
    options: dict[str, Any]          # [options.<engine>], declared names only
    checks: tuple[Check, ...]        # selected: --checks/--skip, checks/skip of the config
    thresholds: dict[str, dict[str, Any]]
    sample_s: float | None = None    # a sampling window, live targets only
    history: dict[str, Any] | None = None  # the earlier run's figures (advisor.history.Sample.to_fact)
    peers: tuple[dict[str, Any], ...] = ()  # PgBouncer: the run's PostgreSQL targets and their limits

    def session_options(self) -> dict[str, Any]:
        """What an engine's connect() and the fact providers read."""
        return {**self.options, "timeout": self.timeout}


@dataclass(frozen=True)
class SnapshotEntry:
    """One target of a snapshot file, with the host recorded in that file."""

    entry: dict[str, Any]
    host: dict[str, Any] = field(default_factory=dict)


Source = Union[Target, SnapshotEntry, dict]  # a plain dict is a snapshot entry without host


@dataclass(frozen=True)
class Event:
    """Progress of a run. kind: target_started | sampling | check_started | check_finished |
    target_finished. `index` counts checks from 1 out of `total` (sampling: seconds waited out
    of the window's); target_finished carries the result."""

    kind: str
    target: str
    check: str | None = None
    index: int = 0
    total: int = 0
    result: TargetResult | None = None
    reads: Any = None  # check_finished: what the check read (context.Reads), for contract tests


OnEvent = Callable[[Event], None]


def _quiet(_: Event) -> None:
    pass


def run_checks(result: TargetResult, checks: list[Check] | tuple[Check, ...], facts: FactStore,
               opts: RunOptions | TargetOptions, on_event: OnEvent = _quiet) -> None:
    """Judge every check on the facts; a lost connection ends the target with a partial report.

    `on_event` may raise a BaseException (not an Exception) to abandon the run (TUI cancel)."""
    total = len(checks)
    for i, c in enumerate(checks):
        on_event(Event("check_started", result.id, c.id, i + 1, total))
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
            on_event(Event("check_finished", result.id, c.id, i + 1, total, reads=ctx.reads))
            break
        except Exception as e:  # a bug in one check must not hide the others
            result.errors.append(TargetError(result.id, f"check {c.id} failed: {type(e).__name__}: {e}"))
        on_event(Event("check_finished", result.id, c.id, i + 1, total, reads=ctx.reads))


def _connect(target: Target, topts: TargetOptions) -> tuple[Any, Any]:
    engine = engines.load(target.engine)
    return engine, engine.connect(target, topts.session_options())


def _inspect_live(target: Target, topts: TargetOptions, on_event: OnEvent) -> TargetResult:
    result = TargetResult(id=target.id, engine=target.engine, url=target.redacted)
    t0 = time.monotonic()
    secrets = [target.password]
    try:
        engine, session = _connect(target, topts)
    except Exception as e:  # a driver's surprise on one target must not end the others' runs
        msg = str(e) if isinstance(e, AdvisorError) else f"cannot connect: {type(e).__name__}: {e}"
        result.reachable = False
        result.errors.append(TargetError(result.id, scrub(msg, secrets)))
        result.duration_ms = int((time.monotonic() - t0) * 1000)
        return result
    try:
        facts = LiveFacts(target.engine, session, topts.session_options())
        try:
            result.server_version = engine.server_version(facts)
        except (FactUnavailable, TargetLost):
            pass
        if _prepare(facts, topts, result, on_event):
            run_checks(result, topts.checks, facts, topts, on_event)
            _read_figure_facts(facts, topts)
        result.figures = figures(target.engine, facts.values)
        for e in result.errors:
            e.message = scrub(e.message, secrets)
        result.score = scoring.score(result.findings)
    finally:
        engine.close(session)
        result.duration_ms = int((time.monotonic() - t0) * 1000)
    return result


def _prepare(facts: LiveFacts, topts: TargetOptions, result: TargetResult, on_event: OnEvent) -> bool:
    """Before the checks: the sampling window (counters read now, and again after the wait)
    and the sample forecasts take their rate from: the earlier run from the history, else the
    window's start. False when the connection was lost meanwhile."""
    if topts.sample_s:
        needed = sorted({f for c in topts.checks for f in c.facts})
        try:
            _open_window(facts, topts, needed, wait=lambda s: _wait(s, result.id, on_event))
        except TargetLost as e:
            result.complete = False
            result.errors.append(TargetError(result.id, f"connection lost during the sampling window: {e}; "
                                                        "no check was judged"))
            result.skipped.extend(Skipped(result.id, c.id, "not run: connection to the target was lost")
                                  for c in topts.checks)
            return False
        result.sample_s = topts.sample_s
    _run_facts(facts, topts)
    return True


def _run_facts(facts: FactStore, topts: TargetOptions) -> None:
    """The facts the run provides, not the server (live and snapshot alike): the earlier sample
    the forecast checks take their rate from (the history's earlier run, else the window's
    start), and the PostgreSQL targets of the run a PgBouncer is compared with (none when the
    run has no PostgreSQL target, as a snapshot never does)."""
    hist = HISTORY_FACT.get(facts.engine)   # engines without forecasts (pgbouncer) have none
    if hist:
        if topts.history:
            facts.values[hist] = {**topts.history, "now": time.time(), "rate_from": "history"}
        elif (sample := window_sample(facts.window)) is not None:
            facts.values[hist] = sample
        else:
            facts.unavailable.setdefault(hist, {"reason": NO_HISTORY[0], "enable": NO_HISTORY[1]})
    if facts.engine == "pgbouncer":
        facts.values.setdefault("pgbouncer.postgres_peers", list(topts.peers))


def _read_figure_facts(facts: LiveFacts, topts: TargetOptions) -> None:
    """Read what the selected forecast checks take their figures from, when they were skipped
    before reading it (no earlier run yet): this run is the next run's earlier sample."""
    hist = HISTORY_FACT.get(topts.engine)
    wanted = {f for c in topts.checks if hist in c.facts for f in c.facts}
    for name in FIGURE_FACTS.get(topts.engine, ()):
        if name in wanted and name not in facts.values and name not in facts.unavailable:
            try:
                facts.get(name)
            except (FactUnavailable, TargetLost):
                return


def _open_window(facts: LiveFacts, topts: TargetOptions, needed: list[str], wait: Callable[[float], None]) -> None:
    """Open the sampling window. Without an earlier run, the facts the selected forecast checks
    read consumed counters from (figures.WINDOW_FACTS) are read at both ends too, and the
    figures of the start kept in the window (a snapshot stores them): the rate within the
    window stands in for the history's."""
    hist = HISTORY_FACT.get(topts.engine)
    wanted = set() if topts.history else {f for c in topts.checks if hist in c.facts for f in c.facts}
    gauges = tuple(f for f in WINDOW_FACTS.get(topts.engine, ()) if f in wanted)
    start = facts.open_window(needed, topts.sample_s, wait=wait, gauges=gauges)
    if gauges:
        facts.window["start_figures"] = window_figures(topts.engine, start)


def window_sample(window: dict[str, Any] | None) -> dict[str, Any] | None:
    """The history fact's shape built from a sampling window's start figures, or None."""
    if not window or not window.get("start_figures"):
        return None
    return {"taken_at": window["started_at"], "figures": window["start_figures"],
            "now": window["ended_at"], "rate_from": "sample window"}


def _wait(seconds: float, target: str, on_event: OnEvent) -> None:
    """The window's idle time, in short steps: progress for the TUI, and a cancel (an
    exception raised by on_event) or Ctrl-C ends it within half a second."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        on_event(Event("sampling", target, index=int(seconds - left), total=int(round(seconds))))
        time.sleep(min(0.5, left))


def _inspect_snapshot(entry: dict[str, Any], topts: TargetOptions, on_event: OnEvent) -> TargetResult:
    result = TargetResult(id=entry["id"], engine=entry["engine"], url=entry["url"],
                          server_version=entry.get("server_version"))
    t0 = time.monotonic()
    window = entry.get("window")
    if window:
        engines.load(entry["engine"])   # its providers declare the counters that the window subtracts
    facts = SnapshotFacts(entry.get("facts", {}), entry.get("unavailable", {}), topts.session_options(),
                          engine=entry["engine"], window=window)
    result.sample_s = (window or {}).get("sample_s")
    _run_facts(facts, topts)
    result.errors.extend(TargetError(result.id, m) for m in entry.get("errors", []))
    result.complete = not entry.get("errors")  # a snapshot cut short by a lost connection
    run_checks(result, topts.checks, facts, topts, on_event)
    result.score = scoring.score(result.findings)
    result.figures = figures(entry["engine"], facts.values)
    result.duration_ms = int((time.monotonic() - t0) * 1000)
    return result


def source_id(source: Source) -> str:
    if isinstance(source, Target):
        return source.id
    return (source.entry if isinstance(source, SnapshotEntry) else source)["id"]


def inspect_one(source: Source, opts: RunOptions, on_event: OnEvent = _quiet) -> TargetResult:
    """One target (live or from a snapshot), its options resolved once, progress as events."""
    topts = opts.for_target(source)
    on_event(Event("target_started", source_id(source), total=len(topts.checks)))
    if not topts.checks:   # nothing to judge: not a clean bill of health, so no score either
        result = _not_judged(source, topts)
    elif isinstance(source, Target):
        result = _inspect_live(source, topts, on_event)
    else:
        result = _inspect_snapshot(source.entry if isinstance(source, SnapshotEntry) else source, topts, on_event)
    on_event(Event("target_finished", result.id, total=len(topts.checks), result=result))
    return result


def no_check_applies(engine: str) -> str:
    return f"no selected check applies to a {engines.NAMES[engine]} target (see --checks/--skip)"


def _not_judged(source: Source, topts: TargetOptions) -> TargetResult:
    """A target none of the selected checks applies to: not connected to, not scored."""
    if isinstance(source, Target):
        result = TargetResult(id=source.id, engine=source.engine, url=source.redacted)
    else:
        entry = source.entry if isinstance(source, SnapshotEntry) else source
        result = TargetResult(id=entry["id"], engine=entry["engine"], url=entry["url"],
                              server_version=entry.get("server_version"))
    result.not_scored = no_check_applies(topts.engine)
    return result


def inspect(sources: list[Source], opts: RunOptions, on_event: OnEvent | None = None) -> Report:
    """The pipeline: every source inspected (concurrently, at most opts.max_parallel; one slow or
    dead target never stops the others), mutes applied. `on_event` may be called from several
    threads at once."""
    on_event = on_event or _quiet
    # a PgBouncer is judged against the PostgreSQL behind it when that is a target of the same
    # run: the PostgreSQL targets go first, and their connection limits reach the PgBouncer ones
    bouncers = [i for i, s in enumerate(sources) if isinstance(s, Target) and s.engine == "pgbouncer"]
    postgres = [s for s in sources if isinstance(s, Target) and s.engine == "postgres"]
    first = [s for i, s in enumerate(sources) if i not in bouncers] if bouncers and postgres else list(sources)
    results = _inspect_all(first, opts, on_event)
    if bouncers and postgres:
        by_id = {r.id: r for r in results}
        peers = [_peer(t, by_id[t.id]) for t in postgres if t.id in by_id and by_id[t.id].figures]
        later = iter(_inspect_all([sources[i] for i in bouncers], replace(opts, postgres_peers=peers), on_event))
        done = iter(results)
        results = [next(later) if i in bouncers else next(done) for i in range(len(sources))]
    report = Report(targets=results)
    report.extra_errors.extend(TargetError("plugins", m) for m in registry.plugin_errors)
    apply_mutes(report, opts.mutes)
    return report


def _inspect_all(sources: list[Source], opts: RunOptions, on_event: OnEvent) -> list[TargetResult]:
    workers = max(1, min(opts.max_parallel, len(sources)))
    if workers == 1:
        return [inspect_one(s, opts, on_event) for s in sources]
    return _parallel_map(lambda s: inspect_one(s, opts, on_event), sources, workers)


def _peer(target: Target, result: TargetResult) -> dict[str, Any]:
    """What a PgBouncer of the run needs to know about a PostgreSQL target: where it is and its
    connection limits (from the facts its own checks read)."""
    p = target.parts
    f = result.figures
    try:
        port = p.port or 5432
    except ValueError:
        port = 5432
    return {"target": result.id, "host": p.hostname or "localhost", "port": port,
            **{k: int(f[k]) for k in ("max_connections", "superuser_reserved", "reserved", "client_backends")
               if k in f}}


def apply_mutes(report: Report, mutes: list[Any]) -> None:
    """Move findings matched by a config [[mute]] to report.muted, with its reason; list the
    mutes past their `expires` date in report.expired_mutes (their findings are reported)."""
    report.expired_mutes = [{"check": m.check, "object": m.object, "target": m.target, "reason": m.reason,
                             "expires": m.expires.isoformat()} for m in mutes if m.expired()]
    if not mutes:
        return
    for t in report.targets:
        kept = []
        for f in t.findings:
            m = next((m for m in mutes if m.applies(f)), None)
            if m is None:
                kept.append(f)
            else:
                report.muted.append({"target": f.target, "check": f.check, "object": f.object,
                                     "reason": m.reason})
        t.findings = kept


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


# --- the names earlier callers (and tests) use: thin shells over the pipeline --------------

def inspect_target(target: Target, opts: RunOptions) -> TargetResult:
    return inspect_one(target, opts)


def analyze_snapshot(entry: dict[str, Any], opts: RunOptions) -> TargetResult:
    return inspect_one(entry, opts)


def run(targets: list[Target], opts: RunOptions) -> Report:
    return inspect(list(targets), opts)


def collect(target: Target, opts: RunOptions) -> dict[str, Any]:
    """Read every fact the selected checks need, once; return a JSON-ready snapshot entry."""
    topts = opts.for_target(target)
    entry: dict[str, Any] = {"id": target.id, "engine": target.engine, "url": target.redacted,
                             "facts": {}, "unavailable": {}, "errors": []}
    t0 = time.monotonic()
    try:
        engine, session = _connect(target, topts)
    except TargetUnreachable as e:
        raise TargetUnreachable(scrub(str(e), [target.password])) from None
    try:
        facts = LiveFacts(target.engine, session, topts.session_options())
        try:
            entry["server_version"] = engine.server_version(facts)
        except FactUnavailable:
            entry["server_version"] = None
        # the server's facts; the run history is not the server's (a window's start figures are kept)
        needed = sorted({f for c in topts.checks for f in c.facts} - set(HISTORY_FACT.values()))
        if topts.sample_s:   # both reads go into the snapshot: analyze judges the same window
            _open_window(facts, topts, needed, wait=lambda s: _wait(s, target.id, _quiet))
            entry["window"] = facts.window
        for name in needed:
            try:
                facts.get(name)
            except FactUnavailable:
                pass
            except TargetLost as e:
                entry["errors"].append(f"connection lost while reading {name}: {e}; snapshot is partial")
                break
        entry["facts"], entry["unavailable"] = facts.values, facts.unavailable
        entry["options"] = topts.session_options()
    finally:
        engine.close(session)
    entry["duration_ms"] = int((time.monotonic() - t0) * 1000)
    return entry
