"""Prepared statements judged on recorded facts (the shapes the MariaDB 10.11 providers return:
the instance's counters at 0, executions in the history): attributed when their connection
holds one prepared statement, listed as not attributable when it holds several."""

from __future__ import annotations

import support

DIGESTS = {"rows": [], "truncated": False, "limit": 500}


def _ps(thread: int, sid: int, text: str, calls: int = 0) -> dict:
    return {"thread": thread, "statement_id": sid, "name": None, "schema": "app", "sql_text": text, "calls": calls,
            "total_s": 0.0, "max_s": 0.0, "lock_s": 0.0, "rows_examined": 0, "rows_sent": 0, "rows_affected": 0,
            "no_index_used": 0, "no_good_index_used": 0, "tmp_tables": 0, "tmp_disk_tables": 0,
            "sort_merge_passes": 0}


def _ev(thread: int, n: int) -> dict:
    return {"thread": thread, "event_id": n, "event": "statement/com/Execute", "schema": "app", "timer_start": n,
            "time_s": 0.01, "lock_s": 0.0, "rows_examined": 5000, "rows_sent": 3, "rows_affected": 0,
            "no_index_used": 1, "no_good_index_used": 0, "tmp_tables": 0, "tmp_disk_tables": 0,
            "sort_merge_passes": 0}


def test_executions_are_attributed_only_on_a_connection_with_one_prepared_statement():
    facts = {"mysql.digests": DIGESTS,
             "mysql.prepared_statements": {"rows": [_ps(10, 1, "SELECT * FROM t WHERE b = ?"),
                                                    _ps(11, 1, "SELECT * FROM u WHERE x = ?"),
                                                    _ps(11, 2, "SELECT * FROM u WHERE y = ?")]},
             "mysql.statement_history": {"rows": [_ev(10, 1), _ev(10, 2), _ev(11, 3)],
                                         "tables": ["events_statements_history"]}}
    found = support.judge("mysql.queries.full_scans", facts).result.findings
    assert [f.evidence["statement"] for f in found] == ["SELECT * FROM t WHERE b = ?"]
    assert found[0].evidence["calls"] == 2 and found[0].evidence["rows_examined"] == 10000
    (unknown,) = support.judge("mysql.observability.prepared_statements", facts).result.findings
    assert unknown.evidence["statements"] == ["SELECT * FROM u WHERE x = ?", "SELECT * FROM u WHERE y = ?"]


def test_instance_counters_win_when_the_server_keeps_them():
    """MySQL 8 fills COUNT_EXECUTE and the sums in prepared_statements_instances itself."""
    ps = {**_ps(10, 1, "SELECT * FROM t WHERE b = ?", calls=4), "rows_examined": 40000, "no_index_used": 4}
    facts = {"mysql.digests": DIGESTS, "mysql.prepared_statements": {"rows": [ps]},
             "mysql.statement_history": {"rows": [_ev(10, 1)], "tables": ["events_statements_history"]}}
    (f,) = support.judge("mysql.queries.full_scans", facts).result.findings
    assert f.evidence["calls"] == 4 and f.evidence["source"] == "prepared statement"
