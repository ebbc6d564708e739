"""Server caches: query cache, table cache, open files."""

from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_bytes

from ._common import (
    GUIDE,
    MYSQLTUNER,
    UPTIME_FLOOR,
    config_fix,
    counters_age,
    mariadb,
    num,
    set_global,
    young_note,
    young_severity,
)


@check(
    id="mysql.cache.query_cache",
    title="Query cache enabled (MariaDB)",
    category="cache",
    severity=Severity.WARNING,
    facts=["mysql.variables", "mysql.server"],
    reference=GUIDE + " (query_cache_type = 0, query_cache_size = 0); removed in MySQL 8.0",
)
def query_cache(ctx):
    """The query cache serializes on one mutex and is invalidated by every write to a table
    it caches: on multi-core servers with writes it costs more than it saves. MySQL 8.0
    removed it (no variables, nothing to judge); MariaDB still has it, OFF by default.
    Disable it (query_cache_type = 0 and query_cache_size = 0, the guide's values; the
    guide's Large example with query_cache_size = 256M contradicts its own advice and
    would not start on MySQL 8)."""
    v = ctx.fact("mysql.variables")
    if "query_cache_type" not in v:
        return  # MySQL 8.0+: the query cache is gone
    qtype = str(v.get("query_cache_type")).upper()
    size = num(v, "query_cache_size", 0)
    if qtype in ("OFF", "0") or not size:
        return
    yield ctx.finding(
        object="query_cache_type",
        summary=f"query cache is on (query_cache_type = {qtype}, {human_bytes(size)})",
        evidence={"query_cache_type": qtype, "query_cache_size": size,
                  "vendor": "mariadb" if mariadb(ctx) else "mysql"},
        recommendation="Disable the query cache; cache results in the application or Redis instead.",
        fix=set_global(ctx, {"query_cache_size": 0, "query_cache_type": 0}, "frees the cache memory at once"),
    )


@check(
    id="mysql.cache.table_open", counters=True,
    title="Table open cache hit rate",
    category="cache",
    severity=Severity.WARNING,
    facts=["mysql.status", "mysql.variables", "mysql.server"],
    reference=MYSQLTUNER + " (table cache hit rate < 20%)",
    thresholds={"min_hit_pct": Threshold(20.0, "%", MYSQLTUNER + ": table cache hit rate < 20%"),
                "min_lookups": Threshold(10000, "opens", "too few table opens since startup to judge"),
                "min_uptime_s": UPTIME_FLOOR},
)
def table_open(ctx):
    """Every statement needs its tables open; table_open_cache keeps open handles for
    reuse. Hit rate = Table_open_cache_hits / (hits + misses) (MySQL 5.6+, MariaDB 10.1+;
    older: Open_tables / Opened_tables). A low rate with table_open_cache full means
    re-opening tables all the time: raise table_open_cache (dynamic), keeping
    open_files_limit above it."""
    st, v = ctx.fact("mysql.status"), ctx.fact("mysql.variables")
    hits, misses = num(st, "table_open_cache_hits"), num(st, "table_open_cache_misses")
    if hits is None or misses is None:
        hits, misses = num(st, "open_tables", 0), num(st, "opened_tables", 0) - num(st, "open_tables", 0)
    lookups = hits + misses
    if lookups < ctx.threshold("min_lookups"):
        return
    hit = 100.0 * hits / lookups
    cache = num(v, "table_open_cache", 0)
    if hit < ctx.threshold("min_hit_pct"):
        want = int(max(cache * 2, 4000))
        yield ctx.finding(
            object="table_open_cache", severity=young_severity(ctx),
            summary=f"table open cache hit rate {hit:.0f}% (table_open_cache {cache:g}, "
                    f"{num(st, 'open_tables', 0):g} open)" + young_note(ctx),
            evidence={"table_open_cache_hits": hits, "table_open_cache_misses": misses, "hit_pct": round(hit, 1),
                      "table_open_cache": cache, "open_tables": num(st, "open_tables"),
                      "threshold_min_hit_pct": ctx.threshold("min_hit_pct"), **counters_age(ctx)},
            recommendation=f"Raise table_open_cache to {want} (and open_files_limit above it).",
            fix=set_global(ctx, {"table_open_cache": want}, "keep open_files_limit above it (see "
                           "mysql.cache.open_files)"),
        )


@check(
    id="mysql.cache.open_files",
    title="Open files near open_files_limit",
    category="configuration",
    severity=Severity.WARNING,
    facts=["mysql.status", "mysql.variables"],
    reference=MYSQLTUNER + " (open files > 85% of the limit)",
    thresholds={"max_pct": Threshold(85.0, "%", MYSQLTUNER + ": open files > 85%")},
)
def open_files(ctx):
    """At open_files_limit the server cannot open another table file or temporary file and
    statements fail with 'Too many open files' (errno 24). open_files_limit is set at
    startup (and capped by the service's LimitNOFILE in systemd): raise both."""
    st, v = ctx.fact("mysql.status"), ctx.fact("mysql.variables")
    opened, limit = num(st, "open_files", 0), num(v, "open_files_limit", 0)
    if not limit:
        return
    pct = 100.0 * opened / limit
    if pct > ctx.threshold("max_pct"):
        yield ctx.finding(
            object="open_files_limit",
            summary=f"{opened:g} open files of open_files_limit {limit:g} ({pct:.0f}%)",
            evidence={"open_files": opened, "open_files_limit": limit, "pct": round(pct, 1),
                      "threshold_pct": ctx.threshold("max_pct"), "fix_kind": "config"},
            recommendation="Raise open_files_limit (restart) and the service's LimitNOFILE, which caps it "
                           "(systemd: systemctl edit mariadb / mysqld, [Service] LimitNOFILE=...).",
            fix=config_fix({"open_files_limit": int(limit * 2)},
                           f"not dynamic; capped by the service's LimitNOFILE (systemd: LimitNOFILE={int(limit * 2)})"),
        )
