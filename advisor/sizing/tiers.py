"""The guide's Resource Sizing Matrix, as data (Tier 1-3 tables, one row per workload tier).

Memory and storage are in GiB as the guide writes them ("16 GB" means a 16Gi
limit in its Helm examples). `extra` holds the table's other columns verbatim.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TIERS = ("small", "medium", "large", "xlarge")
GiB = 1024**3


@dataclass(frozen=True)
class TierRow:
    vcpu: int
    memory_gb: int
    use_case: str
    iops: int | None = None
    connections: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def memory_bytes(self) -> int:
        return self.memory_gb * GiB


def _rows(*rows: TierRow) -> dict[str, TierRow]:
    return dict(zip(TIERS, rows))


MATRIX: dict[str, dict[str, TierRow]] = {
    "postgresql": _rows(
        TierRow(2, 4, "Dev/Test, < 10 GB data", 3000, 100),
        TierRow(4, 8, "Small production, < 50 GB data", 6000, 200),
        TierRow(8, 16, "Large production, < 200 GB data", 12000, 500),
        TierRow(16, 32, "Enterprise, > 200 GB data", 24000, 1000),
    ),
    "mysql": _rows(
        TierRow(2, 4, "Dev/Test, < 10 GB data", 3000, 150),
        TierRow(4, 8, "Small production, < 50 GB data", 6000, 300),
        TierRow(8, 16, "Large production, < 200 GB data", 12000, 500),
        TierRow(16, 32, "Enterprise, > 200 GB data", 24000, 1000),
    ),
    "mongodb": _rows(
        TierRow(2, 4, "Dev/Test, < 10 GB data", 3000, 1000),
        TierRow(4, 8, "Small production, < 50 GB data", 6000, 2000),
        TierRow(8, 16, "Large production, < 500 GB data", 12000, 5000),
        TierRow(16, 32, "Enterprise, > 500 GB data", 24000, 10000),
    ),
    "redis": _rows(
        TierRow(1, 2, "Dev/Test, cache < 1 GB"),
        TierRow(2, 4, "Small production, cache < 3 GB"),
        TierRow(4, 8, "Large production, cache < 6 GB"),
        TierRow(8, 16, "Enterprise, cache < 12 GB"),
    ),
    "elasticsearch": _rows(
        TierRow(2, 4, "Dev/Test, < 50 GB indices", 3000, extra={"heap": "2 GB"}),
        TierRow(4, 8, "Small production, < 200 GB indices", 6000, extra={"heap": "4 GB"}),
        TierRow(8, 16, "Large production, < 1 TB indices", 12000, extra={"heap": "8 GB"}),
        TierRow(16, 32, "Enterprise, > 1 TB indices", 24000, extra={"heap": "16 GB"}),
    ),
    "kafka": _rows(
        TierRow(2, 4, "Dev/Test, low throughput", 3000, extra={"throughput": "10 MB/s"}),
        TierRow(4, 8, "Small production", 6000, extra={"throughput": "50 MB/s"}),
        TierRow(8, 16, "Large production", 12000, extra={"throughput": "200 MB/s"}),
        TierRow(16, 32, "Enterprise, high throughput", 24000, extra={"throughput": "500 MB/s"}),
    ),
    "rabbitmq": _rows(
        TierRow(2, 4, "Dev/Test", extra={"throughput": "1k msg/s"}),
        TierRow(4, 8, "Small production", extra={"throughput": "10k msg/s"}),
        TierRow(8, 16, "Large production", extra={"throughput": "50k msg/s"}),
        TierRow(16, 32, "Enterprise", extra={"throughput": "100k msg/s"}),
    ),
    "prometheus": _rows(
        TierRow(2, 4, "Dev/Test, < 100 targets",
                extra={"storage": "50 GB", "retention_days": 7, "samples_per_second": 10_000}),
        TierRow(4, 8, "Small production, < 500 targets",
                extra={"storage": "200 GB", "retention_days": 15, "samples_per_second": 50_000}),
        TierRow(8, 16, "Large production, < 2000 targets",
                extra={"storage": "1 TB", "retention_days": 30, "samples_per_second": 200_000}),
        TierRow(16, 32, "Enterprise, > 2000 targets",
                extra={"storage": "5 TB", "retention_days": 90, "samples_per_second": 1_000_000}),
    ),
    "grafana": _rows(
        TierRow(1, 2, "Dev/Test", extra={"storage": "10 GB", "users": "< 50", "dashboards": "< 100"}),
        TierRow(2, 4, "Small production", extra={"storage": "20 GB", "users": "< 200", "dashboards": "< 500"}),
        TierRow(4, 8, "Large production", extra={"storage": "50 GB", "users": "< 1000", "dashboards": "< 2000"}),
        TierRow(8, 16, "Enterprise", extra={"storage": "100 GB", "users": "> 1000", "dashboards": "> 2000"}),
    ),
    "loki": _rows(
        TierRow(2, 4, "Dev/Test", extra={"storage": "50 GB", "retention_days": 7, "log_rate_mb_s": 10}),
        TierRow(4, 8, "Small production", extra={"storage": "200 GB", "retention_days": 15, "log_rate_mb_s": 50}),
        TierRow(8, 16, "Large production", extra={"storage": "1 TB", "retention_days": 30, "log_rate_mb_s": 200}),
        TierRow(16, 32, "Enterprise", extra={"storage": "5 TB", "retention_days": 90, "log_rate_mb_s": 500}),
    ),
    "keycloak": _rows(
        TierRow(2, 2, "Dev/Test", extra={"users": "< 1k", "sessions": "< 10k"}),
        TierRow(4, 4, "Small production", extra={"users": "< 10k", "sessions": "< 100k"}),
        TierRow(8, 8, "Large production", extra={"users": "< 100k", "sessions": "< 1M"}),
        TierRow(16, 16, "Enterprise", extra={"users": "> 100k", "sessions": "> 1M"}),
    ),
    "nextcloud": _rows(
        TierRow(2, 2, "Personal/Family", extra={"storage": "100 GB", "users": "< 50", "files": "< 10k"}),
        TierRow(4, 4, "Small team", extra={"storage": "500 GB", "users": "< 200", "files": "< 100k"}),
        TierRow(8, 8, "Organization", extra={"storage": "2 TB", "users": "< 1000", "files": "< 1M"}),
        TierRow(16, 16, "Enterprise", extra={"storage": "10 TB", "users": "> 1000", "files": "> 1M"}),
    ),
}

ALIASES = {"postgres": "postgresql", "pg": "postgresql", "mariadb": "mysql", "mongo": "mongodb",
           "es": "elasticsearch"}


def chart_name(name: str) -> str:
    n = name.strip().lower()
    return ALIASES.get(n, n)


def tier_for_memory(chart: str, memory: int) -> str:
    """The smallest tier whose memory covers `memory` (xlarge beyond)."""
    for t in TIERS:
        if memory <= MATRIX[chart][t].memory_bytes:
            return t
    return "xlarge"


def tier_connections(chart: str, memory: int) -> int | None:
    """The connections column of the tier that matches this much memory."""
    return MATRIX[chart][tier_for_memory(chart, memory)].connections
