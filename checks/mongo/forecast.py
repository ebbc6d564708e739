"""Forecasts from the run history: the oplog window shrinking."""

from advisor.forecast import THRESHOLDS, history_evidence, judge, left_text, rate, time_left
from advisor.model import Severity
from advisor.registry import Threshold, check

PMM = "Percona PMM MongoDB advisors (oplog window < 24 h)"


@check(
    id="mongo.forecast.oplog_window",
    title="Oplog window shrinking toward the minimum",
    category="replication",
    severity=Severity.WARNING,
    facts=["mongo.oplog", "mongo.history"],
    reference="db-advisor forecast from the run history; " + PMM,
    thresholds={**THRESHOLDS, "min_hours": Threshold(24, "h", PMM)},
)
def oplog_window(ctx):
    """The oplog window is how long a member may be down and still catch up without a full
    resync. A window that shrinks from run to run (the write rate grew) will fall below
    the minimum: this check reports when, from the previous run in the history. Only a
    full oplog (size at maxSize) has a meaningful window. Fix: grow the oplog
    (replSetResizeOplog on each member, online) before the window falls below the
    minimum, or set storage.oplogMinRetentionHours."""
    history = ctx.fact("mongo.history")
    o = ctx.fact("mongo.oplog")
    window = o.get("window_seconds")
    if not o.get("enabled") or window is None or not o.get("maxSize") or (o.get("size") or 0) < 0.95 * o["maxSize"]:
        return   # an oplog that is not full yet has no steady window to forecast
    r = rate(history, "oplog_window_s", window)
    if r is None:
        return
    floor = ctx.threshold("min_hours") * 3600
    left = time_left(window - floor, -r.per_s)   # the window falls: -per_s is the speed toward the floor
    sev = judge(ctx, left)
    if sev is None:
        return
    yield ctx.finding(
        object=None, severity=sev,
        summary=f"oplog window ({window / 3600:.1f} h) falls below {floor / 3600:.0f} h in {left_text(left)} "
                f"(shrinking {-r.per_day / 3600:.1f} h a day)",
        evidence={**history_evidence(history, left, **r.evidence(), min_window_s=floor), "fix_kind": "manual"},
        recommendation="Grow the oplog on every member before the window falls below the minimum "
                       "(size it for the new write rate), or set storage.oplogMinRetentionHours.",
        fix="db.adminCommand({replSetResizeOplog: 1, size: {{oplog_size_mb}}})  // MB, on each member, online")
