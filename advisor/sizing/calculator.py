"""`advisor size`: the guide's tier row and derived settings for each chart it sizes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from advisor.units import settable

from . import formulas as F
from .tiers import MATRIX, TIERS, TierRow, chart_name, tier_for_memory

GiB, MiB = F.GiB, F.MiB
DAY = 86400

# Helm requests as a fraction of limits (cpu, memory), read off the guide's Large examples.
REQUEST_RATIO = {"grafana": (0.25, 0.25), "keycloak": (0.25, 0.5), "nextcloud": (0.25, 0.5)}


@dataclass
class Inputs:
    memory: int
    cpus: int
    connections: int | None = None
    samples_per_second: float | None = None
    retention_days: float | None = None
    log_rate_mb_s: float | None = None
    compression: float = 0.2
    active_streams: int | None = None


@dataclass
class Sizing:
    chart: str
    tier: str | None               # None when sized from --memory/--cpus beyond the table
    row: TierRow
    memory: int
    cpus: int
    settings: dict[str, Any]       # the engine's settings, as the guide's examples spell them
    helm_key: str                  # top-level key of the engine's settings in values.yaml
    notes: list[str] = field(default_factory=list)
    companions: dict[str, dict[str, Any]] = field(default_factory=dict)  # e.g. the guide's PgBouncer

    @property
    def resources(self) -> dict[str, dict[str, str]]:
        cpu_r, mem_r = REQUEST_RATIO.get(self.chart, (0.5, 0.5))
        return {
            "requests": {"cpu": _cpu(self.cpus * cpu_r), "memory": _mem(int(self.memory * mem_r))},
            "limits": {"cpu": _cpu(self.cpus), "memory": _mem(self.memory)},
        }

    def to_dict(self) -> dict[str, Any]:
        r = self.row
        return {
            "chart": self.chart, "tier": self.tier,
            "row": {"vcpu": r.vcpu, "memory_gb": r.memory_gb, "iops": r.iops,
                    "connections": r.connections, "use_case": r.use_case, **r.extra},
            "memory_bytes": self.memory, "cpus": self.cpus,
            "resources": self.resources, "settings": self.settings, "notes": self.notes,
            **({"companions": self.companions} if self.companions else {}),
        }

    def helm_values(self) -> dict[str, Any]:
        return {"resources": self.resources, self.helm_key: self.settings}


def _cpu(cpus: float) -> str:
    return f"{int(round(cpus * 1000))}m"


def _mem(n: int) -> str:
    return f"{n // GiB}Gi" if n % GiB == 0 else f"{n // MiB}Mi"


def _gb(n: float) -> str:
    """PostgreSQL/MySQL-style size: 4GB, 512MB (rounded down to whole MB)."""
    n = int(n)
    if n < MiB:  # PostgreSQL's own floor for work_mem is 64kB
        return f"{max(64, n // 1024)}kB"
    return f"{n // GiB}GB" if n % GiB == 0 else f"{n // MiB}MB"


def _mysql_size(n: float) -> str:
    n = int(n)
    return f"{n // GiB}G" if n % GiB == 0 else f"{n // MiB}M"


def _gib(n: float, digits: int = 1) -> float:
    return round(n / GiB, digits)


# ---- one function per chart: (inputs, notes) -> (helm key, settings) --------------------

def _postgresql(i: Inputs, notes: list[str]) -> tuple[str, dict]:
    conns = i.connections or 100
    sb = F.pg_shared_buffers(i.memory)
    notes.append(f"work_mem = (memory - shared_buffers) / (max_connections * 3) with max_connections "
                 f"{conns}. The guide's Large example pairs 16 GB with max_connections 200 (work_mem "
                 "20MB) while its table and shell calculator say 500 (work_mem 8MB); this follows "
                 "the table and the formula.")
    wm, mwm = F.pg_work_mem(i.memory, conns), F.pg_maintenance_work_mem(i.memory)
    _worst_case_note(i.memory, sb, conns, wm, mwm, notes)
    return "postgresql", {
        "max_connections": conns,
        "shared_buffers": _gb(sb),
        "effective_cache_size": _gb(F.pg_effective_cache_size(i.memory)),
        "maintenance_work_mem": _gb(mwm),
        "work_mem": _gb(wm),
    }


def _worst_case_note(memory: int, sb: int, conns: int, wm: int, mwm: int, notes: list[str]) -> None:
    """The guide's values can pass postgresqltuner's worst case (pg.memory.worst_case warns
    above 80% of memory): say so, and what keeps it under, instead of printing values the
    advisor then flags."""
    # autovacuum_max_workers' default; autovacuum_work_mem unset; VACUUM's 1 GB cap (PostgreSQL <= 16)
    workers, av_mem = 3, F.pg_autovacuum_memory(None, mwm, 160000)
    wm = settable(wm)   # as printed (_gb rounds down to whole MB too)
    pct = 100 * F.pg_worst_case_memory(sb, conns, wm, workers, av_mem) / memory
    if pct <= 80:
        return
    fit = F.pg_work_mem_fit(memory, sb, conns, workers, av_mem, 80)
    notes.append(f"Worst case at these values (shared_buffers + max_connections x work_mem x 1.5 + "
                 f"{workers} autovacuum workers x {_gb(av_mem)}) is {pct:.1f}% of memory, above the 80% "
                 f"that pg.memory.worst_case (postgresqltuner) warns at: work_mem {_gb(fit)} keeps it "
                 f"under, as the advisor's pg.memory.work_mem advises; or pool connections and lower "
                 f"max_connections.")


def _mysql(i: Inputs, notes: list[str]) -> tuple[str, dict]:
    conns = i.connections or 150
    bp = F.mysql_buffer_pool_target(i.memory)
    lo, hi = F.mysql_buffer_pool(i.memory)
    log = F.mysql_redo_log(bp)
    notes.append(f"innodb_buffer_pool_size: 75%, inside the guide's 70-80% band "
                 f"({_mysql_size(lo)}-{_mysql_size(hi)}).")
    _, per_file = F.mysql_redo_setting(log, "mysql", (8, 0, 29), files_in_group=2)
    notes.append(f"Redo log: {_mysql_size(log)} in total, 25% of the buffer pool (the guide's \"Log Files\" "
                 "line; its Large example says 2G where the formula gives 3G). innodb_log_file_size = "
                 f"{_mysql_size(log)} is that total on MariaDB 10.5+ (one redo file); on MySQL 8.0.30+ set "
                 f"innodb_redo_log_capacity = {_mysql_size(log)} instead; before 8.0.30 the total is split "
                 f"over innodb_log_files_in_group: innodb_log_file_size = {_mysql_size(per_file)} with 2 files.")
    notes.append("query_cache: the guide's Large example sets query_cache_size 256M, but the query "
                 "cache was removed in MySQL 8.0 and its own my.cnf says to disable it; MariaDB: keep "
                 "query_cache_type = 0.")
    return "mysql", {
        "max_connections": conns,
        "innodb_buffer_pool_size": _mysql_size(bp),
        "innodb_log_file_size": _mysql_size(log),
        "query_cache_type": 0,
        "query_cache_size": 0,
        "tmp_table_size": "256M",
        "max_heap_table_size": "256M",
    }


def _mongodb(i: Inputs, notes: list[str]) -> tuple[str, dict]:
    return "mongodb", {
        "wiredTigerCacheSizeGB": _gib(F.mongo_wiredtiger_cache(i.memory), 2),
        "maxIncomingConnections": i.connections or 1000,
    }


def _redis(i: Inputs, notes: list[str]) -> tuple[str, dict]:
    mm = F.redis_maxmemory(i.memory)
    val = f"{mm // GiB}gb" if mm % GiB == 0 else f"{mm // MiB}mb"
    return "redis", {"maxmemory": val, "maxmemory-policy": "allkeys-lru"}


def _elasticsearch(i: Inputs, notes: list[str]) -> tuple[str, dict]:
    heap = F.elasticsearch_heap(i.memory)
    h = f"{heap // GiB}g" if heap % GiB == 0 else f"{heap // MiB}m"
    if heap >= 31 * GiB:
        notes.append("Above about 31 GB the JVM loses compressed object pointers; Elastic advises "
                     "staying just below that (the guide's cap is 32 GB).")
    notes.append(f"File system cache: the other 50% ({_gb(i.memory - heap)}) stays free for Lucene.")
    return "elasticsearch", {"javaOpts": f"-Xms{h} -Xmx{h}"}


def _kafka(i: Inputs, notes: list[str]) -> tuple[str, dict]:
    heap = F.kafka_heap(i.memory)
    h = f"{heap // GiB}g" if heap % GiB == 0 else f"{heap // MiB}m"
    if i.memory < 16 * GiB:
        notes.append("The guide's heap of 4-6 GB does not fit beside a 70% page cache below 16 GB; "
                     "the heap here is 25% of memory (its Large example's ratio).")
    notes.append(f"Page cache: about {_gb(F.kafka_page_cache(i.memory))} (70% of memory) for recent segments.")
    return "kafka", {
        "heap": f"-Xms{h} -Xmx{h}",
        "num.network.threads": max(3, i.cpus),
        "num.io.threads": max(8, 2 * i.cpus),
        "socket.send.buffer.bytes": 102400,
        "socket.receive.buffer.bytes": 102400,
    }


def _rabbitmq(i: Inputs, notes: list[str]) -> tuple[str, dict]:
    notes.append(f"The relative watermark 0.4 blocks publishers at {_gb(F.rabbitmq_watermark(i.memory))}.")
    return "rabbitmq", {"vm_memory_high_watermark.relative": 0.4, "channel_max": 2048, "heartbeat": 60}


def _prometheus(i: Inputs, notes: list[str]) -> tuple[str, dict]:
    sps = i.samples_per_second or 10_000
    days = i.retention_days or 7
    secs = days * DAY
    mem = F.prometheus_memory(sps, secs)
    sto = F.prometheus_storage(sps, secs)
    notes.append(f"Formula memory for {sps:,.0f} samples/s over {days:g} days: {_gib(mem):,} GB; "
                 f"storage: {_gib(sto):,} GB.")
    notes.append("The guide's worked example (100k samples/s, 30 days) says memory ~12 GB, but its "
                 "own formula gives ~724 GB; storage ~362 GB matches its ~365 GB. The memory formula "
                 "scales with retention, which real Prometheus memory does not (it follows active "
                 "series in the 2 h head block), so size memory by the tier row and treat the "
                 "formula's memory figure as an upper bound.")
    return "prometheus", {
        "retention": f"{days:g}d",
        "storage.tsdb.max-block-duration": "2h",
        "storage.tsdb.min-block-duration": "2h",
        "storage_gb_from_formula": _gib(sto),
        "memory_gb_from_formula": _gib(mem),
    }


def _grafana(i: Inputs, notes: list[str]) -> tuple[str, dict]:
    notes.append("The guide gives Grafana settings only for Large; they are used for every tier.")
    return "grafana", {"GF_DATABASE_MAX_IDLE_CONN": 100, "GF_DATABASE_MAX_OPEN_CONN": 300,
                       "GF_DATAPROXY_TIMEOUT": 30, "GF_DATAPROXY_KEEP_ALIVE_SECONDS": 30}


def _loki(i: Inputs, notes: list[str]) -> tuple[str, dict]:
    rate = i.log_rate_mb_s or 10
    days = i.retention_days or 7
    sto = F.loki_storage(rate, days * DAY, i.compression)
    chunk = i.memory // 4          # Large example: 4096 MB of 16 GB
    index = i.memory // 8          # Large example: 2048 MB of 16 GB
    notes.append(f"Storage at {rate:g} MB/s for {days:g} days, compression {i.compression:g}: "
                 f"{_gib(sto):,} GB (formula).")
    notes.append("Cache sizes scale the guide's Large example (chunk cache 25%, index cache 12.5% "
                 "of memory).")
    settings: dict[str, Any] = {
        "chunk_cache": {"max_size_mb": chunk // MiB},
        "index_cache": {"max_size_mb": index // MiB},
        "ingester": {"chunk_target_size": 1572864, "max_chunk_age": "2h"},
        "storage_gb_from_formula": _gib(sto),
    }
    if i.active_streams:
        need = F.loki_memory(i.active_streams, chunk, index)
        settings["memory_gb_from_formula"] = _gib(need)
        if need > i.memory:
            notes.append(f"{i.active_streams:,} active streams plus caches need {_gib(need)} GB, "
                         f"more than the {_gib(i.memory)} GB available.")
    return "loki", settings


def _keycloak(i: Inputs, notes: list[str]) -> tuple[str, dict]:
    heap = i.memory // 2           # Large example: -Xmx4g of 8 GB
    h = f"{heap // GiB}g" if heap % GiB == 0 else f"{heap // MiB}m"
    notes.append("Heap = 50% of memory, the ratio of the guide's Large example.")
    return "keycloak", {"javaOpts": f"-Xms{h} -Xmx{h} -XX:MetaspaceSize=256m -XX:MaxMetaspaceSize=512m"}


def _nextcloud(i: Inputs, notes: list[str]) -> tuple[str, dict]:
    php = i.memory // 4            # Large example: 2048M of 8 GB
    opcache = max(128, i.memory // GiB * 64)  # Large example: 512 for 8 GB
    notes.append("PHP memory limit 25% and opcache 64 MB per GB: ratios of the guide's Large example.")
    return "nextcloud", {"phpMemoryLimit": f"{php // MiB}M", "phpUploadLimit": "16G",
                         "phpMaxExecutionTime": 3600, "opcache.memory_consumption": opcache}


def _note_storage(row: TierRow, settings: dict, notes: list[str]) -> None:
    """Say so when a storage formula disagrees with the tier table by more than 2x."""
    formula = settings.get("storage_gb_from_formula")
    table = row.extra.get("storage")
    if formula is None or not table:
        return
    num, unit = table.split()
    table_gb = float(num) * (1024 if unit == "TB" else 1)
    if formula > 2 * table_gb or formula < table_gb / 2:
        notes.append(f"The formula's storage ({formula:,} GB) disagrees with the tier table's {table}; "
                     "the formula is computed from the inputs, the table row is the guide's estimate.")


CHARTS: dict[str, Callable[[Inputs, list[str]], tuple[str, dict]]] = {
    "postgresql": _postgresql, "mysql": _mysql, "mongodb": _mongodb, "redis": _redis,
    "elasticsearch": _elasticsearch, "kafka": _kafka, "rabbitmq": _rabbitmq,
    "prometheus": _prometheus, "grafana": _grafana, "loki": _loki, "keycloak": _keycloak,
    "nextcloud": _nextcloud,
}


def size(chart: str, tier: str | None = None, *, memory: int | None = None, cpus: int | None = None,
         **inputs: Any) -> Sizing:
    """Size `chart` for a tier, or for a host given by memory (+ cpus); explicit inputs win."""
    name = chart_name(chart)
    if name not in CHARTS:
        raise ValueError(f"unknown chart {chart!r} (known: {', '.join(CHARTS)})")
    if tier is not None and tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r} (known: {', '.join(TIERS)})")
    if tier is None and memory is None:
        raise ValueError("give --tier or --memory")
    row_tier = tier or tier_for_memory(name, memory)
    row = MATRIX[name][row_tier]
    mem = memory or row.memory_bytes
    cpu = cpus or row.vcpu
    notes: list[str] = []
    defaults = {"connections": row.connections,
                "samples_per_second": row.extra.get("samples_per_second"),
                "retention_days": row.extra.get("retention_days"),
                "log_rate_mb_s": row.extra.get("log_rate_mb_s")}
    merged = {k: v for k, v in defaults.items() if v is not None}
    merged.update({k: v for k, v in inputs.items() if v is not None})
    i = Inputs(memory=mem, cpus=cpu, **merged)
    key, settings = CHARTS[name](i, notes)
    _note_storage(row, settings, notes)
    exact_tier = tier if tier else (row_tier if mem == row.memory_bytes else None)
    if memory and not tier:
        notes.insert(0, f"Tier row shown: {row_tier} (the smallest tier with at least this memory).")
    companions = {"pgbouncer": F.pgbouncer_settings(settings["max_connections"], notes)} \
        if name == "postgresql" else {}
    return Sizing(chart=name, tier=exact_tier, row=row, memory=mem, cpus=cpu, settings=settings,
                  helm_key=key, notes=notes, companions=companions)
