"""A URL that names a database inspects that schema; all_schemas widens it to the server."""

from __future__ import annotations

from mysql_helpers import of, run_advisor, scratch_pair  # noqa: F401


def test_database_url_scopes_schema_findings(scratch_pair):
    a, b = scratch_pair
    b.sql("CREATE TABLE no_pk (x INT) ENGINE=InnoDB")
    b.sql("INSERT INTO no_pk VALUES (1), (2)")
    a.sql("CREATE TABLE with_pk (id INT PRIMARY KEY) ENGINE=InnoDB")

    scoped = run_advisor(a.url, checks=["mysql.schema.*"])
    assert of(scoped, "mysql.schema.no_primary_key", b.name) == []
    assert not [f for f in scoped.findings if (f.object or "").startswith(b.name + ".")]

    own = run_advisor(b.url, checks=["mysql.schema.*"])
    assert [f.object for f in of(own, "mysql.schema.no_primary_key", b.name)] == [f"{b.name}.no_pk"]

    wide = run_advisor(a.url, checks=["mysql.schema.*"], options={"all_schemas": True})
    assert [f.object for f in of(wide, "mysql.schema.no_primary_key", b.name)] == [f"{b.name}.no_pk"]
