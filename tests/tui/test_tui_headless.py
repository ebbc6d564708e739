"""The headless path must never import textual (it is heavy and not needed for `run --json`)."""

from __future__ import annotations

import subprocess
import sys

from servers import free_port

PROBE = """
import sys, advisor.cli
code = advisor.cli.main(['run', '--json', {url!r}])
loaded = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))
print('EXIT', code, 'TEXTUAL', len(loaded), ','.join(loaded[:5]), file=sys.stderr)
"""


def _probe(url: str) -> tuple[int, int]:
    p = subprocess.run([sys.executable, "-c", PROBE.format(url=url)], capture_output=True, text=True,
                       timeout=120)
    line = next(ln for ln in p.stderr.splitlines() if ln.startswith("EXIT "))
    parts = line.split()
    return int(parts[1]), int(parts[3])


def test_run_json_against_a_dead_target_does_not_import_textual():
    code, textual_modules = _probe(f"postgresql://postgres@127.0.0.1:{free_port()}/postgres")
    assert code == 3
    assert textual_modules == 0


def test_run_json_against_live_postgres_does_not_import_textual(pg_db):
    pg_db.sql("CREATE TABLE public.events (at timestamptz)")
    code, textual_modules = _probe(pg_db.url)
    assert code in (0, 1)  # the run itself worked: findings or none
    assert textual_modules == 0


def test_the_probe_can_see_textual_when_it_is_imported():
    """Guard against a probe that could never fail."""
    p = subprocess.run([sys.executable, "-c", "import sys, advisor.tui.app; "
                        "print(sum(m.startswith('textual') for m in sys.modules))"],
                       capture_output=True, text=True, timeout=60)
    assert int(p.stdout.strip()) > 0
