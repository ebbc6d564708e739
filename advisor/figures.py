"""Figures: the few numbers of a run that the history keeps, so later runs can compute rates.

Read from the facts a run collected (never from the server), per engine. Names are
`<kind>:<object>` (e.g. `seq:public.orders_id_seq`) or a plain name for the server. The
largest tables only (TOP_TABLES), so that a file grows by a bounded amount per run.
"""

from __future__ import annotations

from typing import Any, Callable

TOP_TABLES = 100


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _rows(fact: Any) -> list[dict[str, Any]]:
    return fact.get("rows", []) if isinstance(fact, dict) else (fact or [])


def pg_table_sizes(tables: Any) -> dict[str, float]:
    """schema.table -> bytes (heap, TOAST and indexes) from the pg.tables fact."""
    return {t["qualified"]: float(t.get("heap_bytes") or 0) + float(t.get("other_bytes") or 0)
            for t in _rows(tables) if t.get("qualified")}


def mysql_table_sizes(tables: Any) -> dict[str, float]:
    """schema.table -> bytes (data and indexes, as information_schema estimates them)."""
    return {f"{t.get('schema')}.{t.get('table')}": float(t.get("data_bytes") or 0) + float(t.get("index_bytes") or 0)
            for t in _rows(tables)}


def _sizes(out: dict[str, float], sizes: dict[str, float]) -> None:
    """The largest tables' sizes and the total: what the growth forecasts compare."""
    for name, size in sorted(sizes.items(), key=lambda kv: -kv[1])[:TOP_TABLES]:
        out[f"table_bytes:{name}"] = size
    if sizes:
        out["tables_bytes"] = sum(sizes.values())


def _pg(values: dict[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for r in (values.get("pg.sequences") or {}).get("rows", []):
        if _num(r.get("last_value")) is not None:
            out[f"seq:{r['sequence']}"] = float(r["last_value"])
    for d in values.get("pg.databases") or []:
        for key in ("xid_age", "mxid_age"):
            if _num(d.get(key)) is not None:
                out[f"{key}:{d['name']}"] = float(d[key])
    _sizes(out, pg_table_sizes(values.get("pg.tables")))
    act = values.get("pg.activity") or {}   # connection limits: also what a PgBouncer of the run is judged on
    for key in ("max_connections", "superuser_reserved", "reserved", "client_backends"):
        if _num(act.get(key)) is not None:
            out[key] = float(act[key])
    return out


def _mysql(values: dict[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    tables = values.get("mysql.tables")
    for t in _rows(tables):
        if _num(t.get("auto_increment")) is not None and t.get("auto_increment_column"):
            out[f"autoinc:{t.get('schema')}.{t.get('table')}"] = float(t["auto_increment"])
    _sizes(out, mysql_table_sizes(tables))
    return out


def _redis(values: dict[str, Any]) -> dict[str, float]:
    memory = (values.get("redis.info") or {}).get("memory") or {}
    return {k: float(memory[k]) for k in ("used_memory", "maxmemory") if _num(memory.get(k)) is not None}


def _mongo(values: dict[str, Any]) -> dict[str, float]:
    oplog = values.get("mongo.oplog") or {}
    out = {}
    if _num(oplog.get("window_seconds")) is not None:
        out["oplog_window_s"] = float(oplog["window_seconds"])
    return out


_BY_ENGINE: dict[str, Callable[[dict[str, Any]], dict[str, float]]] = {
    "postgres": _pg, "mysql": _mysql, "redis": _redis, "mongo": _mongo,
}

# the facts each engine's figures are read from
FACTS: dict[str, tuple[str, ...]] = {
    "postgres": ("pg.sequences", "pg.databases", "pg.tables"),
    "mysql": ("mysql.tables",),
    "redis": ("redis.info",),
    "mongo": ("mongo.oplog",),
}

# What a sampling window (`--sample`) gives a rate for when no earlier run is known: counters
# consumed one by one (sequence and AUTO_INCREMENT values, XID and MultiXact ages), read at
# both ends of the window from these facts. Sizes, memory use and the oplog window move in
# steps (extents, the allocator, oplog truncation): extrapolated from seconds to days they
# would raise false alarms, so their rate comes from the history only.
WINDOW_FACTS: dict[str, tuple[str, ...]] = {
    "postgres": ("pg.sequences", "pg.databases"),
    "mysql": ("mysql.tables",),
}
WINDOW_FIGURES = ("seq:", "autoinc:", "xid_age:", "mxid_age:")


def figures(engine: str, values: dict[str, Any]) -> dict[str, float]:
    fn = _BY_ENGINE.get(engine)
    return fn(values) if fn else {}


def window_figures(engine: str, values: dict[str, Any]) -> dict[str, float]:
    """The figures a sampling window's two reads give a rate for (WINDOW_FIGURES)."""
    return {k: v for k, v in figures(engine, values).items() if k.startswith(WINDOW_FIGURES)}
