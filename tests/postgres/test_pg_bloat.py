"""pg.bloat.table on the shared PostgreSQL 15 (autovacuum off there): a table emptied by a
scattered DELETE and VACUUM (the file keeps its size) vs an untouched twin, by the catalog estimate
and by pgstattuple_approx; the printed VACUUM FULL clears it."""

from __future__ import annotations

import pytest

from advisor.model import Severity

pytestmark = pytest.mark.postgres
CHECK = ["pg.bloat.table"]
SMALL = {"pg.bloat.table": {"min_bytes": 1024**2}}


def _fill(db):
    db.sql("CREATE TABLE churn (id int PRIMARY KEY, a text, b bigint, c timestamptz)")
    db.sql("INSERT INTO churn SELECT g, repeat('x', 150), g, now() FROM generate_series(1, 40000) g")


@pytest.mark.parametrize("method", ["estimate", "pgstattuple_approx"])
def test_scattered_delete_leaves_the_file_big(pg_db, pg_twin, pg_advise, method):
    for db in (pg_db, pg_twin):
        if method == "pgstattuple_approx":
            db.sql("CREATE EXTENSION pgstattuple")
        _fill(db)
    pg_db.sql("DELETE FROM churn WHERE id % 5 <> 0")  # 80% gone, spread over every page
    for db in (pg_db, pg_twin):
        db.sql("VACUUM ANALYZE churn")
    f = pg_advise(pg_db.url, CHECK, thresholds=SMALL).of("pg.bloat.table")["public.churn"]
    assert f.evidence["method"] == method
    assert 70 <= f.evidence["wasted_pct"] <= 90, f.evidence
    assert f.severity == Severity.INFO and f.evidence["fix_kind"] == "manual"
    assert pg_advise(pg_twin.url, CHECK, thresholds=SMALL).findings == []

    pg_db.sql(f.fix.splitlines()[1].split(": ", 1)[1])  # the VACUUM FULL line, as printed
    assert pg_advise(pg_db.url, CHECK, thresholds=SMALL).findings == []
    assert pg_advise(pg_db.url, CHECK).findings == []  # default: 100 MB wasted at least


def test_recorded_estimate_without_statistics(pg_judge):
    row = {"schema": "s", "table": "t", "relpages": 100000, "reltuples": 1_000_000.0, "fillfactor": 100,
           "columns": 3, "widths_known": 2, "data_width": 40.0, "nullable": False}
    facts = {"pg.table_bloat": {"method": "estimate", "block_size": 8192, "rows": [row], "limit": 5000}}
    assert pg_judge("pg.bloat.table", facts).findings == []  # a column without pg_stats: not judged
    facts["pg.table_bloat"]["rows"] = [{**row, "widths_known": 3}]
    # 1 M rows of 24 + 40 + 4 bytes: 120 a page, 8,334 pages packed; 100,000 real: 91.7% empty
    f = pg_judge("pg.bloat.table", facts).of("pg.bloat.table")["s.t"]
    assert f.evidence["wasted_bytes"] == (100000 - 8334) * 8192 and f.severity == Severity.INFO
