"""Duplicate and redundant index detection, at parity with pt-duplicate-key-checker.

Pure functions on the rows of the "mysql.indexes" fact (one table at a time):
- exact duplicates (same type, same columns and prefix lengths): keep the strongest
  (PRIMARY > UNIQUE > plain), drop the others;
- left-prefix duplicates: a plain BTREE key whose columns are a leading prefix of another
  BTREE key of the same table is redundant (a UNIQUE or PRIMARY prefix is never dropped:
  it enforces a constraint);
- InnoDB clustered suffix: a plain secondary key that ends with a prefix of the PRIMARY KEY
  (KEY(b, a) with PRIMARY KEY(a)) names columns InnoDB appends to every secondary key
  anyway: KEY(b) stores the same entries in the same order. Not bigger (InnoDB does not
  store the primary-key columns twice), only a redundant definition.
  (sys.schema_redundant_indexes misses this case.)
- Visibility: an INVISIBLE (MySQL 8) or IGNORED (MariaDB 10.6+) index is not used by the
  optimizer, so it never covers a visible one. An invisible index that repeats a visible
  one is an "ignored-duplicate" (dropping it changes no plan); one that would make a
  visible index redundant if it were visible is an "ignored-cover".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Redundant:
    index: dict[str, Any]            # the index to drop (or redefine)
    covered_by: dict[str, Any] | None
    kind: str  # "duplicate" | "left-prefix" | "clustered-suffix" | "ignored-duplicate" | "ignored-cover"
    keep_columns: list[str] | None = None   # for clustered-suffix: the columns to keep
    shadows: dict[str, Any] | None = None   # for ignored-cover: the visible index it would make redundant


def _parts(ix: dict[str, Any]) -> tuple[tuple[str, int | None], ...]:
    return tuple(zip((c.lower() for c in ix["columns"]), ix["sub_parts"]))


def _rank(ix: dict[str, Any]) -> int:
    return 3 if ix["primary"] else 2 if ix["unique"] else 1


def _comparable(ix: dict[str, Any]) -> bool:
    return not ix.get("expressions") and "(expression)" not in ix["columns"]


def find_redundant(indexes: list[dict[str, Any]]) -> list[Redundant]:
    """Indexes of ONE table -> what can be dropped or redefined, never a PRIMARY KEY, never
    the last index enforcing a unique constraint. Invisible indexes are judged one at a time
    against the visible ones: they never cover a visible index."""
    visible = [ix for ix in indexes if ix.get("visible", True)]
    out = _redundant(visible)
    for hidden in (ix for ix in indexes if not ix.get("visible", True)):
        for r in _redundant(visible + [hidden]):
            if r.index is hidden and r.kind != "clustered-suffix":
                out.append(Redundant(hidden, r.covered_by, "ignored-duplicate"))
                break
            if r.covered_by is hidden:
                out.append(Redundant(hidden, None, "ignored-cover", shadows=r.index))
                break
    return out


def _redundant(indexes: list[dict[str, Any]]) -> list[Redundant]:
    if not indexes:
        return []
    keys = sorted((ix for ix in indexes if _comparable(ix)), key=lambda ix: (-_rank(ix), not ix.get("visible", True), ix["index"]))
    out: list[Redundant] = []
    dropped: set[str] = set()
    # left prefixes first: only a plain BTREE key is redundant with a longer BTREE key
    for a in keys:
        if a["unique"] or a["primary"] or a["type"] != "BTREE":
            continue
        pa = _parts(a)
        longer = [b for b in keys if b["type"] == "BTREE" and b["index"] not in dropped
                  and len(b["columns"]) > len(pa) and _parts(b)[: len(pa)] == pa]
        if longer:
            cover = min(longer, key=lambda b: (len(b["columns"]), -_rank(b), b["index"]))
            out.append(Redundant(a, cover, "left-prefix"))
            dropped.add(a["index"])
    # exact duplicates: the first of each group (strongest, then by name) is kept
    for i, a in enumerate(keys):
        if a["index"] in dropped:
            continue
        for b in keys[i + 1:]:
            if b["index"] in dropped or b["primary"] or b["type"] != a["type"]:
                continue
            same = _parts(a) == _parts(b) if a["type"] != "FULLTEXT" else set(_parts(a)) == set(_parts(b))
            if same:
                out.append(Redundant(b, a, "duplicate"))
                dropped.add(b["index"])
    # InnoDB clustered suffix
    pk = next((ix for ix in keys if ix["primary"]), None)
    if pk is not None and str(indexes[0].get("engine") or "").lower() == "innodb":
        pkp = _parts(pk)
        for a in keys:
            if a["index"] in dropped or a["unique"] or a["primary"] or a["type"] != "BTREE":
                continue
            pa = _parts(a)
            for start in range(1, len(pa)):
                suffix = pa[start:]
                if pkp[: len(suffix)] == suffix:
                    out.append(Redundant(a, pk, "clustered-suffix", keep_columns=[
                        c if p is None else f"{c}({p})" for c, p in zip(a["columns"][:start], a["sub_parts"][:start])]))
                    break
    return out


def group_by_table(rows: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for ix in rows:
        grouped.setdefault((ix["schema"], ix["table"]), []).append(ix)
    return grouped
