"""Buffer cache hit ratio of tables and indexes (this database) and of every database."""

from __future__ import annotations

from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_bytes


def _ratio(hit: float, read: float) -> float | None:
    total = (hit or 0) + (read or 0)
    return None if total == 0 else 100.0 * (hit or 0) / total


@check(
    id="pg.cache.hit_ratio",
    title="Buffer cache hit ratio of tables and indexes",
    category="cache",
    severity=Severity.WARNING,
    facts=["pg.cache", "pg.server", "pg.settings"],
    counters=True,
    options=["all_databases"],
    reference="PgHero: cache hit rate < 99% (pg_statio_user_tables/indexes); "
              "postgresqltuner: index hit rate < 90% bad",
    thresholds={
        "warn_pct": Threshold(99, "%", "PgHero cache hit rate"),
        "critical_pct": Threshold(90, "%", "postgresqltuner: index hit rate < 90% is bad"),
        "min_blocks": Threshold(100_000, "blocks", "advisor default: hits + reads before judging "
                                "(an idle or freshly reset database says nothing)"),
    },
)
def hit_ratio(ctx):
    """The share of table and index block reads served from shared_buffers. An OLTP
    working set should stay in memory (PgHero: 99 %); a lower ratio means queries
    wait on the OS cache or disk. Counts come from pg_statio_user_tables/indexes
    (this database; with the option all_databases also every other database, from
    pg_stat_database); a ratio is judged only after
    enough blocks were touched. A 'read' may still be served by the OS page cache,
    so the ratio understates the true memory hit rate. Fix: fit the hot working set
    (raise shared_buffers toward 25 % of RAM, or add RAM) or cut
    the blocks read (indexes for sequential scans, less bloat)."""
    c = ctx.fact("pg.cache")
    server = ctx.fact("pg.server")
    sb = ctx.fact("pg.settings").get("shared_buffers", {}).get("value")
    warn, crit, min_blocks = ctx.threshold("warn_pct"), ctx.threshold("critical_pct"), ctx.threshold("min_blocks")
    since = server.get("stats_reset") or server.get("started_at")
    common = {"warn_pct": warn, "critical_pct": crit, "min_blocks": min_blocks,
              "shared_buffers": human_bytes(sb) if sb else None, "stats_since": since}
    worst = [{"table": t["table_qualified"], "heap_blocks_read": t["heap_read"],
              "heap_hit_pct": round(_ratio(t["heap_hit"], t["heap_read"]) or 0, 2)} for t in c["tables"][:5]]
    for kind, group, hit, read in (("table", "tables", c["heap_hit"], c["heap_read"]),
                                   ("index", "indexes", c["idx_hit"], c["idx_read"])):
        ratio = _ratio(hit, read)
        if ratio is None or hit + read < min_blocks or ratio >= warn:
            continue
        yield ctx.finding(
            object=f"{server['database']} ({group})",
            severity=Severity.CRITICAL if ratio < crit else None,
            summary=f"{kind} cache hit ratio is {ratio:.1f}% in {server['database']} (want >= {warn}%)",
            evidence={"hit_pct": round(ratio, 2), "blocks_hit": hit, "blocks_read": read, **common,
                      "most_read_tables": worst},
            recommendation=f"The {kind} working set does not fit in shared_buffers: raise shared_buffers "
                           "(about 25% of RAM) or memory, and reduce blocks read (missing indexes, bloat).",
            fix=None)
    for d in c["databases"] if ctx.options.get("all_databases") else ():   # scope: the URL's database
        ratio = _ratio(d["hit"], d["read"])
        if (d["database"] == server["database"] or ratio is None or d["hit"] + d["read"] < min_blocks
                or ratio >= warn):
            continue
        yield ctx.finding(
            object=f"database {d['database']}",
            severity=Severity.CRITICAL if ratio < crit else None,
            summary=f"database {d['database']} cache hit ratio is {ratio:.1f}% (want >= {warn}%)",
            evidence={"hit_pct": round(ratio, 2), "blocks_hit": d["hit"], "blocks_read": d["read"],
                      **common, "stats_since": d.get("stats_reset") or since},
            recommendation="Connect the advisor to that database for per-table detail; the working set "
                           "does not fit in shared_buffers.",
            fix=None)
