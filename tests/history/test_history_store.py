"""The history file: concurrent writers both land, foreign or damaged files are refused and
left untouched, retention prunes old runs, reads give the latest complete sample."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

import pytest

from advisor import history
from advisor.errors import UsageError
from advisor.model import Finding, Severity, TargetResult
from advisor.report import Report


def report(at: str, target: str = "pg://a", score: int = 90, findings: int = 1) -> Report:
    t = TargetResult(id=target, engine="postgres", url=target, score=score, duration_ms=5)
    t.findings = [Finding(target, "pg.index.unused", Severity.WARNING, "indexes", f"public.i{i}",
                          f"index i{i} unused", {}, "drop it", None, "ref") for i in range(findings)]
    return Report(targets=[t], generated_at=at)


def test_record_and_read_back(tmp_path):
    h = history.open_history(str(tmp_path / "h.sqlite"))
    h.record(report("2026-11-01T00:00:00Z", findings=2), {"pg://a": {"seq:public.s": 100}})
    h.record(report("2026-11-02T00:00:00Z", findings=1, score=95), {"pg://a": {"seq:public.s": 300}})
    prev = h.previous("pg://a")
    assert prev.figures == {"seq:public.s": 300.0}
    assert [r.score for r in h.runs("pg://a")] == [90, 95]
    s = history.summary(h, "pg://a")
    assert s["targets"][0]["changes"][0]["resolved"][0]["object"] == "public.i1"
    assert "score" in history.render_summary(s)


def test_two_processes_writing_at_once_both_land(tmp_path):
    path = tmp_path / "h.sqlite"
    history.open_history(str(path)).close()
    script = textwrap.dedent(f"""
        import sys
        sys.path[:0] = {sys.path!r}
        from advisor import history
        from tests_history_helper import make
        h = history.open_history({str(path)!r})
        for i in range(50):
            h.record(make(sys.argv[1], i), {{sys.argv[1]: {{"used_memory": i}}}})
    """)
    helper = tmp_path / "tests_history_helper.py"
    helper.write_text(textwrap.dedent("""
        from advisor.model import TargetResult
        from advisor.report import Report
        def make(target, i):
            t = TargetResult(id=target, engine="redis", url=target, score=100, duration_ms=1)
            return Report(targets=[t], generated_at=f"2026-11-01T00:00:{i:02d}Z")
    """))
    procs = [subprocess.Popen([sys.executable, "-c", script, f"redis://{n}"], cwd=tmp_path) for n in ("a", "b", "c")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    h = history.open_history(str(path))
    assert {t: len(h.runs(t)) for t in ("redis://a", "redis://b", "redis://c")} == {
        "redis://a": 50, "redis://b": 50, "redis://c": 50}


@pytest.mark.parametrize("content", [b"not a database at all\n" * 10, b"SQLite format 3\x00" + b"\xff" * 4000])
def test_damaged_file_is_refused_and_left_alone(tmp_path, content):
    path = tmp_path / "h.sqlite"
    path.write_bytes(content)
    with pytest.raises(UsageError, match="not a db-advisor history"):
        history.open_history(str(path))
    assert path.read_bytes() == content


def test_foreign_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE users (id integer)")
    with pytest.raises(UsageError, match="another application"):
        history.open_history(str(path))
    with sqlite3.connect(path) as c:
        assert [r[0] for r in c.execute("SELECT name FROM sqlite_master")] == ["users"]


def test_retention_prunes_old_runs(tmp_path):
    h = history.open_history(str(tmp_path / "h.sqlite"))
    h.record(report("2026-01-01T00:00:00Z", findings=2), {"pg://a": {"x": 1}})
    h.record(report("2026-06-01T00:00:00Z"), {"pg://a": {"x": 2}}, retention_days=30)
    assert [r.when[:10] for r in h.runs()] == ["2026-06-01"]
    # the findings' texts go with the last run that had them
    assert h.conn.execute("SELECT count(*) FROM finding_keys").fetchone()[0] == 1


def test_a_run_of_unchanged_findings_adds_little(tmp_path):
    """A finding's text is stored once: a night with the same 3,000 findings adds a few KiB."""
    path = tmp_path / "h.sqlite"
    h = history.open_history(str(path))
    sizes = []
    for day in range(1, 4):
        h.record(report(f"2026-11-0{day}T00:00:00Z", findings=3000), {"pg://a": {"tables_bytes": day}})
        h.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        sizes.append(path.stat().st_size)
    assert sizes[0] > 200_000                     # the texts, once
    assert sizes[2] - sizes[1] <= 16 * 1024       # then only ids and figures
    assert len(h.findings(h.runs()[-1].id)) == 3000


def test_severity_is_kept_per_run(tmp_path):
    h = history.open_history(str(tmp_path / "h.sqlite"))
    first, second = report("2026-11-01T00:00:00Z"), report("2026-11-02T00:00:00Z")
    second.targets[0].findings[0].severity = Severity.CRITICAL
    h.record(first), h.record(second)
    assert [next(iter(h.findings(r.id).values()))[2] for r in h.runs()] == ["warning", "critical"]


def test_a_development_file_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "h.sqlite"
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE runs (id integer)")
        c.execute(f"PRAGMA application_id = {history.APPLICATION_ID}")
        c.execute("PRAGMA user_version = 1")
    before = path.read_bytes()
    with pytest.raises(UsageError, match="development version"):
        history.open_history(str(path))
    assert path.read_bytes() == before


def test_sparkline():
    assert history.sparkline([1, 2, None, 8]) == "▁▂ █"
    assert history.sparkline([]) == ""


def test_growth_forecast_is_one_judgment_for_both_engines():
    """pg.forecast.growth and mysql.forecast.growth read table sizes the way the figures do
    and report the set and each table that grew past the threshold."""
    from advisor.figures import figures
    from support import judge
    day = 86400
    pg_tables = {"rows": [{"qualified": "public.big", "heap_bytes": 3 * 1024**3, "other_bytes": 0},
                          {"qualified": "public.small", "heap_bytes": 1024, "other_bytes": 0}]}
    my_tables = {"rows": [{"schema": "app", "table": "big", "data_bytes": 3 * 1024**3, "index_bytes": 0},
                          {"schema": "app", "table": "small", "data_bytes": 1024, "index_bytes": 0}]}
    for check, prefix, key, tables in (("pg.forecast.growth", "pg", "pg.tables", pg_tables),
                                       ("mysql.forecast.growth", "mysql", "mysql.tables", my_tables)):
        engine = "postgres" if prefix == "pg" else "mysql"
        now = figures(engine, {key: tables})
        big = next(k for k in now if k.startswith("table_bytes:") and k.endswith("big"))
        before = {**now, big: now[big] - 2 * 1024**3, "tables_bytes": now["tables_bytes"] - 2 * 1024**3}
        history = {"figures": before, "taken_at": 0, "now": day}
        found = judge(check, {key: tables, f"{prefix}.history": history}).findings
        assert sorted(f.object or "" for f in found) == ["", big.split(":", 1)[1]], found
        assert all(f.evidence["rate_per_day"] == 2 * 1024**3 for f in found)
