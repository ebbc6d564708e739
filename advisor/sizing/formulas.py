"""Sizing formulas from the performance guide (Resource Sizing Matrix).

Each function takes host memory in bytes and returns bytes (or a range),
with the guide's wording in the docstring. Checks and `advisor size` both call
these, so advice and calculator never disagree.
"""

from __future__ import annotations

GiB = 1024**3
MiB = 1024**2


def pg_shared_buffers(memory: int) -> int:
    """Guide: shared_buffers = 25% of total memory."""
    return memory // 4


def pg_work_mem(memory: int, max_connections: int) -> int:
    """Guide: work_mem = (Memory - shared_buffers) / (max_connections * 3)."""
    return max(64 * 1024, (memory - pg_shared_buffers(memory)) // (max(1, max_connections) * 3))


def pg_effective_cache_size(memory: int) -> int:
    """Guide example (Large, 16 GB): 12GB = 75% of memory (pgtune: RAM * 3/4)."""
    return memory * 3 // 4


def pg_maintenance_work_mem(memory: int) -> int:
    """Guide example (Large, 16 GB): 2GB = memory / 8; pgtune uses RAM/16 capped at 2 GB.
    We follow the guide's example ratio, capped at 2 GB (larger values buy little)."""
    return min(memory // 8, 2 * GiB)


def pg_worst_case_memory(shared_buffers: int, max_connections: int, work_mem: int,
                         autovacuum_workers: int, autovacuum_work_mem: int) -> int:
    """postgresqltuner's memory model: shared_buffers + max_connections * work_mem * 1.5
    + autovacuum_max_workers * (autovacuum_work_mem, else maintenance_work_mem).
    Above 100% of RAM the server can be OOM-killed under load; above 80% it is tight."""
    return int(shared_buffers + max_connections * work_mem * 1.5 + autovacuum_workers * autovacuum_work_mem)


def pg_autovacuum_memory(autovacuum_work_mem: int | None, maintenance_work_mem: int,
                         version_num: int) -> int:
    """What one autovacuum worker may use: autovacuum_work_mem when set (> 0), else
    maintenance_work_mem; before PostgreSQL 17 a VACUUM never uses more than 1 GB for
    its dead tuples."""
    mem = autovacuum_work_mem if autovacuum_work_mem and autovacuum_work_mem > 0 else maintenance_work_mem
    return min(mem, GiB) if version_num < 170000 else mem


def pg_work_mem_fit(memory: int, shared_buffers: int, max_connections: int, autovacuum_workers: int,
                    autovacuum_work_mem: int, pct: float) -> int:
    """The largest work_mem that keeps pg_worst_case_memory under pct% of memory (at least
    PostgreSQL's floor, 64kB)."""
    room = memory * pct / 100 - shared_buffers - autovacuum_workers * autovacuum_work_mem
    return max(64 * 1024, int(room / (max(1, max_connections) * 1.5)))


def mysql_buffer_pool(memory: int) -> tuple[int, int]:
    """Guide: innodb_buffer_pool_size = 70-80% of total memory."""
    return memory * 70 // 100, memory * 80 // 100


def mysql_redo_log(buffer_pool: int, pct: float = 25.0) -> int:
    """Guide: "Log Files (25% of buffer pool)": the TOTAL redo capacity, all log files
    together (MySQLTuner judges innodb_log_file_size x innodb_log_files_in_group the same
    way). Which variable carries it depends on the server: see mysql_redo_setting."""
    return int(buffer_pool * pct / 100)


def mysql_redo_setting(total: int, vendor: str, version: tuple[int, ...],
                       files_in_group: int = 2) -> tuple[str, int]:
    """(variable, value) that gives `total` bytes of redo on that server:
    MySQL 8.0.30+: innodb_redo_log_capacity = total (the file variables are ignored);
    MariaDB 10.5+: a single redo file, innodb_log_file_size = total;
    older MySQL / MariaDB: innodb_log_file_size = total / innodb_log_files_in_group
    (default 2), rounded up to a whole MiB."""
    if vendor == "mysql" and tuple(version) >= (8, 0, 30):
        return "innodb_redo_log_capacity", total
    if vendor == "mariadb" and tuple(version) >= (10, 5):
        return "innodb_log_file_size", total
    files = max(1, int(files_in_group or 1))
    return "innodb_log_file_size", -(-total // files // MiB) * MiB


def mysql_memory(buffer_pool: int, key_buffer: int, max_connections: int, read_buffer: int,
                 sort_buffer: int) -> int:
    """Guide: Memory = innodb_buffer_pool_size + key_buffer_size
    + max_connections * (read_buffer_size + sort_buffer_size) (+ OS cache, not counted here)."""
    return buffer_pool + key_buffer + max_connections * (read_buffer + sort_buffer)


def mongo_wiredtiger_cache(memory: int) -> int:
    """Guide: WiredTiger cache = 50% of (memory - 1 GB) (MongoDB's own default, floor 256 MB)."""
    return max(256 * MiB, (memory - GiB) // 2)


def redis_maxmemory(memory: int) -> int:
    """Guide: Redis maxmemory = 75% of total memory (25% for OS and fragmentation)."""
    return memory * 3 // 4


def mysql_buffer_pool_target(memory: int) -> int:
    """One number inside the guide's 70-80% band: 75% (the guide's Large example, 12G of 16G)."""
    return memory * 75 // 100


def elasticsearch_heap(memory: int) -> int:
    """Guide: Heap Size = min(32GB, 50% of total memory)."""
    return min(32 * GiB, memory // 2)


def kafka_heap(memory: int) -> int:
    """Guide: Heap = 4-6 GB (not more, for GC performance); Page Cache = 70% of memory.

    The guide's 4-6 GB cannot hold on its 4 and 8 GB tiers (page cache alone takes 70%),
    so the heap is 25% of memory (the guide's Large example: 4 GB of 16 GB), at least
    1 GB and at most 6 GB."""
    return max(GiB, min(6 * GiB, memory // 4))


def kafka_page_cache(memory: int) -> int:
    """Guide: Page Cache = 70% of memory (for recent log segments)."""
    return memory * 70 // 100


def rabbitmq_watermark(memory: int) -> int:
    """Guide: vm_memory_high_watermark = 0.4 (40% of total memory)."""
    return memory * 4 // 10


def prometheus_memory(samples_per_second: float, retention_seconds: float) -> float:
    """Guide: Memory (GB) = (Samples/s * Retention seconds * 2 bytes) / 1024^3 * 1.5 -> bytes."""
    return samples_per_second * retention_seconds * 2 * 1.5


def prometheus_storage(samples_per_second: float, retention_seconds: float) -> float:
    """Guide: Storage (GB) = Samples/s * Retention seconds * 1.5 bytes / 1024^3 -> bytes."""
    return samples_per_second * retention_seconds * 1.5


def loki_storage(log_rate_mb_s: float, retention_seconds: float, compression: float) -> float:
    """Guide: Storage (GB) = Log rate (MB/s) * Retention (s) * Compression ratio (0.1-0.3) / 1024 -> bytes."""
    return log_rate_mb_s * retention_seconds * compression / 1024 * GiB


def loki_memory(active_streams: int, chunk_cache: int, index_cache: int) -> int:
    """Guide: Memory (GB) = Active streams * 5 KB + Chunk cache + Index cache -> bytes."""
    return active_streams * 5 * 1024 + chunk_cache + index_cache


# PgBouncer in front of PostgreSQL: guide, Database Performance > PostgreSQL > 2. Connection Pooling
PGBOUNCER_GUIDE = {"pool_mode": "transaction", "max_client_conn": 10000, "default_pool_size": 25,
                   "min_pool_size": 10, "reserve_pool_size": 10, "max_db_connections": 100}
PG_ADMIN_HEADROOM = 10   # PostgreSQL connections kept out of the pool: superuser_reserved (3), admin, replication


def pgbouncer_settings(max_connections: int, notes: list[str] | None = None) -> dict[str, int | str]:
    """The guide's pgbouncer.ini values, with max_db_connections held below PostgreSQL's own
    max_connections: the guide's 100 equals the Small tier's max_connections, which would leave
    no connection for superusers, maintenance or replication."""
    out = dict(PGBOUNCER_GUIDE)
    cap = max(1, max_connections - PG_ADMIN_HEADROOM)
    if out["max_db_connections"] > cap:
        out["max_db_connections"] = cap
        if notes is not None:
            notes.append(f"PgBouncer: max_db_connections {cap}, not the guide's 100: PostgreSQL's max_connections "
                         f"is {max_connections} and {PG_ADMIN_HEADROOM} stay outside the pool (superuser_reserved_"
                         "connections, admin sessions, replication).")
    out["default_pool_size"] = min(out["default_pool_size"], out["max_db_connections"])
    out["min_pool_size"] = min(out["min_pool_size"], out["default_pool_size"])
    return out

