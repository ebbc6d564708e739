"""The demo (scripts/demo): plant realistic problems on the local servers, run a
short workload so statistics exist, and show what the advisor finds.

    python -m advisor.demo [--mongo URL] [--pg URL] [--mysql URL] [--keep-redis]

PostgreSQL gets a database `advisor_demo`, MariaDB a schema `advisor_demo` (both
dropped and recreated), Redis a dedicated redis-server on a free port (the shared
instance on 6379 is never touched). MongoDB only when --mongo URL is given (the
seed needs mongosh). The seed scripts are the ones of docker/seed, so the demo,
the compose stack and the tests plant the same problems. Exits 0 whatever the findings.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SEED_DIR = Path(__file__).resolve().parent.parent / "docker" / "seed"
DEMO_DB = "advisor_demo"
LOCAL = {"postgres": "postgresql://postgres@127.0.0.1:5432/postgres", "mysql": "mysql://root@127.0.0.1:3306/mysql"}


def seed_text(name: str) -> str:
    return (SEED_DIR / name).read_text()


def with_db(url: str, db: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, "/" + db, p.query, p.fragment))


def sql_statements(text: str) -> list[str]:
    """Split a seed script on ';' at line ends (the seeds keep ';' out of strings and bodies
    except PostgreSQL DO $$ ... $$ blocks, which are kept whole)."""
    out, buf, in_dollar = [], [], False
    for line in text.splitlines():
        if not buf and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buf.append(line)
        if line.count("$$") % 2:
            in_dollar = not in_dollar
        if not in_dollar and line.rstrip().endswith(";"):
            out.append("\n".join(buf).rstrip().rstrip(";"))
            buf = []
    if "".join(buf).strip():
        out.append("\n".join(buf))
    return out


# ---- PostgreSQL ----

def seed_postgres(url: str) -> None:
    """Run docker/seed/postgres.sql in the database of `url` (one session, closed after,
    so its table statistics are flushed)."""
    import psycopg
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in sql_statements(seed_text("postgres.sql")):
            conn.execute(statement)


def postgres_workload(url: str, rounds: int = 30) -> None:
    """Top-level statements, so pg_stat_statements has something to rank."""
    import psycopg
    with psycopg.connect(url, autocommit=True) as conn:
        for i in range(rounds):
            conn.execute("SELECT count(*) FROM orders WHERE status = %s AND total > %s", ("refunded", i * 10))
            conn.execute("SELECT * FROM customers WHERE email = %s", (f"customer{i}@example.com",))
            conn.execute("SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id "
                         "WHERE c.country = %s", ("JP",))


def demo_postgres(admin_url: str) -> str:
    import psycopg
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DEMO_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DEMO_DB}")
    url = with_db(admin_url, DEMO_DB)
    seed_postgres(url)
    postgres_workload(url)
    return url


# ---- MariaDB / MySQL ----

def _mysql_kw(url: str) -> dict:
    p = urlsplit(url)
    return dict(host=p.hostname or "127.0.0.1", port=p.port or 3306, user=p.username or "root",
                password=p.password or "", autocommit=True)


def seed_mysql(url: str) -> None:
    """Run docker/seed/mariadb.sql in the schema of `url`."""
    import pymysql
    conn = pymysql.connect(**_mysql_kw(url), database=urlsplit(url).path.lstrip("/"))
    try:
        with conn.cursor() as cur:
            for statement in sql_statements(seed_text("mariadb.sql")):
                cur.execute(statement)
                cur.fetchall()
    finally:
        conn.close()


def demo_mysql(admin_url: str) -> str:
    import pymysql
    conn = pymysql.connect(**_mysql_kw(admin_url))
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{DEMO_DB}`")
            cur.execute(f"CREATE DATABASE `{DEMO_DB}`")
    finally:
        conn.close()
    url = with_db(admin_url, DEMO_DB)
    seed_mysql(url)
    return url


# ---- Redis ----

def redis_commands(text: str) -> list[list[str]]:
    return [shlex.split(line) for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def seed_redis(url: str) -> None:
    """Send every line of docker/seed/redis.txt (never to the shared instance: see RedisDemoServer)."""
    import redis
    client = redis.Redis.from_url(url)
    try:
        for args in redis_commands(seed_text("redis.txt")):
            client.execute_command(*args)
    finally:
        client.close()


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisDemoServer:
    """A throw-away redis-server on a free loopback port (no persistence; extra
    redis-server arguments in args). The tests' RedisServer is this one with its own dir."""

    def __init__(self, *args: str, dir: str = "/tmp") -> None:
        self.port = free_port()
        self.args = args
        self.dir = dir
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        exe = shutil.which("redis-server")
        if exe is None:
            raise RuntimeError("redis-server is not installed")
        self.proc = subprocess.Popen(
            [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--dir", self.dir, *self.args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(10)


# ---- MongoDB ----

def seed_mongo(url: str) -> None:
    mongosh = shutil.which("mongosh")
    if mongosh is None:
        raise RuntimeError("mongosh is not installed (the MongoDB seed is a mongosh script)")
    subprocess.run([mongosh, "--quiet", url, str(SEED_DIR / "mongo.js")], check=True, timeout=300,
                   stdout=subprocess.DEVNULL)


def host_memory() -> str | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) // 1024}MiB"
    except OSError:
        pass
    return None


def main(argv: list[str] | None = None) -> int:
    from .cli import main as advisor_main

    ap = argparse.ArgumentParser(prog="python -m advisor.demo", description=__doc__.splitlines()[0])
    ap.add_argument("--pg", default=LOCAL["postgres"], help="PostgreSQL admin URL (default: local)")
    ap.add_argument("--mysql", default=LOCAL["mysql"], help="MariaDB/MySQL admin URL (default: local)")
    ap.add_argument("--mongo", help="MongoDB URL of a demo database (seeded with mongosh)")
    ap.add_argument("--format", default="text", help="advisor output format (default text)")
    args = ap.parse_args(argv)

    targets: list[str] = []
    steps = [("PostgreSQL", lambda: demo_postgres(args.pg)), ("MariaDB", lambda: demo_mysql(args.mysql))]
    redis_srv = RedisDemoServer()

    def _redis() -> str:
        redis_srv.start()
        seed_redis(redis_srv.url)
        return redis_srv.url

    steps.append(("Redis", _redis))
    if args.mongo:
        steps.append(("MongoDB", lambda: (seed_mongo(args.mongo), args.mongo)[1]))
    try:
        for label, step in steps:
            t0 = time.monotonic()
            try:
                targets.append(step())
                print(f"demo: {label}: problems planted ({time.monotonic() - t0:.1f} s)", file=sys.stderr)
            except Exception as e:  # one missing server must not stop the demo
                first = (str(e).strip().splitlines() or [""])[0]
                print(f"demo: {label}: skipped ({type(e).__name__}: {first})", file=sys.stderr)
        if not targets:
            print("demo: no server could be prepared", file=sys.stderr)
            return 0
        memory = host_memory()
        print(f"demo: advisor run {' '.join(targets)}" + (f" --memory {memory}" if memory else ""), file=sys.stderr)
        advisor_main(["run", *targets, "--format", args.format, "--fail-on", "never",
                      *(["--memory", memory] if memory else [])])
    finally:
        redis_srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
