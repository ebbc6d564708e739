"""Benchmark: what a full `advisor run` costs the server, and how fast bad input fails.

1. Footprint per engine: statements/commands the advisor sends in a full run (every check),
   as the server counts them (PostgreSQL pg_stat_statements for a dedicated role, MariaDB
   performance_schema per-user summaries, Redis INFO commandstats on a private instance with
   N keys), and the wall clock of the run.
2. Failure latency: a closed port, a silent server (--timeout 2) and Ctrl-C on a 4-target fleet
   stuck connecting.

Usage: python bench/qa_footprint.py [--redis-keys 20000]
"""

from __future__ import annotations

import argparse
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from servers import RedisServer  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def cli(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "advisor", *args], capture_output=True, text=True)
    return p, time.monotonic() - t0


def pg_footprint() -> str:
    import psycopg
    db, role = "qa_fp_" + uuid.uuid4().hex[:6], "qa_fp_" + uuid.uuid4().hex[:6]
    with psycopg.connect(PG, autocommit=True) as c:
        c.execute(f"CREATE DATABASE {db}")
        c.execute(f"CREATE ROLE {role} LOGIN SUPERUSER")
    try:
        with psycopg.connect(PG.rsplit("/", 1)[0] + "/" + db, autocommit=True) as c:
            c.execute("CREATE EXTENSION pg_stat_statements")
            _, secs = cli("run", "--memory", "8GiB", "--fail-on", "never", f"postgresql://{role}@127.0.0.1:5432/{db}")
            n, calls = c.execute("SELECT count(*), coalesce(sum(calls), 0) FROM pg_stat_statements "
                                 "WHERE userid = %s::regrole", (role,)).fetchone()
    finally:
        with psycopg.connect(PG, autocommit=True) as c:
            c.execute(f"DROP DATABASE {db} WITH (FORCE)")
            c.execute(f"DROP ROLE {role}")
    return f"PostgreSQL: {calls} statements ({n} distinct), run {secs:.2f} s"


def mysql_footprint() -> str:
    import pymysql
    user = "qa_fp_" + uuid.uuid4().hex[:6]
    c = pymysql.connect(host="127.0.0.1", user="root", autocommit=True)
    with c.cursor() as cur:
        cur.execute(f"CREATE USER '{user}'@'%'")
        cur.execute(f"GRANT ALL PRIVILEGES ON *.* TO '{user}'@'%'")
    try:
        _, secs = cli("run", "--memory", "8GiB", "--fail-on", "never", f"mysql://{user}@127.0.0.1:3306/")
        with c.cursor() as cur:
            cur.execute("SELECT EVENT_NAME, COUNT_STAR FROM performance_schema."
                        "events_statements_summary_by_user_by_event_name WHERE USER = %s AND COUNT_STAR > 0",
                        (user,))
            rows = dict(cur.fetchall())
    finally:
        with c.cursor() as cur:
            cur.execute(f"DROP USER '{user}'@'%'")
        c.close()
    kinds = ", ".join(f"{k.split('/')[-1]} {v}" for k, v in sorted(rows.items(), key=lambda kv: -kv[1]))
    return f"MariaDB: {sum(rows.values())} statements ({kinds}), run {secs:.2f} s"


def redis_footprint(keys: int) -> str:
    import redis
    srv = RedisServer().start()
    try:
        r = redis.Redis(port=srv.port)
        pipe = r.pipeline(transaction=False)
        for i in range(keys):
            pipe.set(f"user:{i}", "x" * (10 + i % 50))
        pipe.execute()
        before = {k: v["calls"] for k, v in r.info("commandstats").items()}
        _, secs = cli("run", "--memory", "1GiB", "--fail-on", "never", srv.url)
        after = {k: v["calls"] for k, v in r.info("commandstats").items()}
        r.close()
    finally:
        srv.stop()
    diff = {k.removeprefix("cmdstat_"): n - before.get(k, 0) for k, n in after.items() if n > before.get(k, 0)}
    diff["info"] = diff.get("info", 1) - 1  # the bench's own INFO commandstats
    top = ", ".join(f"{k} {v}" for k, v in sorted(diff.items(), key=lambda kv: -kv[1])[:6] if v)
    return f"Redis ({keys} keys): {sum(diff.values())} commands ({top}), run {secs:.2f} s"


def failure_latency() -> list[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = []
    for scheme in ("postgresql", "mysql", "redis", "mongodb"):
        _, secs = cli("run", f"{scheme}://u:pw@127.0.0.1:{port}/" + ("0" if scheme == "redis" else "db"))
        out.append(f"closed port, {scheme}: exit after {secs:.2f} s")
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    sport = silent.getsockname()[1]
    urls = [f"{s}://u:pw@127.0.0.1:{sport}/" + ("0" if s == "redis" else "db")
            for s in ("postgresql", "mysql", "redis", "mongodb")]
    for u in urls:
        _, secs = cli("run", "--timeout", "2", u)
        out.append(f"silent server, --timeout 2, {u.split(':')[0]}: exit after {secs:.2f} s")
    p = subprocess.Popen([sys.executable, "-m", "advisor", "run", "--timeout", "60", *urls],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(3)
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    p.wait(120)
    out.append(f"Ctrl-C on a 4-target fleet stuck connecting: exit {p.returncode} after "
               f"{time.monotonic() - t0:.2f} s")
    silent.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--redis-keys", type=int, default=20000)
    a = ap.parse_args()
    for line in (pg_footprint(), mysql_footprint(), redis_footprint(a.redis_keys), *failure_latency()):
        print(line, flush=True)


if __name__ == "__main__":
    main()
