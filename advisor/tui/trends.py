"""The History tab (`advisor tui --history FILE`): the selected target's runs recorded by
`advisor run --history` (cron), its score and main figures as sparklines, and the findings
new and resolved since the last recorded run. No textual here: rich Text only."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from advisor import history as store
from advisor.model import TargetResult


def history_text(hist: store.History, target: str, result: TargetResult | None,
                 new_style: str = "", resolved_style: str = "", last: int = 30) -> Text:
    """What the History tab shows for `target`; `result` is this session's run of it, if done."""
    s = store.summary(hist, target, last)
    if not s["targets"]:
        return Text(f"no run of {target} recorded in {hist.path} yet: `advisor run --history "
                    f"{hist.path} URL` (e.g. nightly from cron) records one")
    t = s["targets"][0]
    runs = t["runs"]
    out = Text.assemble((target, "bold"), f" · {len(runs)} recorded run(s), {runs[0]['at']} .. {runs[-1]['at']} UTC\n")
    trends = dict(t["trends"])
    now = result is not None and result.score is not None
    if now:
        trends["score"] = [*trends["score"], result.score]   # this run, last
    for name, values in trends.items():
        line = store.trend_line(name, values)
        if line:
            out.append(f"  {line}{' (now)' if now and name == 'score' else ''}\n")
    if result is not None:
        latest = hist.runs(target, limit=1)[-1]
        diff: dict[str, Any] | None = store.changes(hist.findings(latest.id), store.keyed(result.findings))
        heading = f"Since the last recorded run ({latest.when} UTC)"
    else:
        diff = t["changes"][-1] if t["changes"] else None
        heading = f"At the last recorded run ({runs[-1]['at']} UTC)"
    if diff is None:
        return out
    out.append(f"\n{heading}: {len(diff['new'])} new, {len(diff['resolved'])} resolved\n", style="bold")
    for sign, key, style in (("+", "new", new_style), ("-", "resolved", resolved_style)):
        for f in diff[key]:
            out.append(f"  {sign} {f['severity']:<8} [{f['check']}] {f['object'] or '(server)'}: {f['summary']}\n",
                       style=style)
    return out
