"""Memory settings judged against the host's memory (--memory) and the guide's formulas."""

from __future__ import annotations

from typing import Any

from advisor.model import Severity
from advisor.registry import Threshold, check
from advisor.sizing import formulas
from advisor.units import config_size, human_bytes, settable

from ._setting_fix import alter_system

SIZING = "guide: Resource Sizing Matrix > PostgreSQL (Sizing Formula, Example Configuration)"
TUNER = "postgresqltuner memory checks"


def value(settings: dict[str, Any], name: str) -> Any:
    return settings[name]["value"]


def set_fix(settings: dict[str, Any], name: str, new: int) -> str:
    """ALTER SYSTEM line, reload or restart (from the setting's context), and the guide's Helm
    value for a size setting."""
    size = config_size(new)
    return alter_system(settings, name, f"'{size}'", size)


def mem_evidence(memory: int, source: str, **kw: Any) -> dict[str, Any]:
    return {"host_memory_bytes": memory, "host_memory_source": source, **kw}


def autovacuum_memory(ctx, s: dict[str, Any]) -> int:
    """What one autovacuum worker may use on this server (formulas.pg_autovacuum_memory)."""
    return formulas.pg_autovacuum_memory(value(s, "autovacuum_work_mem"), value(s, "maintenance_work_mem"),
                                         ctx.fact("pg.server").get("version_num") or 0)


def worst_case_fit(memory: int, s: dict[str, Any], av_mem: int, pct: float) -> int:
    """The largest work_mem, as a fix writes it, that keeps the worst case under pct% of RAM."""
    return settable(formulas.pg_work_mem_fit(memory, value(s, "shared_buffers"), value(s, "max_connections"),
                                             value(s, "autovacuum_max_workers"), av_mem, pct))


@check(
    id="pg.memory.shared_buffers",
    title="shared_buffers vs host memory",
    category="memory",
    severity=Severity.WARNING,
    facts=["pg.settings"],
    reference=SIZING + " (shared_buffers = 25% of memory); postgresqltuner > 40% warn",
    thresholds={
        "low_pct": Threshold(20, "% of RAM", "guide 25% (flagged below 20%)"),
        "high_pct": Threshold(40, "% of RAM", "postgresqltuner: shared_buffers > 40% of RAM"),
    },
)
def shared_buffers(ctx):
    """shared_buffers is PostgreSQL's own page cache. The guide sizes it at 25% of
    the host's memory: much less and hot data is read through the OS cache (extra
    copies, more misses); much more (over 40%) starves the OS cache, work_mem and
    maintenance, and lengthens checkpoints. Fix: set it to a quarter of RAM
    (`ALTER SYSTEM SET shared_buffers = ...`, restart)."""
    mem, src = ctx.require_memory()
    s = ctx.fact("pg.settings")
    sb = value(s, "shared_buffers")
    pct = 100.0 * sb / mem
    rec = settable(formulas.pg_shared_buffers(mem))  # the value the fix sets, in the summary too
    if ctx.threshold("low_pct") <= pct <= ctx.threshold("high_pct"):
        return
    low = pct < ctx.threshold("low_pct")
    yield ctx.finding(
        object="shared_buffers",
        summary=f"shared_buffers is {human_bytes(sb)} = {pct:.1f}% of {human_bytes(mem)} RAM "
                f"({'below' if low else 'above'} the {'guide' if low else 'postgresqltuner'} range); "
                f"suggested {human_bytes(rec)}",
        evidence=mem_evidence(mem, src, shared_buffers_bytes=sb, pct_of_ram=round(pct, 1),
                              recommended_bytes=rec, low_pct=ctx.threshold("low_pct"),
                              high_pct=ctx.threshold("high_pct")),
        recommendation=f"Set shared_buffers to 25% of RAM ({human_bytes(rec)}); it takes a restart.",
        fix=set_fix(s, "shared_buffers", rec))


@check(
    id="pg.memory.effective_cache_size",
    title="effective_cache_size vs memory and shared_buffers",
    category="memory",
    severity=Severity.WARNING,
    facts=["pg.settings"],
    reference=SIZING + " (Large: 12GB of 16 GB = 75%); postgresqltuner: < shared_buffers warn",
    thresholds={"low_pct": Threshold(50, "% of RAM", "guide example 75% (flagged below 50%)")},
)
def effective_cache_size(ctx):
    """effective_cache_size allocates nothing: it tells the planner how much of the
    data the OS cache plus shared_buffers can hold, so it decides between index
    and sequential scans. Set too low (below shared_buffers, or well below the
    RAM actually free for caching) the planner avoids index scans that would be
    cheap. The guide's Large example uses 75% of memory (pgtune: RAM * 3/4).
    Fix: `ALTER SYSTEM SET effective_cache_size = ...; SELECT pg_reload_conf();`."""
    mem, src = ctx.require_memory()
    s = ctx.fact("pg.settings")
    ecs, sb = value(s, "effective_cache_size"), value(s, "shared_buffers")
    rec = settable(formulas.pg_effective_cache_size(mem))  # the value the fix sets, in the summary too
    pct = 100.0 * ecs / mem
    if ecs < sb:
        sev, why = Severity.WARNING, f"smaller than shared_buffers ({human_bytes(sb)})"
    elif pct < ctx.threshold("low_pct"):
        sev, why = Severity.INFO, f"only {pct:.0f}% of RAM"
    else:
        return
    yield ctx.finding(
        object="effective_cache_size", severity=sev,
        summary=f"effective_cache_size is {human_bytes(ecs)}, {why}; suggested {human_bytes(rec)}",
        evidence=mem_evidence(mem, src, effective_cache_size_bytes=ecs, shared_buffers_bytes=sb,
                              pct_of_ram=round(pct, 1), recommended_bytes=rec,
                              low_pct=ctx.threshold("low_pct")),
        recommendation=f"Set effective_cache_size to about 75% of RAM ({human_bytes(rec)}).",
        fix=set_fix(s, "effective_cache_size", rec))


@check(
    id="pg.memory.work_mem",
    title="work_mem vs the guide's formula",
    category="memory",
    severity=Severity.WARNING,
    facts=["pg.settings", "pg.databases", "pg.server"],
    reference=SIZING + " (work_mem = (Memory - shared_buffers) / (max_connections * 3))",
    thresholds={
        "high_factor": Threshold(2, "x formula", "twice the guide's value risks running out of memory"),
        "low_factor": Threshold(0.5, "x formula", "half the guide's value, with sorts spilling to disk"),
        "worst_case_pct": Threshold(80, "% of RAM", "the value advised keeps pg.memory.worst_case under "
                                                    "its warning (postgresqltuner: > 80% warn)"),
    },
)
def work_mem(ctx):
    """work_mem bounds each sort or hash step of each query; one query can use it
    several times, so it is multiplied by the connection count. The guide sizes
    it as (Memory - shared_buffers) / (max_connections * 3). Far above that the
    server can run out of memory under load; well below it, and with temporary
    files being written, sorts and hashes spill to disk.
    Fix: set work_mem to the formula's value, lowered where needed so that the
    worst case (pg.memory.worst_case) stays under worst_case_pct of RAM (per role
    or per query for the few that need more: `SET work_mem` / `ALTER ROLE ... SET
    work_mem`)."""
    mem, src = ctx.require_memory()
    s = ctx.fact("pg.settings")
    wm, maxc = value(s, "work_mem"), value(s, "max_connections")
    formula = formulas.pg_work_mem(mem, maxc)
    guide = settable(formula)  # as the fix writes it, in the summary too (40.96 MiB -> 40MB)
    # the guide's work_mem and maintenance_work_mem together can pass postgresqltuner's 80%:
    # advise a value whose fix does not leave pg.memory.worst_case behind
    fit = worst_case_fit(mem, s, autovacuum_memory(ctx, s), ctx.threshold("worst_case_pct"))
    rec = min(guide, fit)
    capped = f", lowered to {human_bytes(rec)} for the worst case" if rec < guide else ""
    db = ctx.fact("pg.server")["database"]
    temp = next((d for d in ctx.fact("pg.databases") if d["name"] == db), {})
    ev = mem_evidence(mem, src, work_mem_bytes=wm, max_connections=maxc,
                      shared_buffers_bytes=value(s, "shared_buffers"), formula_bytes=formula,
                      temp_files=temp.get("temp_files"), temp_bytes=temp.get("temp_bytes"),
                      high_factor=ctx.threshold("high_factor"), low_factor=ctx.threshold("low_factor"),
                      advised_bytes=rec, worst_case_fit_bytes=fit)
    if wm > guide * ctx.threshold("high_factor"):
        yield ctx.finding(
            object="work_mem",
            summary=f"work_mem is {human_bytes(wm)}, {wm / guide:.1f}x the guide's "
                    f"{human_bytes(guide)} for {human_bytes(mem)} RAM and {maxc} connections{capped}",
            evidence=ev,
            recommendation="Lower work_mem to the formula's value; raise it only for the roles or "
                           "queries that need big sorts.",
            fix=set_fix(s, "work_mem", rec))
    elif wm < guide * ctx.threshold("low_factor") and wm < rec and (temp.get("temp_files") or 0) > 0:
        yield ctx.finding(
            object="work_mem", severity=Severity.INFO,
            summary=f"work_mem is {human_bytes(wm)} (guide: {human_bytes(guide)}{capped}) and "
                    f"{temp['temp_files']:,} temporary files ({human_bytes(temp.get('temp_bytes'))}) "
                    f"were written in {db}",
            evidence=ev,
            recommendation="Raise work_mem towards the formula's value so sorts and hashes stay in "
                           "memory.",
            fix=set_fix(s, "work_mem", rec))


@check(
    id="pg.memory.maintenance_work_mem",
    title="maintenance_work_mem too small",
    category="memory",
    severity=Severity.WARNING,
    facts=["pg.settings"],
    reference=TUNER + " (maintenance_work_mem <= 64 MB); " + SIZING + " (Large: 2GB of 16 GB)",
    thresholds={"min_bytes": Threshold(64 * 1024**2, "bytes", "postgresqltuner: <= 64 MB warn")},
)
def maintenance_work_mem(ctx):
    """maintenance_work_mem is the memory of VACUUM (dead-tuple list), CREATE
    INDEX and ALTER TABLE ADD FOREIGN KEY. At the 64 MB default, vacuuming a big
    table must scan its indexes several times. The guide's Large example gives it
    2 GB of 16 GB (memory / 8, capped at 2 GB here).
    Fix: `ALTER SYSTEM SET maintenance_work_mem = ...; SELECT pg_reload_conf();`
    (autovacuum workers use autovacuum_work_mem when that is set)."""
    mem, src = ctx.require_memory()
    s = ctx.fact("pg.settings")
    mwm = value(s, "maintenance_work_mem")
    if mwm > ctx.threshold("min_bytes"):
        return
    rec = settable(formulas.pg_maintenance_work_mem(mem))  # the value the fix sets, in the summary too
    if rec <= mwm:
        return  # a small host: the current value is already what the formula gives
    yield ctx.finding(
        object="maintenance_work_mem",
        summary=f"maintenance_work_mem is {human_bytes(mwm)}; suggested {human_bytes(rec)} "
                f"for {human_bytes(mem)} RAM",
        evidence=mem_evidence(mem, src, maintenance_work_mem_bytes=mwm, recommended_bytes=rec,
                              min_bytes=ctx.threshold("min_bytes")),
        recommendation="Raise maintenance_work_mem so VACUUM and index builds work in fewer passes.",
        fix=set_fix(s, "maintenance_work_mem", rec))


@check(
    id="pg.memory.worst_case",
    title="Worst-case memory use vs host memory",
    category="memory",
    severity=Severity.CRITICAL,
    facts=["pg.settings", "pg.server"],
    reference=TUNER + " (shared_buffers + max_connections*work_mem*1.5 + autovacuum workers * "
                      "maintenance_work_mem; > 100% bad, > 80% warn)",
    thresholds={
        "warning_pct": Threshold(80, "% of RAM", "postgresqltuner: > 80% warn"),
        "critical_pct": Threshold(100, "% of RAM", "postgresqltuner: > 100% bad"),
    },
)
def worst_case(ctx):
    """If every connection ran a query using work_mem (one and a half times, on
    average) while every autovacuum worker used its maintenance memory, the server
    would need shared_buffers + max_connections * work_mem * 1.5 +
    autovacuum_max_workers * maintenance_work_mem (postgresqltuner's model;
    autovacuum_work_mem replaces maintenance_work_mem when set). Above the host's
    RAM the OOM killer can end the postmaster. Before PostgreSQL 17 a VACUUM
    never uses more than 1 GB for dead tuples, so larger values count as 1 GB
    (postgresqltuner counts them in full). Fix: lower work_mem or
    max_connections (pool connections instead), or give the host more memory."""
    mem, src = ctx.require_memory()
    s = ctx.fact("pg.settings")
    sb, maxc, wm = value(s, "shared_buffers"), value(s, "max_connections"), value(s, "work_mem")
    workers = value(s, "autovacuum_max_workers")
    av_mem = autovacuum_memory(ctx, s)
    total = formulas.pg_worst_case_memory(sb, maxc, wm, workers, av_mem)
    pct = 100.0 * total / mem
    if pct > ctx.threshold("critical_pct"):
        sev = Severity.CRITICAL
    elif pct > ctx.threshold("warning_pct"):
        sev = Severity.WARNING
    else:
        return
    fit = worst_case_fit(mem, s, av_mem, ctx.threshold("warning_pct"))
    yield ctx.finding(
        object="work_mem", severity=sev,
        summary=f"worst-case memory {human_bytes(total)} is {pct:.0f}% of {human_bytes(mem)} RAM",
        evidence=mem_evidence(mem, src, worst_case_bytes=total, pct_of_ram=round(pct, 1),
                              shared_buffers_bytes=sb, max_connections=maxc, work_mem_bytes=wm,
                              autovacuum_max_workers=workers, autovacuum_memory_bytes=av_mem,
                              warning_pct=ctx.threshold("warning_pct"),
                              critical_pct=ctx.threshold("critical_pct")),
        recommendation=f"Lower work_mem to at most {human_bytes(fit)} (or lower max_connections and "
                       f"pool connections) so the worst case stays under "
                       f"{ctx.threshold('warning_pct')}% of RAM.",
        fix=set_fix(s, "work_mem", fit))
