"""Run history: an embedded SQLite file (`--history PATH`) that remembers each run per target.

What is kept per target and run: the score, duration, the findings (by their baseline
fingerprint, so that "new since Tuesday" survives drifting numbers) and a few figures read
from the facts (sequence values, sizes, XID ages, memory use, the oplog window) from which
later runs compute rates and forecasts. Nothing secret: target ids are the report's
(redacted) ids, and no query text is stored.

Compact, because a big catalog has thousands of findings a night: a finding's text is
stored once (`finding_keys`, as last seen), and a run holds its findings as a compressed
list of key ids per severity and its figures as compressed JSON (bench/history.py
measures the bytes a run adds).

Cron jobs may write the same file at the same time: WAL mode, a busy timeout, and one
IMMEDIATE transaction per run, so both runs land. A file that is not a SQLite database, or is
another application's, is refused (UsageError, exit 2) and never written to: a failed run
never truncates the history.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import sqlite3
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import UsageError

APPLICATION_ID = 0x64624176      # 'dbAv', in the SQLite header: this file is ours
SCHEMA_VERSION = 2               # 1: a row per finding and figure (development only, never released)
BUSY_TIMEOUT_S = 30.0
DEFAULT_RETENTION_DAYS = 400     # a year of nightly runs, and the same month last year

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    target TEXT NOT NULL,
    engine TEXT NOT NULL,
    taken_at REAL NOT NULL,          -- Unix time of the report
    score INTEGER,
    duration_ms INTEGER NOT NULL,
    complete INTEGER NOT NULL,
    sample_s REAL,                   -- the --sample window, when there was one
    findings BLOB NOT NULL,          -- zlib(JSON {severity: [finding_keys ids, delta-encoded]})
    figures BLOB                     -- zlib(JSON {name: value}), NULL when none were read
);
CREATE INDEX IF NOT EXISTS runs_target ON runs (target, taken_at);
CREATE TABLE IF NOT EXISTS finding_keys (
    id INTEGER PRIMARY KEY,
    fingerprint TEXT NOT NULL UNIQUE,
    check_id TEXT NOT NULL,
    object TEXT,
    summary TEXT NOT NULL,           -- as last seen
    last_seen REAL NOT NULL          -- pruned with the runs past the retention
);
CREATE INDEX IF NOT EXISTS finding_keys_seen ON finding_keys (last_seen);
"""


def _pack(value: Any) -> bytes:
    return zlib.compress(json.dumps(value, separators=(",", ":")).encode())


def _unpack(blob: bytes | None) -> Any:
    return json.loads(zlib.decompress(blob)) if blob else None


def _deltas(ids: list[int]) -> list[int]:
    """Sorted ids as differences: a night's ids are mostly consecutive, so this compresses to little."""
    ids = sorted(ids)
    return [b - a for a, b in zip([0, *ids], ids)]


@dataclass
class Run:
    id: int
    target: str
    engine: str
    taken_at: float
    score: int | None
    duration_ms: int
    complete: bool

    @property
    def when(self) -> str:
        return dt.datetime.fromtimestamp(self.taken_at, dt.timezone.utc).strftime("%Y-%m-%d %H:%M")


@dataclass
class Sample:
    """An earlier run's figures for one target: what rates are computed from."""

    taken_at: float
    figures: dict[str, float]

    def to_fact(self) -> dict[str, Any]:
        return {"taken_at": self.taken_at, "figures": self.figures}


class History:
    def __init__(self, path: str, conn: sqlite3.Connection):
        self.path = path
        self.conn = conn

    # --- writing -------------------------------------------------------------

    def record(self, report: Any, figures: dict[str, dict[str, float]] | None = None,
               retention_days: float = DEFAULT_RETENTION_DAYS, sample_s: float | None = None) -> int:
        """Store every inspected target of a report; prune runs past the retention. Returns runs added."""
        taken_at = _unix(report.generated_at)
        added = 0
        with self._write():
            for t in report.targets:
                if not t.reachable:
                    continue   # nothing was judged: a gap, not a run with no findings
                found = keyed(t.findings)   # the reported findings; muted ones stay out, as in the report
                self.conn.executemany(
                    "INSERT INTO finding_keys (fingerprint, check_id, object, summary, last_seen) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO UPDATE SET "
                    "summary = excluded.summary, last_seen = excluded.last_seen",
                    [(k, c, o, m, taken_at) for k, (c, o, _, m) in found.items()])
                ids = dict(self.conn.execute("SELECT fingerprint, id FROM finding_keys WHERE last_seen = ?",
                                             (taken_at,)))
                by_severity: dict[str, list[int]] = {}
                for k, (_, _, sev, _) in found.items():
                    by_severity.setdefault(sev, []).append(ids[k])
                figs = (figures or {}).get(t.id)
                self.conn.execute(
                    "INSERT INTO runs (target, engine, taken_at, score, duration_ms, complete, sample_s, "
                    "findings, figures) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (t.id, t.engine, taken_at, t.score, t.duration_ms, int(t.complete), sample_s,
                     _pack({sev: _deltas(v) for sev, v in by_severity.items()}),
                     _pack({k: float(v) for k, v in sorted(figs.items())}) if figs else None))
                added += 1
            cutoff = taken_at - retention_days * 86400
            self.conn.execute("DELETE FROM runs WHERE taken_at < ?", (cutoff,))
            self.conn.execute("DELETE FROM finding_keys WHERE last_seen < ?", (cutoff,))
        return added

    def _write(self):
        conn = self.conn

        class _Tx:
            def __enter__(self_inner):
                conn.execute("BEGIN IMMEDIATE")   # take the write lock now; waits up to the busy timeout

            def __exit__(self_inner, exc_type, *_):
                conn.execute("ROLLBACK" if exc_type else "COMMIT")
        return _Tx()

    # --- reading -------------------------------------------------------------

    def previous(self, target: str, before: float | None = None) -> Sample | None:
        """The latest complete run of `target` (before a time) that has figures."""
        row = self.conn.execute(
            "SELECT taken_at, figures FROM runs WHERE target = ? AND complete = 1 AND taken_at < ? "
            "AND figures IS NOT NULL ORDER BY taken_at DESC LIMIT 1",
            (target, before if before is not None else time.time() + 1)).fetchone()
        return None if row is None else Sample(taken_at=row[0], figures=_unpack(row[1]))

    def runs(self, target: str | None = None, limit: int = 1000) -> list[Run]:
        sql = "SELECT id, target, engine, taken_at, score, duration_ms, complete FROM runs"
        args: tuple = ()
        if target:
            sql, args = sql + " WHERE target = ?", (target,)
        rows = self.conn.execute(sql + " ORDER BY taken_at DESC, id DESC LIMIT ?", (*args, limit)).fetchall()
        return [Run(*r[:6], bool(r[6])) for r in reversed(rows)]

    def findings(self, run_id: int) -> dict[str, tuple[str, str | None, str, str]]:
        """fingerprint -> (check, object, severity, summary) of one run (the text as last seen)."""
        row = self.conn.execute("SELECT findings FROM runs WHERE id = ?", (run_id,)).fetchone()
        severity = {i: sev for sev, d in (_unpack(row[0]) if row else {}).items()
                    for i in itertools.accumulate(d)}
        out = {}
        ids = list(severity)
        for n in range(0, len(ids), 500):   # bound the statement's parameters
            chunk = ids[n:n + 500]
            for i, k, c, o, m in self.conn.execute(
                    "SELECT id, fingerprint, check_id, object, summary FROM finding_keys "
                    f"WHERE id IN ({','.join('?' * len(chunk))})", chunk):
                out[k] = (c, o, severity[i], m)
        return out

    def figures(self, run_id: int) -> dict[str, float]:
        row = self.conn.execute("SELECT figures FROM runs WHERE id = ?", (run_id,)).fetchone()
        return (_unpack(row[0]) if row else None) or {}



    def close(self) -> None:
        self.conn.close()


def open_history(path: str, create: bool = True) -> History:
    """Open (or create) a history file; UsageError for anything that is not ours."""
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"history {path}: is a directory")
    if not p.exists() and not create:
        raise UsageError(f"history file not found: {path}")
    if not p.exists() and not p.parent.is_dir():
        raise UsageError(f"history {path}: no such directory {str(p.parent)!r}")
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as e:
        raise UsageError(f"history {path}: cannot open: {e}") from None
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if app_id != APPLICATION_ID and tables:
            raise UsageError(f"history {path}: a SQLite database of another application, not a db-advisor history")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise UsageError(f"history {path}: written by a newer db-advisor (schema {version})")
        if app_id == APPLICATION_ID and version < SCHEMA_VERSION:
            raise UsageError(f"history {path}: written by a development version of db-advisor (schema {version}); "
                             "move it aside and start a new file")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        if app_id != APPLICATION_ID:
            conn.execute("BEGIN IMMEDIATE")
            for stmt in filter(str.strip, _SCHEMA.split(";")):
                conn.execute(stmt)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
    except UsageError:
        conn.close()
        raise
    except sqlite3.DatabaseError as e:   # "file is not a database", a damaged page
        conn.close()
        raise UsageError(f"history {path}: not a db-advisor history file ({e})") from None
    return History(path, conn)


def _unix(iso: str) -> float:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def keyed(findings: list[Any]) -> dict[str, tuple[str, str | None, str, str]]:
    """fingerprint -> (check, object, severity, summary): what the history keeps of findings."""
    from .baseline import fingerprint
    return {fingerprint(f): (f.check, f.object, str(f.severity), f.summary) for f in findings}


def changes(before: dict[str, tuple], now: dict[str, tuple]) -> dict[str, list[dict[str, Any]]]:
    """Findings new in `now` and resolved since `before` (both as `keyed` gives them)."""
    def rows(side: dict[str, tuple], other: dict[str, tuple]) -> list[dict[str, Any]]:
        return [{"check": c, "object": o, "severity": sev, "summary": m}
                for k, (c, o, sev, m) in side.items() if k not in other]
    return {"new": rows(now, before), "resolved": rows(before, now)}


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float | None]) -> str:
    """One character per value, scaled between the series' min and max; a gap is a space."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    lo, hi = min(known), max(known)
    span = (hi - lo) or 1.0
    return "".join(" " if v is None else SPARKS[int((v - lo) / span * (len(SPARKS) - 1))] for v in values)


# --- `advisor history`: runs, what changed between them, trends --------------------------

TREND_FIGURES = ("tables_bytes", "used_memory", "oplog_window_s")


def summary(hist: History, target: str | None = None, last: int = 30) -> dict[str, Any]:
    """Per target: its runs (newest last), findings new and resolved between consecutive runs,
    and the series of the score and the main figures."""
    out: dict[str, Any] = {"history": hist.path, "targets": []}
    targets = [target] if target else sorted({r.target for r in hist.runs(limit=100000)})
    for t in targets:
        runs = hist.runs(t, limit=last)
        if not runs:
            continue
        steps, before, counts = [], None, []
        for r in runs:
            now = hist.findings(r.id)
            counts.append(len(now))
            if before is not None:
                steps.append({"run_at": r.when, **changes(before, now)})
            before = now
        figs = [hist.figures(r.id) for r in runs]
        trends = {"score": [r.score for r in runs]}
        for name in TREND_FIGURES:
            values = [f.get(name) for f in figs]
            if any(v is not None for v in values):
                trends[name] = values
        out["targets"].append({
            "target": t, "engine": runs[-1].engine,
            "runs": [{"at": r.when, "score": r.score, "duration_ms": r.duration_ms, "complete": r.complete,
                      "findings": n} for r, n in zip(runs, counts)],
            "changes": steps, "trends": trends})
    return out


def trend_line(name: str, values: list[float | None]) -> str | None:
    """`score           ▁▃▅█  61 -> 72`: a sparkline with the first and last values."""
    from .units import human_bytes
    known = [v for v in values if v is not None]
    if not known:
        return None
    show = (lambda v: f"{v:.0f}") if name == "score" else (
        (lambda v: f"{v / 3600:.1f} h") if name.endswith("_s") else human_bytes)
    return f"{name:<15} {sparkline(values)}  {show(known[0])} -> {show(known[-1])}"


def render_summary(s: dict[str, Any]) -> str:
    if not s["targets"]:
        return f"{s['history']}: no runs recorded\n"
    lines = []
    for t in s["targets"]:
        runs = t["runs"]
        lines.append(f"{t['target']} ({t['engine']}): {len(runs)} run(s), {runs[0]['at']} .. {runs[-1]['at']} UTC")
        lines += [f"  {line}" for name, values in t["trends"].items() if (line := trend_line(name, values))]
        for c in t["changes"]:
            if c["new"] or c["resolved"]:
                lines.append(f"  {c['run_at']}: "
                             f"{len(c['new'])} new, {len(c['resolved'])} resolved")
                lines += [f"    + {f['severity']:<8} [{f['check']}] {f['object'] or '(server)'}" for f in c["new"]]
                lines += [f"    - {f['severity']:<8} [{f['check']}] {f['object'] or '(server)'}" for f in c["resolved"]]
        lines.append("")
    return "\n".join(lines)
