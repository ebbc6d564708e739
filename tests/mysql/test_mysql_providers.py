"""Fact providers on recorded MySQL 8 rows (no MySQL 8 server here): the SQL each version
gets and the shape each returns."""

from __future__ import annotations

from advisor.facts import LiveFacts
import advisor.engines.mysql  # noqa: F401  (registers the providers)

from recorded_facts import SERVERS


class RecordedSession:
    """Answers each query with the first recorded rows whose key text appears in the SQL."""

    def __init__(self, answers: dict[str, list[dict]]):
        self.answers, self.sql = answers, []

    def query(self, sql, params=None, *, limit=None, enable=None):
        self.sql.append(" ".join(sql.split()))
        for key, rows in self.answers.items():
            if key in sql:
                return rows
        return []


def _facts(session, server="mysql80"):
    f = LiveFacts("mysql", session)
    f.values["mysql.server"] = SERVERS[server]
    f.values["mysql.variables"] = {"innodb_page_size": 16384}
    return f


def test_mysql8_accounts_from_mysql_user_without_hashes():
    s = RecordedSession({"FROM mysql.user": [
        {"user": "app", "host": "%", "plugin": "caching_sha2_password", "empty": 1, "locked": 0},
        {"user": "mysql.sys", "host": "localhost", "plugin": "caching_sha2_password", "empty": 0, "locked": 1},
        {"user": "ops", "host": "localhost", "plugin": "auth_socket", "empty": 1, "locked": 0}]})
    rows = _facts(s).get("mysql.accounts")["rows"]
    assert "account_locked = 'Y'" in s.sql[0] and "Password" not in s.sql[0]
    assert [(r["user"], r["passwordless"], r["locked"]) for r in rows] == [
        ("app", True, False), ("mysql.sys", False, True), ("ops", False, False)]


def test_old_mariadb_accounts_read_the_password_column():
    s = RecordedSession({"FROM mysql.user": []})
    f = _facts(s)
    f.values["mysql.server"] = {"vendor": "mariadb", "version_tuple": [10, 3, 39]}
    f.get("mysql.accounts")
    assert "Password = ''" in s.sql[-1]


def test_mysql8_functional_and_invisible_indexes():
    s = RecordedSession({
        "information_schema.STATISTICS": [
            {"schema": "app", "table": "t", "index": "PRIMARY", "non_unique": 0, "seq": 1, "column": "id",
             "sub_part": None, "type": "BTREE", "nullable": "", "expression": None, "visible": "YES"},
            {"schema": "app", "table": "t", "index": "f_lower", "non_unique": 1, "seq": 1, "column": None,
             "sub_part": None, "type": "BTREE", "nullable": "YES", "expression": "lower(`email`)", "visible": "NO"}],
        "information_schema.TABLES": [{"schema": "app", "table": "t", "engine": "InnoDB"}]})
    rows = {r["index"]: r for r in _facts(s).get("mysql.indexes")["rows"]}
    assert "s.EXPRESSION AS expression" in s.sql[0]
    assert rows["f_lower"]["columns"] == ["(expression)"] and rows["f_lower"]["expressions"] == ["lower(`email`)"]
    assert rows["f_lower"]["visible"] is False
    assert rows["PRIMARY"]["primary"] and rows["PRIMARY"]["engine"] == "InnoDB"


def test_digest_timers_are_picoseconds():
    s = RecordedSession({"events_statements_summary_by_digest": [
        {"schema": "app", "digest": "a" * 64, "digest_text": "SELECT ?", "calls": 4, "total": 8 * 10**12,
         "mean": 2 * 10**12, "max": 3 * 10**12, "lock_t": 10**9, "rows_examined": 1, "rows_sent": 1,
         "rows_affected": 0, "no_index_used": 0, "no_good_index_used": 0, "tmp_tables": 0, "tmp_disk_tables": 0,
         "sort_merge_passes": 0, "first_seen": None, "last_seen": None}]})
    f = _facts(s)
    f.values["mysql.performance_schema"] = {"enabled": True, "readable": True}
    d = f.get("mysql.digests")
    assert d["rows"][0]["total_s"] == 8.0 and d["rows"][0]["mean_s"] == 2.0 and d["rows"][0]["lock_s"] == 0.001
    assert d["truncated"] is False and d["limit"] == 500
