"""Safety, seen from the server: a full `advisor run` (every check, every fact) sends only
read-only statements/commands. Each server records what the advisor's own account sent:
PostgreSQL pg_stat_statements (a dedicated role), MariaDB performance_schema per-user
statement summaries (a dedicated user), Redis MONITOR plus INFO commandstats (a private
redis-server; MONITOR hides admin commands, commandstats counts them)."""

from __future__ import annotations

import re
import socket
import threading
import uuid
from urllib.parse import urlsplit

import pytest

from qa_helpers import report_of
from support import subprocess_cli

PG_READ_ONLY = {"SELECT", "SHOW", "SET", "RESET", "EXPLAIN"}
# EXECUTE runs only what a PREPARE prepared (judged by its statement); DEALLOCATE frees it
PG_PREPARED = {"EXECUTE", "DEALLOCATE"}
PG_SCHEMA = """
CREATE EXTENSION pg_stat_statements;
CREATE EXTENSION hypopg;
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, note text);
INSERT INTO orders SELECT g, g % 500, 'n' || g FROM generate_series(1, 5000) g;
CREATE INDEX orders_note ON orders (note);
CREATE INDEX orders_note_dup ON orders (note);
CREATE SEQUENCE s;
ANALYZE;
"""


_MODIFYING = re.compile(r"\b(INSERT\s+INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM|MERGE\s+INTO)\b", re.I)


def _first_word(sql: str) -> str:
    text = re.sub(r"/\*.*?\*/|--[^\n]*", " ", sql, flags=re.S).strip().lstrip("(")
    return text.split(None, 1)[0].upper() if text else ""


def _pg_write(query: str) -> bool:
    """A statement that may write: PREPARE is judged by the statement after AS."""
    word = _first_word(query)
    if word == "PREPARE":
        body = re.sub(r"/\*.*?\*/|--[^\n]*", " ", query, flags=re.S)
        return _pg_write(re.split(r"\bAS\b", body, maxsplit=1, flags=re.I)[-1])
    if word == "WITH":
        return bool(_MODIFYING.search(query))
    return word not in PG_READ_ONLY | PG_PREPARED


def test_pg_write_classifier():
    assert not _pg_write("/* db-advisor */ PREPARE p AS SELECT * FROM t WHERE a = $1")
    assert not _pg_write("PREPARE p (int) AS WITH x AS (SELECT 1) SELECT * FROM x")
    assert _pg_write("PREPARE p AS DELETE FROM t WHERE a = $1")
    assert _pg_write("PREPARE p AS WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d")
    assert not _pg_write("EXECUTE p(1)") and not _pg_write("DEALLOCATE p")
    assert _pg_write("CREATE TABLE t (a int)") and not _pg_write("SELECT 1")


@pytest.mark.parametrize("track", ["top", "all"])
def test_pg_full_run_sends_only_reads(pg_db, track):
    """track = all records nested statements too: the index advisor's PREPARE ... AS SELECT is
    recorded with the text of the PREPARE. Set for the audit role only (the shared server's own
    setting is never changed)."""
    pg_db.sql(PG_SCHEMA)
    for i in range(20):
        pg_db.sql("SELECT * FROM orders WHERE customer_id = %s", (i,))
    role = "qa_audit_" + uuid.uuid4().hex[:8]
    pg_db.sql(f'CREATE ROLE "{role}" LOGIN SUPERUSER')  # sees everything: every fact is read
    pg_db.sql(f"ALTER ROLE \"{role}\" SET pg_stat_statements.track = '{track}'")
    try:
        p = urlsplit(pg_db.url)
        url = f"postgresql://{role}@{p.hostname}:{p.port or 5432}/{pg_db.name}"
        run = subprocess_cli("run", "--json", "--memory", "8GiB", "--cpus", "2", "--fail-on", "never", url)
        assert run.returncode == 0 and report_of(run)["errors"] == [], run.stderr
        sent = [r[0] for r in pg_db.sql(
            "SELECT query FROM pg_stat_statements WHERE userid = %s::regrole", (role,))]
    finally:
        pg_db.sql(f'DROP ROLE IF EXISTS "{role}"')
    assert len(sent) > 20, sent          # the audit saw the run
    writes = [q for q in sent if _pg_write(q)]
    assert writes == []
    assert any(_first_word(q) == "EXPLAIN" for q in sent)  # the HypoPG validation ran too


# change_db: the index advisor's USE <schema> before EXPLAIN (a session setting, not a write)
MYSQL_READ_ONLY = re.compile(r"^statement/(sql/(select|show_\w+|set_option|explain\w*|empty_query|change_db)"
                             r"|com/(Quit|Ping|Init DB|Set option|Reset connection))$")


def test_mysql_full_run_sends_only_reads(mysql_db):
    mysql_db.sql("CREATE TABLE t (id int PRIMARY KEY, a int, b int, KEY a (a), KEY ab (a, b))")
    mysql_db.sql("INSERT INTO t VALUES (1, 1, 1), (2, 2, 2)")
    user = "qa_audit_" + uuid.uuid4().hex[:8]
    mysql_db.sql(f"CREATE USER '{user}'@'%'")
    mysql_db.sql(f"GRANT ALL PRIVILEGES ON *.* TO '{user}'@'%'")  # every fact is read
    try:
        p = urlsplit(mysql_db.url)
        url = f"mysql://{user}@{p.hostname}:{p.port or 3306}/{mysql_db.name}"
        run = subprocess_cli("run", "--json", "--memory", "8GiB", "--fail-on", "never", url)
        assert run.returncode == 0 and report_of(run)["errors"] == [], run.stderr
        rows = mysql_db.sql(
            "SELECT EVENT_NAME, COUNT_STAR FROM performance_schema.events_statements_summary_by_user_by_event_name"
            " WHERE USER = %s AND COUNT_STAR > 0", (user,))
    finally:
        mysql_db.sql(f"DROP USER IF EXISTS '{user}'@'%'")
    sent = {name: n for name, n in rows}
    assert sum(sent.values()) > 20, sent
    assert sent.get("statement/sql/select", 0) > 0
    assert {name for name in sent if not MYSQL_READ_ONLY.match(name)} == set()


# Redis: anything flagged write by the server itself, and these admin/dangerous commands
REDIS_FORBIDDEN = {"keys", "flushall", "flushdb", "config|set", "config|rewrite", "config|resetstat",
                   "debug", "shutdown", "save", "bgsave", "bgrewriteaof", "slowlog|reset", "client|kill",
                   "client|pause", "script|flush", "script|kill", "acl|setuser", "acl|deluser", "acl|save",
                   "acl|load", "memory|purge", "latency|reset", "replicaof", "slaveof", "failover",
                   "swapdb", "module|load", "function|flush", "function|delete", "monitor"}


class _Monitor:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.sendall(b"MONITOR\r\n")
        self.buf = b""
        while b"\r\n" not in self.buf:
            self.buf += self.sock.recv(4096)
        self.buf = self.buf.split(b"\r\n", 1)[1]  # +OK
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            self.buf += chunk

    def commands(self) -> list[list[str]]:
        out = []
        for line in self.buf.decode("utf-8", "replace").splitlines():
            args = re.findall(r'"((?:[^"\\]|\\.)*)"', line)
            if args:
                out.append(args)
        return out

    def close(self) -> None:
        self.sock.close()
        self.thread.join(5)


def _acl_name(args: list[str]) -> str:
    name = args[0].lower()
    return f"{name}|{args[1].lower()}" if len(args) > 1 and name in (
        "config", "client", "slowlog", "script", "acl", "memory", "latency", "module", "function",
        "object", "cluster", "command") else name


def _commandstats(r) -> dict[str, int]:
    return {k.removeprefix("cmdstat_"): v["calls"] for k, v in r.info("commandstats").items()}


def test_redis_full_run_sends_only_reads(redis_server):
    import redis
    r = redis.Redis(port=redis_server.port)
    pipe = r.pipeline(transaction=False)
    for i in range(2000):
        pipe.set(f"user:{i}", "x" * (10 + i % 50), ex=3600 if i % 2 else None)
    pipe.hset("h:big", mapping={f"f{i}": i for i in range(3000)})
    pipe.rpush("l:big", *range(3000))
    pipe.sadd("s:1", *range(100))
    pipe.zadd("z:1", {f"m{i}": i for i in range(100)})
    pipe.xadd("st:1", {"a": 1})
    pipe.execute()
    r.execute_command("SLOWLOG", "RESET")
    before = _commandstats(r)
    mon = _Monitor(redis_server.port)
    try:
        run = subprocess_cli("run", "--json", "--memory", "1GiB", "--fail-on", "never", redis_server.url)
    finally:
        mon.close()
    after = _commandstats(r)
    r.close()
    assert run.returncode == 0 and report_of(run)["errors"] == [], run.stderr
    seen = [_acl_name(a) for a in mon.commands()]
    assert len(seen) > 100, seen[:20]  # it sampled keys
    probe = redis.Redis(port=redis_server.port, decode_responses=True)
    flags = {name: set(probe.execute_command("COMMAND", "INFO", name).get(name, {}).get("flags", []))
             for name in {s.split("|")[0] for s in seen}}
    probe.close()
    writes = sorted({s for s in seen if "write" in flags.get(s.split("|")[0], set()) or s in REDIS_FORBIDDEN})
    assert writes == []
    called = {k: n - before.get(k, 0) for k, n in after.items() if n > before.get(k, 0)}
    assert called.pop("monitor") == 1  # the test's own MONITOR
    assert set(called) & REDIS_FORBIDDEN == set(), called
