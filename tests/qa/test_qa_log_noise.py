"""No library log noise on the user's stderr: sqlglot's 'contains unsupported syntax. Falling
back to parsing as a Command' (and any other library warning) stays quiet unless --verbose or
ADVISOR_DEBUG asks for it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from support import subprocess_cli

NOISY = """
import logging, warnings, sqlglot
from advisor.cli import configure_logging
configure_logging({verbose})
sqlglot.parse("VACUUM ANALYZE t", read="postgres")
logging.getLogger("psycopg").warning("driver notice")
warnings.warn("a library warning")
"""


@pytest.mark.parametrize("verbose, env, heard", [
    (False, {}, False),
    (True, {}, True),
    (False, {"ADVISOR_DEBUG": "1"}, True),
])
def test_library_logs_only_when_asked(verbose, env, heard):
    p = subprocess.run([sys.executable, "-c", NOISY.format(verbose=verbose)], capture_output=True, text=True,
                       env={**os.environ, **env}, timeout=60)
    assert p.returncode == 0, p.stderr
    assert ("Falling back" in p.stderr and "driver notice" in p.stderr) is heard, p.stderr
    if not heard:
        assert p.stderr == ""


def test_run_over_unparsable_statements_is_quiet(pg_db):
    """Utility statements in pg_stat_statements (VACUUM, DO, CREATE ...) are what sqlglot
    falls back on; a full run over them prints nothing on stderr."""
    pg_db.sql("CREATE EXTENSION pg_stat_statements")
    pg_db.sql("CREATE TABLE t (id int)")
    for _ in range(3):
        pg_db.sql("VACUUM ANALYZE t")
        pg_db.sql("DO $$ BEGIN PERFORM 1; END $$")
        pg_db.sql("SELECT * FROM t WHERE id = 1")
    p = subprocess_cli("run", "--fail-on", "never", "--memory", "8GiB", pg_db.url)
    assert p.returncode == 0
    assert p.stderr == ""
