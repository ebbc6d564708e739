"""Helpers shared by the check modules of this engine (no checks here)."""

from __future__ import annotations

from typing import Any

from advisor.model import Severity

from ._setting_fix import quote_ident

GUIDE = "guide: Database Performance > PostgreSQL > 3. Vacuuming and Maintenance"


TOP = 20  # findings per check at most; the rest is summarized in one line


SHARE_UPDATE = "  -- SHARE UPDATE EXCLUSIVE lock: reads and writes continue"


def qname(t: dict[str, Any]) -> str:
    return f"{t['schema']}.{t['name']}"


def quoted(t: dict[str, Any]) -> str:
    return ".".join(quote_ident(p) for p in (t["schema"], t["name"]))


def reloptions(t: dict[str, Any]) -> dict[str, str]:
    """['autovacuum_enabled=false', ...] -> {'autovacuum_enabled': 'false'}."""
    out = {}
    for item in t.get("reloptions") or []:
        k, _, v = item.partition("=")
        out[k.strip().lower()] = v.strip().lower()
    return out


def autovacuum_enabled(t: dict[str, Any]) -> bool:
    return reloptions(t).get("autovacuum_enabled", "true") not in ("false", "off", "no", "0")


def plain_tables(ctx) -> list[dict[str, Any]]:
    """Tables that hold rows themselves (partitioned parents hold none)."""
    return [t for t in ctx.fact("pg.tables")["rows"] if t["kind"] in ("r", "m")]


def capped(findings: list, ctx, what: str) -> list:
    """At most TOP findings; one info line says how many more there are."""
    if len(findings) <= TOP:
        return findings
    rest = len(findings) - TOP
    return findings[:TOP] + [ctx.finding(
        severity=Severity.INFO, summary=f"{rest} more {what} not listed",
        evidence={"not_listed": rest, "listed": TOP},
        recommendation="Fix the listed ones first, then run the advisor again.")]


HARD_LIMIT = 2**31  # XIDs are compared modulo 2^32: at most 2^31 can be "in the past"


TYPE_MAX = {"smallint": 32767, "integer": 2147483647, "bigint": 9223372036854775807}


TYPE_MIN = {"smallint": -32768, "integer": -2147483648, "bigint": -9223372036854775808}


def sequence_limit(seq: dict) -> tuple[int, str]:
    """The value the sequence cannot pass, and what sets it (its own bound or the column type)."""
    up = seq["increment"] > 0
    own = seq["max_value"] if up else seq["min_value"]
    col = (TYPE_MAX if up else TYPE_MIN).get(seq.get("column_type") or "")
    if col is not None and (col < own if up else col > own):
        return col, f"column type {seq['column_type']}"
    return own, f"sequence {'MAXVALUE' if up else 'MINVALUE'} ({seq['sequence_type']})"


SHOWN = 10  # sessions listed in the evidence


def guarded(func: str, r: dict[str, Any]) -> str:
    """The call, only if the pid still is the same session (a pid can be reused)."""
    if r.get("backend_start"):
        return (f"SELECT {func}({r['pid']}) FROM pg_stat_activity WHERE pid = {r['pid']} "
                f"AND backend_start = '{r['backend_start']}';")
    return f"SELECT {func}({r['pid']});"


def sequence_fixes(seq: dict) -> list[str]:
    """The statements that widen a sequence and the column it feeds: the column (a rewrite),
    and the sequence itself unless it is an identity sequence, which follows its column."""
    fixes = []
    if seq.get("column_name") and seq.get("column_type") in ("smallint", "integer"):
        fixes.append(f"ALTER TABLE {seq['table_qualified']} ALTER COLUMN {seq['column_name']} TYPE bigint;"
                     "  -- rewrites the table and its indexes under ACCESS EXCLUSIVE lock")
    identity_follows = fixes and seq.get("dependency") == "i"
    if seq["sequence_type"] in ("smallint", "integer") and not identity_follows:
        fixes.append(f"ALTER SEQUENCE {seq['sequence']} AS bigint;  -- locks the sequence only, briefly")
    elif not fixes:
        fixes.append(f"ALTER SEQUENCE {seq['sequence']} MAXVALUE {{{{max_value}}}};  -- near its own "
                     "MAXVALUE (or NO MAXVALUE); locks the sequence only, briefly")
    return fixes

