"""pg.access.* on recorded facts: versions that do not run here (PG16+ pg_hba_file_rules with
file_name / rule_number; PG14's default CREATE on public for PUBLIC), IPv6 and samehost rules,
a line the server cannot load."""

from __future__ import annotations

from support import RecordingPgSession

from advisor.engines.postgres import facts_access
from advisor.model import Severity


def _rule(line, type_="host", address="127.0.0.1", netmask="255.255.255.255", method="trust", **kw):
    r = {"line_number": line, "type": type_, "database": ["all"], "user_name": ["all"],
         "address": address, "netmask": netmask, "auth_method": method, "options": None, "error": None,
         "rule_number": None, "file_name": None}
    r.update(kw)
    return r


def test_pg16_include_file_ipv6_samehost_and_errors(pg_judge):
    rules = [_rule(3, address="::1", netmask="ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                   file_name="/etc/postgresql/16/main/pg_hba.conf", rule_number=1),
             _rule(4, address="samehost", netmask=None, method="md5",
                   file_name="/etc/postgresql/16/main/hba.d/apps.conf", rule_number=2),
             _rule(5, address="::", netmask="::", method="trust", options=["map=omicron"]),
             _rule(6, type_="local", address=None, netmask=None, method="trust"),  # sockets: not judged
             _rule(7, method=None, error='invalid authentication method "scram"')]
    out = pg_judge("pg.access.hba", {"pg.hba_rules": rules}).of("pg.access.hba")
    assert set(out) == {"/etc/postgresql/16/main/pg_hba.conf line 3",
                        "/etc/postgresql/16/main/hba.d/apps.conf line 4", "pg_hba.conf line 5",
                        "pg_hba.conf line 7"}
    assert out["/etc/postgresql/16/main/pg_hba.conf line 3"].severity == Severity.WARNING  # ::1/128
    remote = out["pg_hba.conf line 5"]
    assert remote.severity == Severity.CRITICAL
    assert "host    all    all    ::/0    scram-sha-256    map=omicron" in remote.fix
    assert out["pg_hba.conf line 7"].evidence["fix_kind"] == "manual"
    ssl = pg_judge("pg.access.ssl", {"pg.hba_rules": rules, "pg.settings": {"ssl": {"value": False}}})
    assert [r["line_number"] for r in ssl.of("pg.access.ssl")["ssl"].evidence["remote_rules"]] == [5]


def test_pg14_default_public_schema(pg_judge):
    facts = {"pg.public_schema": {"exists": True, "schema": "public", "owner": "postgres",
                                  "public_create": True, "public_usage": True, "database": "app"}}
    f = pg_judge("pg.access.public_schema", facts).of("pg.access.public_schema")["database app"]
    assert "{{app_owner_role}}" in f.fix
    gone = {"pg.public_schema": {"exists": False, "database": "app"}}  # schema dropped: nothing to judge
    assert pg_judge("pg.access.public_schema", gone).findings == []


def test_hba_columns_by_version():
    pg15, pg16 = RecordingPgSession(150000), RecordingPgSession(160000)
    facts_access.hba_rules(pg15, None)
    facts_access.hba_rules(pg16, None)
    assert "NULL::int AS rule_number" in pg15.sent[0] and "rule_number, file_name" in pg16.sent[0]
