"""Target URLs: which engine, how to show them without secrets."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

from .errors import UsageError

from .engines import SCHEMES

_SECRET_PARAMS = {"password", "pass", "pwd", "sslpassword", "secret", "token", "authtoken"}


@dataclass
class Target:
    url: str                    # as given; holds the password, never printed
    engine: str
    scheme: str
    name: str | None = None     # a label from an inventory file
    options: dict = field(default_factory=dict)

    @property
    def parts(self) -> SplitResult:
        return urlsplit(self.url)

    @property
    def redacted(self) -> str:
        return redact(self.url)

    @property
    def id(self) -> str:
        if self.name:
            return self.name
        p = self.parts
        host = p.hostname or "localhost"
        if ":" in host:
            host = f"[{host}]"
        port = f":{_port(p)}" if _port(p) else ""
        path = p.path if p.path not in ("", "/") else ""
        return f"{self.engine}://{host}{port}{path}"

    @property
    def username(self) -> str | None:
        u = self.parts.username
        return unquote(u) if u else None

    @property
    def password(self) -> str | None:
        pw = self.parts.password
        return unquote(pw) if pw is not None else None

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(self.parts.query))


def _port(p: SplitResult) -> int | None:
    try:
        return p.port
    except ValueError:
        return None


def parse_target(url: str, name: str | None = None) -> Target:
    """Validate a URL enough to fail early with a one-line message (exit 2)."""
    url = url.strip()
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", url)
    if not m:
        raise UsageError(f"not a database URL: {redact(url)!r} (expected e.g. postgresql://user@host:5432/db)")
    scheme = m.group(1).lower()
    if scheme not in SCHEMES:
        known = ", ".join(sorted(SCHEMES))
        raise UsageError(f"unknown URL scheme {scheme!r} in {redact(url)!r} (known: {known})")
    try:
        p = urlsplit(url)
        p.port  # noqa: B018 - raises on a bad port
    except ValueError as e:
        raise UsageError(f"malformed URL {redact(url)!r}: {e}") from None
    if scheme != "mongodb" and "," in (p.netloc or ""):
        raise UsageError(f"malformed URL {redact(url)!r}: several hosts are only allowed for mongodb://")
    problem = _problem(scheme, p)
    if problem:
        raise UsageError(f"malformed URL {redact(url)!r}: {problem}")
    return Target(url=url, engine=SCHEMES[scheme], scheme=scheme, name=name)


def _problem(scheme: str, p: SplitResult) -> str | None:
    """What drivers would misread (or silently replace with a default) in a parsed URL."""
    if any(c.isspace() for c in p.geturl()):
        return "it contains a space (percent-encode it as %20)"
    if _port(p) == 0:
        return "port 0 (ports are 1-65535)"
    if SCHEMES[scheme] == "mongo" and not p.hostname:
        return "no host (e.g. mongodb://user@host:27017/db)"
    if SCHEMES[scheme] == "redis" and p.path.strip("/") and not p.path.strip("/").isdigit():
        db = unquote(p.path.strip("/"))
        return f"the path names database {db!r}: Redis databases are numbers (redis://host:6379/0)"
    if SCHEMES[scheme] == "redis":
        unknown = sorted(set(dict(parse_qsl(p.query))) - _redis_url_options())
        if unknown:
            return f"unknown option {unknown[0]!r} (redis-py passes URL options to its connection)"
    return None


@functools.lru_cache(maxsize=1)
def _redis_url_options() -> frozenset[str]:
    """Query options redis-py's from_url accepts: its parsed ones and connection arguments."""
    import inspect

    from redis import connection as rc
    names = set(getattr(rc, "URL_QUERY_ARGUMENT_PARSERS", {}))
    for cls in (rc.AbstractConnection, rc.Connection, rc.SSLConnection):
        names |= {n for n in inspect.signature(cls.__init__).parameters if n not in ("self", "args", "kwargs")}
    return frozenset(names)


def redact(url: str) -> str:
    """Replace the password (userinfo and secret query parameters) with ***."""
    url = re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://[^:/?#@]*):[^@/?#]*@", r"\1:***@", url)
    # a password containing '@' or '/' unescaped: cut at the last '@' before the host
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#]*)@", url)
    if m and ":" in m.group(2) and not m.group(2).endswith(":***"):
        user = m.group(2).split(":", 1)[0]
        url = f"{m.group(1)}{user}:***@{url[m.end():]}"

    def _q(mm: re.Match) -> str:
        return f"{mm.group(1)}={'***' if mm.group(1).lower() in _SECRET_PARAMS else mm.group(2)}"

    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", url):
        # not even a URL (e.g. 'postgresql:/u:pw@h'): hide whatever sits between ':' and '@'
        url = re.sub(r"(^|[/\s])([^:/@\s]*):[^@\s]*@", r"\1\2:***@", url)
    if "?" in url:
        base, _, q = url.partition("?")
        url = base + "?" + re.sub(r"([^&=]+)=([^&]*)", _q, q)
    return url


def scrub(text: str, secrets: list[str | None]) -> str:
    """Remove known secrets from an error message (drivers sometimes echo the DSN)."""
    for s in secrets:
        if s:
            text = text.replace(s, "***")
    return re.sub(r"://([^:/@\s]*):[^@\s]*@", r"://\1:***@", text)
