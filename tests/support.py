"""Helpers shared by test modules: scratch databases and the CLI in a subprocess.

Import them with `from support import ...` (never `from conftest import ...`: several test
folders have a conftest.py, and which one the name `conftest` means depends on import order).
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
import uuid
from urllib.parse import urlsplit, urlunsplit


def subprocess_cli(*args: str, timeout: float = 120, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the real `python -m advisor` (tests that need a separate process)."""
    return subprocess.run([sys.executable, "-m", "advisor", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env=env)


def wait_for_advisor_session(pg_db, timeout: float = 20) -> None:
    """Until the advisor's session is connected to the database and idle (waiting out a --sample
    window: its first reads are done)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = pg_db.sql("SELECT state FROM pg_stat_activity WHERE application_name = 'db-advisor' "
                         "AND datname = current_database()")
        if rows and rows[0][0] == "idle":
            time.sleep(0.3)
            return
        time.sleep(0.05)
    raise AssertionError("the advisor never connected")


def one_error_line(err: str) -> str:
    """The only non-blank line of a command's stderr (asserts there is one, and no traceback)."""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@contextlib.contextmanager
def silent_tcp_server():
    """A local port that accepts TCP connections and never says a word; yields the port."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    conns, stop = [], threading.Event()

    def loop():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conns.append(srv.accept()[0])
            except OSError:
                pass

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    try:
        yield srv.getsockname()[1]
    finally:
        stop.set()
        t.join()
        for c in conns:
            c.close()
        srv.close()


def _with_db(url: str, db: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, "/" + db, p.query, p.fragment))


class PgScratch:
    """A scratch database; `sql()` runs statements in it as the admin user."""

    def __init__(self, admin_url: str):
        import psycopg
        self.name = "advisor_t_" + uuid.uuid4().hex[:10]
        self.admin_url = admin_url
        with psycopg.connect(admin_url, autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{self.name}"')
        self.url = _with_db(admin_url, self.name)
        self.conn = psycopg.connect(self.url, autocommit=True)

    def sql(self, statement: str, params=None):
        with self.conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall() if cur.description else None

    def drop(self) -> None:
        import psycopg
        self.conn.close()
        with psycopg.connect(self.admin_url, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class MySqlScratch:
    """A scratch schema; `sql()` runs statements in it as the admin user."""

    def __init__(self, admin_url: str):
        import pymysql
        p = urlsplit(admin_url)
        self.name = "advisor_t_" + uuid.uuid4().hex[:10]
        self.kw = dict(host=p.hostname or "127.0.0.1", port=p.port or 3306, user=p.username or "root",
                       password=p.password or "", autocommit=True)
        self.conn = pymysql.connect(**self.kw)
        self.sql(f"CREATE DATABASE `{self.name}`")
        self.sql(f"USE `{self.name}`")
        self.url = _with_db(admin_url, self.name)

    def sql(self, statement: str, params=None):
        with self.conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall()

    def drop(self) -> None:
        self.sql(f"DROP DATABASE IF EXISTS `{self.name}`")
        self.conn.close()


# ---- judging checks on facts (offline) ----

class Judged:
    """The outcome of judging checks on facts: findings, skipped, and what each check read."""

    def __init__(self, result, reads: dict):
        self.result = result
        self.findings = result.findings
        self.skipped = result.skipped
        self.errors = result.errors
        self.reads = reads  # check id -> advisor.context.Reads

    def skip_reason(self, check_id: str) -> str | None:
        return next((s.reason for s in self.skipped if s.check == check_id), None)


def undeclared(check, reads) -> list[str]:
    """What a check read but does not declare in @check(facts=..., options=...)."""
    return sorted([f"fact {n}" for n in reads.facts - set(check.facts)]
                  + [f"option {n}" for n in reads.options - set(check.options)])


def judge(checks, facts: dict, *, thresholds: dict | None = None, unavailable: dict | None = None,
          options: dict | None = None, memory: int | None = None, cpus: int | None = None,
          target: str = "recorded", errors_ok: bool = False, strict: bool = True) -> Judged:
    """Run checks (an id, a glob, a Check or a list of them) on recorded facts, the way a run does.

    thresholds: {name: value} for one check, or {check id: {name: value}}; options: the
    engine's [options.<engine>]. Fails the test when a check errors (unless errors_ok) or,
    with strict, reads a fact or option it does not declare (docs/architecture.md)."""
    from advisor import registry
    from advisor.facts import SnapshotFacts
    from advisor.model import Host, TargetResult
    from advisor.registry import Check
    from advisor.runner import RunOptions, run_checks

    selected: list[Check] = []
    for item in ([checks] if isinstance(checks, (str, Check)) else list(checks)):
        if isinstance(item, Check):
            selected.append(item)
        else:
            found = registry.select(None, [item])
            assert found, f"no check matches {item!r}"
            selected += found
    if thresholds and not all(isinstance(v, dict) for v in thresholds.values()):
        assert len(selected) == 1, "give thresholds as {check id: {...}} for several checks"
        thresholds = {selected[0].id: thresholds}
    engine = selected[0].engine
    res = TargetResult(id=target, engine=engine, url=f"{engine}://{target}")
    opts = RunOptions(host=Host(memory_bytes=memory, cpus=cpus), thresholds=thresholds or {})
    reads: dict = {}

    def on_event(e) -> None:
        if e.kind == "check_finished":
            reads[e.check] = e.reads

    run_checks(res, selected, SnapshotFacts(facts, unavailable, options), opts, on_event)
    if not errors_ok:
        assert not res.errors, [e.message for e in res.errors]
    if strict:
        bad = {c.id: undeclared(c, reads[c.id]) for c in selected if c.id in reads and undeclared(c, reads[c.id])}
        assert not bad, f"checks read what they do not declare: {bad}"
    return Judged(res, reads)


def require_checks(*ids: str) -> None:
    """Fail (never skip) when a check id is not registered: a renamed check must not turn its
    tests into silent skips."""
    from advisor import registry
    known = {c.id for c in registry.all_checks()}
    missing = [i for i in ids if i not in known]
    assert not missing, f"unknown check id(s): {', '.join(missing)} (renamed? see 'advisor checks')"

class RecordingPgSession:
    """A stand-in PostgreSQL session of a given server_version_num for the SQL of versions that do
    not run here: records what a fact provider sends (`sent`) and answers with no rows."""

    def __init__(self, version_num: int):
        self.version_num = version_num
        self.sent: list[str] = []

    def query(self, sql, params=None, **kw):
        self.sent.append(sql)
        return []

    def scalar(self, sql, params=None):
        self.sent.append(sql)
        return None
