"""Locks now: InnoDB row lock waits with their blockers, metadata lock waits, deadlocks.

Row lock waits come from performance_schema.data_lock_waits on MySQL 8 (the
information_schema.INNODB_LOCK_WAITS table was removed there) and from
information_schema.INNODB_LOCK_WAITS / INNODB_LOCKS on MariaDB and MySQL 5.7. A blocker that is
idle inside its transaction has no current query (trx_query is NULL): its last statement is
read from performance_schema's statement events when they are collected.
"""

from __future__ import annotations

import re
from typing import Any

from advisor.errors import FactUnavailable
from advisor.facts import provides

PROCESS = "GRANT PROCESS ON *.* TO <advisor user>"
MDL_INSTRUMENT = "wait/lock/metadata/sql/mdl"
MDL_ENABLE = ("UPDATE performance_schema.setup_instruments SET ENABLED = 'YES', TIMED = 'YES' "
              f"WHERE NAME = '{MDL_INSTRUMENT}';  -- dynamic, lost at restart; persist with "
              f"performance-schema-instrument = '{MDL_INSTRUMENT}=ON' under [mysqld] "
              "(on by default in MySQL 8.0, off in MariaDB and MySQL 5.7)")

_TRX = """TIMESTAMPDIFF(SECOND, {a}.trx_wait_started, NOW()) AS wait_s,
          {a}.trx_mysql_thread_id AS waiting_thread, LEFT({a}.trx_query, 300) AS waiting_query,
          {b}.trx_mysql_thread_id AS blocking_thread, LEFT({b}.trx_query, 300) AS blocking_query,
          TIMESTAMPDIFF(SECOND, {b}.trx_started, NOW()) AS blocking_trx_age_s,
          {b}.trx_rows_locked AS blocking_rows_locked, {b}.trx_rows_modified AS blocking_rows_modified"""


def _last_statements(s, threads: set[int]) -> dict[int, str]:
    """The last statement each connection ran (performance_schema statement events), for blockers
    that sit idle in an open transaction; {} when performance_schema does not collect them."""
    if not threads:
        return {}
    ids = ", ".join(str(int(t)) for t in threads)
    try:
        rows = s.query(f"""
            SELECT t.PROCESSLIST_ID AS thread, e.SQL_TEXT AS sql_text, e.EVENT_ID AS event_id
            FROM performance_schema.threads t
            JOIN (SELECT THREAD_ID, EVENT_ID, SQL_TEXT FROM performance_schema.events_statements_current
                  UNION ALL
                  SELECT THREAD_ID, EVENT_ID, SQL_TEXT FROM performance_schema.events_statements_history) e
              ON e.THREAD_ID = t.THREAD_ID
            WHERE t.PROCESSLIST_ID IN ({ids}) AND e.SQL_TEXT IS NOT NULL
            ORDER BY e.EVENT_ID""")
    except FactUnavailable:
        return {}
    out: dict[int, str] = {}
    for r in rows:  # ordered by event id: the last one wins
        out[int(r["thread"])] = (r["sql_text"] or "")[:300]
    return out


@provides("mysql", "mysql.lock_waits")
def lock_waits(s, facts) -> dict[str, Any]:
    """Each InnoDB row lock wait now: waiting and blocking connection ids, their statements, the
    locked table / index / mode, how long the wait and the blocker's transaction have lasted."""
    server = facts.get("mysql.server")
    if server["vendor"] == "mysql" and tuple(server["version_tuple"]) >= (8, 0, 0):
        rows = s.query(f"""
            SELECT {_TRX.format(a='r', b='b')},
                   CONCAT(l.OBJECT_SCHEMA, '.', l.OBJECT_NAME) AS locked_table, l.INDEX_NAME AS locked_index,
                   l.LOCK_MODE AS lock_mode, l.LOCK_TYPE AS lock_type
            FROM performance_schema.data_lock_waits w
            JOIN information_schema.INNODB_TRX r ON r.trx_id = w.REQUESTING_ENGINE_TRANSACTION_ID
            JOIN information_schema.INNODB_TRX b ON b.trx_id = w.BLOCKING_ENGINE_TRANSACTION_ID
            LEFT JOIN performance_schema.data_locks l ON l.ENGINE_LOCK_ID = w.REQUESTING_ENGINE_LOCK_ID
            ORDER BY wait_s DESC LIMIT 100""",
                       enable=PROCESS + "; GRANT SELECT ON performance_schema.* TO <advisor user>")
    else:
        rows = s.query(f"""
            SELECT {_TRX.format(a='r', b='b')},
                   REPLACE(l.lock_table, '`', '') AS locked_table, l.lock_index AS locked_index,
                   l.lock_mode AS lock_mode, l.lock_type AS lock_type
            FROM information_schema.INNODB_LOCK_WAITS w
            JOIN information_schema.INNODB_TRX r ON r.trx_id = w.requesting_trx_id
            JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id
            LEFT JOIN information_schema.INNODB_LOCKS l ON l.lock_id = w.requested_lock_id
            ORDER BY wait_s DESC LIMIT 100""", enable=PROCESS)
    idle = {int(r["blocking_thread"]) for r in rows if not r["blocking_query"] and r["blocking_thread"]}
    last = _last_statements(s, idle)
    for r in rows:
        r["blocking_last_statement"] = last.get(int(r["blocking_thread"] or 0))
    return {"waits": rows, "innodb_lock_wait_timeout": facts.get("mysql.variables").get("innodb_lock_wait_timeout")}


@provides("mysql", "mysql.metadata_lock_waits")
def metadata_lock_waits(s, facts) -> dict[str, Any]:
    """Connections waiting for a metadata lock now (processlist state, no performance_schema
    needed) and, when the MDL instrument is on, who holds the lock they wait for."""
    waiting = s.query("""
        SELECT ID AS thread, USER AS user, TIME AS wait_s, STATE AS state, LEFT(INFO, 300) AS query
        FROM information_schema.PROCESSLIST
        WHERE STATE LIKE 'Waiting for%metadata lock' ORDER BY TIME DESC LIMIT 100""", enable=PROCESS)
    out: dict[str, Any] = {"waiting": waiting, "instrumented": False, "blockers": [], "enable": MDL_ENABLE}
    ps = facts.get("mysql.performance_schema")
    if not ps["enabled"]:
        return out
    try:
        on = s.query("SELECT ENABLED AS enabled FROM performance_schema.setup_instruments WHERE NAME = %s",
                     (MDL_INSTRUMENT,))
        out["instrumented"] = bool(on) and on[0]["enabled"] == "YES"
        if out["instrumented"] and waiting:
            out["blockers"] = s.query("""
                SELECT wt.PROCESSLIST_ID AS waiting_thread, ht.PROCESSLIST_ID AS blocking_thread,
                       CONCAT(w.OBJECT_SCHEMA, '.', w.OBJECT_NAME) AS object, w.LOCK_TYPE AS wanted,
                       h.LOCK_TYPE AS held, h.LOCK_DURATION AS held_duration,
                       ht.PROCESSLIST_COMMAND AS blocking_command, ht.PROCESSLIST_TIME AS blocking_time_s,
                       LEFT(ht.PROCESSLIST_INFO, 300) AS blocking_query
                FROM performance_schema.metadata_locks w
                JOIN performance_schema.metadata_locks h
                  ON h.OBJECT_TYPE = w.OBJECT_TYPE AND h.OBJECT_SCHEMA <=> w.OBJECT_SCHEMA
                 AND h.OBJECT_NAME <=> w.OBJECT_NAME AND h.LOCK_STATUS = 'GRANTED'
                 AND h.OWNER_THREAD_ID <> w.OWNER_THREAD_ID
                JOIN performance_schema.threads wt ON wt.THREAD_ID = w.OWNER_THREAD_ID
                JOIN performance_schema.threads ht ON ht.THREAD_ID = h.OWNER_THREAD_ID
                WHERE w.LOCK_STATUS = 'PENDING' AND w.OBJECT_TYPE = 'TABLE' LIMIT 200""")
            idle = {int(b["blocking_thread"]) for b in out["blockers"]
                    if not b["blocking_query"] and b["blocking_thread"]}
            last = _last_statements(s, idle)
            for b in out["blockers"]:
                b["blocking_last_statement"] = last.get(int(b["blocking_thread"] or 0))
    except FactUnavailable:
        pass  # performance_schema not readable: the waiting connections are still known
    return out


_DEADLOCK = re.compile(r"-+\nLATEST DETECTED DEADLOCK\n-+\n(.*?)\n-+\n[A-Z][A-Z /]+\n-+\n", re.S)
_WHEN = re.compile(r"^(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d)")
_QUERY = re.compile(r"(?:MySQL|MariaDB) thread id (\d+), OS thread handle \S+, query id \d+ (\S+) (\S+) [^\n]*\n(.*?)\n\*\*\*", re.S)
_VICTIM = re.compile(r"\*\*\* WE ROLL BACK TRANSACTION \((\d+)\)")
_TABLE = re.compile(r"of table `([^`]+)`\.`([^`]+)`")


def parse_latest_deadlock(text: str) -> dict[str, Any] | None:
    """The LATEST DETECTED DEADLOCK section of SHOW ENGINE INNODB STATUS: when, each
    transaction's thread id and statement, which one InnoDB rolled back."""
    m = _DEADLOCK.search(text or "")
    if not m:
        return None
    body = m.group(1)
    when = _WHEN.search(body.strip())
    trx = [{"thread": int(t), "host": h, "user": u, "statement": q.strip()[:500]}
           for t, h, u, q in _QUERY.findall(body)]
    victim = _VICTIM.search(body)
    tables = sorted({f"{d}.{t}" for d, t in _TABLE.findall(body)})
    return {"at": when.group(1) if when else None, "transactions": trx, "tables": tables,
            "rolled_back": int(victim.group(1)) if victim else None}  # not the raw section: it dumps row data


@provides("mysql", "mysql.deadlocks")
def deadlocks(s, facts) -> dict[str, Any]:
    """Deadlocks since startup (INNODB_METRICS lock_deadlocks; MariaDB also Innodb_deadlocks) and
    the latest one from SHOW ENGINE INNODB STATUS (both need PROCESS)."""
    status = facts.get("mysql.status")
    count = status.get("innodb_deadlocks")
    if count is None:
        rows = s.query("SELECT COUNT AS n FROM information_schema.INNODB_METRICS WHERE NAME = 'lock_deadlocks'",
                       enable=PROCESS)
        count = int(rows[0]["n"]) if rows else None
    text = s.query("SHOW ENGINE INNODB STATUS", enable=PROCESS)
    latest = parse_latest_deadlock(text[0]["status"] if text else "")
    return {"count": count, "latest": latest,
            "print_all": facts.get("mysql.variables").get("innodb_print_all_deadlocks")}
