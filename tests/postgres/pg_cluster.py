"""Private PostgreSQL servers for tests that must change settings, restart, or run a replica
(the shared server must not be reconfigured): started from this machine's PostgreSQL
binaries in a temp directory, on free loopback ports; stopped and removed afterwards.
Use one per test module (module-scoped fixture): initdb + start take about a second."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile

import pytest

from servers import free_port


def _bindir() -> str | None:
    if os.environ.get("ADVISOR_TEST_PG_BIN"):
        return os.environ["ADVISOR_TEST_PG_BIN"]
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[-3]) if p.split("/")[-3].isdigit() else 0)
    return os.path.dirname(found[-1]) if found else None


class Cluster:
    """initdb/pg_ctl/pg_basebackup run as the postgres OS user when we are root."""

    def __init__(self, bindir: str):
        self.bin = bindir
        self.dir = tempfile.mkdtemp(prefix="advisor-pgpriv-")
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres")
        self.ports: dict[str, int] = {}

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.as_user, os.path.join(self.bin, tool), *args], check=True,
                       capture_output=True, timeout=60)

    def start(self, name: str, *settings: str, fsync_off: bool = True) -> str:
        """Start with these -c settings (command-line settings beat ALTER SYSTEM: plant the ones
        a fix must change with append() instead; fsync_off=False leaves fsync to the files)."""
        port = free_port()
        opts = " ".join([f"-p {port}", f"-k {self.dir}", "-c listen_addresses=127.0.0.1",
                         *(["-c fsync=off"] if fsync_off else []), *(f"-c {s}" for s in settings)])
        self._run("pg_ctl", "-D", f"{self.dir}/{name}", "-l", f"{self.dir}/{name}.log", "-w", "-o", opts, "start")
        self.ports[name] = port
        return f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def initdb(self, name: str) -> None:
        self._run("initdb", "-D", f"{self.dir}/{name}", "-U", "postgres", "--auth=trust", "-N", "-E", "UTF8")

    def basebackup(self, source: str, name: str) -> None:
        self._run("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.ports[source]), "-U", "postgres",
                  "-D", f"{self.dir}/{name}", "-R", "-X", "stream", "-c", "fast")

    def reload(self, name: str, line: str | None = None, file: str = "postgresql.auto.conf") -> None:
        """pg_ctl reload, after appending `line` (if any) to `file`."""
        if line is not None:
            self.append(name, line, file)
        self._run("pg_ctl", "-D", f"{self.dir}/{name}", "reload")

    def append(self, name: str, line: str, file: str = "postgresql.conf") -> None:
        """A line at the end of a config file (settings planted there, unlike start()'s -c
        options, can be overridden by ALTER SYSTEM)."""
        with open(f"{self.dir}/{name}/{file}", "a") as f:
            f.write(line + "\n")

    def restart(self, name: str) -> None:
        """pg_ctl restart: same port and -o options (pg_ctl keeps them in postmaster.opts)."""
        self._run("pg_ctl", "-D", f"{self.dir}/{name}", "-l", f"{self.dir}/{name}.log", "-w", "-m", "fast",
                  "restart")

    def stop(self) -> None:
        for name in reversed(list(self.ports)):
            try:
                self._run("pg_ctl", "-D", f"{self.dir}/{name}", "-m", "immediate", "stop")
            except subprocess.SubprocessError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def private_cluster():
    """A Cluster (skips the test when there are no server binaries); stopped on exit."""
    bindir = _bindir()
    if not bindir or (os.geteuid() == 0 and not shutil.which("runuser")):
        pytest.skip("no PostgreSQL server binaries to start a private cluster")
    c = Cluster(bindir)
    try:
        yield c
    finally:
        c.stop()
