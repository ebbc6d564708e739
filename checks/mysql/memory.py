"""Worst-case memory use against host memory."""

from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.sizing.formulas import mysql_memory
from advisor.units import human_bytes

from ._common import GUIDE, num, set_global

MEM_REF = GUIDE.replace("Performance Tuning", "Resource Sizing Matrix") + \
    " (Memory = buffer pool + key_buffer_size + max_connections x (read_buffer_size + sort_buffer_size) + OS cache)"


@check(
    id="mysql.memory.worst_case",
    title="Worst-case server memory vs host memory (guide's sizing formula)",
    category="memory",
    severity=Severity.WARNING,
    facts=["mysql.variables", "mysql.server"],
    reference=MEM_REF,
    thresholds={"max_pct": Threshold(90.0, "%", "leave at least 10% of memory for the OS cache (guide: + OS cache)")},
)
def worst_case_memory(ctx):
    """The guide sizes MySQL memory as innodb_buffer_pool_size + key_buffer_size +
    max_connections x (read_buffer_size + sort_buffer_size), plus the OS cache. When that
    worst case (every allowed connection sorting and reading at once) exceeds the host's
    memory the server can be OOM-killed under a connection burst. Lower max_connections
    (pool connections instead), the per-session buffers, or the buffer pool. MySQLTuner
    counts more per-thread buffers (join, read_rnd, thread_stack, tmp tables), so its
    figure is higher. Needs --memory."""
    memory, source = ctx.require_memory()
    v = ctx.fact("mysql.variables")
    parts = {k: int(num(v, k, 0)) for k in ("innodb_buffer_pool_size", "key_buffer_size", "max_connections",
                                             "read_buffer_size", "sort_buffer_size")}
    total = mysql_memory(parts["innodb_buffer_pool_size"], parts["key_buffer_size"], parts["max_connections"],
                         parts["read_buffer_size"], parts["sort_buffer_size"])
    pct = 100.0 * total / memory
    if pct > ctx.threshold("max_pct"):
        per_conn = parts["read_buffer_size"] + parts["sort_buffer_size"]
        room = memory * ctx.threshold("max_pct") / 100 - parts["innodb_buffer_pool_size"] - parts["key_buffer_size"]
        fits = max(int(room // per_conn), 0) if per_conn else parts["max_connections"]
        yield ctx.finding(
            object="max_connections",
            severity=Severity.CRITICAL if total > memory else None,
            summary=f"worst-case memory {human_bytes(total)} is {pct:.0f}% of {human_bytes(memory)} "
                    f"({parts['max_connections']} connections x {human_bytes(per_conn)} + global buffers)",
            evidence={**parts, "worst_case_bytes": total, "memory_bytes": memory, "memory_source": source,
                      "pct_of_memory": round(pct, 1), "threshold_pct": ctx.threshold("max_pct")},
            recommendation=f"Lower max_connections to about {fits} (pool connections), or shrink the "
                           "per-session buffers or the buffer pool, so the worst case fits in memory.",
            fix=set_global(ctx, {"max_connections": fits}, "existing connections stay; new ones beyond the "
                           "limit are refused") if fits else None,
        )
