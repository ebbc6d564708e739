"""What the server records about its own workload: performance_schema, digests, slow query log."""

from advisor.model import Severity
from advisor.registry import Threshold, check

from ._common import GUIDE, config_fix, keep_lines, num, on, set_global, short


@check(
    id="mysql.observability.performance_schema",
    title="performance_schema off or statement digests not collected",
    category="observability",
    severity=Severity.WARNING,
    facts=["mysql.performance_schema", "mysql.server"],
    reference="MySQL / MariaDB docs: Performance Schema Startup Configuration; anchors.md (MariaDB default OFF)",
)
def performance_schema(ctx):
    """Without performance_schema the server keeps no per-statement digests, no per-index
    usage counters and no table I/O waits: the statement checks, the unused-index check and
    the missing-index check cannot run. It is OFF by default on MariaDB and is not dynamic:
    set `performance_schema = ON` under [mysqld] and restart. With it on, the
    `statements_digest` consumer (and `global_instrumentation`) must be enabled for
    events_statements_summary_by_digest to fill; that one is dynamic. When the digest table
    is full (Performance_schema_digest_lost > 0) new statement shapes are no longer counted:
    raise performance_schema_digests_size (restart)."""
    ps = ctx.fact("mysql.performance_schema")
    if not ps["enabled"]:
        yield ctx.finding(
            object="performance_schema",
            summary="performance_schema is OFF: no statement digests, index usage or table I/O statistics",
            evidence={"performance_schema": "OFF", "vendor": ctx.fact("mysql.server")["vendor"], "fix_kind": "config"},
            recommendation="Turn performance_schema on (costs a few percent CPU and some memory); "
                           "the statement, missing-index and unused-index checks need it. Needs a restart.",
            fix=config_fix({"performance_schema": "ON"}),
        )
        return
    if ps["readable"] is False:
        return  # reported as skipped by the checks that need it, with the GRANT
    off = [c for c in ("global_instrumentation", "statements_digest") if not ps["consumers"].get(c, False)]
    if off:
        yield ctx.finding(
            object="setup_consumers",
            summary=f"performance_schema consumer(s) disabled: {', '.join(off)}: statement digests are not collected",
            evidence={"disabled_consumers": off},
            recommendation="Enable the digest consumers now (dynamic) and in my.cnf so they survive a restart.",
            fix="UPDATE performance_schema.setup_consumers SET ENABLED = 'YES' WHERE NAME IN "
                "('global_instrumentation', 'statements_digest');\n"
                + keep_lines({"performance-schema-consumer-global-instrumentation": "ON",
                              "performance-schema-consumer-statements-digest": "ON"}),
        )
    lost = ps.get("digest_lost") or 0
    if lost > 0:
        yield ctx.finding(
            object="performance_schema_digests_size", severity=Severity.INFO,
            summary=f"digest table full: {lost} statement executions were not attributed to a digest",
            evidence={"performance_schema_digest_lost": lost, "performance_schema_digests_size": ps["digests_size"],
                      "fix_kind": "config"},
            recommendation="Raise performance_schema_digests_size (restart) so every statement shape is counted.",
            fix=config_fix({"performance_schema_digests_size": max(10000, 2 * int(ps["digests_size"] or 5000))}),
        )


LQT_NOTE = ("long_query_time is taken by each session when it connects: pooled connections keep the old "
            "value until they reconnect; the log grows on disk, rotate it")


@check(
    id="mysql.observability.slow_log",
    title="Slow query log off or long_query_time above 1 s",
    category="observability",
    severity=Severity.WARNING,
    facts=["mysql.variables", "mysql.server"],
    reference=GUIDE + " (slow_query_log = 1, long_query_time = 1)",
    thresholds={"long_query_time_max": Threshold(1.0, "s", GUIDE + ": long_query_time = 1")},
)
def slow_log(ctx):
    """The slow query log is what mysqldumpslow / pt-query-digest read, and it keeps the
    statement text with its parameters (digests do not). The guide turns it on with
    long_query_time = 1 s: statements slower than that are worth reading one by one. Both
    variables are dynamic (SET GLOBAL) and belong in my.cnf too. A high long_query_time
    (the default is 10 s) hides most slow statements."""
    v = ctx.fact("mysql.variables")
    limit = ctx.threshold("long_query_time_max")
    lqt = num(v, "long_query_time")
    if not on(v.get("slow_query_log", "OFF")):
        yield ctx.finding(
            object="slow_query_log",
            summary="slow query log is off: slow statements are not recorded with their text",
            evidence={"slow_query_log": v.get("slow_query_log"), "long_query_time": lqt,
                      "threshold_long_query_time_s": limit},
            recommendation=f"Turn the slow query log on with long_query_time = {limit:g} s (guide).",
            fix=set_global(ctx, {"slow_query_log": "ON", "long_query_time": f"{limit:g}"}, LQT_NOTE),
        )
    elif lqt is not None and lqt > limit:
        yield ctx.finding(
            object="long_query_time",
            summary=f"long_query_time is {lqt:g} s: statements between {limit:g} s and {lqt:g} s are not logged",
            evidence={"long_query_time": lqt, "threshold_s": limit},
            recommendation=f"Lower long_query_time to {limit:g} s (guide).",
            fix=set_global(ctx, {"long_query_time": f"{limit:g}"}, LQT_NOTE),
        )


@check(
    id="mysql.observability.prepared_statements",
    title="Server-side prepared statements the digest table shows without text",
    category="observability",
    severity=Severity.INFO,
    facts=["mysql.prepared_statements", "mysql.statement_history"],
    reference="performance_schema.prepared_statements_instances; events_statements_history",
)
def prepared_statements(ctx):
    """Statements executed as server-side prepared statements (binary protocol: JDBC with
    useServerPrepStmts, Go's database/sql, sysbench) leave no text in the digest table, so
    the statement checks see them only through prepared_statements_instances (their text)
    and the statement history (their executions). Skipped, saying what turning them on
    adds and costs, when the history consumers are off: the advisor never turns one on.
    Reports the prepared statements whose executions could not be attributed (their
    connection holds several, and the instance keeps no counters)."""
    ps = ctx.fact("mysql.prepared_statements")
    hist = ctx.fact("mysql.statement_history")
    threads: dict[int, int] = {}
    for p in ps["rows"]:
        threads[p["thread"]] = threads.get(p["thread"], 0) + 1
    executed = {e["thread"] for e in hist["rows"]}
    unknown = [p for p in ps["rows"] if not p["calls"] and threads[p["thread"]] > 1 and p["thread"] in executed]
    if unknown:
        yield ctx.finding(
            object="prepared_statements_instances",
            summary=f"{len(unknown)} prepared statement(s) ran but cannot be judged: their connections hold "
                    "several prepared statements and the server keeps no per-statement counters",
            evidence={"statements": [short(p["sql_text"]) for p in unknown[:10]],
                      "history_tables": hist.get("tables"), "fix_kind": "manual"},
            recommendation="On MariaDB, prepared_statements_instances keeps no execution counters: judge these "
                           "statements from the slow log (long_query_time) or with their text in EXPLAIN.")
