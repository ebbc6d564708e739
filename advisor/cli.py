"""The `advisor` command line. Exit codes: 0 ok, 1 findings at/above --fail-on,
2 usage or config error, 3 no target could be inspected to the end (a dead target among live
ones is an error in the report, not an exit code; a connection lost mid-run leaves the target
incomplete), 4 internal error, 130 interrupted."""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

from . import __version__
from .engines import ENGINES
from .errors import EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE, AdvisorError, TargetUnreachable, UsageError
from .model import Host, Severity

EXIT_INTERNAL = 4


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is one line on stderr and exit 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


class _IntermixedParser(_Parser):
    """A subcommand's parser: options may come between positionals (`run URL1 --memory 16GiB URL2`).
    parse_known_intermixed_args calls parse_known_args itself, hence the re-entry guard."""

    _inside = False

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        if self._inside:
            return super().parse_known_args(args, namespace)
        self._inside = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._inside = False


def _severity_or_never(text: str) -> Severity | None:
    if text.strip().lower() == "never":
        return None
    try:
        return Severity.parse(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"unknown severity {text!r} (critical, warning, info, never)") from None


def _engine(text: str) -> str:
    """An engine by its name, its URL schemes or its check-id prefix: postgres, postgresql, pg, mariadb."""
    from .engines import ENGINE_OF_PREFIX, SCHEMES
    t = text.strip().lower()
    name = t if t in ENGINES else SCHEMES.get(t) or ENGINE_OF_PREFIX.get(t)
    if name is None:
        raise argparse.ArgumentTypeError(
            f"unknown engine {text!r} ({', '.join(dict.fromkeys([*ENGINES, *SCHEMES]))})")
    return name


def _positive(parse, what: str | None = None):
    """An argparse type: parse(text) must succeed and be > 0 (0 would silently mean "unknown").
    The error names `what` (else the parser's own message) and the text given."""
    def convert(text: str):
        try:
            v = parse(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(
                what.format(text=repr(text)) if what else str(e)) from None
        if not v > 0 or v == float("inf"):   # also refuses nan and inf
            raise argparse.ArgumentTypeError(f"must be > 0: {text!r}")
        return v
    return convert


def _memory(text: str) -> int:
    from .units import parse_memory
    try:
        return parse_memory(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _parse_days(text: str) -> float:
    t = text.strip().lower()
    return float(t[:-1]) if t.endswith("d") else float(t)


_positive_float = _positive(float, "not a number: {text}")
_positive_int = _positive(int, "not a whole number: {text}")
_days = _positive(_parse_days, "not a number of days: {text} (e.g. 30d)")


def _add_selection(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checks", action="append", default=[], metavar="GLOB",
                   help="only checks whose id matches (repeatable, or comma-separated), e.g. 'pg.index.*,pg.cache.*'")
    p.add_argument("--skip", action="append", default=[], metavar="GLOB",
                   help="leave out checks whose id matches (repeatable, or comma-separated)")
    p.add_argument("--config", metavar="FILE",
                   help="advisor.toml or pyproject.toml (default: ./advisor.toml, else [tool.advisor])")
    p.add_argument("--memory", type=_memory, metavar="SIZE",
                   help="host or pod memory for sizing checks, with a unit: 16GiB, 16Gi, 512Mi")
    p.add_argument("--cpus", type=_positive_int, metavar="N", help="host CPU count for sizing checks")


def _add_engine(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", type=_engine, metavar="ENGINE",
                   help="one engine only: postgres (or pg, postgresql), mysql (or mariadb), mongo, redis")


def _add_output(p: argparse.ArgumentParser) -> None:
    from .formats import FORMATS
    p.add_argument("--json", action="store_true", help="same as --format json")
    p.add_argument("--format", choices=sorted(FORMATS), help="output format (default text)")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--fail-on", type=_severity_or_never, default=argparse.SUPPRESS, metavar="LEVEL",
                   help="exit 1 when a finding is at or above LEVEL: critical|warning|info|never "
                        "(default warning)")
    p.add_argument("--verbose", "-v", action="store_true", help="text output: show references")


def _add_timeout(p: argparse.ArgumentParser) -> None:
    from .engines.options import DEFAULT_TIMEOUT
    p.add_argument("--timeout", type=_positive_float, metavar="SECONDS",
                   help=f"bound on connecting and on each query (default {DEFAULT_TIMEOUT:g}; "
                        "an inventory target's own timeout wins)")


def _add_sample(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sample", type=_positive_float, metavar="SECONDS",
                   help="judge counters on what happens during a window of SECONDS (read, wait, read "
                        "again) instead of since the server started; e.g. --sample 60 in cron")


def _add_baseline(p: argparse.ArgumentParser) -> None:
    p.add_argument("--baseline", metavar="FILE",
                   help="report and fail only on findings not recorded in FILE")
    p.add_argument("--write-baseline", metavar="FILE",
                   help="record today's findings in FILE (exit 0 unless no target could be inspected)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="advisor", description="Evidence-backed tuning advice for live databases.")
    p.add_argument("--version", action="version", version=f"db-advisor {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_IntermixedParser)

    r = sub.add_parser("run", help="inspect live databases and report findings")
    r.add_argument("urls", nargs="*", metavar="URL", help="database URLs, e.g. postgresql://user@host:5432/db")
    r.add_argument("--inventory", metavar="FILE", help="TOML file naming the targets of a fleet (see docs/ci.md)")
    _add_selection(r)
    _add_output(r)
    _add_baseline(r)
    _add_timeout(r)
    _add_sample(r)
    r.add_argument("--history", metavar="FILE",
                   help="record this run in FILE (SQLite, created if missing) and forecast from earlier runs")

    c = sub.add_parser("checks", help="list every check with its thresholds and references")
    c.add_argument("--json", action="store_true", help="the list as JSON (ids, thresholds, facts, docs)")
    c.add_argument("--markdown", action="store_true", help="the reference page (docs/checks.md)")
    c.add_argument("--config", metavar="FILE",
                   help="show the thresholds this advisor.toml sets (default: ./advisor.toml, else [tool.advisor])")
    _add_engine(c)
    c.add_argument("--options", action="store_true", help="list the engine options ([options.<engine>])")

    o = sub.add_parser("options", help="list the engine options ([options.<engine>] in advisor.toml)")
    o.add_argument("--json", action="store_true", help="the options as JSON")
    _add_engine(o)

    s = sub.add_parser("snapshot", help="collect the facts once, to analyze elsewhere")
    s.add_argument("urls", nargs="+", metavar="URL", help="database URLs to collect the facts of")
    s.add_argument("--output", "-o", metavar="FILE", required=True, help="the snapshot file to write (JSON)")
    _add_selection(s)
    _add_timeout(s)
    _add_sample(s)

    a = sub.add_parser("analyze", help="report from snapshot files, offline")
    a.add_argument("files", nargs="+", metavar="FILE", help="snapshot files written by 'advisor snapshot'")
    _add_selection(a)
    _add_output(a)
    _add_baseline(a)

    z = sub.add_parser("size", help="the guide's sizing for a chart: tier row, settings, Helm values")
    z.add_argument("chart", help="postgresql, mysql, mongodb, redis, elasticsearch, kafka, rabbitmq, "
                                 "prometheus, grafana, loki, keycloak, nextcloud")
    z.add_argument("--tier", choices=["small", "medium", "large", "xlarge"], help="the guide's size tier")
    z.add_argument("--memory", type=_memory, metavar="SIZE",
                   help="host or pod memory instead of a tier, with a unit: 12GiB, 12Gi")
    z.add_argument("--cpus", type=_positive_int, metavar="N", help="host or pod CPU count")
    z.add_argument("--connections", type=_positive_int, metavar="N", help="max connections")
    z.add_argument("--samples-per-second", type=_positive_float, metavar="N", help="prometheus")
    z.add_argument("--retention", type=_days, metavar="DAYS", help="prometheus, loki: e.g. 30d or 30")
    z.add_argument("--log-rate", type=_positive_float, metavar="MB/S", help="loki ingest rate")
    z.add_argument("--compression", type=_positive_float, metavar="RATIO", help="loki (0.1-0.3, default 0.2)")
    z.add_argument("--streams", type=_positive_int, metavar="N", help="loki active streams")
    z.add_argument("--format", choices=["text", "json", "helm"], default="text",
                   help="text (default), json, or helm (values.yaml)")
    z.add_argument("--json", action="store_true", help="same as --format json")

    d = sub.add_parser("diff", help="findings new, resolved and changed between two JSON reports")
    d.add_argument("old", metavar="OLD.json", help="the earlier report (advisor run --json)")
    d.add_argument("new", metavar="NEW.json", help="the later report")
    d.add_argument("--json", action="store_true", help="the differences as JSON")
    d.add_argument("--fail-on", type=_severity_or_never, default=Severity.WARNING, metavar="LEVEL",
                   help="exit 1 when a new (or worsened) finding is at or above LEVEL: "
                        "critical|warning|info|never (default warning)")

    h = sub.add_parser("history", help="runs recorded with --history: new and resolved findings, trends")
    h.add_argument("--history", metavar="FILE", required=True, help="the history file (SQLite) runs wrote")
    h.add_argument("--target", metavar="URL_OR_NAME", help="one target: its URL (password ignored) or inventory name")
    h.add_argument("--last", type=_positive_int, default=30, metavar="N", help="the last N runs per target (default 30)")
    h.add_argument("--json", action="store_true", help="the summary as JSON")

    t = sub.add_parser("tui", help="interactive terminal UI")
    t.add_argument("urls", nargs="*", metavar="URL", help="database URLs to open (else the connect screen)")
    t.add_argument("--snapshot", metavar="FILE", help="a snapshot file, or a saved JSON report")
    t.add_argument("--inventory", metavar="FILE", help="TOML file naming the targets of a fleet")
    t.add_argument("--history", metavar="FILE",
                   help="a history file `advisor run --history` wrote: a History tab, and forecasts (read only)")
    _add_selection(t)
    _add_timeout(t)
    _add_sample(t)
    return p


def _globs(values: list[str]) -> list[str]:
    """--checks/--skip values, each possibly a comma list: 'pg.index.*,pg.cache.*'."""
    return [g.strip() for v in values for g in v.split(",") if g.strip()]


def _options(args: argparse.Namespace, cfg: Any):
    from .runner import RunOptions
    from .units import parse_memory

    memory = args.memory
    if memory is None and cfg.memory:
        try:
            memory = parse_memory(cfg.memory)
        except ValueError as e:
            raise UsageError(f"{cfg.path}: {e}") from None
    # flags > config file > defaults (an inventory entry wins over both: RunOptions.for_target)
    return RunOptions(
        **({"timeout": t} if (t := getattr(args, "timeout", None) or cfg.timeout) else {}),
        host=Host(memory_bytes=memory, cpus=args.cpus or cfg.cpus),
        include=_globs(args.checks) or cfg.checks,
        exclude=_globs(args.skip) + cfg.skip,
        thresholds=cfg.thresholds,
        engine_options=cfg.options,
        mutes=cfg.mutes,
        sample_s=getattr(args, "sample", None) or cfg.sample,
    )


def _check_selection(args: argparse.Namespace, cfg: Any) -> None:
    """A --checks or --skip glob (or the config file's) that matches no check is a typo: exit 2."""
    from . import registry
    for flag, key in (("checks", "checks"), ("skip", "skip")):
        given = [(f"--{flag}", g) for g in _globs(getattr(args, flag))]
        given += [(f"{cfg.path}: {key} =", g) for g in getattr(cfg, key)]
        for where, pattern in given:
            if not any(c.matches(pattern) for c in registry.all_checks()):
                raise UsageError(f"{where} {pattern!r} matches no check (see 'advisor checks')")


def _check_applicable(sources: list[Any], opts: Any) -> None:
    """Exit 2 before connecting anywhere when no selected check applies to any target
    (--checks 'mysql.*' on a PostgreSQL URL); a target among others gets `not_scored`."""
    from .runner import no_check_applies
    resolved = [opts.for_target(s) for s in sources]
    if resolved and not any(t.checks for t in resolved):
        raise UsageError(no_check_applies(resolved[0].engine) if len({t.engine for t in resolved}) == 1
                         else "no selected check applies to any target (see --checks/--skip)")


def _applied_config(cfg: Any, args: argparse.Namespace) -> None:
    if getattr(args, "verbose", False):
        print(f"advisor: config: {cfg.path or 'none (no advisor.toml, no [tool.advisor])'}", file=sys.stderr)


def _warn(report: Any) -> None:
    """What the user should hear about even when the report goes to a file."""
    for t in report.targets:
        if t.not_scored:
            print(f"advisor: {t.id}: {t.not_scored}: not inspected, not scored", file=sys.stderr)
    for m in report.expired_mutes:
        print(f"advisor: mute of {m['check']} expired on {m['expires']}: its findings are reported again",
              file=sys.stderr)


def _emit(report: Any, args: argparse.Namespace) -> None:
    from .formats import renderer
    fmt = "json" if args.json else (args.format or "text")
    text = renderer(fmt)(report, **({"verbose": args.verbose} if fmt == "text" else {}))
    if args.output:
        try:
            Path(args.output).write_text(text)
        except OSError as e:
            raise UsageError(f"cannot write {args.output}: {e.strerror}") from None
    else:
        sys.stdout.write(text)


def _check_writable(*paths: str | None) -> None:
    """Fail before connecting anywhere when an output file could not be written later."""
    for path in filter(None, paths):
        p = Path(path)
        parent = p.parent if str(p.parent) else Path(".")
        if p.is_dir():
            raise UsageError(f"cannot write {path}: Is a directory")
        if not parent.is_dir():
            raise UsageError(f"cannot write {path}: No such directory {str(parent)!r}")
        if not os.access(p if p.exists() else parent, os.W_OK):
            raise UsageError(f"cannot write {path}: Permission denied")


def _fail_on(args: argparse.Namespace, cfg: Any) -> Severity | None:
    if hasattr(args, "fail_on"):
        return args.fail_on
    if cfg.fail_on_set:
        return cfg.fail_on
    return Severity.WARNING


def _load_baseline(args: argparse.Namespace) -> Any:
    """Read --baseline before connecting anywhere, so a bad file fails fast."""
    if not args.baseline:
        return None
    from . import baseline
    return baseline.load(args.baseline)


def _apply_baseline(report: Any, args: argparse.Namespace, old: Any, fail_on: Severity | None) -> Severity | None:
    """--write-baseline records every finding (and then fails on none); --baseline mutes known ones."""
    if not (args.write_baseline or old is not None):
        return fail_on
    from . import baseline
    if args.write_baseline:
        n = baseline.write(report.findings, args.write_baseline)
        print(f"advisor: wrote baseline {args.write_baseline}: {n} finding(s)", file=sys.stderr)
        for t in report.targets:
            if not t.reachable:
                print(f"advisor: {t.id} was not inspected: its findings are not in the baseline", file=sys.stderr)
        fail_on = None
    if old is not None:
        baseline.apply(report, old)
    return fail_on


def _inventory(args: argparse.Namespace) -> Any:
    if not args.inventory:
        return None
    from . import inventory
    return inventory.load(args.inventory)


def cmd_run(args: argparse.Namespace) -> int:
    from . import config, runner
    from .targets import parse_target

    cfg = config.load(args.config)
    inv = _inventory(args)
    if not args.urls and inv is None:
        raise UsageError("no URL given (e.g. advisor run postgresql://user@host:5432/db, or --inventory FILE)")
    targets = [parse_target(u) for u in args.urls] + (inv.targets if inv else [])
    _check_writable(args.output, args.write_baseline)
    old = _load_baseline(args)
    opts = _options(args, cfg)
    _check_selection(args, cfg)
    _applied_config(cfg, args)
    if inv and inv.parallel:
        opts.max_parallel = inv.parallel
    _check_applicable(targets, opts)
    histories, history_error = _open_histories(targets, args.history or cfg.history, opts)
    report = runner.inspect(targets, opts)
    report.config = cfg.path
    if inv:
        report.targets += inv.unusable
    fail_on = _apply_baseline(report, args, old, _fail_on(args, cfg))
    _emit(report, args)
    _warn(report)
    for e in report.errors:
        print(f"advisor: {e.target}: {e.message}", file=sys.stderr)
    history_error = history_error or _record_histories(histories, report, cfg)
    if history_error:   # the report is written; the history file was left as it was
        raise history_error
    return report.exit_code(fail_on)


def _open_histories(targets: list[Any], default: str | None, opts: Any) -> tuple[dict, UsageError | None]:
    """The history file of each target (its inventory entry's, else --history / config), opened
    before the run so each target's earlier sample can feed the forecast checks."""
    files: dict[str, Any] = {}
    by_path: dict[str, list[Any]] = {}
    for t in targets:
        path = (t.options or {}).get("history") or default
        if path:
            by_path.setdefault(path, []).append(t)
    opts.history = bool(by_path)
    if by_path:
        from . import history   # sqlite3 only for runs that keep a history
    for path, members in by_path.items():
        try:
            files[path] = (history.open_history(path), members)
        except UsageError as e:
            for h, _ in files.values():
                h.close()
            return {}, e
        for t in members:
            sample = files[path][0].previous(t.id)
            if sample is not None:
                opts.history_samples[t.id] = sample.to_fact()
    return files, None


def _record_histories(files: dict, report: Any, cfg: Any) -> UsageError | None:
    if not files:
        return None
    from . import history
    from .report import Report
    retention = cfg.history_retention_days or history.DEFAULT_RETENTION_DAYS
    by_id = {t.id: t for t in report.targets}
    for path, (h, members) in files.items():
        part = Report(targets=[by_id[t.id] for t in members if t.id in by_id], generated_at=report.generated_at)
        part.muted = report.muted
        try:
            h.record(part, {t.id: t.figures for t in part.targets}, retention_days=retention,
                     sample_s=next((t.sample_s for t in part.targets if t.sample_s), None))
        except Exception as e:  # a disk full or a lock held past the busy timeout: say so, keep the report
            return UsageError(f"history {path}: not recorded: {type(e).__name__}: {e}")
        finally:
            h.close()
    return None


def cmd_checks(args: argparse.Namespace) -> int:
    from . import config, registry

    cfg = config.load(args.config)
    if args.options:
        return cmd_options(args)
    if args.markdown:
        from . import checkdocs
        sys.stdout.write(checkdocs.render())
        return EXIT_OK
    rows = []
    order = {e: i for i, e in enumerate(ENGINES)}   # the engine table's order, then any plugin engines
    for c in sorted(registry.all_checks(), key=lambda c: (order.get(c.engine, len(order)), c.engine, c.id)):
        if args.engine and c.engine != args.engine:
            continue
        eff = c.effective_thresholds(cfg.thresholds)
        rows.append({
            "id": c.id, "title": c.title, "engine": c.engine, "category": c.category,
            "severity": str(c.severity), "reference": c.reference, "facts": list(c.facts),
            "thresholds": {k: {"value": eff[k], "default": t.default, "unit": t.unit, "source": t.source,
                               **({"set_in": cfg.path} if k in cfg.thresholds.get(c.id, {}) else {})}
                           for k, t in c.thresholds.items()},
            "doc": c.doc,
        })
    if args.json:
        print(json.dumps({"checks": rows, "plugin_errors": registry.plugin_errors}, indent=2, default=str))
    else:
        sys.stdout.write("".join(_check_lines(r) for r in rows))
        for m in registry.plugin_errors:
            print(f"advisor: {m}", file=sys.stderr)
    return EXIT_OK


def _check_lines(row: dict[str, Any], width: int = 80) -> str:
    """One check of `advisor checks`, wrapped to `width` columns: id, severity, title, then
    each threshold with where its value comes from (the config file that set it, or its source)."""
    import textwrap
    wrap = functools.partial(textwrap.wrap, width=width, break_long_words=False, break_on_hyphens=False)
    lines = wrap(f"{row['id']:<34} {row['severity']:<8} {row['title']}", subsequent_indent=" " * 44)
    for k, t in row["thresholds"].items():
        origin = (f"set in {t['set_in']}, default {t['default']}" if "set_in" in t else t["source"])
        lines += wrap(f"{k} = {t['value']} {t['unit']}".rstrip() + f"  ({origin})",
                      initial_indent="    ", subsequent_indent="        ")
    return "".join(ln + "\n" for ln in lines)


def cmd_options(args: argparse.Namespace) -> int:
    from .engines.options import OPTIONS
    rows = {e: [{"name": o.name, "type": o.type.__name__, "default": o.default, "help": o.help}
                for o in opts.values()]
            for e, opts in OPTIONS.items() if not args.engine or e == args.engine}
    if getattr(args, "json", False):
        print(json.dumps({"options": rows}, indent=2))
        return EXIT_OK
    for engine, options in rows.items():
        print(f"[options.{engine}]")
        for o in options:
            print(f"    {o['name']:<28} {o['type']:<5} {o['default']!r:<8} {o['help']}")
    return EXIT_OK


def cmd_snapshot(args: argparse.Namespace) -> int:
    from . import config, runner, snapshot
    from .targets import parse_target

    cfg = config.load(args.config)
    targets = [parse_target(u) for u in args.urls]
    _check_writable(args.output)
    opts = _options(args, cfg)
    _check_selection(args, cfg)
    _check_applicable(targets, opts)
    entries = [runner.collect(t, opts) for t in targets]
    snapshot.write(snapshot.document(entries, opts.host), args.output)
    n = sum(len(e["facts"]) for e in entries)
    print(f"advisor: wrote {args.output}: {len(entries)} target(s), {n} facts", file=sys.stderr)
    return EXIT_OK


def cmd_analyze(args: argparse.Namespace) -> int:
    from . import config, runner, snapshot

    cfg = config.load(args.config)
    _check_writable(args.output, args.write_baseline)
    old = _load_baseline(args)
    opts = _options(args, cfg)
    _check_selection(args, cfg)
    sources = [s for path in args.files for s in snapshot.sources(snapshot.load(path))]
    opts.max_parallel = 1  # offline: nothing to wait for
    _applied_config(cfg, args)
    _check_applicable(sources, opts)
    report = runner.inspect(sources, opts)
    report.config = cfg.path
    fail_on = _apply_baseline(report, args, old, _fail_on(args, cfg))
    _emit(report, args)
    _warn(report)
    return report.exit_code(fail_on)


def cmd_tui(args: argparse.Namespace) -> int:
    from . import config
    cfg = config.load(args.config)
    inv = _inventory(args)
    opts = _options(args, cfg)
    _check_selection(args, cfg)
    hist, path = None, args.history or cfg.history
    # read only (the TUI's runs are not recorded); the config's file may not exist on this machine
    if path and (args.history or os.path.exists(path)):
        from . import history
        hist = history.open_history(path, create=False)
    from .tui import run_app  # textual is imported only here
    return run_app(args.urls, opts, snapshot=args.snapshot, inventory=inv, history=hist)


def cmd_size(args: argparse.Namespace) -> int:
    from .sizing import calculator, render

    if args.tier and args.memory:
        raise UsageError("give --tier or --memory, not both")
    try:
        sizing = calculator.size(
            args.chart, args.tier, memory=args.memory, cpus=args.cpus,
            connections=args.connections, samples_per_second=args.samples_per_second,
            retention_days=args.retention, log_rate_mb_s=args.log_rate,
            active_streams=args.streams,
            **({"compression": args.compression} if args.compression else {}))
    except ValueError as e:
        raise UsageError(str(e)) from None
    fmt = "json" if args.json else args.format
    out = {"text": render.render_text, "json": render.render_json, "helm": render.render_helm}[fmt]
    sys.stdout.write(out(sizing))
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    from . import diff
    d = diff.compare(diff.load(args.old), diff.load(args.new))
    sys.stdout.write(json.dumps(d.to_dict(), indent=2) + "\n" if args.json else diff.render_text(d))
    worst = d.worst_new()
    return 1 if args.fail_on is not None and worst is not None and worst >= args.fail_on else EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    from . import history
    target = args.target
    if target and "://" in target:
        from .targets import parse_target
        target = parse_target(target).id
    hist = history.open_history(args.history, create=False)
    try:
        s = history.summary(hist, target, args.last)
    finally:
        hist.close()
    if target and not s["targets"]:
        raise UsageError(f"{args.history}: no runs of {target!r} recorded")
    sys.stdout.write(json.dumps(s, indent=2) + "\n" if args.json else history.render_summary(s))
    return EXIT_OK


COMMANDS = {"diff": cmd_diff, "history": cmd_history, "run": cmd_run, "checks": cmd_checks, "options": cmd_options,
            "snapshot": cmd_snapshot,
            "analyze": cmd_analyze, "tui": cmd_tui, "size": cmd_size}


def configure_logging(verbose: bool = False) -> None:
    """Library log records and Python warnings (sqlglot's 'Falling back to parsing as a
    Command', driver notices) stay off the user's stderr unless --verbose or
    ADVISOR_DEBUG=1 asks for them; called once per command."""
    import logging
    root = logging.getLogger()
    debug = bool(os.environ.get("ADVISOR_DEBUG"))
    if verbose or debug:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("advisor: %(name)s: %(levelname)s: %(message)s"))
        handler.set_name("advisor")
        root.addHandler(handler)
        root.setLevel(logging.DEBUG if debug else logging.WARNING)
    else:
        handler = logging.NullHandler()  # found instead of logging.lastResort (stderr)
        handler.set_name("advisor")
        logging.captureWarnings(True)
        root.addHandler(handler)
    for old in [h for h in root.handlers if h.get_name() == "advisor" and h is not handler]:
        root.removeHandler(old)


def _exit_now_if_threads_linger(code: int) -> None:
    """After Ctrl-C, targets may still sit in a connect to a hung server in worker threads; the
    drivers' exit hooks (pymongo joins its monitors, concurrent.futures its workers) could then
    hold the process at shutdown. Ctrl-C must end the command at once: leave without them.
    Only when main() runs the real command (not a caller's in-process main(argv))."""
    import threading
    command = bool(sys.argv) and sys.argv[0].endswith(("advisor", "__main__.py"))  # not pytest's main(argv)
    if command and threading.active_count() > 1:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        configure_logging(getattr(args, "verbose", False))
        if not args.command:
            parser.print_help()
            return EXIT_USAGE
        return COMMANDS[args.command](args)
    except AdvisorError as e:
        print(f"advisor: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("advisor: interrupted", file=sys.stderr)
        _exit_now_if_threads_linger(130)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as e:  # never a traceback for users; ADVISOR_DEBUG=1 shows it
        if os.environ.get("ADVISOR_DEBUG"):
            raise
        print(f"advisor: internal error: {type(e).__name__}: {e} (set ADVISOR_DEBUG=1 for details)",
              file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
