"""Wasted space in table files (not dead tuples: pg.maintenance.bloat judges those as vacuum lag)."""

from __future__ import annotations

from typing import Any

from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.units import human_bytes

from ._common import capped


def _align(n: float) -> int:
    return -(-int(round(n)) // 8) * 8  # MAXALIGN on 64-bit platforms


def packed_heap_pages(r: dict[str, Any], block: int) -> int | None:
    """Pages the table's rows would take freshly written at its fillfactor, or None when unknown.

    Row = MAXALIGN(23-byte header [+ null bitmap]) + MAXALIGN(data) + a 4-byte line pointer;
    a page holds (block - 24-byte page header) * fillfactor of them."""
    if r["widths_known"] < r["columns"] or r["reltuples"] is None or r["reltuples"] < 0:
        return None
    header = _align(23 + (-(-r["columns"] // 8) if r["nullable"] else 0))
    row = header + _align(r["data_width"] or 0) + 4
    per_page = max(1, int((block - 24) * r["fillfactor"] / 100 // row))
    return max(1, -(-int(r["reltuples"]) // per_page))


def wasted(r: dict[str, Any], method: str, block: int) -> tuple[int, int] | None:
    """(wasted bytes, file bytes) of one table, or None when it cannot be judged."""
    if method == "pgstattuple_approx":
        reserve = r["table_len"] * (100 - r["fillfactor"]) / 100  # kept free on purpose
        return max(0, int(r["free_bytes"] + r["dead_bytes"] - reserve)), r["table_len"]
    packed = packed_heap_pages(r, block)
    if packed is None:
        return None
    return max(0, r["relpages"] - packed) * block, r["relpages"] * block


@check(
    id="pg.bloat.table",
    title="Wasted space in table files (real bloat)",
    category="storage",
    severity=Severity.WARNING,
    facts=["pg.table_bloat"],
    reference="check_postgres bloat (1 GB / 5 GB); ioguix table bloat estimate; PostgreSQL docs, "
              "F.33 pgstattuple (pgstattuple_approx)",
    thresholds={
        "min_bytes": Threshold(100 * 1024**2, "bytes", "PgHero: bloat >= 100 MB (its index bloat rule)"),
        "min_pct": Threshold(30, "%", "the estimate is rough: only clear excess counts"),
        "warning_bytes": Threshold(1024**3, "bytes", "check_postgres bloat warning 1 GB"),
        "critical_bytes": Threshold(5 * 1024**3, "bytes", "check_postgres bloat critical 5 GB"),
    },
)
def table(ctx):
    """VACUUM makes the space of dead rows reusable inside the file but gives it back to
    the operating system only at the file's end. After a mass DELETE or UPDATE a table
    can stay several times the size its rows need: sequential scans, backups and the
    cache all pay for the empty space. With pgstattuple installed the free space is
    measured by pgstattuple_approx (approx_free_space + dead_tuple_len, minus what the
    fillfactor keeps free on purpose); otherwise a packed size is estimated from
    reltuples and the column widths in pg_stats, as check_postgres does (ANALYZE first
    if statistics are stale; TOAST is not counted). Judged by share and size together.

    Fix: rewrite the table online with pg_repack (an extension + client; brief ACCESS
    EXCLUSIVE locks at start and end, needs free disk for a full copy), or `VACUUM
    FULL` (ACCESS EXCLUSIVE for the whole rewrite: no reads or writes; needs the disk
    for a copy). Then find why it bloated (mass deletes: partition and drop instead;
    autovacuum too slow)."""
    data = ctx.fact("pg.table_bloat")
    method, block = data["method"], data["block_size"]
    th = {k: ctx.threshold(k) for k in ("min_bytes", "min_pct", "warning_bytes", "critical_bytes")}
    found = []
    for r in data["rows"]:
        w = wasted(r, method, block)
        if w is None or not w[1]:
            continue
        waste, size = w
        pct = 100.0 * waste / size
        if waste < th["min_bytes"] or pct < th["min_pct"]:
            continue
        sev = (Severity.CRITICAL if waste >= th["critical_bytes"] else
               Severity.WARNING if waste >= th["warning_bytes"] else Severity.INFO)
        name = f"{r['schema']}.{r['table']}"
        quoted = ".".join('"' + p.replace('"', '""') + '"' for p in (r["schema"], r["table"]))
        found.append((waste, ctx.finding(
            object=name, severity=sev,
            summary=f"{name}: ~{human_bytes(waste)} of its {human_bytes(size)} file ({pct:.0f}%) is "
                    f"empty space ({method})",
            evidence={"method": method, "table_bytes": size, "wasted_bytes": waste, "wasted_pct": round(pct, 1),
                      **{k: r[k] for k in r if k not in ("schema", "table")},
                      **{f"threshold_{k}": v for k, v in th.items()}, "fix_kind": "manual"},
            recommendation="Rewrite the table online with pg_repack (or VACUUM FULL in a maintenance "
                           "window: it blocks all access), then remove the cause of the churn.",
            fix=f"pg_repack --no-order --table {quoted} --dbname {{{{database}}}}\n"
                f"-- or, blocking every read and write until done: VACUUM (FULL, VERBOSE, ANALYZE) {quoted};")))
    found.sort(key=lambda x: -x[0])
    yield from capped([f for _, f in found], ctx, "bloated tables")
