"""Index advisor facts for MySQL/MariaDB: the full-scan digests, the catalog of the tables
they name (columns, types, row estimates, a bounded sample for column selectivity) and
candidate indexes, each statement EXPLAINed with typed literals where its digest allows.

MySQL has no hypothetical indexes: EXPLAIN confirms that the statement scans the table
today (access type ALL / index) and how many rows it expects to read; it cannot show the
plan with the new index. Nothing here writes; EXPLAIN never executes the statement.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from advisor.errors import FactUnavailable, TargetLost
from advisor.facts import provides
from advisor.window import Counters
from advisor.indexadvisor.candidates import Policy, plan
from advisor.indexadvisor.catalog import Catalog
from advisor.indexadvisor.ddl import mysql_add_index, mysql_ident
from advisor.indexadvisor.digests import digest_sql
from advisor.indexadvisor.predicates import ParseFailure, analyse
from advisor.indexadvisor.workload import issues_to_dicts, parse_cached

from .facts_server import (
    PS_GRANT,
    SAMPLE_ALIAS,
    SYSTEM_SCHEMAS,
    in_scope,
    is_monitoring,
    require_performance_schema,
    schema_scope,
    schemaless_owner,
    schemaless_scope,
)

PS = 1e12
_MAX_TABLES = 2000


@provides("mysql", "mysql.scan_digests", counters=[Counters(
    ("calls", "total_ms", "rows_examined", "rows_sent", "no_index_used", "no_good_index_used"),
    key=("schema", "digest"), path=("rows",), active="calls", born="first_seen")])
def scan_digests(s, facts) -> dict[str, Any]:
    """Digests that used no index or no good index, by total latency (bounded by
    options.index_statement_limit, default 500), with the digest length limit."""
    require_performance_schema(facts, "statement digests")
    limit = int(facts.options.get("index_statement_limit", 500))
    # the scope in SQL: the server-wide top N would leave a quiet schema's statements out;
    # statements sent without a default schema count where the tables they name live
    nameless, nameless_args = schemaless_scope(s, facts)
    rows = s.query(f"""
        SELECT SCHEMA_NAME AS `schema`, DIGEST AS digest, DIGEST_TEXT AS digest_text,
               COUNT_STAR AS calls, SUM_TIMER_WAIT AS total, SUM_ROWS_EXAMINED AS rows_examined,
               SUM_ROWS_SENT AS rows_sent, SUM_NO_INDEX_USED AS no_index_used,
               SUM_NO_GOOD_INDEX_USED AS no_good_index_used, FIRST_SEEN AS first_seen, NOW() AS now
        FROM performance_schema.events_statements_summary_by_digest
        WHERE DIGEST IS NOT NULL AND (SUM_NO_INDEX_USED > 0 OR SUM_NO_GOOD_INDEX_USED > 0)
          AND ((SCHEMA_NAME IS NULL AND {nameless}) OR SCHEMA_NAME {schema_scope(s, facts)})
        ORDER BY SUM_TIMER_WAIT DESC
        LIMIT %s
    """, (*nameless_args, limit + 1), enable=PS_GRANT)
    truncated, rows = len(rows) > limit, rows[:limit]
    belongs = schemaless_owner(s, facts, [r["digest_text"] or "" for r in rows if r["schema"] is None])
    try:
        max_len = int(s.scalar("SELECT @@performance_schema_max_digest_length"))
    except FactUnavailable:
        max_len = 1024
    out = [{"schema": r["schema"], "digest": r["digest"], "digest_text": r["digest_text"] or "",
            "calls": int(r["calls"]), "total_ms": int(r["total"]) / PS * 1000,
            "rows_examined": int(r["rows_examined"]), "rows_sent": int(r["rows_sent"]),
            "no_index_used": int(r["no_index_used"]), "no_good_index_used": int(r["no_good_index_used"]),
            "first_seen": r["first_seen"]}
           for r in rows if not is_monitoring(r["digest_text"] or "")
           and (belongs(r["digest_text"] or "") if r["schema"] is None
                else r["schema"] not in SYSTEM_SCHEMAS and in_scope(s, facts, r["schema"]))]
    return {"rows": out, "max_digest_length": max_len, "limit": limit, "truncated": truncated,
            "now": rows[0].get("now") if rows else None,
            "prepared": _prepared_scans(facts)}


def _prepared_scans(facts) -> list[dict[str, Any]]:
    """Server-side prepared statements that scanned (their text is not in the digest table).
    Kept apart from `rows`: in a window they are computed from the windowed prepared-statement
    and history facts, so they are already the window's, not subtracted again."""
    from advisor.indexadvisor.digests import prepared_digest_rows
    got = []
    for name in ("mysql.prepared_statements", "mysql.statement_history"):
        try:
            got.append(facts.get(name))
        except FactUnavailable:
            got.append(None)
    return [{"schema": r["schema"], "digest": r["digest"], "digest_text": r["digest_text"], "calls": r["calls"],
             "total_ms": r["total_s"] * 1000, "rows_examined": r["rows_examined"], "rows_sent": r["rows_sent"],
             "no_index_used": r["no_index_used"], "no_good_index_used": r["no_good_index_used"],
             "source": r["source"]}
            for r in prepared_digest_rows(*got) if r["no_index_used"] + r["no_good_index_used"] > 0]


def scan_rows(d: dict[str, Any]) -> list[dict[str, Any]]:
    """The scanning digests and the scanning prepared statements."""
    return d["rows"] + d.get("prepared", [])


def _key(r: dict[str, Any]) -> str:
    """Digests are per default schema: the same text in two schemas is two statements."""
    return f"{r['schema']}:{r['digest']}"


def _parsed(facts):
    d = facts.get("mysql.scan_digests")
    parsed, failures = {}, {}
    for r in scan_rows(d):
        sql = digest_sql(r["digest_text"], d["max_digest_length"])
        if sql is None:
            failures[_key(r)] = "digest text truncated (raise performance_schema_max_digest_length)"
            continue
        try:
            parsed[_key(r)] = (r, parse_cached(r["digest"], sql, "mysql"))
        except ParseFailure as e:
            failures[_key(r)] = str(e)
    return d, parsed, failures


@provides("mysql", "mysql.index_catalog")
def index_catalog(s, facts) -> dict[str, Any]:
    """Columns, types, row estimates and indexes of the tables the scanning digests name."""
    _, parsed, _ = _parsed(facts)
    names = sorted({(sch or r["schema"], name)
                    for r, p in parsed.values() for sch, name in p.table_names if (sch or r["schema"])})
    names = [(sch, n) for sch, n in names if sch not in SYSTEM_SCHEMAS][:_MAX_TABLES]
    out: dict[str, Any] = {"tables": []}
    if not names:
        return out
    cond = " OR ".join(["(c.TABLE_SCHEMA = %s AND c.TABLE_NAME = %s)"] * len(names))
    params = [x for pair in names for x in pair]
    rows = s.query(f"""
        SELECT c.TABLE_SCHEMA AS `schema`, c.TABLE_NAME AS `table`, c.COLUMN_NAME AS `column`,
               c.DATA_TYPE AS type, t.TABLE_ROWS AS `rows`
        FROM information_schema.COLUMNS c
        JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
        WHERE t.TABLE_TYPE = 'BASE TABLE' AND ({cond})
        ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION
        LIMIT 200000
    """, params)
    tables: dict[tuple, dict[str, Any]] = {}
    for r in rows:
        t = tables.setdefault((r["schema"].lower(), r["table"].lower()),
                              {"schema": r["schema"], "name": r["table"], "rows": int(r["rows"] or 0),
                               "columns": [], "indexes": []})
        t["columns"].append({"name": r["column"], "type": r["type"], "n_distinct": None, "null_frac": None})
    for ix in facts.get("mysql.indexes")["rows"]:
        t = tables.get((ix["schema"].lower(), ix["table"].lower()))
        if t is not None:
            t["indexes"].append({"name": ix["index"], "unique": ix["unique"], "primary": ix["primary"],
                                 "method": "btree" if ix.get("type") in ("BTREE", None) else ix["type"].lower(),
                                 "partial": any(ix.get("sub_parts") or []),
                                 "columns": [None if c == "(expression)" else c for c in ix["columns"]],
                                 "valid": ix.get("visible", True)})
    out["tables"] = list(tables.values())
    return out


def _sample(s, table: dict[str, Any], columns: list[str], size: int) -> None:
    """n_distinct / null_frac of `columns` from the first `size` rows (bounded read).

    One plain SELECT ... LIMIT, counted in Python: its digest's rows_examined is then exactly
    the rows it read from the table, which mysql.index_usage subtracts from the table's
    full-scan reads (a derived table would count every row twice)."""
    cols = ", ".join(mysql_ident(c) for c in columns)
    rows = s.query(f"SELECT 1 AS {SAMPLE_ALIAS}, {cols} FROM "
                   f"{mysql_ident(table['schema'])}.{mysql_ident(table['name'])} LIMIT {int(size)}")
    n = len(rows)
    if n == 0:
        return
    by_name = {c["name"].lower(): c for c in table["columns"]}
    values = [list(r.values())[1:] for r in rows]
    for i, c in enumerate(columns):
        seen = [v[i] for v in values]
        z = sum(v is None for v in seen)
        d = len({v for v in seen if v is not None})
        col = by_name[c.lower()]
        col["null_frac"] = z / n
        if n < size or d < n / 10:          # whole table read, or clearly categorical
            col["n_distinct"] = float(d)
        else:                               # grows with the table: a fraction of the rows
            col["n_distinct"] = -d / n


def _typed_literal(col_type: str | None) -> exp.Expression:
    t = (col_type or "").lower()
    if t in ("date",):
        return exp.Literal.string("2000-01-01")
    if t in ("datetime", "timestamp"):
        return exp.Literal.string("2000-01-01 00:00:00")
    if t in ("time",):
        return exp.Literal.string("00:00:00")
    if t in ("char", "varchar", "text", "tinytext", "mediumtext", "longtext", "enum", "set", "json",
             "binary", "varbinary", "blob"):
        return exp.Literal.string("a")
    return exp.Literal.number(1)


def explainable(tree: exp.Expression, types: dict[str, str]) -> str:
    """The digest with each ? replaced by a literal of the compared column's type (NULL
    would make the optimizer see an impossible WHERE and skip the table)."""
    tree = tree.copy()
    for ph in list(tree.find_all(exp.Placeholder)):
        if isinstance(ph.parent, (exp.Interval, exp.Limit, exp.Offset)):
            ph.replace(exp.Literal.number(1))
            continue
        node, col = ph.parent, None
        while node is not None and col is None and not isinstance(node, (exp.Where, exp.Select)):
            col = next((c for c in node.find_all(exp.Column)), None) if isinstance(
                node, (exp.Binary, exp.In, exp.Between, exp.Like)) else None
            node = node.parent
        ph.replace(_typed_literal(types.get(col.name.lower()) if col is not None else None))
    return tree.sql(dialect="mysql")


@provides("mysql", "mysql.index_candidates")
def index_candidates(s, facts) -> dict[str, Any]:
    """Candidates for the full-scan digests, with EXPLAIN of each statement they serve."""
    d, parsed, failures = _parsed(facts)
    cat_fact = facts.get("mysql.index_catalog")
    policy = Policy(min_table_rows=float(facts.options.get("index_min_table_rows", Policy.min_table_rows)),
                    max_selectivity=float(facts.options.get("index_max_selectivity", Policy.max_selectivity)),
                    narrow_rows=float(facts.options.get("index_narrow_rows", Policy.narrow_rows)),
                    pattern_ops=False)
    size = int(facts.options.get("index_sample_rows", 10000))

    def shapes_for(catalog):
        out = {}
        for k, (r, p) in parsed.items():
            try:
                # no default schema: the statement names its tables with their schema
                out[k] = analyse(p, catalog.with_search_path([r["schema"]] if r["schema"] else []))
            except ParseFailure as e:
                failures[k] = str(e)
        return out

    catalog = Catalog.from_fact(cat_fact, case_sensitive=False)
    shapes = shapes_for(catalog)
    first = plan(shapes, catalog.tables_by_key(), Policy(min_table_rows=0, max_selectivity=1.0, pattern_ops=False))
    wanted: dict[str, set[str]] = {}
    for c in first.candidates:
        wanted.setdefault(c.table, set()).update(c.columns)
    # the counters the full-scan checks judge are read before the sample reads any row
    for name in ("mysql.index_usage", "mysql.status"):
        facts.has(name)
    sampled = []
    for t in cat_fact["tables"]:
        cols = sorted(wanted.get(f"{t['schema']}.{t['name']}", ()))
        if cols and size > 0:
            try:
                _sample(s, t, cols, size)
                sampled.append(f"{t['schema']}.{t['name']}")
            except FactUnavailable:
                pass
    catalog = Catalog.from_fact(cat_fact, case_sensitive=False)
    shapes = shapes_for(catalog)
    p = plan(shapes, catalog.tables_by_key(), policy)
    cands = []
    for i, c in enumerate(p.candidates):
        cands.append({**c.to_dict(), "id": i, "ddl": mysql_add_index(c.table, c.columns, c.desc)})
    explains = {}
    tables = catalog.tables_by_key()
    current = s.scalar("SELECT DATABASE()")
    try:
        for k in p.by_statement:
            r, parsed_stmt = parsed[k]
            types = {}
            for u in shapes[k].uses:
                for col in tables[u.table].columns.values():
                    types.setdefault(col.name.lower(), col.type)
            explains[k] = _explain(s, r["schema"], explainable(parsed_stmt.tree, types))
            explains[k]["aliases"] = {u.alias: u.table for u in shapes[k].uses}
            for row in explains[k].get("rows", []):
                t = tables.get(explains[k]["aliases"].get(str(row.get("table")).lower(), ""))
                ix = next((i for i in (t.indexes if t else []) if i.name == row.get("key")), None)
                row["key_columns"] = ix.columns if ix else None
    finally:
        if current:
            s.query(f"USE {mysql_ident(current)}")
    stmts = [{"queryid": _key(r), "digest": r["digest"], "schema": r["schema"], "calls": r["calls"], "total_ms": r["total_ms"],
              "rows_examined": r["rows_examined"], "rows_sent": r["rows_sent"], "query": r["digest_text"][:1000]}
             for r in scan_rows(d)]
    return {"statements": stmts, "candidates": cands, "rejected": [x.to_dict() for x in p.rejected],
            "covered": p.covered, "issues": issues_to_dicts(shapes), "explain": explains,
            "failed_statements": sorted(failures), "failure_reasons": failures, "sampled_tables": sampled}


def _explain(s, schema: str, sql: str) -> dict[str, Any]:
    try:
        rows = s.query(f"EXPLAIN {sql}") if not schema else _in_schema(s, schema, sql)
    except TargetLost:
        raise
    except FactUnavailable as e:
        return {"error": e.reason[:200]}
    return {"sql": sql[:500], "rows": [{k: r.get(k) for k in ("table", "type", "key", "rows", "extra")}
                                       for r in rows[:20]]}


def _in_schema(s, schema: str, sql: str) -> list[dict[str, Any]]:
    s.query(f"USE {mysql_ident(schema)}")
    return s.query(f"EXPLAIN {sql}")
