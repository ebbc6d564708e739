"""Shared pieces for the index-advisor tests: a small catalog and helpers."""

from __future__ import annotations

import pytest

from advisor.indexadvisor.catalog import Catalog
from ia_catalog import PK, table  # noqa: F401


@pytest.fixture
def shop_catalog():
    return Catalog.from_fact({"search_path": ["app", "public"], "tables": [
        table("orders", 100_000, [("id", "bigint", -1), ("customer_id", "bigint", 5000), ("status", "text", 4),
                                  ("created_at", "timestamptz", -0.9), ("note", "text", -0.3),
                                  ("is_gift", "boolean", 2)], [PK]),
        table("customers", 20_000, [("id", "bigint", -1), ("email", "text", -1), ("country", "text", 200),
                                    ("name", "text", -1)], [PK]),
        table("events", 100_000, [("id", "bigint", -1), ("kind", "text", 500), ("created_at", "timestamptz", -1)],
              [PK], schema="app"),
        table("currencies", 3, [("code", "text", -1), ("name", "text", -1)]),
    ]})
