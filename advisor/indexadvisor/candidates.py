"""TableUse -> candidate index: equality columns (most selective first), then one range
column, then sort columns where they can avoid a sort; dropped when an existing index
already serves it, merged when one candidate is a prefix of another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .catalog import Index, Table
from .shapes import EQ, IN, ISNULL, JOIN, PREFIX, RANGE, Shape, TableUse

DEFAULT_INEQ_SEL = 1 / 3     # PostgreSQL's estimate for `col > $1` with an unknown value
DEFAULT_RANGE_INEQ_SEL = 0.005   # ... and for `col BETWEEN $1 AND $2` / a constant-prefix LIKE
MAX_COLUMNS = 5


@dataclass
class Policy:
    """What makes a candidate not worth proposing (before any cost validation)."""

    min_table_rows: float = 500        # PgHero skips tables under 500 rows
    max_selectivity: float = 0.2       # an equality matching > 20% of rows rarely beats a scan
    pattern_ops: bool = True           # prefix LIKE needs text_pattern_ops (non-C collation)
    narrow_rows: float = 20            # an index whose leading equality columns leave this few rows
                                       # per lookup serves the rest of the condition as a filter


@dataclass
class Candidate:
    table: str
    columns: list[str]
    desc: list[bool]
    equality: int                    # leading columns compared by =/IN/IS NULL/join (order-free)
    kind: str                        # filter | join | sort
    opclass: list[str | None] = field(default_factory=list)
    selectivity: float | None = None
    statements: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple:
        return (self.table, tuple(self.columns), tuple(self.desc))

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "columns": self.columns, "desc": self.desc, "equality": self.equality,
                "kind": self.kind, "opclass": self.opclass, "selectivity": self.selectivity,
                "statements": self.statements}


@dataclass
class Rejected:
    table: str
    columns: list[str]
    reason: str
    statements: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "columns": self.columns, "reason": self.reason,
                "statements": self.statements}


def _distinct(t: Table, col: str) -> float | None:
    c = t.columns.get(col)
    return c.distinct(t.rows) if c else None


def _eq_selectivity(t: Table, col: str, kind: str, in_size: int = 1) -> float | None:
    c = t.columns.get(col)
    if c is None or c.n_distinct is None:
        return None
    if kind == ISNULL:
        return max(c.null_frac or 0.0, 0.0001)
    nd = c.distinct(t.rows) or 1.0
    return min(1.0, (1.0 - (c.null_frac or 0.0)) * in_size / nd)


def _product(values: list[float | None]) -> float | None:
    out = 1.0
    for v in values:
        if v is None:
            return None
        out *= v
    return out


def build(use: TableUse, t: Table, policy: Policy) -> Candidate | Rejected | None:
    """The index one table reference asks for, a reason not to build one, or None."""
    p = use.preds
    eq = [c for c in p[EQ] + p[ISNULL] if c not in p[IN]]
    ins = [c for c in p[IN] if c not in eq]
    joins = [c for c in p[JOIN] if c not in eq and c not in ins]
    ranges = [c for c in p[RANGE] + p[PREFIX] if c not in eq and c not in ins]
    order = [(c, d) for c, d in use.order if c not in eq]

    def by_selectivity(cols: list[str]) -> list[str]:
        return sorted(cols, key=lambda c: (-(_distinct(t, c) or 0.0), c))

    sel: float | None = 1.0
    sort_used = False
    driven = bool(joins) and (use.others_filtered or use.correlated)
    local_sel = _product([_eq_selectivity(t, c, ISNULL if c in p[ISNULL] else EQ) for c in eq] +
                         [_eq_selectivity(t, c, IN, use.in_sizes.get(c, 3)) for c in ins])
    weak_local = not ranges and not order and local_sel is not None and local_sel > policy.max_selectivity
    if driven and (not use.filtered or weak_local):
        # the inner side of a nested loop / semi-join: look up by the join column(s)
        kind = "join"
        cols = by_selectivity(joins) + by_selectivity(eq)
        equality = len(cols)
        desc = [False] * len(cols)
        sel = _product([_eq_selectivity(t, c, EQ) for c in cols])
    elif use.filtered:
        kind = "filter"
        cols = by_selectivity(eq) + by_selectivity(ins)
        sel = local_sel
        equality = len(cols)
        desc = [False] * len(cols)
        rng = None
        if ranges:
            rng = order[0][0] if order and order[0][0] in ranges else ranges[0]
            cols.append(rng)
            desc.append(False)
            # the generic plan's estimate for a range on parameters (what the planner will judge)
            rsel = DEFAULT_RANGE_INEQ_SEL if rng in use.bounded or rng in p[PREFIX] else DEFAULT_INEQ_SEL
            sel = None if sel is None else sel * rsel
        if order and not ins and use.tables_in_block == 1 and (rng is None or order[0][0] == rng):
            rest = order[1:] if rng else order
            for c, d in rest:
                if c not in cols:
                    cols.append(c)
                    desc.append(d)
            if rng:
                desc[len(cols) - len(rest) - 1] = order[0][1]
            sort_used = True
    elif order and use.limit and use.tables_in_block == 1:
        kind = "sort"
        cols, desc, equality, sort_used = [c for c, _ in order], [d for _, d in order], 0, True
        sel = None
    else:
        return None

    cols, desc = cols[:MAX_COLUMNS], desc[:MAX_COLUMNS]
    if sort_used and all(desc[equality:]) and any(desc):
        desc = [False] * len(desc)   # a btree is scanned backwards just as well
    opclass = [("text_pattern_ops" if policy.pattern_ops and c in p[PREFIX] and _is_text(t, c) else None)
               for c in cols]
    if t.rows < policy.min_table_rows:
        return Rejected(t.key, cols, f"table has about {t.rows:.0f} rows (< {policy.min_table_rows:g}): "
                                     "a sequential scan is as fast")
    if sel is not None and sel > policy.max_selectivity and not sort_used:
        why = (" (a one-sided range on a parameter is estimated at 1/3 of the rows)"
               if kind == "filter" and not equality else "")
        return Rejected(t.key, cols, f"low selectivity: the condition matches about {sel:.0%} of the rows "
                                     f"(> {policy.max_selectivity:.0%}), the planner prefers a scan{why}")
    return Candidate(t.key, cols, desc, min(equality, len(cols)), kind, opclass, sel)


def _is_text(t: Table, col: str) -> bool:
    c = t.columns.get(col)
    return bool(c and re.match(r"(text|character varying|varchar|character|char|bpchar)", c.type or ""))


def serves(have: list[str | None], want: Candidate, equality_any_order: bool = True) -> bool:
    """Do index columns `have` (leading part) give everything candidate `want` needs?"""
    n = len(want.columns)
    if len(have) < n or None in have[:n]:
        return False
    k = want.equality if equality_any_order else 0
    return set(have[:k]) == set(want.columns[:k]) and list(have[k:n]) == want.columns[k:]


def narrows(t: Table, have: list[str | None], cand: Candidate, max_rows: float) -> bool:
    """Do the leading columns of `have`, all equality columns of the candidate, leave at most
    `max_rows` rows per lookup (from statistics)? Then the rest of the candidate adds little."""
    eq = set(cand.columns[:cand.equality])
    k, sel = 0, 1.0
    while k < len(have) and have[k] is not None and have[k] in eq:
        s = _eq_selectivity(t, have[k], EQ)
        if s is None:
            return False
        sel *= s
        k += 1
        if t.rows * sel <= max_rows:
            return True
    return False


def covering_index(t: Table, cand: Candidate, policy: Policy | None = None) -> Index | None:
    """An existing valid, non-partial btree index that already serves the candidate."""
    eq = set(cand.columns[:cand.equality])
    for ix in t.indexes:
        if not ix.valid or ix.partial or ix.method != "btree":
            continue
        if serves(ix.columns, cand):
            return ix
        if (ix.unique or ix.primary) and ix.columns and None not in ix.columns and set(ix.columns) <= eq:
            return ix   # a unique lookup already returns at most one row
        if policy is not None and narrows(t, ix.columns, cand, policy.narrow_rows):
            return ix
    return None


@dataclass
class Plan:
    candidates: list[Candidate]
    rejected: list[Rejected]
    covered: list[dict[str, Any]]
    by_statement: dict[str, list[int]]   # statement key -> indexes into candidates


def plan(shapes: dict[str, Shape], tables: dict[str, Table], policy: Policy) -> Plan:
    """Candidates of all statements, without those existing indexes serve, prefixes merged."""
    found: dict[tuple, Candidate] = {}
    rejected: dict[tuple, Rejected] = {}
    covered: dict[tuple, dict[str, Any]] = {}
    for key, shape in shapes.items():
        for use in shape.uses:
            t = tables.get(use.table)
            if t is None:
                continue
            c = build(use, t, policy)
            if c is None:
                continue
            if isinstance(c, Rejected):
                r = rejected.setdefault((c.table, tuple(c.columns), c.reason), c)
                if key not in r.statements:
                    r.statements.append(key)
                continue
            ix = covering_index(t, c, policy)
            if ix is not None:
                cv = covered.setdefault(c.key, {"table": c.table, "columns": c.columns, "index": ix.name,
                                                "statements": []})
                if key not in cv["statements"]:
                    cv["statements"].append(key)
                continue
            have = found.setdefault(c.key, c)
            if key not in have.statements:
                have.statements.append(key)
    merged = _merge_prefixes(list(found.values()), tables, policy)
    by_statement: dict[str, list[int]] = {}
    for i, c in enumerate(merged):
        for s in c.statements:
            by_statement.setdefault(s, []).append(i)
    return Plan(merged, list(rejected.values()), list(covered.values()), by_statement)


def _merge_prefixes(cands: list[Candidate], tables: dict[str, Table], policy: Policy) -> list[Candidate]:
    """A candidate whose columns lead another candidate's is served by that one; so is one
    whose equality columns shared with the other's lead already narrow to a few rows."""
    cands = sorted(cands, key=lambda c: (c.table, -len(c.columns), -len(c.statements), c.columns))
    kept: list[Candidate] = []
    same_table: dict[str, list[Candidate]] = {}
    for c in cands:
        mine = same_table.setdefault(c.table, [])
        host = next((k for k in mine if serves(k.columns, c) and k.desc[:len(c.desc)] == c.desc), None)
        if host is None and c.table in tables:
            host = next((k for k in mine if narrows(tables[c.table], k.columns[:k.equality], c,
                                                    policy.narrow_rows)), None)
        if host is None:
            kept.append(c)
            mine.append(c)
        else:
            host.statements += [s for s in c.statements if s not in host.statements]
    return kept
