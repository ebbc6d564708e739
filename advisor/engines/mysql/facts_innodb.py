"""InnoDB transaction state: open transactions and the purge backlog (history list length)."""

from __future__ import annotations

from typing import Any

from advisor.facts import provides


@provides("mysql", "mysql.innodb_trx")
def innodb_trx(s, facts) -> dict[str, Any]:
    """Oldest open InnoDB transactions (information_schema.INNODB_TRX needs PROCESS) and the
    history list length (INNODB_METRICS trx_rseg_history_len)."""
    rows = s.query("""
        SELECT t.trx_id AS id, t.trx_mysql_thread_id AS thread_id, t.trx_state AS state,
               t.trx_started AS started, TIMESTAMPDIFF(SECOND, t.trx_started, NOW()) AS age_s,
               t.trx_rows_modified AS rows_modified, t.trx_rows_locked AS rows_locked,
               LEFT(t.trx_query, 200) AS query
        FROM information_schema.INNODB_TRX t
        ORDER BY t.trx_started
        LIMIT 20
    """, enable="GRANT PROCESS ON *.* TO <advisor user>")
    history = s.query("SELECT COUNT AS n FROM information_schema.INNODB_METRICS "
                      "WHERE NAME = 'trx_rseg_history_len'",
                      enable="GRANT PROCESS ON *.* TO <advisor user>")
    return {"transactions": rows, "history_list_length": int(history[0]["n"]) if history else None}
