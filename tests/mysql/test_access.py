"""Access checks on the shared MariaDB with planted accounts (TEST-NET hosts nobody connects
from, random names, dropped at the end), and MySQL 8.0 / 8.4 plugin and privilege shapes on
recorded facts."""

from __future__ import annotations

import uuid

import pytest

from mysql_helpers import of, run_advisor
from recorded_facts import facts, judge


@pytest.fixture(scope="module")
def planted(mysql_admin_url):
    from support import MySqlScratch
    db = MySqlScratch(mysql_admin_url)
    tag = uuid.uuid4().hex[:8]
    names = {"admin": f"adv_adm_{tag}", "app": f"adv_app_{tag}", "ok": f"adv_ok_{tag}", "old": f"adv_old_{tag}"}
    accounts = [(names["admin"], "%"), (names["app"], "192.0.2.%"), (names["ok"], "192.0.2.10"),
                (names["old"], "192.0.2.11")]
    try:
        db.sql(f"CREATE USER '{names['admin']}'@'%' IDENTIFIED BY 'Adm-{tag}-pw'")
        db.sql(f"GRANT ALL PRIVILEGES ON *.* TO '{names['admin']}'@'%'")
        db.sql(f"CREATE USER '{names['app']}'@'192.0.2.%' IDENTIFIED BY 'App-{tag}-pw'")
        db.sql(f"GRANT SELECT, INSERT ON `{db.name}`.* TO '{names['app']}'@'192.0.2.%'")
        db.sql(f"CREATE USER '{names['ok']}'@'192.0.2.10' IDENTIFIED BY 'Ok-{tag}-pw' REQUIRE SSL")
        db.sql(f"GRANT SELECT ON `{db.name}`.* TO '{names['ok']}'@'192.0.2.10'")
        db.sql(f"CREATE USER '{names['old']}'@'192.0.2.11' IDENTIFIED VIA mysql_old_password USING '7ef1b9f43e6d2d28'")
        res = run_advisor(mysql_admin_url, ["mysql.access.*"])
        assert not res.errors, res.errors
        variables = dict(db.sql("SELECT VARIABLE_NAME, VARIABLE_VALUE FROM information_schema.GLOBAL_VARIABLES "
                                "WHERE VARIABLE_NAME IN ('LOCAL_INFILE', 'SKIP_NAME_RESOLVE', "
                                "'REQUIRE_SECURE_TRANSPORT', 'HAVE_SSL')"))
        yield res, names, variables
    finally:
        for user, host in accounts:
            db.sql(f"DROP USER IF EXISTS '{user}'@'{host}'")
        db.drop()


def _about(res, check_id, user):
    return [f for f in of(res, check_id) if f.evidence.get("user") == user]


def test_wildcard_hosts_other_than_root(planted):
    res, n, _ = planted
    [adm] = _about(res, "mysql.access.wildcard_host", n["admin"])
    assert str(adm.severity) == "critical" and adm.evidence["admin_privileges"] == ["ALL PRIVILEGES"]
    [app] = _about(res, "mysql.access.wildcard_host", n["app"])
    assert str(app.severity) == "warning" and "'192.0.2.%'" in app.summary
    assert app.fix.startswith(f"RENAME USER '{n['app']}'@'192.0.2.%' TO '{n['app']}'@'{{{{client_hosts}}}}';")
    assert not _about(res, "mysql.access.wildcard_host", n["ok"])


def test_global_admin_other_than_the_administrator(planted):
    res, n, _ = planted
    [adm] = _about(res, "mysql.access.global_admin", n["admin"])
    assert str(adm.severity) == "critical" and adm.evidence["fix_kind"] == "manual"
    assert not _about(res, "mysql.access.global_admin", n["app"])
    assert not [f for f in of(res, "mysql.access.global_admin") if f.evidence["user"] in ("root", "mysql")]


def test_old_password_plugin(planted):
    res, n, _ = planted
    [old] = [f for f in of(res, "mysql.access.auth_plugin") if f.object == f"'{n['old']}'@'192.0.2.11'"]
    assert str(old.severity) == "critical" and "mysql_old_password" in old.summary
    assert "IDENTIFIED VIA ed25519" in old.fix
    # MariaDB's default mysql_native_password is not reported
    assert not [f for f in of(res, "mysql.access.auth_plugin") if n["app"] in f.object]


def test_secure_transport_local_infile_and_name_resolve_follow_the_server(planted):
    res, n, v = planted
    st = of(res, "mysql.access.secure_transport")
    if v["REQUIRE_SECURE_TRANSPORT"] == "OFF":
        [f] = st
        remote = f.evidence["remote_accounts"]
        assert f"'{n['app']}'@'192.0.2.%'" in remote and f"'{n['ok']}'@'192.0.2.10'" not in remote  # REQUIRE SSL
        if v["HAVE_SSL"] != "YES":
            assert f.evidence["fix_kind"] == "config" and "restart" in f.fix
    else:
        assert st == []
    assert bool(of(res, "mysql.access.local_infile")) == (v["LOCAL_INFILE"] == "ON")
    assert bool(of(res, "mysql.access.name_resolve")) == (v["SKIP_NAME_RESOLVE"] == "OFF")


# ---- recorded MySQL 8 shapes -------------------------------------------------------

def _acct(user, host, plugin="caching_sha2_password"):
    return {"user": user, "host": host, "plugins": [plugin], "passwordless": False, "locked": False, "is_role": False}


def test_native_password_deprecated_on_mysql_8034_plus_only():
    rows = {"mysql.accounts": {"rows": [_acct("app", "10.0.0.%", "mysql_native_password"),
                                        _acct("svc", "10.0.0.%", "sha256_password"), _acct("new", "10.0.0.%")]}}
    found = judge("mysql.access.auth_plugin", facts("mysql84", **rows))[0]
    assert {(f.object, str(f.severity)) for f in found} == {("'app'@'10.0.0.%'", "warning"),
                                                            ("'svc'@'10.0.0.%'", "info")}
    assert "IDENTIFIED WITH caching_sha2_password" in found[0].fix
    older = facts("mysql8028", **rows)  # 8.0.28: native not yet deprecated
    assert [f.object for f in judge("mysql.access.auth_plugin", older)[0]] == ["'svc'@'10.0.0.%'"]


def test_dynamic_privileges_and_set_persist_on_mysql8():
    privs = {"accounts": [{"user": "ops", "host": "10.0.0.5", "ssl_type": "", "global": ["SELECT"],
                           "all_static": False, "dynamic": ["CONNECTION_ADMIN", "SYSTEM_VARIABLES_ADMIN"]}],
             "static_privileges": 31}
    rec = facts("mysql80", {"local_infile": "ON", "require_secure_transport": "OFF", "have_ssl": "YES"},
                **{"mysql.accounts": {"rows": [_acct("ops", "10.0.0.5")]}, "mysql.account_privileges": privs})
    [adm] = judge("mysql.access.global_admin", rec)[0]
    assert adm.evidence["admin_privileges"] == ["CONNECTION_ADMIN", "SYSTEM_VARIABLES_ADMIN"]
    [st] = judge("mysql.access.secure_transport", rec)[0]
    assert st.fix.startswith("SET GLOBAL require_secure_transport = ON;") and "SET PERSIST" in st.fix
    [li] = judge("mysql.access.local_infile", rec)[0]
    assert li.fix.startswith("SET GLOBAL local_infile = OFF;") and "SET PERSIST" in li.fix
