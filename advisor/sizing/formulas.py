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


def mysql_buffer_pool(memory: int) -> tuple[int, int]:
    """Guide: innodb_buffer_pool_size = 70-80% of total memory."""
    return memory * 70 // 100, memory * 80 // 100


def mysql_redo_log(buffer_pool: int) -> int:
    """Guide: log files = 25% of buffer pool (innodb_log_file_size)."""
    return buffer_pool // 4


def mongo_wiredtiger_cache(memory: int) -> int:
    """Guide: WiredTiger cache = 50% of (memory - 1 GB) (MongoDB's own default, floor 256 MB)."""
    return max(256 * MiB, (memory - GiB) // 2)


def redis_maxmemory(memory: int) -> int:
    """Guide: Redis maxmemory = 75% of total memory (25% for OS and fragmentation)."""
    return memory * 3 // 4
