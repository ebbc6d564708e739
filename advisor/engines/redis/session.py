"""A Redis connection with connect/read timeouts; commands map errors to facts' vocabulary."""

from __future__ import annotations

import functools
from typing import Any

import redis
from redis import exceptions as rex

try:  # C reply parser (redis[hiredis]): sampling every key parses one reply per key
    import hiredis
except ImportError:  # pragma: no cover - the pure-Python reader below does the same, slower
    hiredis = None
from redis.connection import parse_url

from advisor.engines.options import DEFAULT_TIMEOUT
from advisor.errors import FactUnavailable, TargetLost, TargetUnreachable
from advisor.targets import Target


CLIENT_NAME = "db-advisor"


def _on_connect(conn) -> None:
    """AUTH/SELECT as usual, then name the connection (best effort: a name lets the slow-log
    check skip our own commands; CLIENT SETNAME is refused by some ACLs and after a failed save)."""
    conn.on_connect()
    try:
        conn.send_command("CLIENT", "SETNAME", CLIENT_NAME)
        conn.read_response()
    except rex.ResponseError:
        pass


class RedisSession:
    """One client per logical database, all built from the same URL and timeouts.

    Clients return raw RESP2 replies (bytes, lists): the facts modules parse them."""

    def __init__(self, target: Target, timeout: float):
        self.target = target
        self.timeout = timeout
        try:
            self.url_options = parse_url(target.url)
        except ValueError as e:
            raise TargetUnreachable(f"cannot connect to {target.redacted}: {e}") from None
        self.db = int(self.url_options.get("db") or 0)
        self._clients: dict[int, redis.Redis] = {}
        self.commands = 0

    def client(self, db: int | None = None) -> redis.Redis:
        db = self.db if db is None else db
        if db not in self._clients:
            pool = redis.ConnectionPool(**{
                **self.url_options, "db": db,
                "socket_timeout": self.timeout, "socket_connect_timeout": self.timeout,
                "max_connections": 2, "protocol": 2, "redis_connect_func": _on_connect,
            })
            client = redis.Redis(connection_pool=pool)
            client.response_callbacks.clear()  # raw replies: our parsers, same live and in tests
            self._clients[db] = client
        return self._clients[db]

    def run(self, *args: Any, db: int | None = None, **options: Any) -> Any:
        """One command; unknown/forbidden commands -> FactUnavailable, broken link -> TargetLost."""
        self.commands += 1
        with errors(_acl_name(args)):
            return self.client(db).execute_command(*args, **options)

    def batch_keys(self, commands: list[tuple[tuple, bytes]], what: str, db: int | None = None) -> list:
        """Send many (template, key) commands in one write and read every reply: a pipeline
        without redis-py's per-command cost. A template is a command with KEY where the key goes.
        A command's error comes back as a ResponseError object in the list."""
        n = len(commands)
        self.commands += n
        if not n:
            return []
        payload = b"".join(_pack_key(t, k) for t, k in commands)
        pool = self.client(db).connection_pool
        with errors(what):
            conn = pool.get_connection()
            try:
                conn.send_packed_command([payload], check_health=False)
                return _read_replies(conn._sock, n)
            except BaseException:
                conn.disconnect()  # replies may be left unread: never reuse this connection
                raise
            finally:
                pool.release(conn)

    def close(self) -> None:
        for c in self._clients.values():
            try:
                c.close()
                c.connection_pool.disconnect()
            except Exception:  # pragma: no cover
                pass


_CONTAINERS = {"CONFIG", "SLOWLOG", "CLIENT", "LATENCY", "ACL", "CLUSTER", "MEMORY", "OBJECT"}


def _acl_name(args: tuple) -> str:
    """'CONFIG GET' -> 'config|get' (the name ACL rules use); 'SCAN' -> 'scan'."""
    name = str(args[0]).upper()
    if name in _CONTAINERS and len(args) > 1:
        return f"{name}|{str(args[1]).upper()}".lower()
    return name.lower()


class errors:
    """Context manager translating redis-py errors for one command (name for messages)."""

    def __init__(self, command: str):
        self.command = command

    def __enter__(self) -> None:
        return None

    def __exit__(self, typ, e, tb) -> bool:
        if e is None:
            return False
        if isinstance(e, rex.NoPermissionError):
            grant = self.command if "/" not in self.command and " " not in self.command else "<command>"
            raise FactUnavailable(f"{self.command} is not permitted for this user: {_line(e)}",
                                  f"ACL SETUSER <advisor user> +{grant}") from None
        if isinstance(e, rex.ResponseError):
            text = _line(e)
            if "unknown command" in text.lower() or "unknown subcommand" in text.lower():
                raise FactUnavailable(f"{self.command} is disabled or renamed on this server ({text})",
                                      "managed services often block it; nothing to enable from here") from None
            raise FactUnavailable(f"{self.command} failed: {text}") from None
        if isinstance(e, (rex.ConnectionError, rex.TimeoutError, OSError)):
            raise TargetLost(f"{self.command}: {_line(e)}") from None
        return False


KEY = object()  # where the key goes in a batch_keys() template


@functools.lru_cache(maxsize=1024)
def _arg(a: Any) -> bytes:
    b = str(a).encode()
    return b"$%d\r\n%s\r\n" % (len(b), b)


@functools.lru_cache(maxsize=256)
def _template(template: tuple) -> tuple[bytes, bytes]:
    i = template.index(KEY)
    return (b"*%d\r\n" % len(template) + b"".join(_arg(a) for a in template[:i]),
            b"".join(_arg(a) for a in template[i + 1:]))


def _pack_key(template: tuple, key: bytes) -> bytes:
    head, tail = _template(template)
    return b"%s$%d\r\n%s\r\n%s" % (head, len(key), key, tail)


def _read_replies(sock, n: int) -> list:
    """The next n replies on the socket; errors as ResponseError/NoPermissionError objects."""
    if hiredis is None:
        reader = _Reader(sock)
        return [reader.reply() for _ in range(n)]
    parser = hiredis.Reader(replyError=rex.ResponseError)
    gets, out = parser.gets, []
    while len(out) < n:
        reply = gets()
        if reply is False:
            chunk = sock.recv(1 << 20)
            if not chunk:
                raise rex.ConnectionError("connection closed by the server")
            parser.feed(chunk)
        else:
            out.append(reply)
    for i, reply in enumerate(out):
        if type(reply) is rex.ResponseError and str(reply).startswith("NOPERM"):
            out[i] = rex.NoPermissionError(str(reply))
    return out


class _Reader:
    """A minimal RESP2 reply reader over the socket, for batches of simple replies."""

    def __init__(self, sock):
        self.sock, self.buf, self.pos = sock, b"", 0

    def _fill(self) -> None:
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise rex.ConnectionError("connection closed by the server")
        self.buf, self.pos = self.buf[self.pos:] + chunk, 0

    def _line(self) -> bytes:
        while (i := self.buf.find(b"\r\n", self.pos)) < 0:
            self._fill()
        line, self.pos = self.buf[self.pos:i], i + 2
        return line

    def reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b":":
            return int(rest)
        if kind == b"+":
            return rest
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) - self.pos < n + 2:
                self._fill()
            value, self.pos = self.buf[self.pos:self.pos + n], self.pos + n + 2
            return value
        if kind == b"-":
            text = rest.decode("utf-8", "replace")
            return (rex.NoPermissionError if text.startswith("NOPERM") else rex.ResponseError)(text)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise rex.InvalidResponse(f"unexpected reply {line[:40]!r}")


def _line(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    return text.splitlines()[0]


def connect(target: Target, options: dict[str, Any]) -> RedisSession:
    timeout = float(options.get("timeout", DEFAULT_TIMEOUT))
    s = RedisSession(target, timeout)
    try:
        s.client().ping()
    except rex.ResponseError as e:
        if not str(e).startswith("MISCONF"):  # MISCONF: failed save refuses even PING; it answered
            s.close()
            raise TargetUnreachable(f"cannot connect to {target.redacted}: {_line(e)}") from None
    except rex.AuthenticationError as e:
        s.close()
        raise TargetUnreachable(f"cannot connect to {target.redacted}: authentication failed: {_line(e)}") from None
    except rex.TimeoutError:
        s.close()
        raise TargetUnreachable(f"cannot connect to {target.redacted}: no answer within {timeout:g}s") from None
    except (rex.RedisError, OSError) as e:
        s.close()
        raise TargetUnreachable(f"cannot connect to {target.redacted}: {_line(e)}") from None
    return s


def close(session: RedisSession) -> None:
    session.close()


def server_version(facts: Any) -> str | None:
    server = facts.get("redis.info").get("server", {})
    name = server.get("server_name") or ("valkey" if "valkey_version" in server else "redis")
    version = server.get("valkey_version") or server.get("redis_version")
    return f"{name} {version}" if version else None
