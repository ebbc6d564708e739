"""Schema: tables without a primary key, sequences running out, constraints never validated."""

from __future__ import annotations

from advisor.model import Severity
from advisor.registry import Threshold, check

from ._common import sequence_fixes, sequence_limit

PGHERO = "PgHero (github.com/ankane/pghero)"
# largest value of each integer column type


def _pk_candidate(ctx, relid: int) -> dict | None:
    """A valid, non-partial unique index on plain columns that could become the primary key."""
    rows = ctx.optional("pg.indexes", {"rows": []})["rows"]
    for ix in rows:
        if (ix["relid"] == relid and ix["is_unique"] and ix["is_valid"] and not ix["predicate"]
                and not ix["expressions"] and ix["method"] == "btree" and ix["kind"] == "i"
                and ix["n_key"] == len(ix["attnums"])):
            return ix
    return None


@check(
    id="pg.schema.no_primary_key",
    title="Tables without a primary key",
    category="schema",
    severity=Severity.WARNING,
    facts=["pg.tables", "pg.indexes"],
    reference="PostgreSQL docs 31.1.1 Replica Identity (logical replication); pg_repack requirements",
    thresholds={
        "min_rows": Threshold(1000, "rows", "advisor default: smaller tables are reported as info"),
    },
)
def no_primary_key(ctx):
    """A table without a primary key has no reliable row identity: logical
    replication cannot replicate its UPDATEs and DELETEs (REPLICA IDENTITY DEFAULT
    needs a PK), pg_repack refuses to rebuild it, ORMs and tools cannot address one
    row, and duplicates creep in. Partitions are judged through their partitioned
    parent (a PK on the parent covers every partition); tables created by an
    extension are left alone. Fix: promote an existing
    unique index (ALTER TABLE ... ADD PRIMARY KEY USING INDEX, its columns must be
    NOT NULL) or add an identity column (ALTER TABLE ... ADD COLUMN ... GENERATED
    ALWAYS AS IDENTITY PRIMARY KEY, which rewrites the table)."""
    min_rows = ctx.threshold("min_rows")
    for t in ctx.fact("pg.tables")["rows"]:
        if t["kind"] not in ("r", "p") or t["is_partition"] or t["has_pk"] or t.get("extension_member"):
            continue
        rows = max(t.get("n_live_tup") or 0, t.get("reltuples") or 0)
        cand = _pk_candidate(ctx, t["relid"])
        kind = None
        if t["kind"] == "p":
            # a partitioned table's key must contain the partition key; identity columns on
            # partitioned tables exist only from PostgreSQL 17
            fix = (f"ALTER TABLE {t['qualified']} ADD PRIMARY KEY ({{{{key_columns}}}});  -- the columns must "
                   "include the partition key; builds the index on every partition under ACCESS EXCLUSIVE "
                   "locks (blocks reads and writes)")
            how = "a partitioned table: choose key columns that include the partition key"
            kind = "manual"
        elif cand:
            short = cand["qualified"].rsplit(".", 1)[-1]
            fix = (f"ALTER TABLE {t['qualified']} ADD PRIMARY KEY USING INDEX {short};  -- ACCESS EXCLUSIVE "
                   "lock: brief, plus a full scan if a column must become NOT NULL")
            how = f"unique index {cand['qualified']} can become the primary key (its columns become NOT NULL)"
        else:
            fix = (f"ALTER TABLE {t['qualified']} ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY "
                   "PRIMARY KEY;  -- rewrites the table under an ACCESS EXCLUSIVE lock: blocks reads and "
                   "writes until done")
            how = "no unique index to promote: add a key column, or ADD PRIMARY KEY (natural key columns)"
        yield ctx.finding(
            object=t["qualified"],
            severity=Severity.INFO if rows < min_rows else None,
            summary=f"table {t['qualified']} has no primary key",
            evidence={"rows_estimate": int(rows), "has_unique_index": t["has_unique"],
                      "partitioned": t["kind"] == "p", "min_rows_for_warning": min_rows,
                      "candidate": cand["definition"] if cand else None}
            | ({"fix_kind": kind} if kind else {}),
            recommendation="Give it a primary key: logical replication of UPDATE/DELETE, pg_repack and "
                           "row-level tooling need one; " + how + ".",
            fix=fix)


@check(
    id="pg.schema.sequence_exhaustion",
    title="Sequences close to the maximum of their column type",
    category="schema",
    severity=Severity.WARNING,
    facts=["pg.sequences"],
    reference=f"{PGHERO}: sequences > 90% of the column type max (via pg_depend); "
              "check_postgres sequence 85% / 95%",
    thresholds={
        "warn_pct": Threshold(85, "%", "check_postgres sequence warning (PgHero: 90)"),
        "critical_pct": Threshold(95, "%", "check_postgres sequence critical"),
    },
)
def sequence_exhaustion(ctx):
    """When a sequence reaches its limit, nextval() fails and every INSERT into the
    table fails with it. The limit is the smaller of the sequence's own MAXVALUE and
    the maximum of the column it feeds (found through pg_depend: serial and identity
    columns): a bigint sequence feeding an integer column still stops the table at
    2,147,483,647. Fix: ALTER TABLE ... ALTER COLUMN ... TYPE bigint (rewrites the
    table and its indexes under an ACCESS EXCLUSIVE lock: plan a window, or migrate
    through a new column) and, for serial columns, ALTER SEQUENCE ... AS bigint (an
    identity column's sequence follows its column type by itself). Cycling sequences are
    skipped (they wrap by design). A sequence the advisor may not read (pg_monitor
    does not grant SELECT on sequences) is listed in one info finding with the GRANT."""
    warn, crit = ctx.threshold("warn_pct"), ctx.threshold("critical_pct")
    rows = ctx.fact("pg.sequences")["rows"]
    hidden = [seq["sequence"] for seq in rows if not seq.get("readable", True)]
    if hidden:
        schemas = sorted({name.rsplit(".", 1)[0] for name in hidden})
        yield ctx.finding(
            object="sequences", severity=Severity.INFO,
            summary=f"{len(hidden)} sequence(s) could not be judged: no SELECT or USAGE privilege",
            evidence={"unreadable": hidden[:20], "count": len(hidden)},
            recommendation="pg_monitor does not include reading sequences; grant SELECT on them to "
                           "the advisor's role (read-only).",
            fix="\n".join(f"GRANT SELECT ON ALL SEQUENCES IN SCHEMA {sch} TO {{{{advisor_role}}}};"
                          for sch in schemas))
    for seq in rows:
        if seq["cycle"] or seq["last_value"] is None or not seq["increment"]:
            continue
        limit, limited_by = sequence_limit(seq)
        start = seq["min_value"] if seq["increment"] > 0 else seq["max_value"]
        span = abs(limit - start) or 1
        used = 100.0 * abs(seq["last_value"] - start) / span
        if used < warn:
            continue
        fixes = sequence_fixes(seq)
        owner = f"{seq['table_qualified']}.{seq['column_name']}" if seq.get("column_name") else None
        yield ctx.finding(
            object=seq["sequence"],
            severity=Severity.CRITICAL if used >= crit else None,
            summary=f"sequence {seq['sequence']} has used {used:.1f}% of its range"
                    + (f" (feeds {owner} {seq['column_type']})" if owner else ""),
            evidence={"last_value": seq["last_value"], "limit": limit, "limited_by": limited_by,
                      "used_pct": round(used, 2), "remaining": abs(limit - seq["last_value"]),
                      "column": owner, "column_type": seq.get("column_type"),
                      "sequence_type": seq["sequence_type"], "warn_pct": warn, "critical_pct": crit},
            recommendation="Widen the column and the sequence to bigint before inserts start failing.",
            fix="\n".join(fixes))


@check(
    id="pg.schema.invalid_constraint",
    title="Constraints added NOT VALID and never validated",
    category="schema",
    severity=Severity.WARNING,
    facts=["pg.invalid_constraints"],
    reference=f"{PGHERO}: invalid constraints (pg_constraint.convalidated = false)",
)
def invalid_constraint(ctx):
    """A CHECK or FOREIGN KEY constraint added with NOT VALID is enforced for new
    rows only: existing rows were never checked, so the data may violate it and the
    planner cannot rely on it. Fix: ALTER TABLE ... VALIDATE CONSTRAINT, which scans
    the table under a SHARE UPDATE EXCLUSIVE lock (reads and writes continue)."""
    for c in ctx.fact("pg.invalid_constraints"):
        yield ctx.finding(
            object=f"{c['table_qualified']}.{c['name']}",
            summary=f"constraint {c['name']} on {c['table_qualified']} is NOT VALID: existing rows "
                    "were never checked",
            evidence={"definition": c["definition"], "type": {"c": "check", "f": "foreign key"}.get(
                c["type"], c["type"]), "convalidated": False},
            recommendation="Validate it (fix the violating rows first if validation fails).",
            fix=f"ALTER TABLE {c['table_qualified']} VALIDATE CONSTRAINT {c['name']};  -- SHARE UPDATE "
                "EXCLUSIVE lock while it scans: reads and writes continue")
