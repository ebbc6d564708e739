"""What the predicate analysis finds, as plain data: no sqlglot here, so the modules that
only read shapes and candidates (checks, the engines' facts) load without the parser;
sqlglot is imported when there are statements to analyze (predicates.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

EQ, IN, RANGE, ISNULL, PREFIX, JOIN = "eq", "in", "range", "isnull", "prefix", "join"


class ParseFailure(Exception):
    """The text is not a statement the advisor can reason about (reason in the message)."""


@dataclass
class TableUse:
    """One reference to a table inside one query block, with what the block asks of it."""

    table: str                    # schema.table key of the catalog
    alias: str
    preds: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in (EQ, IN, RANGE, ISNULL, PREFIX, JOIN)})
    in_sizes: dict[str, int] = field(default_factory=dict)
    order: list[tuple[str, bool]] = field(default_factory=list)   # (column, descending)
    group: list[str] = field(default_factory=list)
    limit: bool = False
    tables_in_block: int = 1
    others_filtered: bool = False  # another table of the block has its own filter
    correlated: bool = False       # compared with an outer block's column (EXISTS / IN subquery)
    bounded: list[str] = field(default_factory=list)   # range columns with both bounds (BETWEEN)

    def add(self, kind: str, column: str) -> None:
        if kind == RANGE and column in self.preds[RANGE] and column not in self.bounded:
            self.bounded.append(column)   # a second range condition: both bounds
        if column not in self.preds[kind]:
            self.preds[kind].append(column)

    @property
    def filtered(self) -> bool:
        return any(self.preds[k] for k in (EQ, IN, RANGE, ISNULL, PREFIX))


@dataclass
class Issue:
    """A predicate a plain btree index on the column cannot serve, and what would."""

    kind: str                     # or_across_columns | function_on_column | leading_wildcard | ...
    table: str | None
    columns: list[str]
    expression: str               # the predicate as written (normalized)
    index_expression: str | None = None   # for an expression index, the indexed expression


@dataclass
class Shape:
    kind: str
    uses: list[TableUse]
    issues: list[Issue]
    params: dict[str, tuple[str, str]]   # parameter ("1", "?3") -> (table key, column) it is compared with
    unresolved: list[str]                # tables not found in the catalog
