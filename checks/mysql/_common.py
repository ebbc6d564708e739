"""Small helpers shared by the MySQL checks (no checks here)."""

from __future__ import annotations

import re
from typing import Any

from advisor.errors import Skip
from advisor.units import one_line

GUIDE = "guide: MySQL/MariaDB Performance Tuning"
MYSQLTUNER = "MySQLTuner (anchors.md)"

# the advisor's own reads and catalog statements: not the application's workload
_OWN = re.compile(r"performance_schema|information_schema|\bmysql\s*`?\s*\.\s*`?(global_priv|user|innodb_index_stats)\b"
                  r"|^\s*(SHOW|SET|SELECT\s+(VERSION|@@|CURRENT_USER|DATABASE))\b", re.I)


def on(value: Any) -> bool:
    """A server boolean: ON / 1 / YES / TRUE."""
    return str(value).strip().upper() in ("ON", "1", "YES", "TRUE")


def num(facts_dict: dict[str, Any], name: str, default: float | None = None) -> float | None:
    v = facts_dict.get(name, default)
    return v if isinstance(v, (int, float)) else default


def mariadb(ctx) -> bool:
    return ctx.fact("mysql.server")["vendor"] == "mariadb"


def version(ctx) -> tuple[int, ...]:
    return tuple(ctx.fact("mysql.server")["version_tuple"])


def application_statement(row: dict[str, Any]) -> bool:
    """False for statements on the catalogs and the advisor's own session setup."""
    return not _OWN.search(row.get("digest_text") or "")


def statement_rows(ctx) -> list[dict[str, Any]]:
    return [r for r in ctx.fact("mysql.digests")["rows"] if application_statement(r)]


def short(text: str, n: int = 160) -> str:
    return one_line(text, n)


def require_uptime(ctx, seconds: float) -> float:
    """Counters since startup mean little on a server up for a few minutes."""
    up = ctx.fact("mysql.status").get("uptime") or 0
    if up < seconds:
        raise Skip(f"server up only {up:.0f}s: counters since startup are not yet meaningful",
                   f"run again after {seconds / 3600:g} h of uptime")
    return up


def qid(*parts: str) -> str:
    """`schema`.`table` quoted for SQL."""
    return ".".join("`" + p.replace("`", "``") + "`" for p in parts)
