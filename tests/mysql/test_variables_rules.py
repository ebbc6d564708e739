"""pt-variable-advisor rules: a private MariaDB started with the bad settings (each finding
asserted, then the printed dynamic fixes applied and the findings gone), and recorded MySQL 8
shapes for both sides of each rule."""

from __future__ import annotations

import shutil

import pytest

from advisor.fixes import fill
from mysql_helpers import of, run_advisor
from recorded_facts import facts, judge
from servers import MariaDBServer

BAD = ["general_log=ON", "log_output=TABLE", "sql_mode=NO_ENGINE_SUBSTITUTION", "slave_skip_errors=1062,1032",
       "innodb_force_recovery=1", "delay_key_write=ALL", "optimizer_prune_level=0", "max_connections=2000",
       "slave_net_timeout=3600", "innodb_fast_shutdown=2"]


@pytest.mark.skipif(not shutil.which("mariadb-install-db"), reason="MariaDB binaries not installed")
def test_bad_settings_on_a_private_mariadb_then_the_printed_fixes():
    with MariaDBServer(*BAD) as srv:
        res = run_advisor(srv.url, ["mysql.variables.*"])
        assert not res.errors, res.errors
        objects = {f.object for f in res.findings}
        assert objects == {"innodb_force_recovery", "slave_skip_errors", "general_log", "sql_mode",
                           "max_connections", "delay_key_write", "optimizer_prune_level", "log_output",
                           "slave_net_timeout", "innodb_fast_shutdown"}, objects
        assert str(of(res, "mysql.variables.skip_errors")[0].severity) == "critical"
        assert "1032,1062" in of(res, "mysql.variables.skip_errors")[0].summary
        [mode] = of(res, "mysql.variables.sql_mode")
        # every dynamic fix, run as printed (placeholders filled), clears its finding
        for f in res.findings:
            if f.fix.startswith("SET GLOBAL"):
                srv.sql(fill(f.fix.split(";")[0], {"connections": "200"}))
        again = run_advisor(srv.url, ["mysql.variables.*"])
        assert {f.object for f in again.findings} == {"innodb_force_recovery", "slave_skip_errors"}
        assert srv.sql("SELECT @@sql_mode")[0][0] == "STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION"
        assert mode.fix.startswith("SET GLOBAL sql_mode = 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION';")


def test_defaults_are_silent_on_mysql_84_and_mariadb():
    for server, extra in (("mysql84", {"sql_mode": "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION",
                                       "replica_skip_errors": "OFF", "transaction_isolation": "REPEATABLE-READ",
                                       "replica_net_timeout": 60, "delay_key_write": "ON", "general_log": "OFF",
                                       "innodb_fast_shutdown": 1, "optimizer_prune_level": 1, "log_output": "FILE"}),
                          ("mariadb1011", {"sql_mode": "STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO",
                                           "slave_skip_errors": "OFF", "tx_isolation": "REPEATABLE-READ"})):
        rec = facts(server, extra)
        for cid in ("force_recovery", "skip_errors", "general_log", "sql_mode", "max_connections",
                    "delay_key_write", "risky_settings"):
            assert judge(f"mysql.variables.{cid}", rec)[0] == [], (server, cid)


def test_mysql8_wording_replica_skip_errors_and_set_persist():
    rec = facts("mysql84", {"replica_skip_errors": "all", "general_log": "ON", "transaction_isolation": "SERIALIZABLE",
                            "max_connections": 5000}, status={"max_used_connections": 4000})
    [skip] = judge("mysql.variables.skip_errors", rec)[0]
    assert skip.object == "replica_skip_errors" and "all" in skip.summary
    [gl] = judge("mysql.variables.general_log", rec)[0]
    assert gl.fix.startswith("SET GLOBAL general_log = OFF;") and "SET PERSIST" in gl.fix
    [iso] = judge("mysql.variables.risky_settings", rec)[0]
    assert iso.fix.startswith("SET GLOBAL transaction_isolation = 'REPEATABLE-READ';") and "SET PERSIST" in iso.fix
    assert judge("mysql.variables.max_connections", rec)[0] == []  # 80% used: the limit is needed
