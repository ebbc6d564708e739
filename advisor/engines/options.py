"""Declared engine options: `[options.<engine>]` in advisor.toml and `options = {...}` of an
inventory target. Providers read them from `facts.options`; a name or type not declared here is
a usage error (exit 2) before anything connects. `advisor options` lists this table.

`timeout` is not an engine option: it is the run's own setting (`--timeout`, `timeout =`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_TIMEOUT = 10.0  # seconds: connecting and each query (the only place this default is written)


@dataclass(frozen=True)
class Option:
    name: str
    type: type  # int, float (any number), bool or str
    default: Any
    help: str

    def check(self, value: Any) -> str | None:
        """Why `value` cannot be this option, or None."""
        t = self.type
        ok = (isinstance(value, bool) if t is bool else
              isinstance(value, int) and not isinstance(value, bool) if t is int else
              isinstance(value, (int, float)) and not isinstance(value, bool) if t is float else
              isinstance(value, str))
        if not ok:
            kind = {int: "whole number", float: "number", bool: "boolean", str: "string"}[t]
            return f"must be a {kind}, not {value!r}"
        return None


def _table(*options: Option) -> dict[str, Option]:
    return {o.name: o for o in options}


_INDEX_ADVISOR = (
    Option("index_statement_limit", int, 500, "index advisor: statements read (top by total time)"),
    Option("index_min_table_rows", float, 500, "index advisor: smaller tables get no suggestion"),
    Option("index_max_selectivity", float, 0.2, "index advisor: a condition matching more of the rows "
                                                "gets no suggestion"),
    Option("index_narrow_rows", float, 20, "index advisor: leading equality columns leaving this few rows "
                                           "per lookup serve the rest"),
)

OPTIONS: dict[str, dict[str, Option]] = {
    "postgres": _table(
        Option("statement_limit", int, 500, "pg_stat_statements rows read (top by total time)"),
        Option("all_databases", bool, False, "judge every database's statements and cache ratio, not only "
                                             "the URL's database"),
        Option("activity_limit", int, 20000, "sessions read from pg_stat_activity"),
        Option("query_text_chars", int, 200, "query text kept per reported session"),
        Option("database_limit", int, 5000, "databases read for XID age"),
        Option("table_limit", int, 20000, "tables read (biggest first)"),
        Option("index_limit", int, 20000, "indexes read (biggest first); also bounds bloat estimates"),
        Option("bloat_min_index_pages", int, 10, "smaller indexes are not estimated for bloat"),
        Option("bloat_min_table_pages", int, 128, "smaller tables are not estimated for bloat"),
        Option("bloat_pgstattuple", bool, True, "measure table bloat with pgstattuple_approx when installed"),
        Option("bloat_pgstattuple_limit", int, 20, "tables measured with pgstattuple_approx (largest first)"),
        Option("bloat_table_limit", int, 5000, "tables given the catalog bloat estimate (largest first)"),
        Option("lock_waiter_limit", int, 1000, "waiting sessions read from pg_locks"),
        Option("fk_limit", int, 20000, "foreign keys read"),
        Option("sequence_limit", int, 20000, "sequences read"),
        Option("constraint_limit", int, 1000, "constraints read"),
        Option("cache_table_limit", int, 10, "tables listed per cache finding"),
        *_INDEX_ADVISOR,
        Option("index_validation_seconds", float, 30, "index advisor: time budget of the HypoPG EXPLAINs"),
        Option("index_validation_statements", int, 200, "index advisor: at most this many statements validated"),
    ),
    "mysql": _table(
        Option("statement_limit", int, 500, "statement digests read (top by total latency)"),
        Option("table_limit", int, 20000, "base tables read (biggest first)"),
        Option("index_column_limit", int, 200000, "index columns read"),
        Option("index_usage_limit", int, 100000, "index usage rows read"),
        Option("all_schemas", bool, False, "judge every schema, not only the URL's database"),
        *_INDEX_ADVISOR,
        Option("index_sample_rows", int, 10000, "index advisor: rows read per table to estimate selectivity "
                                                "(0: no sampling)"),
    ),
    "mongo": _table(
        Option("collection_limit", int, 2000, "collections measured (views are counted)"),
        Option("profile_limit", int, 1000, "newest profiler entries read per database"),
        Option("profile_values", bool, False, "keep literal values in profiled filters"),
        Option("catalog_budget", float, 60, "seconds for the catalog walks overall"),
        Option("include_system_dbs", bool, False, "also read admin, local and config"),
    ),
    "redis": _table(
        Option("sample_keys", int, 100_000, "keys inspected at most (shared by the databases)"),
        Option("sample_seconds", float, 10.0, "time budget of the key sampling"),
        Option("scan_count", int, 1000, "SCAN ... COUNT: keys per round trip"),
        Option("memory_samples", int, 5, "MEMORY USAGE key SAMPLES n"),
        Option("top_keys", int, 50, "biggest keys kept in the facts"),
        Option("prefix_separators", str, ":", "key prefix = text up to the first separator"),
        Option("lookup_budget_pct", float, 1.0, "keyspace lookups (TYPE, PTTL, lengths) a run may add, "
                                                "in % of the keys sampled: keyspace_hits stay unmoved"),
        Option("lookup_budget_min", int, 100, "the lookup budget's floor, for small keyspaces"),
        Option("slowlog_entries", int, 128, "SLOWLOG GET n"),
        Option("client_list_max", int, 10_000, "CLIENT LIST is skipped above this many clients"),
    ),
    "pgbouncer": _table(
        Option("client_limit", int, 10_000, "rows read from SHOW CLIENTS (the rest are counted, not kept)"),
        Option("server_limit", int, 10_000, "rows read from SHOW SERVERS (the rest are counted, not kept)"),
    ),
}


def problems(engine: str, values: dict[str, Any]) -> list[str]:
    """What is wrong with `values` as [options.<engine>]: unknown names (with the valid ones) and
    ill-typed values. Empty when they are fine."""
    declared = OPTIONS.get(engine, {})
    out = []
    for name, value in values.items():
        o = declared.get(name)
        if o is None:
            hint = (" (timeout is the run's setting: timeout = ... at the top of the file, or --timeout)"
                    if name == "timeout" else "")
            out.append(f"{engine} has no option {name!r}{hint} (valid: {', '.join(sorted(declared))})")
        else:
            why = o.check(value)
            if why:
                out.append(f"option {engine}.{name} {why}")
    return out
