"""A run imports what it needs only (docs/architecture.md, Start-up): one engine's driver and
checks, the chosen format; sqlglot only when statements are parsed; textual never headless."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys, advisor.cli
code = advisor.cli.main(['run', '--json', '--fail-on', 'never', {url!r}])
print('EXIT', code, file=sys.stderr)
print('MODULES', ' '.join(sorted(sys.modules)), file=sys.stderr)
"""
# modules a PostgreSQL run on a database without statements must not load
FOREIGN = ("sqlglot", "textual", "pymongo", "pymysql", "MySQLdb", "redis", "checks.mysql", "checks.mongo",
           "checks.redis", "advisor.engines.mysql", "advisor.engines.mongo", "advisor.engines.redis",
           "advisor.formats.sarif", "advisor.formats.markdown", "advisor.baseline", "advisor.tui")


def _loaded(code: str) -> set[str]:
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    line = next((ln for ln in p.stderr.splitlines() if ln.startswith("MODULES ")), None)
    assert line, p.stderr
    return set(line.split()[1:])


def test_a_postgres_run_loads_only_what_it_needs(pg_db):
    pg_db.sql("CREATE TABLE public.events (at timestamptz)")
    modules = _loaded(PROBE.format(url=pg_db.url))
    assert "psycopg" in modules and "checks.postgres.index" in modules  # the probe sees the run
    foreign = sorted(m for m in modules if any(m == f or m.startswith(f + ".") for f in FOREIGN))
    assert foreign == []


def test_the_probe_sees_sqlglot_once_statements_are_parsed():
    modules = _loaded("import sys\nfrom advisor.indexadvisor.workload import parse_cached\n"
                      "parse_cached('k', 'SELECT a FROM t WHERE b = 1', 'postgres')\n"
                      "print('MODULES', ' '.join(sorted(sys.modules)), file=sys.stderr)")
    assert "sqlglot" in modules
