"""MongoDB windows on recorded replies (no mongod runs here): two serverStatus replies, the
recorded one (tests/mongo/replies/serverStatus.json, a server up 49 days) and the same server
a minute later; the checks judge what happened between them, not the 49 days."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from bson import json_util

from advisor import runner
from advisor.engines.mongo.facts_server import shape_server_status
from advisor.facts import jsonable
from advisor.runner import RunOptions

REPLY = Path(__file__).parents[1] / "mongo" / "replies" / "serverStatus.json"


def _replies() -> tuple[dict, dict]:
    first = json_util.loads(REPLY.read_text())
    second = copy.deepcopy(first)
    second["uptime"] = first["uptime"] + 60
    # a minute of queries that sort in memory: 3,000 of 20,000 (15%); over 49 days they are few
    second["opcounters"]["query"] = first["opcounters"]["query"] + 20000
    second["metrics"]["operation"]["scanAndOrder"] = first["metrics"]["operation"]["scanAndOrder"] + 3000
    return jsonable(shape_server_status(first)), jsonable(shape_server_status(second))


def _judge(start: dict | None, end: dict) -> list:
    entry = {"id": "mongo://db1.example.internal:27017", "engine": "mongo",
             "url": "mongodb://db1.example.internal:27017", "facts": {"mongo.server_status": end},
             "unavailable": {"mongo.profile": {"reason": "profiler off", "enable": None}}}
    if start is not None:
        entry["window"] = {"sample_s": 60.0, "start": {"mongo.server_status": start}}
    return runner.inspect_one(entry, RunOptions(include=["mongo.query.sort"])).findings


def test_window_delta_of_two_recorded_server_status_replies_is_judged():
    start, end = _replies()
    s = end["operation"]["scanAndOrder"] / end["opcounters"]["query"]
    assert s < 0.01, "the recorded reply's cumulative share must stay under the 1% threshold"
    assert _judge(None, end) == []                       # cumulative: 49 days dilute the minute
    found = _judge(start, end)
    assert [f.check for f in found] == ["mongo.query.sort"]
    f = found[0]
    assert f.evidence["scanAndOrder"] == 3000 and f.evidence["opcounters.query"] == 20000
    assert f.evidence["judged_on"] == "window" and f.evidence["window_s"] == 60.0
    assert "in-memory sorts in the" in f.summary and "window" in f.summary, f.summary
