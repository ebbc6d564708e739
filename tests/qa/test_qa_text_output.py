"""Text output for people: with several targets each finding names its target in its header
line; a baseline run says how many findings it holds back and that the score counts them;
no Python literals (None, True, False) in evidence."""

from __future__ import annotations

import re

import pytest

from support import PgScratch, subprocess_cli


@pytest.fixture
def pg_twin(pg_admin_url):
    db = PgScratch(pg_admin_url)
    yield db
    db.drop()


def plant(db) -> None:
    db.sql(f'ALTER DATABASE "{db.name}" SET enable_seqscan = off')


def test_several_targets_name_the_target_in_each_block(pg_db, pg_twin):
    plant(pg_db)
    plant(pg_twin)
    p = subprocess_cli("run", "--checks", "pg.config.dangerous", "--fail-on", "never", pg_db.url, pg_twin.url)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    heads = [i for i, ln in enumerate(lines) if re.match(r"\[pg\.config\.dangerous\] (\(server\) )?enable_\*", ln)]
    assert len(heads) == 2, p.stdout
    # the target closes the header line, or the line right under it when it does not fit in 80
    targets = {(lines[i] if "@ " in lines[i] else lines[i + 1]).split("@ ", 1)[1] for i in heads}
    assert targets == {f"postgres://127.0.0.1:5432/{d.name}" for d in (pg_db, pg_twin)}


def test_one_target_keeps_short_headers(pg_db):
    plant(pg_db)
    p = subprocess_cli("run", "--checks", "pg.config.dangerous", "--fail-on", "never", pg_db.url)
    assert re.search(r"\[pg\.config\.dangerous\] (\(server\) )?enable_\*", p.stdout) and " @ " not in p.stdout


def test_baseline_run_says_what_it_holds_back(pg_db, tmp_path):
    plant(pg_db)
    base = tmp_path / "baseline.json"
    p = subprocess_cli("run", "--checks", "pg.config.*", "--write-baseline", base, pg_db.url)
    assert p.returncode == 0, p.stderr
    p = subprocess_cli("run", "--checks", "pg.config.*", "--baseline", base, pg_db.url)
    assert p.returncode == 0, p.stderr
    first = p.stdout.splitlines()[0]
    m = re.search(r"score (\d+)/100, (scope [^,]+, )?0 finding\(s\) \(\+(\d+) muted or in the baseline\)", first)
    assert m and int(m.group(3)) >= 1 and int(m.group(1)) < 100, first
    assert "scores count them" in p.stdout


def test_no_python_literals_in_text_evidence(pg_db):
    plant(pg_db)
    p = subprocess_cli("run", "--fail-on", "never", pg_db.url)
    evidence = [ln for ln in p.stdout.splitlines() if ln.strip().startswith("evidence:")]
    assert evidence
    for ln in evidence:
        assert not re.search(r"=(None|True|False)\b", ln), ln


def test_fix_lines_are_printed_whole(pg_db):
    """A wrapped fix would split a comment or an option onto a line of its own, which a shell or
    psql would run when the fix is pasted: fix lines are never wrapped."""
    import json
    plant(pg_db)
    rep = json.loads(subprocess_cli("run", "--json", "--fail-on", "never", pg_db.url).stdout)
    text = subprocess_cli("run", "--fail-on", "never", pg_db.url).stdout
    long_lines = [ln for f in rep["findings"] if f["fix"] for ln in f["fix"].splitlines() if len(ln) > 76]
    assert long_lines
    for ln in long_lines:
        assert "    " + ln in text.splitlines()
