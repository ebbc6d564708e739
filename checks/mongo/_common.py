"""Small helpers shared by the MongoDB checks (no database access)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any


def mongosh(ctx, js: str) -> str:
    """A shell command that runs `js` against this target (the password is never known here)."""
    url = ctx.target.replace("mongo://", "mongodb://", 1) if ctx.target.startswith("mongo://") \
        else "{{mongodb_url}}"
    return f"mongosh '{url}' --eval '{js}'"


def coll_js(db: str, coll: str) -> str:
    return f"db.getSiblingDB({json.dumps(db)}).getCollection({json.dumps(coll)})"


def parse_time(value: Any) -> dt.datetime | None:
    """ISO text (as facts store datetimes) -> aware UTC datetime; naive means UTC (pymongo)."""
    if not value:
        return None
    try:
        t = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def server_now(ctx) -> dt.datetime:
    """The server's clock when the facts were read (serverStatus.localTime), else now."""
    try:
        t = parse_time(ctx.fact("mongo.server_status").get("localTime"))
    except Exception:
        t = None
    return t or dt.datetime.now(dt.timezone.utc)


def ratio(part: float | None, whole: float | None) -> float | None:
    if part is None or not whole:
        return None
    return part / whole
