"""Digests of statements sent without a default schema (SCHEMA_NAME NULL) on the shared
MariaDB: a run scoped to one schema judges those that name its tables, never another
schema's; a run without a schema keeps them all."""

from __future__ import annotations

import json

import pymysql
import pytest

from support import MySqlScratch, subprocess_cli


@pytest.fixture
def two_schemas(mysql_admin_url):
    app, other = MySqlScratch(mysql_admin_url), MySqlScratch(mysql_admin_url)
    try:
        for db in (app, other):
            db.sql("CREATE TABLE orders (id INT PRIMARY KEY, v INT)")
            db.sql("INSERT INTO orders SELECT seq, seq % 101 FROM seq_1_to_3000")
        yield app, other
    finally:
        app.drop()
        other.drop()


def full_scan_statements(url: str) -> list[str]:
    p = subprocess_cli("run", "--json", "--fail-on", "never", "--checks", "mysql.queries.full_scans", url)
    assert p.returncode == 0, p.stderr
    return [f["evidence"]["statement"] for f in json.loads(p.stdout)["findings"]]


def test_schemaless_digest_is_judged_in_the_schema_whose_tables_it_names(two_schemas):
    app, other = two_schemas
    bare = pymysql.connect(**app.kw)      # no default schema: its digests have SCHEMA_NAME NULL
    try:
        with bare.cursor() as cur:
            cur.execute(f"SELECT * FROM `{other.name}`.orders WHERE v = 5")
            cur.execute(f"SELECT * FROM `{app.name}`.orders WHERE v = 6")
    finally:
        bare.close()
    in_app = [s for s in full_scan_statements(app.url) if app.name in s or other.name in s]
    assert len(in_app) == 1 and app.name in in_app[0] and other.name not in in_app[0], in_app
    in_other = [s for s in full_scan_statements(other.url) if app.name in s or other.name in s]
    assert len(in_other) == 1 and other.name in in_other[0], in_other


def test_attribution_by_the_tables_a_digest_names():
    from advisor.indexadvisor.digests import names_schema
    assert not names_schema("SELECT * FROM `other` . `orders` WHERE `v` = ?", "app", {"orders"}, {"orders"})
    assert names_schema("SELECT * FROM `other` . `x` JOIN `app` . `orders` USING ( `id` )", "app")
    assert names_schema("SELECT * FROM `invoices` WHERE `v` = ?", "app", {"invoices"}, set())
    assert not names_schema("SELECT * FROM `orders` WHERE `v` = ?", "app", {"orders"}, {"orders"})  # ambiguous
    assert names_schema("SELECT * FROM `app` . `t` WHERE `a` IN (...) AND ...", "app")   # truncated text


def test_index_advice_for_statements_without_a_default_schema(two_schemas):
    """The index advisor reads them too, in the schema whose tables they name, and not in another."""
    app, other = two_schemas
    bare = pymysql.connect(**app.kw)
    try:
        with bare.cursor() as cur:
            for v in range(40):
                cur.execute(f"SELECT id FROM `{app.name}`.orders WHERE v = %s", (v,))
    finally:
        bare.close()

    def suggested(url):
        p = subprocess_cli("run", "--json", "--fail-on", "never", "--checks", "mysql.index.suggested", url)
        assert p.returncode == 0, p.stderr
        return [f for f in json.loads(p.stdout)["findings"] if f["check"] == "mysql.index.suggested"]
    found = suggested(app.url)
    assert [f["object"] for f in found] == [f"{app.name}.orders (v)"], found
    assert "(`v`)" in found[0]["fix"]
    assert suggested(other.url) == []
