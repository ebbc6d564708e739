"""Advice a DBA can trust: findings read on the real servers, with the mistakes once made."""

from __future__ import annotations

import json

from support import subprocess_cli


def test_admin_url_naming_the_mysql_schema_never_advises_on_system_tables(mysql_admin_url, mysql_db):
    """mysql://root@h/mysql is the usual admin URL: it inspects the user schemas, never
    mysql.* (once: 'DROP INDEX commit_timestamp' on mysql.transaction_registry)."""
    mysql_db.sql("CREATE TABLE t (id int, a int, KEY a (a), KEY a2 (a))")   # a real duplicate
    p = subprocess_cli("run", "--json", "--fail-on", "never", "--checks", "mysql.index.*",
                       "--checks", "mysql.schema.*", mysql_admin_url)
    assert p.returncode == 0, p.stderr
    objects = [f["object"] or "" for f in json.loads(p.stdout)["findings"]]
    assert not [o for o in objects if o.split(".")[0].strip("`'") in
                ("mysql", "sys", "performance_schema", "information_schema")], objects
    assert f"{mysql_db.name}.t.a2" in objects or f"{mysql_db.name}.t.a" in objects
