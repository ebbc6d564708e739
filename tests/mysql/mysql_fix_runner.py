"""Apply a MySQL finding's fix exactly as printed (issue 13: advise, apply, advise again).

The fix conventions (docs/mysql.md, "Fixes"):
- kind "sql": statements with `--` comments, run as one multi-statement text, as a client
  would run it pasted; placeholders filled with advisor.fixes.fill. A live change that is
  lost at restart is followed by `-- live until the next restart; ...` and one
  `--   name = value` line per setting: the lines that keep it, which `persist_lines` reads.
- kind "config": `[mysqld]` then `name = value` lines and `#` comments: written to the
  server's my.cnf, then the server restarts.
- kind "manual": not applied; the tests list them.
"""

from __future__ import annotations

import re

import pymysql
from pymysql.constants import CLIENT

from advisor import fixes

_PERSIST = re.compile(r"^--   ([a-z0-9_-]+) = (.+)$")
_OLD_PLACEHOLDER = re.compile(r"<[a-z][a-z ]*>")  # the `<new password>` style fixes.py replaced


def _filled(fix: str, values: dict) -> str:
    assert not _OLD_PLACEHOLDER.search(fix), fix
    return fixes.fill(fix, values)


def fix_kind(finding) -> str:
    return fixes.kind("mysql", finding.evidence)


def run_sql(url_kw: dict, fix: str, values: dict) -> None:
    """All statements of the fix in one round trip (errors of any statement raise)."""
    conn = pymysql.connect(**url_kw, autocommit=True, client_flag=CLIENT.MULTI_STATEMENTS)
    try:
        with conn.cursor() as cur:
            cur.execute(_filled(fix, values))
            while cur.nextset():
                pass
    finally:
        conn.close()


def config_lines(fix: str, values: dict) -> list[str]:
    """The `name = value` lines of a config fix (no section header, no comments)."""
    out = []
    for line in _filled(fix, values).splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("["):
            out.append(line)
    return out


def persist_lines(fix: str) -> list[str]:
    """The my.cnf lines a live SQL fix names to keep its change across a restart."""
    return [f"{m.group(1)} = {m.group(2)}" for m in map(_PERSIST.match, fix.splitlines()) if m]
