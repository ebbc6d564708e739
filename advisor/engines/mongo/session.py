"""A MongoDB session: one pymongo client bounded by the `timeout` option, plus a
direct connection to every data-bearing replica-set member the driver sees
(index usage counters are per host)."""

from __future__ import annotations

import socket
import time
from typing import Any

import pymongo
from pymongo import errors as merr
from pymongo.uri_parser import parse_uri

from advisor.engines.options import DEFAULT_TIMEOUT
from advisor.errors import FactUnavailable, TargetLost, TargetUnreachable, UsageError
from advisor.targets import Target, scrub

CLUSTER_MONITOR = ("grant the clusterMonitor role: db.getSiblingDB('admin')"
                   ".grantRolesToUser('<advisor user>', ['clusterMonitor'])")
UNAUTHORIZED = {13, 18}            # Unauthorized, AuthenticationFailed
NOT_AVAILABLE = {59, 115, 26}      # CommandNotFound, CommandNotSupported, NamespaceNotFound
MAX_TIME_EXPIRED = 50
# URI options that only make sense for the seed list, not for a direct member connection
_SEED_ONLY = {"replicaset", "directconnection", "srvservicename", "srvmaxhosts", "loadbalanced"}


def read_grant(db: str) -> str:
    """The least grant that lets the advisor read one database's catalog and profiler."""
    return (f"grant read on {db}: db.getSiblingDB('admin').grantRolesToUser('<advisor user>', "
            f"[{{role: 'read', db: '{db}'}}])")


def _kwargs(timeout: float) -> dict[str, Any]:
    ms = max(1, int(timeout * 1000))
    return {"serverSelectionTimeoutMS": ms, "connectTimeoutMS": ms, "socketTimeoutMS": ms,
            "appname": "db-advisor", "retryReads": False, "maxPoolSize": 2}


class MongoSession:
    def __init__(self, client: pymongo.MongoClient, timeout: float, target: Target):
        self.client = client
        self.timeout = timeout
        self.target = target
        self.max_time_ms = max(1, int(timeout * 1000))
        self._members: dict[str, pymongo.MongoClient] = {}
        self.commands = 0

    # -- topology ---------------------------------------------------------------------------

    @property
    def topology(self) -> str:
        """Single, ReplicaSetWithPrimary, ReplicaSetNoPrimary, Sharded, LoadBalanced."""
        return self.client.topology_description.topology_type_name

    def member_hosts(self) -> list[str]:
        """Data-bearing members the driver has discovered ("host:port"), sorted.

        Right after connecting, a member whose first check is still under way is Unknown
        without an error; counted then, a healthy member would pass for unreachable (seen
        on a loaded machine). So wait, within the timeout, until every member the driver
        knows has been checked once."""
        from pymongo.server_type import SERVER_TYPE
        bearing = {SERVER_TYPE.RSPrimary, SERVER_TYPE.RSSecondary, SERVER_TYPE.Standalone,
                   SERVER_TYPE.Mongos}
        deadline = time.monotonic() + self.timeout
        while True:
            described = self.client.topology_description.server_descriptions()
            unchecked = [sd for sd in described.values()
                         if sd.server_type == SERVER_TYPE.Unknown and sd.error is None]
            if not unchecked or time.monotonic() >= deadline:
                break
            time.sleep(0.02)
        return sorted(f"{h}:{p}" for (h, p), sd in described.items() if sd.server_type in bearing)

    def member(self, host: str) -> pymongo.MongoClient:
        """A direct connection to one member, with the target's credentials and TLS options."""
        if self.topology in ("Single", "Sharded", "LoadBalanced"):
            return self.client
        if host not in self._members:
            parsed = parse_uri(self.target.url)
            opts = {k: v for k, v in parsed["options"].items() if k.lower() not in _SEED_ONLY}
            if parsed.get("username"):
                opts.update(username=parsed["username"], password=parsed["password"])
                if "authsource" not in {k.lower() for k in opts}:
                    opts["authSource"] = parsed.get("database") or "admin"
            opts.update(_kwargs(self.timeout))
            self._members[host] = pymongo.MongoClient(f"mongodb://{host}/", directConnection=True,
                                                      **opts)
        return self._members[host]

    # -- commands ---------------------------------------------------------------------------

    def _guard(self, what: str, enable: str | None, fn):
        self.commands += 1
        try:
            return fn()
        except merr.OperationFailure as e:
            code = e.code or 0
            if code in UNAUTHORIZED:
                raise FactUnavailable(f"not authorized to run {what}", enable) from None
            if code == MAX_TIME_EXPIRED:
                raise FactUnavailable(f"{what} timed out after {self.timeout:g}s (maxTimeMS)",
                                      "raise --timeout if the catalog is very large") from None
            raise FactUnavailable(f"{what} failed: {_first_line(e)}") from None
        except merr.NetworkTimeout:
            raise FactUnavailable(f"{what} timed out after {self.timeout:g}s (socketTimeoutMS)",
                                  "raise --timeout if the server is busy") from None
        except (merr.ConnectionFailure, merr.InvalidOperation) as e:
            raise TargetLost(scrub(_first_line(e), [self.target.password])) from None

    def command(self, cmd: dict[str, Any], db: str = "admin", *, enable: str | None = CLUSTER_MONITOR,
                client: pymongo.MongoClient | None = None) -> dict[str, Any]:
        """Run one read-only command; errors become FactUnavailable / TargetLost."""
        c = client or self.client
        # Database.command defaults to the primary; a set without one is still inspected
        return self._guard(next(iter(cmd)), enable,
                           lambda: c[db].command(cmd, read_preference=c.read_preference))

    def aggregate(self, db: str, coll: str, pipeline: list[dict], *, enable: str | None,
                  client: pymongo.MongoClient | None = None, limit: int = 10000) -> list[dict]:
        c = client or self.client

        def run():
            cur = c[db][coll].aggregate(pipeline, maxTimeMS=self.max_time_ms, batchSize=min(limit, 1000))
            out = []
            for doc in cur:
                out.append(doc)
                if len(out) >= limit:
                    cur.close()
                    break
            return out
        return self._guard(f"aggregate on {db}.{coll}", enable, run)

    def list_collections(self, db: str, *, enable: str | None, limit: int) -> list[dict]:
        """Names and types (nameOnly + authorizedCollections: works with read on one db), one batch
        of at most `limit` (run as a command: the driver's helper insists on the primary)."""
        doc = self.command({"listCollections": 1, "nameOnly": True, "authorizedCollections": True,
                            "cursor": {"batchSize": limit}, "maxTimeMS": self.max_time_ms}, db, enable=enable)
        return doc.get("cursor", {}).get("firstBatch", [])[:limit]

    def list_indexes(self, db: str, coll: str, *, enable: str | None) -> list[dict]:
        """Index specs in one batch (a collection has at most 64 indexes)."""
        doc = self.command({"listIndexes": coll, "cursor": {"batchSize": 1000}}, db, enable=enable)
        return doc.get("cursor", {}).get("firstBatch", [])

    def find(self, db: str, coll: str, flt: dict, *, enable: str | None, sort: list | None = None,
             limit: int = 100, projection: dict | None = None) -> list[dict]:
        def run():
            cur = self.client[db][coll].find(flt, projection, limit=limit, max_time_ms=self.max_time_ms)
            if sort:
                cur = cur.sort(sort)
            return list(cur)
        return self._guard(f"find on {db}.{coll}", enable, run)


def _first_line(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    text = text.split(", Timeout:")[0].split(", full error:")[0]  # drop pymongo's topology dump
    return " ".join(text.split())[:300]


def _refused(target: Target, timeout: float) -> str | None:
    """A single-host mongodb:// URL whose port refuses TCP: say so at once (the driver would
    retry server selection for the whole timeout first). Seed lists and SRV are left to it."""
    p = target.parts
    if target.scheme != "mongodb" or "," in p.netloc or not p.hostname:
        return None
    try:
        socket.create_connection((p.hostname, p.port or 27017), timeout=min(timeout, 5)).close()
    except ConnectionRefusedError as e:
        return f"{p.hostname}:{p.port or 27017}: {e.strerror or 'connection refused'}"
    except OSError:
        return None  # unresolvable or silent: the driver reports it within the timeout
    return None


def connect(target: Target, options: dict[str, Any]) -> MongoSession:
    timeout = float(options.get("timeout", DEFAULT_TIMEOUT))
    refused = _refused(target, timeout)
    if refused:
        raise TargetUnreachable(f"cannot connect to {target.redacted}: {refused}")
    try:
        client = pymongo.MongoClient(target.url, readPreference="primaryPreferred",
                                     **_kwargs(timeout))
    except merr.InvalidURI as e:
        raise UsageError(f"malformed URL {target.redacted!r}: {scrub(str(e), [target.password])}") from None
    except merr.ConfigurationError as e:  # e.g. SRV record not found, unknown option
        raise TargetUnreachable(f"cannot connect to {target.redacted}: "
                                f"{scrub(_first_line(e), [target.password])}") from None
    try:
        client.admin.command("ping", read_preference=client.read_preference)  # select + authenticate
    except merr.PyMongoError as e:
        client.close()
        raise TargetUnreachable(f"cannot connect to {target.redacted}: "
                                f"{scrub(_first_line(e), [target.password])}") from None
    return MongoSession(client, timeout, target)


def close(session: MongoSession) -> None:
    for c in [session.client, *session._members.values()]:
        try:
            c.close()
        except Exception:  # pragma: no cover
            pass


def server_version(facts: Any) -> str | None:
    return facts.get("mongo.build_info").get("version")
