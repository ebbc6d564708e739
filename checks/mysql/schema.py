"""Table design and storage: primary keys, fragmentation, AUTO_INCREMENT headroom."""

from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_bytes

from ._common import MYSQLTUNER, qid, type_max

# the largest value of each integer type, signed and unsigned


@check(
    id="mysql.schema.no_primary_key",
    title="InnoDB tables without a primary key",
    category="schema",
    severity=Severity.WARNING,
    facts=["mysql.tables"],
    reference=MYSQLTUNER + " (tables without PK); Percona PMM advisor; MySQL docs 15.6.2.1 Clustered Indexes",
)
def no_primary_key(ctx):
    """InnoDB stores rows in primary-key order. Without a primary key (and without a
    NOT NULL unique key) it uses a hidden 6-byte row id shared server-wide (a contention
    point), row-based replication must scan the table for every changed row on a replica,
    and Group Replication / some cluster products refuse the table. Fix: add a primary key.
    A natural key (ADD PRIMARY KEY (cols)) is built in place with concurrent reads and
    writes (LOCK=NONE). A surrogate AUTO_INCREMENT column is not: adding an auto-increment
    column permits no concurrent DML (MySQL online DDL table; MariaDB refuses LOCK=NONE),
    so writes wait for the whole rebuild, and the ALTER is replicated as a statement that
    numbers rows in each server's own physical order, so ids can differ on a replica
    (MySQL docs, Replication and AUTO_INCREMENT). pt-online-schema-change and gh-ost need an
    existing primary or unique key, so they cannot add a table's first one."""
    for t in ctx.fact("mysql.tables")["rows"]:
        if t["has_pk"] or (t["engine"] or "").lower() != "innodb":
            continue
        name = f"{t['schema']}.{t['table']}"
        yield ctx.finding(
            object=name,
            summary=f"{name} has no primary key (~{t['rows']:,} rows)",
            evidence={"engine": t["engine"], "rows": t["rows"], "data_bytes": t["data_bytes"]},
            recommendation="Add a primary key. A natural key (columns that are unique and NOT NULL) is added "
                           "online: ALTER TABLE ... ADD PRIMARY KEY (cols), ALGORITHM=INPLACE, LOCK=NONE. The "
                           "surrogate id below blocks writes (not reads) for the whole table rebuild: run it "
                           "in a quiet window. With replicas, the ids each server assigns can differ: add the "
                           "column on a copy filled by INSERT ... SELECT under binlog_format=ROW, then RENAME "
                           "TABLE, or rebuild the replicas from the primary afterwards.",
            fix=f"ALTER TABLE {qid(t['schema'], t['table'])} ADD COLUMN `id` BIGINT UNSIGNED NOT NULL "
                f"AUTO_INCREMENT PRIMARY KEY FIRST, ALGORITHM=INPLACE, LOCK=SHARED;\n"
                f"-- LOCK=SHARED: reads continue, writes wait until the rebuild ends (no LOCK=NONE for an "
                f"auto-increment column); ids may differ on replicas (see the recommendation)",
        )


@check(
    id="mysql.schema.fragmented",
    title="Fragmented tables (free space inside the tablespace)",
    category="storage",
    severity=Severity.INFO,
    facts=["mysql.tables", "mysql.variables"],
    reference=MYSQLTUNER + " (DATA_FREE > 10% and > 100 MB)",
    thresholds={"min_free_pct": Threshold(10.0, "%", MYSQLTUNER + ": DATA_FREE > 10% of the table"),
                "min_free_bytes": Threshold(100 * 1024**2, "bytes", MYSQLTUNER + ": and > 100 MB")},
)
def fragmented(ctx):
    """After large DELETEs or UPDATEs an InnoDB .ibd file keeps its free pages (DATA_FREE):
    disk is not returned and scans read emptier pages. Rebuilding the table (OPTIMIZE
    TABLE, which InnoDB runs as ALTER TABLE ... FORCE, online) compacts it and returns the
    space. The fix asks for ALGORITHM=INPLACE, LOCK=NONE so that it never silently locks
    (a table with FULLTEXT indexes cannot be rebuilt online and is refused). With
    innodb_file_per_table = OFF every table shows the free space of the shared system
    tablespace, which a rebuild does not return: those are not reported."""
    per_table = str(ctx.fact("mysql.variables").get("innodb_file_per_table", "ON")).upper() in ("ON", "1")
    for t in ctx.fact("mysql.tables")["rows"]:
        if (t["engine"] or "").lower() == "innodb" and not per_table:
            continue
        size = t["data_bytes"] + t["index_bytes"]
        free = t["data_free"]
        pct = 100.0 * free / (size + free) if size + free else 0.0
        if free >= ctx.threshold("min_free_bytes") and pct >= ctx.threshold("min_free_pct"):
            name = f"{t['schema']}.{t['table']}"
            yield ctx.finding(
                object=name,
                summary=f"{name}: {human_bytes(free)} free inside the table ({pct:.0f}%)",
                evidence={"data_free": free, "data_bytes": t["data_bytes"], "index_bytes": t["index_bytes"],
                          "free_pct": round(pct, 1), "threshold_free_pct": ctx.threshold("min_free_pct"),
                          "threshold_free_bytes": ctx.threshold("min_free_bytes")},
                recommendation="Rebuild the table in a quiet hour to compact it and return the space.",
                fix=f"ALTER TABLE {qid(t['schema'], t['table'])} FORCE, ALGORITHM=INPLACE, LOCK=NONE;\n"
                    "-- online rebuild (what OPTIMIZE TABLE does on InnoDB); the server refuses rather than "
                    "locks if it cannot be online (FULLTEXT indexes); needs free disk about the table's size; "
                    "replicas run it after the primary and lag for as long",
            )


@check(
    id="mysql.schema.auto_increment",
    title="AUTO_INCREMENT columns close to their type's maximum",
    category="schema",
    severity=Severity.WARNING,
    facts=["mysql.tables"],
    reference=MYSQLTUNER + " (AUTO_INCREMENT >= 75% of type max); PgHero sequences (90%)",
    thresholds={"warn_pct": Threshold(75.0, "%", MYSQLTUNER + ": 75% of the type's maximum"),
                "critical_pct": Threshold(90.0, "%", "PgHero: sequence > 90% of the column's max"),
                "online_tool_bytes": Threshold(1024**3, "bytes", "above this a blocking table copy holds "
                                               "writes for minutes: use an online schema change tool")},
)
def auto_increment(ctx):
    """When an AUTO_INCREMENT counter reaches its column type's maximum, every INSERT fails
    with a duplicate-key error. Widen the column before that (INT -> BIGINT UNSIGNED). A
    column type change is ALGORITHM=COPY on MySQL and MariaDB: writes wait for the whole
    copy (LOCK=SHARED; MariaDB 11.2+ can copy with LOCK=NONE). Up to `online_tool_bytes`
    the fix is that ALTER, with its lock stated; above it the fix is the online path,
    pt-online-schema-change (or gh-ost), which copies in chunks while writes continue
    (fix_kind manual: an external tool). On MySQL
    8 information_schema caches AUTO_INCREMENT (information_schema_stats_expiry); the
    advisor's session sets it to 0 to read current values."""
    for t in ctx.fact("mysql.tables")["rows"]:
        top = type_max(t.get("auto_increment_type"), t.get("column_type"))
        nxt = t.get("auto_increment")
        if not top or not nxt:
            continue
        used = 100.0 * (int(nxt) - 1) / top
        if used < ctx.threshold("warn_pct"):
            continue
        name = f"{t['schema']}.{t['table']}"
        col = t["auto_increment_column"]
        at_widest = t["auto_increment_type"].lower() == "bigint" and "unsigned" in t["column_type"].lower()
        wider = "BIGINT UNSIGNED"
        change = f"MODIFY {qid(col)} {wider} NOT NULL AUTO_INCREMENT"
        size = (t.get("data_bytes") or 0) + (t.get("index_bytes") or 0)
        big = size > ctx.threshold("online_tool_bytes")
        if at_widest:
            fix = None
        elif big:
            # single quotes: the backticks of the column name must reach the tool, not the shell
            fix = (f"pt-online-schema-change --alter '{change}' D={t['schema']},t={t['table']} --execute\n"
                   f"# or: gh-ost --database={t['schema']} --table={t['table']} --alter='{change}' --execute\n"
                   f"# blocking alternative (writes wait for the whole copy): ALTER TABLE "
                   f"{qid(t['schema'], t['table'])} {change}, ALGORITHM=COPY, LOCK=SHARED;")
        else:
            fix = (f"ALTER TABLE {qid(t['schema'], t['table'])} {change}, ALGORITHM=COPY, LOCK=SHARED;\n"
                   f"-- copies the table ({human_bytes(size)}): reads continue, writes wait until it ends; "
                   f"replicas run it after the primary and lag for as long")
        yield ctx.finding(
            object=f"{name}.{col}",
            severity=Severity.CRITICAL if used >= ctx.threshold("critical_pct") else None,
            summary=f"{name}.{col} ({t['column_type']}) has used {used:.1f}% of its range",
            evidence={"column": col, "column_type": t["column_type"], "next_value": nxt, "type_max": top,
                      "table_bytes": size, "threshold_online_tool_bytes": ctx.threshold("online_tool_bytes"),
                      **({"fix_kind": "manual"} if big and not at_widest else {}),
                      "used_pct": round(used, 2), "threshold_warn_pct": ctx.threshold("warn_pct"),
                      "threshold_critical_pct": ctx.threshold("critical_pct")},
            recommendation=("The column is already BIGINT UNSIGNED: find what burns ids (INSERT IGNORE, "
                            "ON DUPLICATE KEY UPDATE, rollbacks) and re-key." if at_widest else
                            f"Widen {col} to {wider} before inserts start failing. The ALTER copies the table "
                            "and blocks writes until it ends" + ("; on a table this size use an online schema "
                                                                 "change tool." if big else ".")),
            fix=fix,
        )
