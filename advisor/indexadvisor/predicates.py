"""Statement text -> per-table predicates, sort order and things no btree index can help.

Two steps so that thousands of statements stay cheap:
  parse(text, dialect)       sqlglot AST + referenced table names (cached by the caller's key)
  analyse(parsed, catalog)   resolves aliases, schemas and unqualified columns against the
                             catalog, scope by scope (CTEs, subqueries, EXISTS), and returns
                             one TableUse per table reference plus the Issues found.
Normalized texts carry parameters ($1 for PostgreSQL, ? for MySQL digests) instead of
constants; both count as constants here.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import traverse_scope

from .catalog import Catalog, Table
from .shapes import EQ, IN, ISNULL, JOIN, PREFIX, RANGE, Issue, ParseFailure, Shape, TableUse  # noqa: F401


_RANGE_OPS = (exp.GT, exp.GTE, exp.LT, exp.LTE)


@dataclass
class Parsed:
    kind: str                     # select | update | delete
    tree: exp.Expression
    dialect: str
    table_names: list[tuple[str | None, str]]   # (schema, name) as written


DIALECTS = {"postgres": "postgres", "mysql": "mysql"}


_QUERY_START = re.compile(r"^\s*(?:/\*.*?\*/\s*|--[^\n]*\n\s*)*\(*\s*(select|with|update|delete|table|values)\b",
                          re.I | re.S)
_ARRAY_CAST = re.compile(r'::\s*(?:"[^"]+"|[A-Za-z_][\w.]*)(?:\s*\(\s*\d+(?:\s*,\s*\d+)?\s*\))?(?:\s*\[\s*\])+')
logging.getLogger("sqlglot").setLevel(logging.ERROR)   # its fallback warnings are not ours to print


def parse(text: str, dialect: str) -> Parsed:
    """Parse one normalized statement; raise ParseFailure for anything but SELECT/UPDATE/DELETE."""
    m = _QUERY_START.match(text)
    if not m:
        word = (re.findall(r"[A-Za-z]+", text[:200]) or ["empty"])[0].upper()
        raise ParseFailure(f"{word} statement")
    if dialect == "postgres":   # sqlglot rejects some array casts ($1::oid[]); the type is not needed
        text = _ARRAY_CAST.sub("::text", text)
    try:
        trees = [t for t in sqlglot.parse(text, read=dialect) if t is not None]
    except (SqlglotError, RecursionError, ValueError) as e:
        raise ParseFailure(f"not parsable: {(str(e).splitlines() or [''])[0][:120]}") from None
    except Exception as e:  # sqlglot bugs on odd input cost one statement, not the run
        raise ParseFailure(f"not parsable ({type(e).__name__})") from None
    if len(trees) != 1:
        raise ParseFailure("not a single statement")
    tree = trees[0]
    if isinstance(tree, exp.Query):
        kind = "select"
    elif isinstance(tree, exp.Update):
        kind = "update"
    elif isinstance(tree, exp.Delete):
        kind = "delete"
    else:
        raise ParseFailure(f"{tree.key} statement")
    if isinstance(tree, exp.Query) and tree.find(exp.Insert, exp.Update, exp.Delete):
        raise ParseFailure("data-modifying CTE")
    if tree.find(exp.Into):
        raise ParseFailure("SELECT INTO (creates a table)")
    names = []
    for t in tree.find_all(exp.Table):
        if t.name:
            names.append((t.db or None, t.name))
    if not names:
        raise ParseFailure("no table")
    return Parsed(kind, tree, dialect, names)


# ---- analysis ---------------------------------------------------------------------------

class _Block:
    """Name resolution inside one query block (a sqlglot scope, or a DML statement)."""

    def __init__(self, an: "_Analyser", sources: dict[str, Any]):
        self.an = an
        self.tables: dict[str, Table | None] = {}    # alias -> catalog table (None: unknown)
        self.derived: set[str] = set()
        self.uses: dict[str, TableUse] = {}
        for alias, src in sources.items():
            if isinstance(src, exp.Table) and src.name:
                t = an.catalog.resolve(an.ident(src.this), an.ident(src.args.get("db")) or None)
                alias = an.norm(alias)
                self.tables[alias] = t
                if t is None:
                    an.unresolved.add(".".join(p for p in (src.db, src.name) if p))
                else:
                    self.uses[alias] = TableUse(t.key, alias)
            else:
                self.derived.add(an.norm(alias))
        for u in self.uses.values():
            u.tables_in_block = len(self.tables) + len(self.derived)

    def column(self, col: exp.Column) -> tuple[str, str] | str | None:
        """(alias, column) of a column of this block, 'outer' for another block's, None if unknown."""
        name = self.an.ident(col.this)
        q = self.an.ident(col.args.get("table"))
        if q:
            if q in self.tables:
                return (q, name) if q in self.uses else None
            return None if q in self.derived else "outer"
        hits = [a for a, t in self.tables.items()
                if t is not None and (not t.columns or self.an.has_column(t, name))]
        if len(hits) == 1:
            return (hits[0], name) if hits[0] in self.uses else None
        if not hits and len(self.tables) == 1 and not self.derived:
            alias, t = next(iter(self.tables.items()))
            return None if t is None else "outer"
        return None


class _Analyser:
    def __init__(self, parsed: Parsed, catalog: Catalog):
        self.p = parsed
        self.catalog = catalog
        self.case_fold = parsed.dialect == "postgres"
        self.uses: list[TableUse] = []
        self.issues: list[Issue] = []
        self.params: dict[str, tuple[str, str]] = {}
        self.unresolved: set[str] = set()

    # names ---------------------------------------------------------------------------
    def ident(self, node: Any) -> str:
        if node is None:
            return ""
        if isinstance(node, exp.Identifier):
            if self.p.dialect == "mysql":   # column names are case-insensitive in MySQL
                return node.this.lower()
            return node.this if (node.quoted or not self.case_fold) else node.this.lower()
        return str(node.name if isinstance(node, exp.Expression) else node)

    def norm(self, s: str) -> str:
        return s.lower() if self.case_fold or self.p.dialect == "mysql" else s

    def has_column(self, t: Table, name: str) -> bool:
        return (name if self.catalog.case_sensitive else name.lower()) in t.columns

    # blocks --------------------------------------------------------------------------
    def run(self) -> Shape:
        tree = self.p.tree
        if isinstance(tree, (exp.Update, exp.Delete)):
            sources = {}
            main = tree.this
            if isinstance(main, exp.Table):
                sources[main.alias_or_name] = main
            for extra in (tree.args.get("from"), *(tree.args.get("joins") or []), tree.args.get("using")):
                for t in (extra.find_all(exp.Table) if isinstance(extra, exp.Expression) else []):
                    sources[t.alias_or_name] = t
            self._block(_Block(self, sources), tree.args.get("where"), tree.args.get("joins") or [],
                        None, None, None)
            for sub in tree.find_all(exp.Select):
                self._scopes(sub)
        else:
            self._scopes(tree)
        return Shape(self.p.kind, self.uses, self.issues, self.params, sorted(self.unresolved))

    def _scopes(self, tree: exp.Expression) -> None:
        for scope in traverse_scope(tree):
            sel = scope.expression
            if not isinstance(sel, exp.Select):
                continue
            block = _Block(self, scope.sources)
            self._block(block, sel.args.get("where"), sel.args.get("joins") or [], sel.args.get("order"),
                        sel.args.get("group"), sel.args.get("limit") or sel.args.get("fetch"))

    def _block(self, b: _Block, where, joins, order, group, limit) -> None:
        conds = []
        if where is not None:
            conds += _conjuncts(where.this)
        for j in joins:
            if j.args.get("on") is not None:
                conds += _conjuncts(j.args["on"])
        for c in conds:
            self._conjunct(b, c)
        if order is not None:
            cols = [self._plain(b, o.this) for o in order.expressions]
            if cols and all(cols) and len({a for a, _ in cols}) == 1:
                u = b.uses[cols[0][0]]
                u.order = [(c, bool(o.args.get("desc"))) for (_, c), o in zip(cols, order.expressions)]
        if group is not None:
            cols = [self._plain(b, g) for g in group.expressions]
            if cols and all(cols) and len({a for a, _ in cols}) == 1:
                b.uses[cols[0][0]].group = [c for _, c in cols]
        for u in b.uses.values():
            u.limit = limit is not None
            u.others_filtered = any(o.filtered for o in b.uses.values() if o is not u)
        self.uses += list(b.uses.values())

    # predicates ------------------------------------------------------------------------
    def _plain(self, b: _Block, node) -> tuple[str, str] | None:
        """(alias, column) when `node` is a bare column of this block."""
        if isinstance(node, exp.Column):
            r = b.column(node)
            return r if isinstance(r, tuple) else None
        return None

    def _local_columns(self, b: _Block, node) -> list[tuple[str, str]]:
        out = []
        for c in node.find_all(exp.Column):
            r = b.column(c)
            if isinstance(r, tuple):
                out.append(r)
        return out

    def _constant(self, b: _Block, node) -> bool:
        """No column of this block and no subquery: a parameter, literal or outer reference."""
        return not node.find(exp.Subquery, exp.Select) and not self._local_columns(b, node)

    def _outer_ref(self, b: _Block, node) -> bool:
        return isinstance(node, exp.Column) and b.column(node) == "outer"

    def _note_param(self, b: _Block, col: tuple[str, str], node) -> None:
        for p in [node] + list(node.find_all(exp.Parameter, exp.Placeholder)):
            if isinstance(p, exp.Parameter):
                self.params[str(p.name)] = (b.uses[col[0]].table, col[1])
            elif isinstance(p, exp.Placeholder):
                self.params.setdefault(f"?{id(p)}", (b.uses[col[0]].table, col[1]))

    def _issue(self, b: _Block, kind: str, node, index_expr: exp.Expression | None = None) -> None:
        cols = self._local_columns(b, node)
        tables = {b.uses[a].table for a, _ in cols}
        expr_sql = None
        if index_expr is not None:
            bare = index_expr.copy()
            for c in bare.find_all(exp.Column):
                c.set("table", None)
            expr_sql = bare.sql(dialect=self.p.dialect)
        self.issues.append(Issue(kind, next(iter(tables)) if len(tables) == 1 else None,
                                 sorted({c for _, c in cols}), node.sql(dialect=self.p.dialect)[:300], expr_sql))

    def _conjunct(self, b: _Block, node) -> None:
        node = _unparen(node)
        if isinstance(node, exp.Or):
            self._or(b, node)
            return
        if isinstance(node, (exp.EQ, exp.NullSafeEQ, *_RANGE_OPS)):
            left, right = _unparen(node.this), _unparen(node.expression)
            for a, c, other in ((left, self._plain(b, left), right), (right, self._plain(b, right), left)):
                if c and (self._constant(b, other) or self._outer_ref(b, other)):
                    kind = EQ if isinstance(node, (exp.EQ, exp.NullSafeEQ)) else RANGE
                    if kind == EQ and isinstance(other, exp.Any):
                        kind = IN
                    if kind == EQ and self._outer_ref(b, other):
                        kind = JOIN
                        b.uses[c[0]].correlated = True
                    b.uses[c[0]].add(kind, c[1])
                    self._note_param(b, c, other)
                    return
            lc, rc = self._plain(b, left), self._plain(b, right)
            if isinstance(node, exp.EQ) and lc and rc and lc[0] != rc[0]:
                b.uses[lc[0]].add(JOIN, lc[1])
                b.uses[rc[0]].add(JOIN, rc[1])
                return
            for side, other in ((left, right), (right, left)):
                if not isinstance(side, exp.Column) and self._local_columns(b, side) and \
                        self._constant(b, other) and len({a for a, _ in self._local_columns(b, side)}) == 1:
                    self._issue(b, "function_on_column", node, side)
                    return
            return
        if isinstance(node, exp.Between):
            c = self._plain(b, _unparen(node.this))
            if c and self._constant(b, node.args["low"]) and self._constant(b, node.args["high"]):
                b.uses[c[0]].add(RANGE, c[1])
                b.uses[c[0]].bounded.append(c[1])
                self._note_param(b, c, node.args["low"])
                self._note_param(b, c, node.args["high"])
            elif not c and self._local_columns(b, node.this):
                self._issue(b, "function_on_column", node, node.this)
            return
        if isinstance(node, exp.In):
            c = self._plain(b, _unparen(node.this))
            if c:
                q = node.args.get("query")
                if q is not None or all(self._constant(b, e) for e in node.expressions):
                    b.uses[c[0]].add(IN, c[1])
                    b.uses[c[0]].in_sizes[c[1]] = max(1, len(node.expressions)) if q is None else 10
                    for e in node.expressions:
                        self._note_param(b, c, e)
            elif self._local_columns(b, node.this):
                self._issue(b, "function_on_column", node, node.this)
            return
        if isinstance(node, exp.Is):
            c = self._plain(b, _unparen(node.this))
            if c and isinstance(node.expression, exp.Null):
                b.uses[c[0]].add(ISNULL, c[1])
            return
        if isinstance(node, (exp.Like, exp.ILike)):
            self._like(b, node)
            return
        if isinstance(node, exp.Escape):
            self._conjunct(b, node.this)

    def _like(self, b: _Block, node) -> None:
        subject, pattern = _unparen(node.this), _unparen(node.expression)
        c = self._plain(b, subject)
        if not c:
            if self._local_columns(b, subject):
                self._issue(b, "function_on_column", node, subject)
            return
        if isinstance(node, exp.ILike):
            self._issue(b, "ilike", node)
            return
        if isinstance(pattern, exp.Literal) and pattern.is_string:
            text = pattern.this
            if text[:1] in ("%", "_"):
                self._issue(b, "leading_wildcard", node)
            elif "%" in text or "_" in text:
                b.uses[c[0]].add(PREFIX, c[1])
            else:
                b.uses[c[0]].add(EQ, c[1])
            return
        if self._constant(b, pattern):
            self._issue(b, "like_parameter", node)
            self._note_param(b, c, pattern)

    def _or(self, b: _Block, node) -> None:
        """OR of equalities on one column is an IN list; across columns no single index serves it."""
        parts = _disjuncts(node)
        cols = set()
        for p in parts:
            p = _unparen(p)
            if isinstance(p, (exp.EQ, exp.In)):
                c = self._plain(b, _unparen(p.this))
                other = p.expression if isinstance(p, exp.EQ) else None
                if c and (other is None or self._constant(b, other)):
                    cols.add(c)
                    continue
            cols.add(None)
        if len(cols) == 1 and None not in cols:
            (alias, col), = cols
            b.uses[alias].add(IN, col)
            b.uses[alias].in_sizes[col] = len(parts)
            return
        if self._local_columns(b, node):
            self._issue(b, "or_across_columns", node)


def _unparen(node):
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _conjuncts(node) -> list:
    node = _unparen(node)
    if isinstance(node, exp.And):
        return _conjuncts(node.this) + _conjuncts(node.expression)
    return [node]


def _disjuncts(node) -> list:
    node = _unparen(node)
    if isinstance(node, exp.Or):
        return _disjuncts(node.this) + _disjuncts(node.expression)
    return [node]


def analyse(parsed: Parsed, catalog: Catalog) -> Shape:
    """Per-table predicates, sort orders and issues of one parsed statement."""
    try:
        return _Analyser(parsed, catalog).run()
    except (SqlglotError, RecursionError) as e:
        raise ParseFailure(f"cannot resolve: {(str(e).splitlines() or [''])[0][:120]}") from None
    except Exception as e:  # an unforeseen tree shape must cost one statement, not the run
        raise ParseFailure(f"cannot analyse ({type(e).__name__})") from None


