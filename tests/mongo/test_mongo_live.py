"""The same scenarios against a real mongod: ADVISOR_TEST_MONGO_URL, or a testcontainers
mongo:7 when a Docker engine answers. Skipped, visibly, when neither exists (no MongoDB
can run on the development machines)."""

from __future__ import annotations

import io
import json
import uuid
from contextlib import redirect_stderr, redirect_stdout

import pytest

from advisor.cli import main
from servers import server_url

pytestmark = pytest.mark.mongo


@pytest.fixture(scope="module")
def admin_url():
    url = server_url("mongo")
    if url is None:
        pytest.skip("no MongoDB server: set ADVISOR_TEST_MONGO_URL=mongodb://... or run with Docker "
                    "(the wire-level tests in test_mongo_wire.py ran against recorded replies instead)")
    return url


@pytest.fixture
def scratch(admin_url):
    """A scratch database the test plants problems in (the advisor itself never writes)."""
    import pymongo
    client = pymongo.MongoClient(admin_url, serverSelectionTimeoutMS=5000)
    name = "advisor_t_" + uuid.uuid4().hex[:8]
    db = client[name]
    yield db
    client.drop_database(name)
    client.close()


def run(url, *args):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["run", url, "--json", "--timeout", "10", "--memory", "4GiB", *args])
    return code, json.loads(out.getvalue()), err.getvalue()


def findings(rep, check, db):
    return [f for f in rep["findings"] if f["check"] == check and (f["object"] or "").startswith(db)]


def test_live_collscan_sort_and_redundant_index(admin_url, scratch):
    scratch.orders.insert_many([{"status": "AB"[i % 2], "amount": i, "created": i} for i in range(3000)])
    scratch.orders.create_index([("status", 1)])
    scratch.orders.create_index([("status", 1), ("created", -1)])
    scratch.command({"profile": 1, "slowms": 0})          # test setup: record every operation
    list(scratch.orders.find({"amount": {"$gt": 10}}).sort("created", -1).limit(5))
    list(scratch.orders.find({"status": "A"}).sort("amount", 1))
    scratch.command({"profile": 1, "slowms": 100})        # slow ones only (slowms is server-wide)
    code, rep, err = run(admin_url)
    assert rep["errors"] == [], err
    red = findings(rep, "mongo.index.redundant", scratch.name)
    assert [f["object"] for f in red] == [f"{scratch.name}.orders.status_1"]
    scans = findings(rep, "mongo.query.collscan", scratch.name)
    assert scans and scans[0]["evidence"]["suggested_index"] == [["created", -1], ["amount", 1]]
    sorts = findings(rep, "mongo.query.sort", scratch.name)
    assert sorts and sorts[0]["evidence"]["suggested_index"] == [["status", 1], ["amount", 1]]


def test_live_healthy_twin(admin_url, scratch):
    scratch.orders.insert_many([{"status": "A", "created": i} for i in range(100)])
    scratch.orders.create_index([("status", 1), ("created", -1)])
    code, rep, err = run(admin_url)
    for check in ("mongo.index.redundant", "mongo.query.collscan", "mongo.query.sort",
                  "mongo.storage.free_space", "mongo.schema.large_documents"):
        assert findings(rep, check, scratch.name) == [], check
    assert rep["targets"][0]["server_version"]
