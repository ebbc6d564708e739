"""pg_stat_statements, read with the columns of the installed extension version.

The guide's SQL uses total_time / mean_time, which exist only up to extension
1.7 (PostgreSQL 12). From 1.8 (PG13) they are total_exec_time / mean_exec_time
(plus planning time); 1.9 added `toplevel`; 1.11 (PG17) renamed blk_read_time
to shared_blk_read_time. Values are normalized to one shape here.
"""

from __future__ import annotations

from typing import Any

from advisor.errors import FactUnavailable
from advisor.facts import provides
from advisor.window import Counters

ENABLE = ("add pg_stat_statements to shared_preload_libraries, restart, then "
          "CREATE EXTENSION pg_stat_statements; in the database the advisor connects to")
CREATE_ONLY = ("CREATE EXTENSION pg_stat_statements; in the database the advisor connects to "
               "(already in shared_preload_libraries: no restart needed)")


def _version_tuple(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in v.split(".") if x.isdigit())


@provides("postgres", "pg.stat_statements_status")
def status(s, facts) -> dict[str, Any]:
    """Installed? Preloaded? Which version? How many statements, since when?"""
    ext = facts.get("pg.extensions")
    settings = facts.get("pg.settings")
    preload = settings.get("shared_preload_libraries", {}).get("setting", "")
    out = {
        "installed_version": ext["installed"].get("pg_stat_statements"),
        "available_version": ext["available"].get("pg_stat_statements"),
        # shared_preload_libraries is hidden from roles without pg_read_all_settings; the
        # module's own GUCs exist only when it was preloaded, and are visible to everyone
        "preloaded": "pg_stat_statements" in [p.strip() for p in preload.split(",")]
                     or "pg_stat_statements.max" in settings,
        "track": settings.get("pg_stat_statements.track", {}).get("setting"),
        "max": settings.get("pg_stat_statements.max", {}).get("value"),
        "dealloc": None,
        "stats_reset": None,
    }
    if out["installed_version"] and out["preloaded"] and \
            _version_tuple(out["installed_version"]) >= (1, 9):
        try:
            row = s.query("SELECT dealloc, stats_reset FROM pg_stat_statements_info")[0]
            out.update(dealloc=row["dealloc"], stats_reset=row["stats_reset"])
        except FactUnavailable:
            pass
    return out


# Utility statements keep their literals in pg_stat_statements: a password set with
# CREATE/ALTER ROLE ... PASSWORD '...' (or a user mapping's password option) is masked
# server-side, so it never reaches a report, a snapshot or the index advisor. Texts are cut
# at 20,000 characters: 500 rows stay a few MB however long the application's SQL is.
QUERY_TEXT = ("regexp_replace(left(s.query, 20000), '(PASSWORD\\s+)(''(?:[^'']|'''')*''|\\S+)', "
              "'\\1''***''', 'gi')")


def _columns(ver: tuple[int, ...]) -> str:
    if ver >= (1, 8):
        time_cols = ("s.total_exec_time + s.total_plan_time AS total_ms, s.total_exec_time AS exec_ms, "
                     "s.mean_exec_time AS mean_ms, s.max_exec_time AS max_ms, s.stddev_exec_time AS stddev_ms")
    else:
        time_cols = ("s.total_time AS total_ms, s.total_time AS exec_ms, s.mean_time AS mean_ms, "
                     "s.max_time AS max_ms, s.stddev_time AS stddev_ms")
    io_time = ("s.shared_blk_read_time AS blk_read_ms" if ver >= (1, 11) else "s.blk_read_time AS blk_read_ms")
    toplevel = "s.toplevel" if ver >= (1, 9) else "true AS toplevel"
    temp = "s.temp_blks_written"
    return (f"s.queryid::text AS queryid, s.userid::regrole::text AS role, d.datname AS database, "
            f"{QUERY_TEXT} AS query, s.calls, s.rows, {time_cols}, s.shared_blks_hit, s.shared_blks_read, "
            f"{temp}, {io_time}, {toplevel}")


def index_statement_limit(facts) -> int:
    return int(facts.options.get("index_statement_limit", 500))


def _window_mean(row: dict) -> dict:
    """A statement's mean over the window: its time increase over its calls increase."""
    return {**row, "mean_ms": row["exec_ms"] / row["calls"] if row.get("calls") else 0.0}


@provides("postgres", "pg.statements", counters=[
    Counters(("total_ms",)),
    Counters(("calls", "rows", "total_ms", "exec_ms", "shared_blks_hit", "shared_blks_read",
              "temp_blks_written", "blk_read_ms"), key=("queryid", "role", "database"), path=("rows",),
              derive=_window_mean, bounded=True)])
def statements(s, facts) -> dict[str, Any]:
    """Top statements by total time (bounded by options.statement_limit, default 500):
    the top of the whole cluster plus the top of the current database, so that
    per-table advice still sees this database's statements on a busy cluster.

    The one read of pg_stat_statements for both consumers: the pg.statements.* checks
    (cluster-wide top, each row with its database) and the index advisor (this database's
    top options.index_statement_limit, default 500: the per-database part reads that many
    when it is the larger limit, ranked in SQL so a busier database never pushes this one out).

    Only top-level rows are read when `toplevel` exists, so nested statements
    are not counted twice under track = all.
    """
    st = facts.get("pg.stat_statements_status")
    if not st["installed_version"]:
        raise FactUnavailable("pg_stat_statements is not installed in this database",
                              CREATE_ONLY if st["preloaded"] else ENABLE)
    if not st["preloaded"]:
        raise FactUnavailable("pg_stat_statements is installed but not in shared_preload_libraries", ENABLE)
    ver = _version_tuple(st["installed_version"])
    limit = int(facts.options.get("statement_limit", 500))
    db_limit = max(limit, index_statement_limit(facts))
    # the advisor's own statements (session.OWN_TAG) are not the workload being judged
    own = "s.query NOT LIKE '/* db-advisor */%%'"
    where = f"WHERE s.toplevel AND {own}" if ver >= (1, 9) else f"WHERE {own}"
    order = "s.total_exec_time + s.total_plan_time" if ver >= (1, 8) else "s.total_time"
    rows = s.query(f"""
        SELECT * FROM (
            SELECT {_columns(ver)},
                   row_number() OVER (ORDER BY {order} DESC) AS rank_cluster,
                   row_number() OVER (PARTITION BY d.datname = current_database()
                                      ORDER BY {order} DESC) AS rank_db,
                   coalesce(d.datname = current_database(), false) AS this_database
            FROM pg_stat_statements s LEFT JOIN pg_database d ON d.oid = s.dbid
            {where}
        ) x
        WHERE rank_cluster <= %s OR (this_database AND rank_db <= %s)
        ORDER BY rank_cluster
    """, (limit, db_limit))
    for r in rows:
        for k in ("rank_cluster", "rank_db", "this_database"):
            r.pop(k, None)
    total = s.query(f"SELECT count(*) AS n, coalesce(sum({order.replace('s.', '')}), 0) AS total_ms "
                    f"FROM pg_stat_statements {where.replace('s.', '')}")[0]
    hidden = sum(1 for r in rows if r["query"] is None or r["query"] == "<insufficient privilege>")
    return {"extension_version": st["installed_version"], "rows": rows,
            "count": total["n"], "total_ms": total["total_ms"], "limit": limit,
            "hidden_by_privilege": hidden}
