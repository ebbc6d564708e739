"""Replication and security: `advisor run` beside MySQLTuner on the same broken replica.

Starts a private MariaDB primary and replica (tests/servers.py MariaDBServer, GTID, connection
name 'main'), breaks the replica's applier with a row written on the replica first (error 1062),
adds a '%' account with ALL PRIVILEGES and a 192.0.2.% application account, then runs
  1. python -m advisor run REPLICA_URL --checks 'mysql.replication.*' --checks 'mysql.access.*'
     --checks 'mysql.security.*' --checks 'mysql.variables.*' --json
  2. mysqltuner --host 127.0.0.1 --port P --user root --nocolor
and prints each tool's replication and security lines and both wall times. Everything is
removed at the end.

Usage: python bench/mysql_ops_vs_mysqltuner.py
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

from servers import MariaDBServer  # noqa: E402

CHECKS = ("mysql.replication.*", "mysql.access.*", "mysql.security.*", "mysql.variables.*")
TUNER_SECTIONS = ("Security Recommendations", "Replication Metrics")


def _pair():
    primary = MariaDBServer(server_id=1, log_bin=True)
    replica = MariaDBServer("read_only=ON", server_id=2, log_bin=True)
    primary.sql("CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'repl-pw'")
    primary.sql("GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1'")
    primary.sql("CREATE DATABASE app")
    primary.sql("CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20))")
    replica.sql("RESET MASTER")
    replica.sql(f"CHANGE MASTER 'main' TO MASTER_HOST = '127.0.0.1', MASTER_PORT = {primary.port}, "
                "MASTER_USER = 'repl', MASTER_PASSWORD = 'repl-pw', MASTER_USE_GTID = slave_pos")
    replica.sql("START REPLICA 'main'")
    time.sleep(1)
    replica.sql("INSERT INTO app.t VALUES (100, 'replica only')")
    primary.sql("INSERT INTO app.t VALUES (100, 'primary')")
    replica.sql("CREATE USER 'ops'@'%' IDENTIFIED BY 'Ops-pw-1'")
    replica.sql("GRANT ALL PRIVILEGES ON *.* TO 'ops'@'%'")
    replica.sql("CREATE USER 'app'@'192.0.2.%' IDENTIFIED BY 'App-pw-1'")
    for _ in range(100):
        if replica.sql("SHOW REPLICA 'main' STATUS")[0][37]:  # Last_SQL_Errno
            break
        time.sleep(0.1)
    return primary, replica


def _sections(text: str) -> list[str]:
    out, keep = [], False
    for line in text.splitlines():
        if line.startswith("-------- "):
            keep = any(s in line for s in TUNER_SECTIONS)
        if keep:
            out.append(line)
    return out


def main() -> int:
    if not shutil.which("mysqltuner"):
        print("mysqltuner not installed (scripts/prepare-local-servers installs it)", file=sys.stderr)
        return 2
    primary, replica = _pair()
    try:
        t0 = time.perf_counter()
        globs = [a for c in CHECKS for a in ("--checks", c)]
        adv = subprocess.run([sys.executable, "-m", "advisor", "run", replica.url, *globs, "--json"],
                             capture_output=True, text=True)
        t_adv = time.perf_counter() - t0
        t0 = time.perf_counter()
        tuner = subprocess.run(["mysqltuner", "--host", "127.0.0.1", "--port", str(replica.port), "--user", "root",
                                "--pass", "", "--nocolor", "--skipsize"], capture_output=True, text=True)
        t_tuner = time.perf_counter() - t0
        report = json.loads(adv.stdout)
        print(f"== advisor ({t_adv:.2f} s, exit {adv.returncode}) ==")
        for f in report["findings"]:
            print(f"  [{f['severity']}] {f['check']}: {f['summary']}")
        print(f"\n== mysqltuner ({t_tuner:.2f} s, exit {tuner.returncode}) ==")
        for line in _sections(tuner.stdout):
            print("  " + line)
        recs = re.findall(r"^\s{4}(.*)$", tuner.stdout.split("Recommendations", 1)[-1], re.M)
        print("  recommendations: " + " | ".join(recs[:15]))
    finally:
        replica.stop()
        primary.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
