"""Lock checks on recorded shapes: MySQL 8.0.18+'s deadlock section (HOLDS THE LOCK(S) blocks,
'MySQL thread id'), written after the MySQL 8.0 manual's example (no MySQL server here), and
lock-wait facts with many waiters."""

from __future__ import annotations

from advisor.engines.mysql.facts_locks import parse_latest_deadlock
from recorded_facts import facts, judge

MYSQL80_STATUS = """
=====================================
2024-03-05 10:15:50 140234567890688 INNODB MONITOR OUTPUT
=====================================
------------------------
LATEST DETECTED DEADLOCK
------------------------
2024-03-05 10:15:42 140234567890688
*** (1) TRANSACTION:
TRANSACTION 5391, ACTIVE 8 sec starting index read
mysql tables in use 1, locked 1
LOCK WAIT 3 lock struct(s), heap size 1128, 2 row lock(s)
MySQL thread id 12, OS thread handle 140234001, query id 97 localhost app updating
UPDATE accounts SET balance = balance - 10 WHERE id = 2

*** (1) HOLDS THE LOCK(S):
RECORD LOCKS space id 5 page no 4 n bits 72 index PRIMARY of table `shop`.`accounts` trx id 5391 lock_mode X locks rec but not gap
Record lock, heap no 2 PHYSICAL RECORD: n_fields 4; compact format; info bits 0

*** (1) WAITING FOR THIS LOCK TO BE GRANTED:
RECORD LOCKS space id 5 page no 4 n bits 72 index PRIMARY of table `shop`.`accounts` trx id 5391 lock_mode X locks rec but not gap waiting
Record lock, heap no 3 PHYSICAL RECORD: n_fields 4; compact format; info bits 0

*** (2) TRANSACTION:
TRANSACTION 5392, ACTIVE 5 sec starting index read
mysql tables in use 1, locked 1
LOCK WAIT 3 lock struct(s), heap size 1128, 2 row lock(s)
MySQL thread id 13, OS thread handle 140234002, query id 98 localhost app updating
UPDATE accounts SET balance = balance + 10
WHERE id = 1

*** (2) HOLDS THE LOCK(S):
RECORD LOCKS space id 5 page no 4 n bits 72 index PRIMARY of table `shop`.`accounts` trx id 5392 lock_mode X locks rec but not gap
Record lock, heap no 3 PHYSICAL RECORD: n_fields 4; compact format; info bits 0

*** (2) WAITING FOR THIS LOCK TO BE GRANTED:
RECORD LOCKS space id 5 page no 4 n bits 72 index PRIMARY of table `shop`.`accounts` trx id 5392 lock_mode X locks rec but not gap waiting
Record lock, heap no 2 PHYSICAL RECORD: n_fields 4; compact format; info bits 0

*** WE ROLL BACK TRANSACTION (2)
------------
TRANSACTIONS
------------
Trx id counter 5400
"""


def test_mysql80_deadlock_section_is_parsed():
    d = parse_latest_deadlock(MYSQL80_STATUS)
    assert d["at"] == "2024-03-05 10:15:42" and d["tables"] == ["shop.accounts"] and d["rolled_back"] == 2
    assert [(t["thread"], t["user"]) for t in d["transactions"]] == [(12, "app"), (13, "app")]
    assert d["transactions"][1]["statement"] == "UPDATE accounts SET balance = balance + 10\nWHERE id = 1"
    assert parse_latest_deadlock("no deadlock section here") is None


def _deadlocks(count, uptime, print_all="OFF"):
    return facts("mysql84", status={"uptime": uptime},
                 **{"mysql.deadlocks": {"count": count, "latest": parse_latest_deadlock(MYSQL80_STATUS),
                                        "print_all": print_all}})


def test_deadlock_rate_and_latest():
    [hot] = judge("mysql.locks.deadlocks", _deadlocks(500, 86400))[0]  # ~21/h
    assert str(hot.severity) == "warning" and "on shop.accounts" in hot.summary
    assert "SET GLOBAL innodb_print_all_deadlocks = ON" in hot.fix
    [rare] = judge("mysql.locks.deadlocks", _deadlocks(2, 30 * 86400, print_all="ON"))[0]
    assert str(rare.severity) == "info" and "innodb_print_all_deadlocks" not in rare.fix
    assert judge("mysql.locks.deadlocks", facts("mysql84", **{"mysql.deadlocks": {
        "count": 0, "latest": None, "print_all": "OFF"}}))[0] == []


def _wait(waiter, blocker=7, wait_s=30):
    return {"wait_s": wait_s, "waiting_thread": waiter, "waiting_query": "UPDATE t SET v = 1 WHERE id = 1",
            "blocking_thread": blocker, "blocking_query": None, "blocking_trx_age_s": 600,
            "blocking_rows_locked": 1, "blocking_rows_modified": 1, "locked_table": "app.t",
            "locked_index": "PRIMARY", "lock_mode": "X,REC_NOT_GAP", "lock_type": "RECORD",
            "blocking_last_statement": "UPDATE t SET v = 0 WHERE id = 1"}


def test_one_blocker_many_waiters_is_critical():
    rec = facts("mysql84", **{"mysql.lock_waits": {"waits": [_wait(w) for w in range(20, 26)],
                                                   "innodb_lock_wait_timeout": 50}})
    [f] = judge("mysql.locks.row_lock_waits", rec)[0]
    assert str(f.severity) == "critical" and f.object == "connection 7" and len(f.evidence["waiting"]) == 6
    assert f.fix.startswith("KILL 7;")
    short = facts("mysql84", **{"mysql.lock_waits": {"waits": [_wait(20, wait_s=3)], "innodb_lock_wait_timeout": 50}})
    assert judge("mysql.locks.row_lock_waits", short)[0] == []
