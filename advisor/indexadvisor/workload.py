"""A workload (statement rows from pg_stat_statements or the MySQL digest table) -> shapes
and a candidate plan. Parsing is cached by (dialect, statement key, text), so a second
run, or a second engine fact in the same run, parses nothing again.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

from .candidates import Plan, Policy, plan
from .catalog import Catalog
from .shapes import ParseFailure, Shape

if TYPE_CHECKING:
    from .predicates import Parsed

_CACHE: "OrderedDict[tuple, Parsed | ParseFailure]" = OrderedDict()
CACHE_SIZE = 50_000


def parse_cached(key: str, text: str, dialect: str) -> Parsed:
    """parse() memoized by statement key and text; raises ParseFailure (also memoized)."""
    k = (dialect, key, hash(text))
    hit = _CACHE.get(k)
    if hit is None:
        try:
            from .predicates import parse  # sqlglot: only once there is a statement to read
            hit = parse(text, dialect)
        except ParseFailure as e:
            hit = e
        _CACHE[k] = hit
        if len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(k)
    if isinstance(hit, ParseFailure):
        raise hit
    return hit


def clear_cache() -> None:
    _CACHE.clear()


@dataclass
class Workload:
    parsed: dict[str, Parsed] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)

    def table_names(self) -> set[str]:
        """Every table name the statements mention (unqualified, as written and lower-cased)."""
        out: set[str] = set()
        for p in self.parsed.values():
            for _, name in p.table_names:
                out.update((name, name.lower()))
        return out


def parse_workload(rows: Iterable[dict[str, Any]], dialect: str, key: str, text: str) -> Workload:
    w = Workload()
    for r in rows:
        k, t = str(r.get(key)), r.get(text)
        if not t:
            continue
        try:
            w.parsed[k] = parse_cached(k, t, dialect)
        except ParseFailure as e:
            w.failures[k] = str(e)
    return w


@dataclass
class Analysis:
    shapes: dict[str, Shape]
    plan: Plan
    failures: dict[str, str]


def analyse_workload(w: Workload, catalog: Catalog, policy: Policy) -> Analysis:
    shapes: dict[str, Shape] = {}
    failures = dict(w.failures)
    for k, p in w.parsed.items():
        try:
            shapes[k] = analyse_parsed(p, catalog)
        except ParseFailure as e:
            failures[k] = str(e)
    return Analysis(shapes, plan(shapes, catalog.tables_by_key(), policy), failures)


def issues_to_dicts(shapes: dict[str, Shape]) -> list[dict[str, Any]]:
    out = []
    for k, s in shapes.items():
        seen = set()
        for i in s.issues:
            sig = (i.kind, i.table, tuple(i.columns))
            if sig in seen:
                continue
            seen.add(sig)
            out.append({"statement": k, "kind": i.kind, "table": i.table, "columns": i.columns,
                        "expression": i.expression, "index_expression": i.index_expression})
    return out


def analyse_parsed(parsed: "Parsed", catalog: Catalog) -> Shape:
    from .predicates import analyse
    return analyse(parsed, catalog)
