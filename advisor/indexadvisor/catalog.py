"""What the parser and candidate builder know about tables: columns, statistics, indexes.

Built from a JSON-able fact (rows of tables, columns and indexes), so a snapshot
run sees exactly what a live run saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Column:
    name: str
    type: str = ""
    n_distinct: float | None = None   # pg_stats convention: < 0 means a fraction of the rows
    null_frac: float | None = None

    def distinct(self, rows: float) -> float | None:
        """Estimated number of distinct values (None when there are no statistics)."""
        if self.n_distinct is None:
            return None
        if self.n_distinct < 0:
            return max(1.0, -self.n_distinct * max(rows, 1.0))
        return max(1.0, self.n_distinct)


@dataclass
class Index:
    name: str
    columns: list[str | None]        # None for an expression column
    unique: bool = False
    primary: bool = False
    method: str = "btree"
    partial: bool = False
    valid: bool = True


@dataclass
class Table:
    schema: str
    name: str
    rows: float = 0.0
    columns: dict[str, Column] = field(default_factory=dict)
    indexes: list[Index] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.schema}.{self.name}"


class Catalog:
    """Tables by schema-qualified key, with name resolution through a search path."""

    def __init__(self, tables: list[Table], search_path: list[str] | None = None,
                 case_sensitive: bool = True):
        self.case_sensitive = case_sensitive
        self.tables = {self._norm(t.key): t for t in tables}
        self.search_path = search_path or ["public"]
        self._by_name: dict[str, list[Table]] = {}
        for t in tables:
            self._by_name.setdefault(self._norm(t.name), []).append(t)

    def _norm(self, s: str) -> str:
        return s if self.case_sensitive else s.lower()

    def with_search_path(self, search_path: list[str]) -> "Catalog":
        """The same tables, resolving unqualified names along another path (MySQL: the
        digest's default schema)."""
        other = object.__new__(Catalog)
        other.__dict__.update(self.__dict__, search_path=search_path)
        return other

    def tables_by_key(self) -> dict[str, Table]:
        return {t.key: t for t in self.tables.values()}

    def resolve(self, name: str, schema: str | None = None) -> Table | None:
        """The table `schema.name`, or the first `name` along the search path."""
        if schema:
            return self.tables.get(self._norm(f"{schema}.{name}"))
        candidates = self._by_name.get(self._norm(name), [])
        for s in self.search_path:
            for t in candidates:
                if self._norm(t.schema) == self._norm(s):
                    return t
        return candidates[0] if len(candidates) == 1 and not self.search_path else None

    @classmethod
    def from_fact(cls, fact: dict[str, Any], case_sensitive: bool = True) -> "Catalog":
        """fact = {"search_path": [...], "tables": [{schema, name, rows, columns: [...], indexes: [...]}]}"""
        tables = []
        for t in fact.get("tables", []):
            cols = {c["name"]: Column(c["name"], c.get("type") or "", c.get("n_distinct"), c.get("null_frac"))
                    for c in t.get("columns", [])}
            if not case_sensitive:
                cols = {k.lower(): v for k, v in cols.items()}
            fold = (lambda c: c) if case_sensitive else (lambda c: c.lower() if c else c)
            idx = [Index(i["name"], [fold(c) for c in i.get("columns") or []], bool(i.get("unique")),
                         bool(i.get("primary")), i.get("method") or "btree", bool(i.get("partial")),
                         i.get("valid", True) is not False)
                   for i in t.get("indexes", [])]
            tables.append(Table(t["schema"], t["name"], float(t.get("rows") or 0), cols, idx))
        return cls(tables, fact.get("search_path"), case_sensitive)
