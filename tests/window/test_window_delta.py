"""Subtracting two reads of a cumulative fact: rows matched by key, new rows, top-N rows whose
start is unknown, counters reset inside the window, derived means, gauges untouched."""

from __future__ import annotations

from advisor.window import Counters, delta


def test_flat_counters_and_gauges():
    out, resets = delta([Counters(("hits", "misses"), path=("stats",))],
                        {"stats": {"hits": 100, "misses": 10, "clients": 5}, "memory": {"used": 1}},
                        {"stats": {"hits": 160, "misses": 30, "clients": 7}, "memory": {"used": 2}})
    assert out == {"stats": {"hits": 60, "misses": 20, "clients": 7}, "memory": {"used": 2}}
    assert resets == []


def test_rows_by_key_new_rows_and_resets():
    spec = [Counters(("calls",), key=("id",), path=("rows",))]
    start = {"rows": [{"id": 1, "calls": 10}, {"id": 2, "calls": 50}]}
    end = {"rows": [{"id": 1, "calls": 15}, {"id": 2, "calls": 3}, {"id": 3, "calls": 4}]}
    out, resets = delta(spec, start, end)
    assert out["rows"] == [{"id": 1, "calls": 5}, {"id": 2, "calls": 3}, {"id": 3, "calls": 4}]
    assert resets == ["(2,).calls"]


def test_top_n_rows_absent_at_the_start_are_left_out():
    spec = [Counters(("calls",), key=("id",), path=("rows",), bounded=True)]
    out, _ = delta(spec, {"rows": [{"id": 1, "calls": 10}]}, {"rows": [{"id": 1, "calls": 12}, {"id": 9, "calls": 99}]})
    assert out["rows"] == [{"id": 1, "calls": 2}]
    spec = [Counters(("calls",), key=("id",), path=("rows",))]
    out, _ = delta(spec, {"rows": [], "truncated": True}, {"rows": [{"id": 9, "calls": 99}], "truncated": True})
    assert out["rows"] == []


def test_named_rows_and_derived_mean():
    spec = [Counters(("calls", "usec"), key="*", path=("commandstats",),
                     derive=lambda r: {**r, "usec_per_call": r["usec"] / r["calls"] if r["calls"] else 0.0})]
    start = {"commandstats": {"cmdstat_get": {"calls": 100, "usec": 1000, "usec_per_call": 10.0}}}
    end = {"commandstats": {"cmdstat_get": {"calls": 110, "usec": 1500, "usec_per_call": 13.6},
                            "cmdstat_set": {"calls": 2, "usec": 8, "usec_per_call": 4.0}}}
    out, _ = delta(spec, start, end)
    assert out["commandstats"]["cmdstat_get"] == {"calls": 10, "usec": 500, "usec_per_call": 50.0}
    assert out["commandstats"]["cmdstat_set"]["calls"] == 2


def test_prefix_fields_and_idle_rows():
    """`com_*` stands for every Com_ counter (MySQL status); `active` leaves out rows that did
    not run in the window (a digest whose calls did not move)."""
    out, _ = delta([Counters(("com_*", "questions"))],
                   {"com_select": 10, "com_insert": 5, "questions": 20, "threads_connected": 3},
                   {"com_select": 14, "com_insert": 5, "com_new": 2, "questions": 30, "threads_connected": 9})
    assert out == {"com_select": 4, "com_insert": 0, "com_new": 2, "questions": 10, "threads_connected": 9}
    spec = [Counters(("calls",), key=("d",), path=("rows",), active="calls")]
    out, _ = delta(spec, {"rows": [{"d": 1, "calls": 3}, {"d": 2, "calls": 5}]},
                   {"rows": [{"d": 1, "calls": 3}, {"d": 2, "calls": 7}]})
    assert out["rows"] == [{"d": 2, "calls": 2}]


def test_event_rows_newer_than_the_start_read():
    """Profiler entries are events: those written after the start read's newest are the window's."""
    spec = [Counters((), path=("rows",), after="ts")]
    start = {"rows": [{"ts": "2024-05-20T10:00:00", "op": "query"}]}
    end = {"rows": [{"ts": "2024-05-20T10:00:30", "op": "update"}, {"ts": "2024-05-20T10:00:00", "op": "query"}]}
    out, _ = delta(spec, start, end)
    assert out["rows"] == [{"ts": "2024-05-20T10:00:30", "op": "update"}]
    out, _ = delta(spec, {"rows": []}, end)
    assert out["rows"] == end["rows"]


def test_a_row_first_seen_after_a_cut_start_read_is_new():
    """MySQL's digest read is cut at its limit on a busy server: a digest absent from it is
    new all the same when the server first saw it after the read (FIRST_SEEN > the read's NOW())."""
    spec = [Counters(("calls",), key=("d",), path=("rows",), born="first_seen")]
    start = {"rows": [{"d": 1, "calls": 3, "first_seen": "2026-01-01T10:00:00"}], "truncated": True,
             "now": "2026-01-01T12:00:00"}
    end = {"rows": [{"d": 1, "calls": 5, "first_seen": "2026-01-01T10:00:00"},
                    {"d": 2, "calls": 7, "first_seen": "2026-01-01T11:00:00"},    # cut from the start read
                    {"d": 3, "calls": 2, "first_seen": "2026-01-01T12:00:03"}],   # first run in the window
           "truncated": True, "now": "2026-01-01T12:01:00"}
    out, _ = delta(spec, start, end)
    assert [(r["d"], r["calls"]) for r in out["rows"]] == [(1, 2), (3, 2)]
