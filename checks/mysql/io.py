"""InnoDB I/O settings against the storage."""

from advisor.model import Severity
from advisor.registry import Threshold, check

from ._common import GUIDE, config_fix, num, set_global


@check(
    id="mysql.io.settings",
    title="InnoDB I/O settings (flush method, I/O capacity)",
    category="configuration",
    severity=Severity.INFO,
    facts=["mysql.variables", "mysql.server"],
    reference=GUIDE + " (innodb_flush_method = O_DIRECT, innodb_io_capacity = 2000)",
    thresholds={"io_capacity": Threshold(2000, "IOPS", GUIDE + ": innodb_io_capacity = 2000 (SSD)")},
)
def io_settings(ctx):
    """innodb_flush_method = O_DIRECT (guide) stops data pages being cached twice, in the
    buffer pool and in the OS page cache (default on MariaDB 10.6+ and MySQL 8.4; fsync on
    MySQL 8.0). innodb_io_capacity is how many IOPS background flushing may use; the
    default 200 suits spinning disks, the guide's 2000 (innodb_io_capacity_max 4000) suits
    SSDs. Raise it only on SSD / NVMe storage: too high on slow disks flushes too
    eagerly."""
    v = ctx.fact("mysql.variables")
    method = str(v.get("innodb_flush_method", ""))
    if method and method.upper() not in ("O_DIRECT", "O_DIRECT_NO_FSYNC", "4", "7"):
        yield ctx.finding(
            object="innodb_flush_method",
            summary=f"innodb_flush_method = {method}: data pages are cached twice (buffer pool and OS)",
            evidence={"innodb_flush_method": method, "guide": "O_DIRECT", "fix_kind": "config"},
            recommendation="Use O_DIRECT on Linux (guide); needs a restart.",
            fix=config_fix({"innodb_flush_method": "O_DIRECT"}),
        )
    cap = num(v, "innodb_io_capacity")
    want = ctx.threshold("io_capacity")
    if cap is not None and cap < want:
        yield ctx.finding(
            object="innodb_io_capacity",
            summary=f"innodb_io_capacity = {cap:g} (guide: {want:g} on SSD storage)",
            evidence={"innodb_io_capacity": cap, "innodb_io_capacity_max": num(v, "innodb_io_capacity_max"),
                      "threshold": want},
            recommendation="On SSD / NVMe raise innodb_io_capacity (and _max) so page flushing keeps up; "
                           "leave it on spinning disks.",
            # _max first: innodb_io_capacity may not exceed innodb_io_capacity_max
            fix=set_global(ctx, {"innodb_io_capacity_max": f"{max(2 * want, num(v, 'innodb_io_capacity_max', 0)):g}",
                                 "innodb_io_capacity": f"{want:g}"}, "SSD / NVMe storage only"),
        )
