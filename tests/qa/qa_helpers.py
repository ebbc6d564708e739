"""QA helpers: the CLI contract (one stderr line, no traceback, no secret), local fake servers."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

SECRET = "s3cr3t-QA-pw"   # planted in every URL; must never come back


def closed_port(host: str = "127.0.0.1") -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def assert_contract(p, code: int | set[int], *fragments: str, files: tuple[Path, ...] = ()) -> str:
    """Exit code as documented, ONE line on stderr holding every fragment, no traceback,
    the planted password nowhere (stdout, stderr, written files). Returns the line."""
    codes = {code} if isinstance(code, int) else code
    assert p.returncode in codes, (p.returncode, p.stderr)
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, p.stderr
    assert "Traceback" not in p.stderr + p.stdout
    for f in fragments:
        assert f in lines[0], lines[0]
    everything = p.stdout + p.stderr + "".join(f.read_text() for f in files if f.exists())
    assert SECRET not in everything
    return lines[0]


def report_of(p) -> dict:
    return json.loads(p.stdout)


class SilentServer:
    """Accepts TCP connections and never says a word (a hung server or a black-holed port)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                self.conns.append(self.sock.accept()[0])
            except OSError:
                pass

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        for c in self.conns:
            c.close()
        self.sock.close()


class CuttingProxy:
    """Forwards a loopback port to a real server and cuts every connection once the server
    has sent `cut_after` bytes: a server that goes away in the middle of a run. With `stall`,
    the connection stays open and silent instead: a server that stops answering mid-run."""

    def __init__(self, upstream_port: int, cut_after: int, stall: bool = False) -> None:
        self.upstream = upstream_port
        self.cut_after = cut_after
        self.stall = stall
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.cuts = 0
        self.stop = threading.Event()
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                client = self.sock.accept()[0]
            except OSError:
                continue
            server = socket.create_connection(("127.0.0.1", self.upstream))
            self.pairs.append((client, server))
            threading.Thread(target=self._pump, args=(client, server, None), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, self.cut_after), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, budget: int | None) -> None:
        sent = 0
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if budget is not None and sent + len(data) > budget:
                    dst.sendall(data[:budget - sent])
                    self.cuts += 1
                    if self.stall:
                        self.stop.wait()  # hold both sockets open, say nothing more
                    break
                dst.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self.stop.set()
        self.sock.close()
