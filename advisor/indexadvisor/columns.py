"""The index columns statements ask of one table, without catalog statistics: for checks
that already know the table (pg.index.missing) and want to name its filter columns."""

from __future__ import annotations

from typing import Iterable

from .candidates import Candidate, Policy, build
from .catalog import Catalog, Table
from .shapes import ParseFailure
from .workload import analyse_parsed as analyse, parse_cached

_ANY = Policy(min_table_rows=0, max_selectivity=1.0, pattern_ops=False)


def filter_columns(queries: Iterable[str], schema: str, table: str, dialect: str = "postgres",
                   default_schema: str | None = None) -> list[str]:
    """Columns (equality first, then range, then sort) of the first statement that filters,
    joins or sorts schema.table; [] when none does. Unqualified names resolve to
    default_schema (MySQL: the digest's schema), else to schema."""
    t = Table(schema, table, rows=1.0)
    home = default_schema or schema
    for q in queries:
        try:
            parsed = parse_cached(f"text:{hash(q)}", q, dialect)
            # the other tables too (columns unknown), so join columns are not taken for constants
            others = {(s or home, n) for s, n in parsed.table_names} - {(schema, table)}
            catalog = Catalog([t] + [Table(s, n, rows=1.0) for s, n in sorted(others)], [home])
            shape = analyse(parsed, catalog)
        except ParseFailure:
            continue
        for use in shape.uses:
            if use.table != t.key:
                continue
            use.others_filtered = use.others_filtered or use.tables_in_block > 1
            c = build(use, t, _ANY)
            if isinstance(c, Candidate):
                return c.columns
    return []
