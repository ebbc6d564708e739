"""Target URLs: which engine, how to show them without secrets."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from urllib.parse import SplitResult, parse_qsl, quote, unquote, urlsplit

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


ENCODE_HINT = ("percent-encode special characters in the user name and password: "
               "@ as %40, : as %3A, / as %2F, ? as %3F, # as %23, % as %25, space as %20")
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def parse_target(url: str, name: str | None = None) -> Target:
    """Validate a URL enough to fail early with a one-line message (exit 2).

    Messages show the URL through redact() only, never a parser's own text: a password holding
    '/', '?' or '#' makes parsers read part of it as the port or path and echo it."""
    url = url.strip()
    m = _SCHEME_RE.match(url)
    if not m:
        raise UsageError(f"not a database URL: {redact(url)!r} (expected e.g. postgresql://user@host:5432/db)")
    scheme = m.group(1).lower()
    if scheme not in SCHEMES:
        known = ", ".join(sorted(SCHEMES))
        raise UsageError(f"unknown URL scheme {scheme!r} in {redact(url)!r} (known: {known})")
    if _userinfo_needs_encoding(url[m.end():]):
        raise UsageError(f"malformed URL {redact(url)!r}: {ENCODE_HINT}")
    try:
        p = urlsplit(url)
        p.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise UsageError(f"malformed URL {redact(url)!r}: the port must be a number from 1 to 65535") from None
    if scheme not in ("mongodb", "mongodb+srv") and "," in (p.netloc or ""):
        raise UsageError(f"malformed URL {redact(url)!r}: several hosts are only allowed for mongodb://")
    problem = _problem(scheme, p)
    if problem:
        raise UsageError(f"malformed URL {redact(url)!r}: {problem}")
    return Target(url=url, engine=SCHEMES[scheme], scheme=scheme, name=name)


def _userinfo_needs_encoding(rest: str) -> bool:
    """True when the part after '://' cannot be split into user, password and host the same way
    by every driver: an '@' past the authority (a '/', '?' or '#' in the password ended it
    early), several '@' (libpq splits at the first, others at the last), or a stray '%'."""
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, beyond = rest[:end], rest[end:]
    if "@" in beyond or authority.count("@") > 1:
        return True
    return "@" in authority and bool(_BAD_PERCENT.search(authority.rsplit("@", 1)[0]))


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
    if SCHEMES[scheme] == "pgbouncer" and unquote(p.path.strip("/")) not in ("", "pgbouncer"):
        db = unquote(p.path.strip("/"))
        return (f"the path names database {db!r}: PgBouncer's admin console is the database pgbouncer "
                "(pgbouncer://user@host:6432/pgbouncer); to judge the PostgreSQL behind it use postgresql://")
    if SCHEMES[scheme] == "redis" and p.query:  # redis-py is imported (~75 ms) only to check options
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
    """The URL without secrets: the password (and secret query parameters) become ***.

    Holds for any input, parsed or not: everything up to the last '@' is the userinfo, and
    when that does not look like plain `user:password` (a character that should have been
    percent-encoded), none of it is shown."""
    m = _SCHEME_RE.match(url)
    if not m:
        # not even a URL (e.g. 'postgresql:/u:pw@h' or 'u:pw@h'): hide all before the last '@'
        at = url.rfind("@")
        return ("***@" + url[at + 1:]) if at >= 0 else url
    rest = url[m.end():]
    at = rest.rfind("@")
    if at >= 0:
        userinfo, rest = rest[:at], rest[at + 1:]
        if any(c in userinfo for c in "/?#@") or _BAD_PERCENT.search(userinfo):
            shown = "***"
        else:
            user, colon, _ = userinfo.partition(":")
            shown = f"{user}:***" if colon else user
        rest = f"{shown}@{rest}"
    url = m.group(0) + rest

    def _q(mm: re.Match) -> str:
        return f"{mm.group(1)}={'***' if mm.group(1).lower() in _SECRET_PARAMS else mm.group(2)}"

    if "?" in url:
        base, _, q = url.partition("?")
        url = base + "?" + re.sub(r"([^&=]+)=([^&#]*)", _q, q)
    return url


def scrub(text: str, secrets: list[str | None]) -> str:
    """Remove known secrets from an error message (drivers sometimes echo the DSN)."""
    for s in secrets:
        if s:
            text = text.replace(s, "***")
            if quote(s, safe="") != s:
                text = text.replace(quote(s, safe=""), "***")
    return re.sub(r"://([^:/@\s]*):[^@\s]*@", r"://\1:***@", text)
