"""Index advisor facts: the catalog of the tables the top statements touch, and candidate
indexes validated with HypoPG (hypothetical indexes, EXPLAIN of the generic plan).

Nothing here writes: hypothetical indexes live only in this backend's memory, statements
are PREPAREd and EXPLAINed (never executed) in the read-only session, and every call is
bounded by statement_timeout plus a time budget for the whole validation.
"""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from typing import Any

import psycopg

from advisor.errors import FactUnavailable, TargetLost
from advisor.engines.postgres.facts_statements import index_statement_limit
from advisor.facts import provides
from advisor.indexadvisor.candidates import Candidate, Policy
from advisor.indexadvisor.catalog import Catalog
from advisor.indexadvisor.ddl import pg_create_index
from advisor.indexadvisor.workload import analyse_workload, issues_to_dicts, parse_workload

from .facts_indexes import partitions_of

HYPOPG_ENABLE = "CREATE EXTENSION hypopg; in this database (package postgresql-<major>-hypopg)"
_MAX_TABLE_NAMES = 5000
_PREPARED = "db_advisor_ia"


def _workload_rows(facts) -> list[dict[str, Any]]:
    """This database's top statements by total time, from pg.statements (which ranks this
    database's statements in SQL, up to options.index_statement_limit)."""
    db = facts.get("pg.server")["database"]
    rows = [r for r in facts.get("pg.statements")["rows"] if r.get("database") == db]
    return [r for r in rows[:index_statement_limit(facts)]
            if r.get("query") and r["query"] != "<insufficient privilege>"]


def _workload(facts):
    return parse_workload(_workload_rows(facts), "postgres", "queryid", "query")


@provides("postgres", "pg.index_catalog")
def index_catalog(s, facts) -> dict[str, Any]:
    """Columns (type, pg_stats n_distinct/null_frac), indexes and row estimates of the
    tables the top statements name, plus search_path and the database collation."""
    names = sorted(_workload(facts).table_names())[:_MAX_TABLE_NAMES]
    meta = s.query("SELECT current_schemas(false) AS search_path, "
                   "(SELECT datcollate FROM pg_database WHERE datname = current_database()) AS collate")[0]
    out = {"search_path": list(meta["search_path"] or []), "collate": meta["collate"], "tables": []}
    if not names:
        return out
    rows = s.query("""
        SELECT n.nspname AS schema, c.relname AS name, c.oid::bigint AS relid, c.relkind::text AS kind,
               greatest(c.reltuples, 0)::float8 AS rows, a.attname AS column,
               format_type(a.atttypid, a.atttypmod) AS type
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relname = ANY(%s) AND c.relkind IN ('r', 'p', 'm')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg\\_%%'
        ORDER BY c.oid, a.attnum
        LIMIT 200000
    """, (names,))
    indexes = s.query("""
        SELECT ix.indrelid::bigint AS relid, i.relname AS name, ix.indisunique AS unique,
               ix.indisprimary AS primary, ix.indisvalid AS valid, am.amname AS method,
               ix.indpred IS NOT NULL AS partial,
               ARRAY(SELECT a.attname FROM unnest(ix.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                     LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum
                     WHERE k.ord <= ix.indnkeyatts ORDER BY k.ord) AS columns
        FROM pg_index ix
        JOIN pg_class i ON i.oid = ix.indexrelid
        JOIN pg_class c ON c.oid = ix.indrelid
        JOIN pg_am am ON am.oid = i.relam
        WHERE c.relname = ANY(%s)
        LIMIT 100000
    """, (names,))
    stats = _column_stats(s, names)
    tables: dict[int, dict[str, Any]] = {}
    for r in rows:
        t = tables.setdefault(r["relid"], {"schema": r["schema"], "name": r["name"], "rows": r["rows"],
                                           "kind": r["kind"], "columns": [], "indexes": []})
        n_distinct, null_frac = stats.get((r["schema"], r["name"], r["column"]), (None, None))
        t["columns"].append({"name": r["column"], "type": r["type"], "n_distinct": n_distinct,
                             "null_frac": null_frac})
    for ix in indexes:
        if ix["relid"] in tables:
            tables[ix["relid"]]["indexes"].append(
                {k: ix[k] for k in ("name", "unique", "primary", "valid", "method", "partial", "columns")})
    for relid, parts in partitions_of(s, [r for r, t in tables.items() if t.get("kind") == "p"]).items():
        tables[relid]["partitions"] = [list(p) for p in parts]
    out["tables"] = list(tables.values())
    return out


def _column_stats(s, names: list[str]) -> dict[tuple[str, str, str], tuple[Any, Any]]:
    """pg_stats n_distinct/null_frac by (schema, table, column), in a query of its own: a
    LEFT JOIN of pg_stats into the catalog query is planned as a nested loop that filters
    millions of rows on a big catalog (0.85 s at 5,000 tables)."""
    rows = s.query("""
        SELECT schemaname AS schema, tablename AS name, attname AS column,
               n_distinct::float8 AS n_distinct, null_frac::float8 AS null_frac
        FROM pg_stats
        WHERE tablename = ANY(%s) AND NOT inherited
        LIMIT 200000
    """, (names,))
    return {(r["schema"], r["name"], r["column"]): (r["n_distinct"], r["null_frac"]) for r in rows}


def _policy(facts) -> Policy:
    o = facts.options
    collate = (facts.get("pg.index_catalog").get("collate") or "").upper()
    return Policy(min_table_rows=float(o.get("index_min_table_rows", Policy.min_table_rows)),
                  max_selectivity=float(o.get("index_max_selectivity", Policy.max_selectivity)),
                  narrow_rows=float(o.get("index_narrow_rows", Policy.narrow_rows)),
                  pattern_ops=collate not in ("C", "POSIX"))


@provides("postgres", "pg.index_candidates")
def index_candidates(s, facts) -> dict[str, Any]:
    """Candidate indexes for this database's top statements, with HypoPG costs when possible.

    Per validated statement: the generic-plan cost without hypothetical indexes, with all
    of the statement's candidates, and with all but each used one (its marginal effect).
    """
    cat_fact = facts.get("pg.index_catalog")
    catalog = Catalog.from_fact(cat_fact)
    rows = _workload_rows(facts)
    w = _workload(facts)
    analysis = analyse_workload(w, catalog, _policy(facts))
    plan = analysis.plan
    partitioned = {f"{t['schema']}.{t['name']}": [tuple(p) for p in t["partitions"]]
                   for t in cat_fact["tables"] if "partitions" in t}
    cands = []
    for i, c in enumerate(plan.candidates):
        d = c.to_dict()
        d.update(id=i, ddl=pg_create_index(c.table, c.columns, c.desc, c.opclass,
                                           partitions=partitioned.get(c.table)))
        cands.append(d)
    by_id = {str(r["queryid"]): r for r in rows}
    statements = [{"queryid": k, "calls": by_id[k]["calls"], "total_ms": by_id[k]["total_ms"],
                   "exec_ms": by_id[k].get("exec_ms", by_id[k]["total_ms"]), "mean_ms": by_id[k]["mean_ms"],
                   "rows": by_id[k]["rows"], "query": by_id[k]["query"][:1000]}
                  for k in w.parsed.keys() | w.failures.keys() if k in by_id]
    ext = facts.get("pg.extensions")
    hypopg = {"installed": ext["installed"].get("hypopg"), "available": ext["available"].get("hypopg")}
    out = {"hypopg": hypopg, "validated": False, "validation_note": None,
           "statements_analysed": len(rows), "parse_failures": len(analysis.failures),
           "failure_reasons": _count(analysis.failures.values()),
           "failed_statements": sorted(analysis.failures),
           "statements": statements, "candidates": cands,
           "rejected": [r.to_dict() for r in plan.rejected], "covered": plan.covered,
           "issues": issues_to_dicts(analysis.shapes), "validation": {}}
    for issue in out["issues"]:  # their expression/trigram index DDL is written per partition
        if issue.get("table") in partitioned:
            issue["partitions"] = [list(p) for p in partitioned[issue["table"]]]
    if not hypopg["installed"]:
        out["validation_note"] = "hypopg is not installed in this database: suggestions are unvalidated"
        return out
    budget = float(facts.options.get("index_validation_seconds", 30))
    limit = int(facts.options.get("index_validation_statements", 200))
    order = sorted(plan.by_statement, key=lambda k: -(by_id.get(k, {}).get("total_ms") or 0))
    deadline = time.monotonic() + budget
    out["validation"] = _validate(s, order[:limit], by_id, analysis.shapes, plan.candidates, plan.by_statement,
                                  catalog, deadline)
    _validate_expressions(s, out["issues"], by_id, analysis.shapes, catalog, deadline)
    out["validated"] = True
    if len(order) > limit:
        out["validation_note"] = f"only the {limit} most expensive statements with candidates were validated"
    return out


def _count(values) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1])[:20])


# ---- HypoPG validation -------------------------------------------------------------------

class _StatementError(Exception):
    pass


def _run(s, sql: str, params: Any = None) -> list[dict[str, Any]]:
    """s.query, with errors of the one statement being judged turned into _StatementError."""
    try:
        return s.query(sql, params)
    except TargetLost:
        raise
    except FactUnavailable as e:
        raise _StatementError(e.reason) from None
    except psycopg.Error as e:
        raise _StatementError(str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__) from None


def _param_count(query: str) -> int:
    return max((int(n) for n in re.findall(r"\$(\d+)", query)), default=0)


class _Explainer:
    """EXPLAIN of a statement's generic plan: EXPLAIN (GENERIC_PLAN) on PG16+, else
    PREPARE + plan_cache_mode = force_generic_plan + EXPLAIN EXECUTE with NULL arguments
    (re-PREPAREd each time, so a cached plan never hides a new hypothetical index)."""

    def __init__(self, s, query: str, param_types: list[str]):
        self.s = s
        self.query = query
        self.n = _param_count(query)
        self.param_types = param_types
        self.generic = s.version_num >= 160000
        self.typed: list[str] | None = None

    def cost(self) -> tuple[float, set[str]]:
        if self.generic:
            plan = _run(self.s, "EXPLAIN (GENERIC_PLAN, FORMAT JSON) " + self.query)[0]
        else:
            self._prepare()
            try:
                args = ", ".join(["NULL"] * self.n)
                plan = _run(self.s, f"EXPLAIN (FORMAT JSON) EXECUTE {_PREPARED}" + (f"({args})" if self.n else ""))[0]
            finally:
                _deallocate(self.s)
        doc = next(iter(plan.values()))
        root = doc[0]["Plan"]
        return float(root["Total Cost"]), set(_index_names(root))

    def _prepare(self) -> None:
        _deallocate(self.s)
        attempts = [self.typed] if self.typed is not None else [
            None, self.param_types, [t if t != "unknown" else "text" for t in self.param_types]]
        err = None
        for types in attempts:
            head = f"PREPARE {_PREPARED}" + (f"({', '.join(types)})" if types else "")
            try:
                _run(self.s, f"{head} AS {self.query}")
                self.typed = types
                return
            except _StatementError as e:
                err = e
                if not self.n:
                    break
        raise err or _StatementError("cannot prepare")


def _deallocate(s) -> None:
    try:
        _run(s, f"DEALLOCATE {_PREPARED}")
    except _StatementError:
        pass


def _index_names(node: dict[str, Any]):
    if "Index Name" in node:
        yield node["Index Name"]
    for child in node.get("Plans", []):
        yield from _index_names(child)


def _param_types(shape, query: str, catalog: Catalog) -> list[str]:
    tables = catalog.tables_by_key()
    types = []
    for i in range(1, _param_count(query) + 1):
        ref = shape.params.get(str(i))
        col = tables[ref[0]].columns.get(ref[1]) if ref and ref[0] in tables else None
        types.append(col.type if col is not None and col.type else "unknown")
    return types


def _hypo_create(s, c: Candidate) -> str:
    ddl = pg_create_index(c.table, c.columns, c.desc, c.opclass, lock_note=False).replace(" CONCURRENTLY", "")
    row = _run(s, "SELECT indexname FROM hypopg_create_index(%s)", (ddl.rstrip(";"),))[0]
    return row["indexname"]


def _with_indexes(s, ex: _Explainer, cands: dict[int, Candidate]) -> tuple[float, set[int]]:
    _run(s, "SELECT hypopg_reset()")
    names = {_hypo_create(s, c): i for i, c in cands.items()}
    cost, used = ex.cost()
    return cost, {names[n] for n in used if n in names}


@contextmanager
def _generic_plans(s):
    """force_generic_plan for the session while validating; hypothetical indexes dropped after."""
    try:
        _run(s, "SET plan_cache_mode = force_generic_plan")
    except _StatementError:
        pass
    try:
        yield
    finally:
        for sql in ("SELECT hypopg_reset()", "RESET plan_cache_mode"):
            try:
                _run(s, sql)
            except _StatementError:
                pass


def _validate(s, keys, by_id, shapes, candidates, by_statement, catalog, deadline: float) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with _generic_plans(s):
        for k in keys:
            if time.monotonic() > deadline:
                results[k] = {"error": "not validated: time budget used up (index_validation_seconds)"}
                continue
            query = by_id[k]["query"]
            ex = _Explainer(s, query, _param_types(shapes[k], query, catalog))
            mine = {i: candidates[i] for i in by_statement[k]}
            try:
                _run(s, "SELECT hypopg_reset()")
                before, _ = ex.cost()
                after, used = _with_indexes(s, ex, mine)
                without = {}
                for i in sorted(used):
                    others = {j: c for j, c in mine.items() if j != i}
                    without[str(i)] = _with_indexes(s, ex, others)[0] if others else before
                results[k] = {"cost_before": before, "cost_after": after, "used": sorted(used),
                              "cost_without": without}
            except _StatementError as e:
                results[k] = {"error": str(e)}
    return results


def _validate_expressions(s, issues, by_id, shapes, catalog, deadline: float) -> None:
    """Cost of each function-on-column statement with the suggested expression index
    (hypothetical); stored in the issue as "validation"."""
    with _generic_plans(s):
        for i in issues:
            if i["kind"] != "function_on_column" or not i.get("index_expression") or not i.get("table") \
                    or i["statement"] not in by_id or time.monotonic() > deadline:
                continue
            query = by_id[i["statement"]]["query"]
            ex = _Explainer(s, query, _param_types(shapes[i["statement"]], query, catalog))
            ddl = pg_create_index(i["table"], [], expression=i["index_expression"],
                                  lock_note=False).replace(" CONCURRENTLY", "")
            try:
                _run(s, "SELECT hypopg_reset()")
                before, _ = ex.cost()
                name = _run(s, "SELECT indexname FROM hypopg_create_index(%s)", (ddl.rstrip(";"),))[0]["indexname"]
                after, used = ex.cost()
                i["validation"] = {"cost_before": before, "cost_after": after, "used": name in used}
            except _StatementError as e:
                i["validation"] = {"error": str(e)}
