"""The TUI's pure parts, without textual: filters, labels, widths, recent targets, progress hooks."""

from __future__ import annotations

import json

import pytest

from advisor.model import Finding, Severity, TargetResult
from advisor.runner import RunOptions
from advisor.tui import recent
from advisor.tui.jobs import Cancelled, Source, run_source
from advisor.tui.view import (FindingFilter, fit_widths, middle_cut, reachability_message, short_version,
                              status_counts, tail_cut, visible_findings)


def finding(target="postgres://h/db", check="pg.x.y", sev=Severity.WARNING, category="indexes",
            obj="public.t", summary="something"):
    return Finding(target, check, sev, category, obj, summary, {}, "do it", None, "ref")


def result(target, engine, *findings):
    return TargetResult(id=target, engine=engine, url=target, findings=list(findings))


def test_filters_combine_and_search_matches_every_word():
    pg = result("postgres://h/db", "postgres",
                finding(sev=Severity.CRITICAL, check="pg.config.dangerous", category="durability"),
                finding(sev=Severity.INFO, check="pg.schema.no_primary_key", category="schema"))
    my = result("mysql://h/db", "mysql", finding("mysql://h/db", "mysql.schema.no_primary_key", category="schema"))
    assert [f.check for f in visible_findings([my, pg], FindingFilter())] == [
        "pg.config.dangerous", "mysql.schema.no_primary_key", "pg.schema.no_primary_key"]  # worst first
    only = lambda **kw: [f.check for f in visible_findings([pg, my], FindingFilter(**kw))]  # noqa: E731
    assert only(severities={"info"}) == ["pg.schema.no_primary_key"]
    assert only(engines={"mysql"}) == ["mysql.schema.no_primary_key"]
    assert only(categories={"schema"}, engines={"postgres"}) == ["pg.schema.no_primary_key"]
    assert only(text="PRIMARY mysql") == ["mysql.schema.no_primary_key"]
    assert only(target="postgres://h/db", severities={"critical"}) == ["pg.config.dangerous"]
    assert only(text="nothing-like-this") == []
    assert FindingFilter(severities={"warning"}, text="idx").describe() == "severity: warning · search: 'idx'"
    assert not FindingFilter(text="  ").active


def test_labels():
    assert short_version("15.20 (Debian 15.20-0+deb12u1)", "postgres") == "PostgreSQL 15.20"
    assert short_version("MariaDB 10.11.19", "mysql") == "MariaDB 10.11.19"
    assert short_version(None, "redis") == "Redis"
    assert short_version("redis 7.0.15", "redis") == "Redis 7.0.15"
    assert status_counts([finding(sev=Severity.CRITICAL), finding(), finding()]) == "1 crit 2 warn"
    assert status_counts([]) == "no findings"
    assert reachability_message("cannot connect to postgresql://u:***@h:1/x: connection failed: "
                                "Connection refused") == "Connection refused"
    assert middle_cut("postgres://db.internal:5432/shop", 20) == "postgres:…:5432/shop"
    assert len(middle_cut("x" * 100, 21)) == 21


def test_fit_widths_follow_the_window_and_the_content():
    # 80 columns: the names get their share, the summary the rest, nothing scrolls sideways
    widths = fit_widths(78, [4, 40, 30, 200], [1.0, 0.3, 0.2, None])
    assert widths == [4, 21, 14, 78 - 8 - 39] and sum(widths) + 8 == 78
    # 160 columns: every name whole, the summary still gets the rest
    assert fit_widths(158, [4, 34, 28, 26, 200], [1.0, 0.22, 0.3, 0.2, None]) == [4, 34, 28, 26, 56]
    # short prose gives its spare width back to the cut names
    assert fit_widths(78, [4, 40, 30, 20], [1.0, 0.3, 0.2, None]) == [4, 32, 14, 20]
    assert fit_widths(20, [4, 40], [1.0, None]) == [4, 12]
    assert fit_widths(5, [4, 40], [1.0, None])[1] == 8  # the flexible column keeps a minimum


def test_tail_cut_keeps_the_last_segment_whole():
    assert tail_cut("public.first_aid_b", 16) == "pub….first_aid_b"
    assert tail_cut("public.first_aid_b", 12) == "…first_aid_b"
    assert tail_cut("pg.config.random_page_cost", 20) == "pg….random_page_cost"
    assert tail_cut("log_min_duration_statement", 12) == "log_min_dur…"  # a setting keeps its start
    assert tail_cut("public.t", 20) == "public.t"
    for width in range(1, 30):
        assert len(tail_cut("inventory.items.some_long_index_name", width)) == min(width, 36)


def test_recent_targets_never_store_a_password(state_home):
    recent.remember(["postgresql://app:hunter2@db:5432/shop", "redis://:tok3n@cache:6379/0"])
    recent.remember(["mysql://root@h:3306/x?password=pw9"])
    text = recent.state_file().read_text()
    assert all(s not in text for s in ("hunter2", "tok3n", "pw9"))
    assert recent.load() == ["mysql://root@h:3306/x?password=***", "postgresql://app:***@db:5432/shop",
                             "redis://:***@cache:6379/0"]
    assert recent.needs_password(recent.load()[1]) and not recent.needs_password("redis://cache/0")
    recent.remember(["postgresql://app:other@db:5432/shop"])  # same target again: moves up, no duplicate
    assert recent.load()[0] == "postgresql://app:***@db:5432/shop" and len(recent.load()) == 3
    assert recent.state_file().stat().st_mode & 0o077 == 0


def test_recent_file_corrupt_or_capped(state_home):
    recent.state_file().parent.mkdir(parents=True)
    recent.state_file().write_text("{not json")
    assert recent.load() == []
    recent.remember([f"redis://h{i}:6379/0" for i in range(30)])
    assert len(json.loads(recent.state_file().read_text())["targets"]) == recent.LIMIT


def test_pipeline_events_report_each_check_and_can_cancel():
    from advisor import registry
    pg_checks = RunOptions().checks_for("postgres")   # the selection a run makes (no forecasts without a history)
    seen = []

    def cancel(event):
        if event.kind == "check_started":
            raise Cancelled
    entry = {"id": "postgres://h/db", "engine": "postgres", "url": "postgresql://h/db", "facts": {}}
    with pytest.raises(Cancelled):
        run_source(Source("postgres://h/db", "postgres", entry=entry), RunOptions(), cancel)
    report = run_source(Source("postgres://h/db", "postgres", entry=entry), RunOptions(), seen.append)
    res = report.targets[0]
    assert res.findings == [] and len(res.skipped) == len(pg_checks)  # every fact missing: skipped
    started = [e for e in seen if e.kind == "check_started"]
    assert [e.check for e in started] == [c.id for c in pg_checks]
    assert started[-1].index == started[-1].total == len(pg_checks)
    assert seen[0].kind == "target_started" and seen[-1].kind == "target_finished" and seen[-1].result is res


def test_an_engine_crash_becomes_an_error_in_place(monkeypatch):
    from advisor import runner

    def boom(target, opts, on_event):
        raise RuntimeError("driver exploded for postgresql://u:pw77@h/db")
    monkeypatch.setattr(runner, "_inspect_live", boom)
    from advisor.targets import parse_target
    t = parse_target("postgresql://u:pw77@h/db")
    res = run_source(Source(t.id, t.engine, target=t), RunOptions(), lambda *a: None).targets[0]
    assert not res.reachable and "driver exploded" in res.errors[0].message
    assert "pw77" not in res.errors[0].message


def test_collecting_hears_nested_facts_and_only_in_its_thread():
    """advisor.facts.collecting: the TUI's sign of life during a slow fact."""
    import threading

    from advisor.errors import FactUnavailable
    from advisor.facts import LiveFacts, collecting, provides

    provides("tui-test", "outer")(lambda s, facts: facts.get("inner") + 1)
    provides("tui-test", "inner")(lambda s, facts: 1)

    def broken(s, facts):
        raise FactUnavailable("no grant")

    provides("tui-test", "broken")(broken)
    heard: list = []
    with collecting(heard.append):
        facts = LiveFacts("tui-test", session=None)
        assert facts.get("outer") == 2
        with pytest.raises(FactUnavailable):
            facts.get("broken")
        other = threading.Thread(target=lambda: LiveFacts("tui-test", None).get("inner"))
        other.start()
        other.join()
    assert heard == ["outer", "inner", "outer", None, "broken", None]  # the other thread is not heard
    LiveFacts("tui-test", None).get("inner")  # outside: nobody listens
    assert heard[-1] is None and len(heard) == 6


def test_server_wide_findings_read_server_in_the_object_column_and_the_search():
    from advisor.scope import shown_object
    server = Finding("mysql://h/app", "mysql.innodb.buffer_pool_hit", Severity.WARNING, "cache",
                     "innodb_buffer_pool_size", "hit rate 80%", {}, "do it", None, "ref", scope="server")
    table = Finding("mysql://h/app", "mysql.index.unused", Severity.WARNING, "indexes", "app.t.i", "unused",
                    {}, "do it", None, "ref")
    assert shown_object(server) == "(server) innodb_buffer_pool_size" and shown_object(table) == "app.t.i"
    only_server = FindingFilter(text="(server)")
    assert only_server.matches(server, "mysql") and not only_server.matches(table, "mysql")
