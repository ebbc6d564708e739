"""JSON report, schema_version 1 (advisor/schema/report-v1.json)."""

from ..report import Report


def render(report: Report) -> str:
    return report.to_json()
