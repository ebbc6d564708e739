"""A MongoDB wire-protocol stand-in (mockupdb) that answers the advisor's commands
with the recorded replies in tests/mongo/replies/, so the real pymongo client and
the real commands run end to end."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

from bson import json_util
from mockupdb import MockupDB

REPLIES = Path(__file__).parent / "replies"
UNAUTHORIZED = {"ok": 0, "code": 13, "codeName": "Unauthorized",
                "errmsg": "not authorized on admin to execute command"}


def reply(name: str) -> Any:
    """A recorded reply document (extended JSON -> BSON types: datetime, Int64, Timestamp)."""
    return json_util.loads((REPLIES / f"{name}.json").read_text())


class MockMongod:
    """One mongod. `member` picks the per-host $indexStats file (db1, db2, db3);
    `rs_hosts` makes it a replica-set member; `deny` answers those commands with
    Unauthorized, `hangup` closes the connection on them; `replies` overrides recorded
    documents by name; `hello_delay` (seconds) holds back every hello answer, as a
    member does when its first check is slow."""

    def __init__(self, member: str = "db1", *, deny: tuple[str, ...] = (), replies: dict | None = None,
                 secondary: bool = False, hangup: tuple[str, ...] = ()):
        self.member = member
        self.deny = {d.lower() for d in deny}
        self.hangup = {h.lower() for h in hangup}
        self.overrides = replies or {}
        self.secondary = secondary
        self.hello_delay = 0.0
        self.rs_hosts: list[str] | None = None
        self.primary: str | None = None
        self.received: list[tuple[str, str]] = []   # (command, db)
        self.server = MockupDB(request_timeout=5)
        self.server.autoresponds(self._handle)
        self.port = self.server.run()
        self.address = f"localhost:{self.port}"

    @property
    def url(self) -> str:
        return f"mongodb://{self.address}/"

    def get(self, name: str) -> Any:
        return copy.deepcopy(self.overrides[name]) if name in self.overrides else reply(name)

    def stop(self) -> None:
        self.server.stop()

    # -- dispatch ---------------------------------------------------------------------------

    def _hello(self) -> dict[str, Any]:
        doc = {"ismaster": not self.secondary, "isWritablePrimary": not self.secondary,
               "helloOk": True, "maxWireVersion": 21, "minWireVersion": 0,
               "maxBsonObjectSize": 16777216, "maxMessageSizeBytes": 48000000,
               "maxWriteBatchSize": 100000, "logicalSessionTimeoutMinutes": 30, "ok": 1}
        if self.rs_hosts:
            doc.update(setName="rs0", hosts=self.rs_hosts, me=self.address, secondary=self.secondary,
                       setVersion=3)
            if self.primary:
                doc["primary"] = self.primary
        return doc

    def _handle(self, r) -> bool:
        name = (r.command_name or "").lower()
        doc = r.doc
        db = doc.get("$db") or (r.namespace or "admin").split(".")[0]
        self.received.append((name, db))
        if name in ("hello", "ismaster"):
            time.sleep(self.hello_delay)
            return r.ok(self._hello()) if name == "hello" else r.replies(self._hello())
        if name in self.deny:
            return r.replies(UNAUTHORIZED)
        if name in self.hangup:
            return r.hangup()
        if name in ("ping", "endsessions", "killcursors"):
            return r.ok()
        simple = {"buildinfo": "buildInfo", "serverstatus": "serverStatus", "hostinfo": "hostInfo",
                  "getcmdlineopts": "getCmdLineOpts", "replsetgetstatus": "replSetGetStatus",
                  "listdatabases": "listDatabases"}
        if name in simple:
            return r.replies(self.get(simple[name]))
        if name == "profile":
            return r.replies(self.get("profile_level"))
        if name == "listcollections":
            return r.replies(self._cursor(db, "$cmd.listCollections", self._opt(f"listCollections_{db}", [])))
        if name == "listindexes":
            coll = doc["listIndexes"]
            return r.replies(self._cursor(db, coll, self._opt(f"listIndexes_{coll}", [])))
        if name == "aggregate":
            coll, stage = doc["aggregate"], next(iter(doc["pipeline"][0]))
            if stage == "$collStats":
                key = "collStats_oplog" if coll == "oplog.rs" else f"collStats_{coll}"
                return r.replies(self._cursor(db, coll, [self._opt(key, {"storageStats": {}})]))
            if stage == "$indexStats":
                if "indexstats" in self.deny:
                    return r.replies(UNAUTHORIZED)
                return r.replies(self._cursor(db, coll, self._opt(f"indexStats_{coll}_{self.member}", [])))
        if name == "find":
            coll = doc["find"]
            if coll == "system.profile":
                rows = sorted(self._opt(f"system_profile_{db}", []), key=lambda d: d["ts"], reverse=True)
                return r.replies(self._cursor(db, coll, rows[: doc.get("limit") or None]))
            if coll == "oplog.rs":
                first = (doc.get("sort") or {}).get("$natural", 1) == 1
                return r.replies(self._cursor(db, coll, [self.get("oplog_first" if first else "oplog_last")]))
        return r.replies({"ok": 0, "code": 59, "codeName": "CommandNotFound",
                          "errmsg": f"no such command: '{r.command_name}'"})

    def _opt(self, name: str, default: Any) -> Any:
        if name in self.overrides or (REPLIES / f"{name}.json").exists():
            return self.get(name)
        return default

    @staticmethod
    def _cursor(db: str, coll: str, docs: list) -> dict[str, Any]:
        return {"cursor": {"id": 0, "ns": f"{db}.{coll}", "firstBatch": docs}, "ok": 1}


def replica_set(deny_on: dict[str, tuple[str, ...]] | None = None, with_primary: bool = True
                ) -> list[MockMongod]:
    """Three members (db1 primary unless with_primary is false, db2 and db3 secondaries)."""
    members = [MockMongod(m, secondary=(m != "db1" or not with_primary), deny=(deny_on or {}).get(m, ()))
               for m in ("db1", "db2", "db3")]
    hosts = [m.address for m in members]
    for m in members:
        m.rs_hosts = hosts
        m.primary = hosts[0] if with_primary else None
    return members


# ---- fixtures (imported by the test modules; no conftest.py, so the shared
# tests/conftest.py module stays the only one named `conftest`) ----

import pytest  # noqa: E402


@pytest.fixture
def mongod():
    """A standalone stand-in answering with the recorded replies."""
    m = MockMongod("db1")
    yield m
    m.stop()


@pytest.fixture
def make_mongod():
    made: list[MockMongod] = []

    def _make(*args, **kwargs) -> MockMongod:
        m = MockMongod(*args, **kwargs)
        made.append(m)
        return m
    yield _make
    for m in made:
        m.stop()


@pytest.fixture
def mongo_rs():
    members = replica_set()
    yield members
    for m in members:
        m.stop()
