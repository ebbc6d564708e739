"""Small helpers shared by the MySQL checks (no checks here)."""

from __future__ import annotations

import re
from typing import Any

from advisor.errors import Skip
from advisor.model import Severity
from advisor.registry import Threshold
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
    """The digests, and the server-side prepared statements the digest table shows without
    their text (when the checks declare mysql.prepared_statements / mysql.statement_history)."""
    rows = [r for r in ctx.fact("mysql.digests")["rows"] if application_statement(r)]
    return rows + prepared_rows(ctx)


def prepared_rows(ctx) -> list[dict[str, Any]]:
    """Prepared statements as digest-shaped rows (advisor.indexadvisor.digests.prepared_digest_rows)."""
    from advisor.indexadvisor.digests import prepared_digest_rows
    return prepared_digest_rows(ctx.optional("mysql.prepared_statements"), ctx.optional("mysql.statement_history"))


# Ratios of counters since startup (hit rates, shares) start cold after a restart: the
# buffer pool and caches are empty, so the first hours look bad whatever the sizing.
UPTIME_FLOOR = Threshold(86400, "s", MYSQLTUNER + ": MySQL started within the last 24 hours, "
                                     "recommendations may be inaccurate (below it: info at most)")


def span_s(ctx) -> float:
    """The seconds the status counters cover: the --sample window (its increases are what
    the check sees), else the uptime."""
    return ctx.window_s or (ctx.fact("mysql.status").get("uptime") or 0)


def since(ctx) -> str:
    """How a summary says what its counts cover."""
    from advisor.units import human_duration
    return f"in the {human_duration(ctx.window_s)} window" if ctx.window_s else "since startup"


def counters_age(ctx) -> dict[str, Any]:
    """Evidence: how old the cumulative counters are (Uptime; FLUSH STATUS resets some of
    them, Uptime_since_flush_status says when)."""
    st = ctx.fact("mysql.status")
    return {"uptime_s": st.get("uptime"), "uptime_since_flush_status_s": st.get("uptime_since_flush_status"),
            "threshold_min_uptime_s": ctx.threshold("min_uptime_s")}


def _young(ctx) -> bool:
    # a window is what the DBA chose to judge: the uptime floor is for counters since startup
    return not ctx.window_s and (ctx.fact("mysql.status").get("uptime") or 0) < ctx.threshold("min_uptime_s")


def young_severity(ctx, severity: Severity | None = None) -> Severity | None:
    """INFO while the counters are younger than the uptime floor, else `severity`."""
    return Severity.INFO if _young(ctx) else severity


def young_note(ctx) -> str:
    """A summary suffix saying the counters are young, or ""."""
    from advisor.units import human_duration
    up = ctx.fact("mysql.status").get("uptime") or 0
    return f" (counters cover only {human_duration(up)} since startup)" if _young(ctx) else ""


def short(text: str, n: int = 160) -> str:
    return one_line(text, n)


def require_uptime(ctx, seconds: float) -> float:
    """Counters since startup mean little on a server up for a few minutes (a --sample window
    is judged whatever its length: the seconds it covers are returned)."""
    if ctx.window_s:
        return ctx.window_s
    up = ctx.fact("mysql.status").get("uptime") or 0
    if up < seconds:
        raise Skip(f"server up only {up:.0f}s: counters since startup are not yet meaningful",
                   f"run again after {seconds / 3600:g} h of uptime")
    return up


def qid(*parts: str) -> str:
    """`schema`.`table` quoted for SQL."""
    return ".".join("`" + p.replace("`", "``") + "`" for p in parts)


# ---- how fixes are written (see docs/mysql.md, "Fixes") ----

CONTAINERS = "containers: the chart's my.cnf / Helm values, not a file inside the pod"


def vendor_version(ctx) -> tuple[str | None, tuple[int, ...]]:
    try:
        s = ctx.fact("mysql.server")
        return s["vendor"], tuple(s["version_tuple"])
    except Exception:  # recorded facts without the server fact: say what fits both
        return None, ()


def set_global(ctx, settings: dict[str, Any] | str, note: str = "") -> str:
    """SET GLOBAL statements for dynamic variables, and how the change is kept: a live change
    lasts until the next restart, so the my.cnf lines follow (SET PERSIST on MySQL 8;
    MariaDB has none). Settings are per server: a replica needs the same change.
    `settings` is {name: value}, or one "name = value" text."""
    if isinstance(settings, str):
        name, _, value = settings.partition("=")
        settings = {name.strip(): value.strip()}
    lines = [f"SET GLOBAL {k} = {v};" for k, v in settings.items()]
    if note:
        lines.append(f"-- {note}")
    vendor, ver = vendor_version(ctx)
    return "\n".join(lines) + "\n" + keep_lines(settings, persist=vendor == "mysql" and ver >= (8, 0))


def keep_lines(settings: dict[str, Any], persist: bool = False) -> str:
    """The comment that follows a live change: the my.cnf lines that keep it (one
    `--   name = value` per setting, which tests/mysql/fix_runner.py reads)."""
    lines = [f"-- live until the next restart; to keep it, under [mysqld] in my.cnf ({CONTAINERS}):",
             *(f"--   {k} = {v}" for k, v in settings.items())]
    if persist:
        lines.append("-- or SET PERSIST instead of SET GLOBAL (kept in mysqld-auto.cnf, which overrides my.cnf)")
    lines.append("-- per server: not replicated, repeat on each replica")
    return "\n".join(lines)


def config_fix(settings: dict[str, Any], why: str = "not dynamic") -> str:
    """my.cnf lines for variables that only take effect at startup (evidence fix_kind "config")."""
    return "\n".join(["[mysqld]", *(f"{k} = {v}" for k, v in settings.items()),
                      f"# {why}: restart the server to apply ({CONTAINERS}, then roll the pods)"])


def online(ddl: str) -> str:
    """An InnoDB ALTER TABLE that must not block writes: the server refuses it rather than
    silently taking a stronger lock."""
    return ddl.rstrip().rstrip(";") + ", ALGORITHM=INPLACE, LOCK=NONE;"


# the index advisor's checks (mysql.index.suggested, mysql.query.unindexable) judge only costly statements
MIN_TIME_SHARE = Threshold(0.005, "ratio", "db-advisor: ignore statements under 0.5% of the time of the "
                                  "full-scan digests")


_INT_MAX = {"tinyint": 127, "smallint": 32767, "mediumint": 8388607, "int": 2147483647,
            "integer": 2147483647, "bigint": 9223372036854775807}


def type_max(data_type: str, column_type: str) -> int | None:
    m = _INT_MAX.get((data_type or "").lower())
    if m is None:
        return None
    return 2 * m + 1 if "unsigned" in (column_type or "").lower() else m
