"""OpenMetrics text for Prometheus: node_exporter's textfile collector or a Pushgateway.

Every metric is a gauge named `db_advisor_*`; the names and labels below are a stable
contract (docs/ci.md lists them with example alerting rules). No sample carries a
timestamp: the textfile collector refuses them, and `db_advisor_run_timestamp_seconds`
says when the run happened. Only counts and scores are exported: no object names, no
query text (they are unbounded label values and may be sensitive).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from ..report import SEVERITY_ORDER, Report

# name -> (help, unit or ""); the order here is the order of the output
METRICS = {
    "db_advisor_up": ("1 when the target was inspected to the end, 0 when it was not reachable "
                      "or the connection was lost mid-run", ""),
    "db_advisor_score": ("health score 0-100 of the target (absent when not scored)", ""),
    "db_advisor_run_duration_seconds": ("time spent on the target in this run", "seconds"),
    "db_advisor_run_timestamp_seconds": ("when the report was generated, Unix time", "seconds"),
    "db_advisor_findings": ("findings of one check on the target, by severity", ""),
    "db_advisor_severity_findings": ("findings on the target at one severity (0 included)", ""),
    "db_advisor_skipped_checks": ("checks that could not run on the target (see the JSON report)", ""),
    "db_advisor_errors": ("errors recorded for the target", ""),
}


def _label(v: object) -> str:
    return str(v).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**kv: object) -> str:
    return "{" + ",".join(f'{k}="{_label(v)}"' for k, v in kv.items()) + "}"


def render(report: Report) -> str:
    samples: dict[str, list[str]] = {name: [] for name in METRICS}
    when = dt.datetime.fromisoformat(report.generated_at.replace("Z", "+00:00")).timestamp()
    for t in report.targets:
        who = {"target": t.id, "engine": t.engine}
        samples["db_advisor_up"].append(f"{_labels(**who)} {int(t.reachable and t.complete)}")
        if t.score is not None:
            samples["db_advisor_score"].append(f"{_labels(**who)} {t.score}")
        samples["db_advisor_run_duration_seconds"].append(f"{_labels(**who)} {t.duration_ms / 1000:.3f}")
        samples["db_advisor_run_timestamp_seconds"].append(f"{_labels(**who)} {when:.3f}")
        per_check = Counter((f.check, str(f.severity)) for f in t.findings)
        for (check, sev), n in sorted(per_check.items()):
            samples["db_advisor_findings"].append(f"{_labels(**who, check=check, severity=sev)} {n}")
        per_sev = Counter(str(f.severity) for f in t.findings)
        for sev in SEVERITY_ORDER:
            samples["db_advisor_severity_findings"].append(
                f"{_labels(**who, severity=str(sev))} {per_sev.get(str(sev), 0)}")
        samples["db_advisor_skipped_checks"].append(f"{_labels(**who)} {len(t.skipped)}")
        samples["db_advisor_errors"].append(f"{_labels(**who)} {len(t.errors)}")
    lines = []
    for name, (help_text, unit) in METRICS.items():
        lines.append(f"# TYPE {name} gauge")
        if unit:
            lines.append(f"# UNIT {name} {unit}")
        lines.append(f"# HELP {name} {help_text}")
        lines += [f"{name}{s}" for s in samples[name]]
    lines.append("# EOF")
    return "\n".join(lines) + "\n"
