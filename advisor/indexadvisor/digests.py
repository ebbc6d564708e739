"""MySQL/MariaDB statement digests (DIGEST_TEXT) made parsable SQL: `?` stands for each
literal already; a folded list `(?, ...)` / `(...)` becomes `(?)`. Shared by the index
advisor's facts and mysql.index.missing."""

from __future__ import annotations

import re

_FOLDED = re.compile(r"\(\s*(\?\s*,\s*)*\.\.\.\s*\)")


def digest_sql(text: str, max_len: int | None = None) -> str | None:
    """Digest text made parsable ((...) folded lists -> (?)); None when it was truncated
    (it ends in `...` or reached max_len, performance_schema_max_digest_length)."""
    t = text.rstrip()
    if t.endswith("...") and not t.endswith("(...)") or max_len is not None and len(text.encode()) >= max_len:
        return None
    return _FOLDED.sub("(?)", t)
