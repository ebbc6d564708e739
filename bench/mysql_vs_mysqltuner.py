"""Benchmark: a full `advisor run` beside MySQLTuner on the same MySQL / MariaDB server.

Plants a scratch schema with known problems (duplicate and redundant indexes, a table
without primary key, an AUTO_INCREMENT near its type's max, a table read by full scans,
an unused index, a passwordless account), then times (wall clock, median of --runs) both:
  1. python -m advisor run URL --json --memory <host memory>
  2. mysqltuner --host H --port P --user U --pass PW --nocolor (Debian package)
and prints both figures and, topic by topic, what each tool reported. The scratch schema
and account are dropped at the end.

Usage: python bench/mysql_vs_mysqltuner.py [--url mysql://root@127.0.0.1:3306/] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from urllib.parse import urlsplit

import pymysql

# topic -> (advisor check-id prefixes, MySQLTuner line pattern)
TOPICS = {
    "performance_schema / digests": (["mysql.observability.performance_schema"], r"performance_schema.*(disabled|off)"),
    "slow statements / full scans": (["mysql.queries.slow_mean", "mysql.queries.full_scans", "mysql.queries.top_total",
                                      "mysql.queries.slow_ratio", "mysql.queries.joins_without_index"],
                                     r"Slow queries|Joins performed without indexes"),
    "statements: temp tables / sorts": (["mysql.queries.tmp_disk", "mysql.queries.sort_merge"],
                                        r"Sorts requiring temporary|Temporary tables created on disk"),
    "missing indexes (table + columns)": (["mysql.index.missing"], r"(?!)"),
    "unused indexes": (["mysql.index.unused"], r"[Uu]nused ind"),
    "duplicate / redundant indexes": (["mysql.index.duplicate"], r"[Rr]edundant ind"),
    "tables without primary key": (["mysql.schema.no_primary_key"], r"without (a )?primary key"),
    "AUTO_INCREMENT near max": (["mysql.schema.auto_increment"], r"[Aa]uto.?increment"),
    "fragmented tables": (["mysql.schema.fragmented"], r"[Ff]ragmented tables:\s*[1-9]"),
    "buffer pool size / hit rate": (["mysql.innodb.buffer_pool"], r"buffer pool / data size|[Rr]ead efficiency"),
    "redo log size": (["mysql.innodb.redo_log"], r"log file size"),
    "durability / IO settings": (["mysql.durability", "mysql.io"], r"flush_log_at_trx_commit|sync_binlog|Binary log"),
    "connections": (["mysql.connections"], r"[Aa]borted connections|usage of available connections|Thread cache"),
    "tmp_table_size": (["mysql.tmp"], r"tmp_table_size|Temporary tables created on disk: [3-9]\d%"),
    "query cache": (["mysql.cache.query_cache"], r"[Qq]uery cache (is )?enabled|query_cache_type"),
    "slow query log": (["mysql.observability.slow_log"], r"slow.query.log|long_query_time"),
    "table cache / open files": (["mysql.cache.table_open", "mysql.cache.open_files"], r"Table cache hit rate: [0-1]?\d%|Open file limit used: [89]\d%"),
    "accounts (anonymous / no password / root)": (["mysql.security"], r"anonymous|without password|have no password|hostname restrictions|root.*remote"),
    "long transactions / history list": (["mysql.innodb.long_transactions"], r"History list|transaction.*open"),
}


def plant(kw: dict, schema: str, user: str) -> None:
    c = pymysql.connect(**kw, autocommit=True)
    with c.cursor() as cur:
        for sql in [
            f"CREATE DATABASE `{schema}`", f"USE `{schema}`",
            "CREATE TABLE t_dup (id INT PRIMARY KEY, a INT, b INT, c INT, KEY a_only (a), KEY a_b (a, b), "
            "KEY c1 (c), KEY c2 (c), KEY b_id (b, id))",
            "CREATE TABLE nopk (a INT, b INT)",
            "CREATE TABLE ai (id TINYINT AUTO_INCREMENT PRIMARY KEY, v INT) AUTO_INCREMENT=110",
            "CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, status VARCHAR(10), total INT, "
            "u INT, KEY never_read (u))",
            "INSERT INTO orders (status, total, u) SELECT ELT(1 + seq % 4, 'new', 'paid', 'sent', 'void'), "
            "seq % 500, seq FROM seq_1_to_5000",
            f"CREATE USER '{user}'@'%'",
        ]:
            cur.execute(sql)
        for i in range(30):
            cur.execute("SELECT COUNT(*) FROM orders WHERE status = %s AND total > %s", ("paid", i))
    c.close()


def unplant(kw: dict, schema: str, user: str) -> None:
    c = pymysql.connect(**kw, autocommit=True)
    with c.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{schema}`")
        cur.execute(f"DROP USER IF EXISTS '{user}'@'%'")
    c.close()


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    return time.perf_counter() - t0, p


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="mysql://root@127.0.0.1:3306/")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-plant", action="store_true", help="judge the server as it is")
    args = ap.parse_args()
    p = urlsplit(args.url)
    kw = dict(host=p.hostname or "127.0.0.1", port=p.port or 3306, user=p.username or "root",
              password=p.password or os.environ.get("MYSQL_PWD", ""))
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    tuner = shutil.which("mysqltuner")
    tag = uuid.uuid4().hex[:8]
    schema, user = f"advisor_bench_{tag}", f"advisor_bench_{tag}"
    if not args.no_plant:
        plant(kw, schema, user)
    try:
        adv_times, tuner_times = [], []
        for _ in range(args.runs):
            t, adv = timed([sys.executable, "-m", "advisor", "run", args.url, "--json", "--fail-on", "never",
                            "--memory", str(memory)])
            adv_times.append(t)
            if tuner:
                t, tun = timed([tuner, "--host", kw["host"], "--port", str(kw["port"]), "--user", kw["user"],
                                "--pass", kw["password"], "--nocolor", "--forcemem", str(memory // 2**20)])
                tuner_times.append(t)
        report = json.loads(adv.stdout)
        findings = report["findings"]
        tuner_out = tun.stdout + tun.stderr if tuner else ""
        tuner_bad = [ln.strip() for ln in tuner_out.splitlines() if ln.startswith("[!!]")]
    finally:
        if not args.no_plant:
            unplant(kw, schema, user)

    print(f"server: {report['targets'][0]['server_version']}  ({args.url.split('@')[-1]})")
    print(f"advisor run : median {statistics.median(adv_times):6.2f} s over {args.runs} run(s) "
          f"[{', '.join(f'{t:.2f}' for t in adv_times)}]; {len(findings)} findings, "
          f"{len(report['skipped'])} skipped, {len(report['errors'])} errors")
    if tuner:
        print(f"mysqltuner  : median {statistics.median(tuner_times):6.2f} s over {args.runs} run(s) "
              f"[{', '.join(f'{t:.2f}' for t in tuner_times)}]; {len(tuner_bad)} [!!] lines, "
              f"exit code {tun.returncode}" + ("  (crashed: " + next(
                  (ln.strip() for ln in tuner_out.splitlines() if "Illegal" in ln or "Uncaught" in ln), "?")
                  + ")" if tun.returncode not in (0, 1) else ""))
    else:
        print("mysqltuner  : not installed (apt-get install mysqltuner)")
    print()
    print(f"{'topic':42} {'advisor':>8} {'mysqltuner':>11}")
    for topic, (prefixes, pattern) in TOPICS.items():
        a = sum(1 for f in findings if any(f["check"].startswith(pr) for pr in prefixes))
        t = sum(1 for ln in tuner_bad if re.search(pattern, ln))
        print(f"{topic:42} {a:>8} {t:>11}")
    planted = [f for f in findings if schema in (f.get("object") or "") or user in (f.get("object") or "")]
    print(f"\nadvisor findings about the planted schema/account: {len(planted)}")
    for f in planted:
        print(f"  {f['check']:34} {f['object']}")
    print("\nmysqltuner [!!] lines:")
    for ln in tuner_bad:
        print("  " + ln)
    security = [ln.strip() for ln in tuner_out.splitlines() if re.search(r"password|anonymous", ln, re.I)
                and ln.startswith("[")]
    print("mysqltuner password / anonymous-account lines (the planted account has no password):")
    for ln in security:
        print("  " + ln)
    return 0


if __name__ == "__main__":
    sys.exit(main())
