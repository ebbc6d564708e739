"""Run a PostgreSQL finding's `fix` exactly as printed, the way psql would: statement by
statement in autocommit (CONCURRENTLY, ALTER SYSTEM and VACUUM refuse transaction blocks),
comments skipped; a `-- then restart PostgreSQL` comment line restarts the server there.
Placeholders are filled with advisor.fixes.fill."""

from __future__ import annotations

import re
from typing import Callable, Iterator

import psycopg

from advisor.fixes import fill

RESTART = re.compile(r"^--\s*then restart PostgreSQL\b")


def steps(fix: str) -> Iterator[str]:
    """SQL statements in order, and "RESTART" where the fix asks for a restart.

    Quotes ('...', "...", $$...$$) and -- comments are respected; a statement ends at a
    semicolon outside them."""
    buf, i, n = "", 0, len(fix)
    while i < n:
        ch = fix[i]
        if fix.startswith("--", i):
            end = fix.find("\n", i)
            end = n if end < 0 else end
            if not buf.strip() and RESTART.match(fix[i:end]):
                yield "RESTART"
            i = end
            continue
        if ch in "'\"" or fix.startswith("$$", i):
            close = "$$" if ch == "$" else ch
            end = fix.find(close, i + len(close))
            end = n if end < 0 else end + len(close)
            buf += fix[i:end]
            i = end
            continue
        if ch == ";":
            if buf.strip():
                yield buf.strip() + ";"
            buf = ""
        else:
            buf += ch
        i += 1
    if buf.strip():
        raise ValueError(f"fix ends without a semicolon: {buf.strip()!r}")


def apply_fix(url: str, fix: str, values: dict[str, str] | None = None,
              restart: Callable[[], None] | None = None) -> list[str]:
    """Run every statement of the fix on url; returns what ran. A restart step with no
    `restart` callable fails: the test must provide a server it can restart."""
    ran = []
    conn = psycopg.connect(url, autocommit=True)
    try:
        for step in steps(fill(fix, values or {})):
            if step == "RESTART":
                assert restart is not None, f"the fix asks for a restart: {fix}"
                conn.close()
                restart()
                conn = psycopg.connect(url, autocommit=True)
            else:
                conn.execute(step)
            ran.append(step)
    finally:
        conn.close()
    return ran
