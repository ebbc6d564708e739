"""Which tables a normalized statement (DIGEST_TEXT) reads and which columns it filters on.

Digest text has `?` for literals and `...` for folded lists; sqlglot parses it once those
are made valid SQL. Only the WHERE / ON / GROUP BY / ORDER BY columns are returned,
per table, in the order they appear; equality columns first (they lead an index best).
"""

from __future__ import annotations

import functools
import re

_FOLDED = re.compile(r"\(\s*(\?\s*,\s*)*\.\.\.\s*\)|\(\s*\.\.\.\s*\)")


def _clean(text: str) -> str:
    text = _FOLDED.sub("(?)", text)
    return text.replace("...", "?")


@functools.lru_cache(maxsize=2048)
def filter_columns(digest_text: str, default_schema: str | None = None,
                   where_only: bool = False) -> dict[str, list[str]]:
    """{"schema.table" or "table": [column, ...]}; {} when the text does not parse.
    where_only: only WHERE / JOIN ... ON columns (what an index lookup can use)."""
    import sqlglot  # imported on first use: ~0.2 s that runs without digests never pay
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(_clean(digest_text), read="mysql")
    except Exception:
        return {}
    if tree is None:
        return {}
    aliases: dict[str, str] = {}
    for t in tree.find_all(exp.Table):
        schema = t.args.get("db").name if t.args.get("db") else default_schema
        full = f"{schema}.{t.name}" if schema else t.name
        aliases[(t.alias_or_name or t.name).lower()] = full
        aliases.setdefault(t.name.lower(), full)
    if not aliases:
        return {}
    only = next(iter(set(aliases.values()))) if len(set(aliases.values())) == 1 else None
    eq: dict[str, list[str]] = {}
    rng: dict[str, list[str]] = {}
    for clause in (exp.Where, exp.Join) if where_only else (exp.Where, exp.Join, exp.Group, exp.Order):
        for node in tree.find_all(clause):
            target = node.args.get("on") if isinstance(node, exp.Join) else node
            if target is None:
                continue
            for col in target.find_all(exp.Column):
                owner = aliases.get(col.table.lower()) if col.table else only
                if owner is None:
                    continue
                is_eq = isinstance(col.parent, (exp.EQ, exp.In, exp.Is, exp.NullSafeEQ))
                bucket = eq if is_eq and clause in (exp.Where, exp.Join) else rng
                lst = bucket.setdefault(owner, [])
                # unquoted names are case-insensitive (digests print keyword-like names upper-case)
                name = col.name if col.this.args.get("quoted") else col.name.lower()
                if name not in lst:
                    lst.append(name)
    out: dict[str, list[str]] = {}
    for owner in set(eq) | set(rng):
        cols = list(eq.get(owner, []))
        cols += [c for c in rng.get(owner, []) if c not in cols]
        out[owner] = cols
    return out
