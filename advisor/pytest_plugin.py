"""pytest plugin (entry point `pytest11: db_advisor`): the `db_advisor` fixture.

    def test_schema_is_healthy(db_advisor, postgres_url):
        db_advisor(postgres_url, fail_on="warning", ignore=["pg.config.*"])

The call runs the advisor in-process against the database. When findings at or
above `fail_on` remain after `ignore` (check-id globs, or "check-glob:object-glob")
and the mutes of the project's advisor.toml / [tool.advisor], the test fails with
an AssertionError listing each one (check, object, summary, fix); otherwise the
Report is returned for further assertions.

pytest loads this module in every run of every project that has db-advisor
installed, so it imports nothing of the advisor until the fixture is called.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

import pytest


def _severity(level: Any):
    from advisor.model import Severity
    if level is None or (isinstance(level, str) and level.strip().lower() == "never"):
        return None
    return level if isinstance(level, Severity) else Severity.parse(str(level))


def _ignored(finding: Any, patterns: Iterable[str]) -> str | None:
    import fnmatch
    for p in patterns:
        check, _, obj = p.partition(":")
        if fnmatch.fnmatchcase(finding.check, check) and \
                (not obj or fnmatch.fnmatchcase(finding.object or "", obj)):
            return p
    return None


def describe(findings: list, target: str, fail_on: Any) -> str:
    """The failure message: one block per finding, readable in a CI log."""
    lines = [f"db-advisor: {len(findings)} finding(s) at or above {fail_on} on {target}", ""]
    for f in findings:
        where = f"  {f.object}" if f.object else ""
        lines.append(f"  {str(f.severity).upper():<8} {f.check}{where}")
        lines.append(f"           {f.summary}")
        if f.fix:
            fix = f.fix.strip().splitlines()
            lines.append(f"           fix: {fix[0]}")
            lines += [f"                {ln}" for ln in fix[1:]]
        else:
            lines.append(f"           do:  {f.recommendation}")
        lines.append("")
    lines += ["(accept one with db_advisor(..., ignore=[\"<check id>\"]) or a [[mute]] in advisor.toml)"]
    return "\n".join(lines)


def advise(url: str, fail_on: Any = "warning", ignore: Iterable[str] = (), checks: Iterable[str] = (),
           skip: Iterable[str] = (), memory: Any = None, cpus: int | None = None, timeout: float | None = None,
           thresholds: dict | None = None, options: dict | None = None, config: str | None = None):
    """Run the advisor on `url`; raise AssertionError if findings >= fail_on remain, else return the Report."""
    __tracebackhide__ = True
    from advisor import config as config_mod
    from advisor.engines.options import problems
    from advisor.model import Host
    from advisor.runner import RunOptions, inspect
    from advisor.targets import parse_target
    from advisor.units import parse_memory

    level = _severity(fail_on)
    ignore = [ignore] if isinstance(ignore, str) else list(ignore)
    cfg = config_mod.load(config)
    target = parse_target(url)
    if options and isinstance(options.get(target.engine), dict):  # {"postgres": {...}} as in advisor.toml
        options = options[target.engine]
    if options:  # [options.<engine>] of this target's engine
        found = problems(target.engine, options)
        if found:
            raise ValueError(f"db_advisor(options=...): {found[0]}")
    # the call's arguments > the project's config file > defaults (as flags are for `advisor run`)
    opts = RunOptions(
        **({"timeout": t} if (t := timeout or cfg.timeout) else {}),
        host=Host(memory_bytes=parse_memory(memory) if memory is not None else None, cpus=cpus),
        include=[checks] if isinstance(checks, str) else list(checks),
        exclude=([skip] if isinstance(skip, str) else list(skip)) + cfg.skip,
        thresholds={**cfg.thresholds, **(thresholds or {})},
        engine_options={**cfg.options, target.engine: {**cfg.options.get(target.engine, {}), **(options or {})}},
        mutes=cfg.mutes,
    )
    report = inspect([target], opts)
    for t in report.targets:
        kept = []
        for f in t.findings:
            pattern = _ignored(f, ignore)
            if pattern is None:
                kept.append(f)
            else:
                report.muted.append({"target": f.target, "check": f.check, "object": f.object,
                                     "reason": f"ignored by db_advisor(ignore=[{pattern!r}])"})
        t.findings = kept
    if not any(t.reachable for t in report.targets):
        raise AssertionError(f"db-advisor could not inspect {target.redacted}: "
                             + "; ".join(e.message for e in report.errors))
    failing = [f for f in report.findings if level is not None and f.severity >= level]
    if failing:
        raise AssertionError(describe(failing, target.id, level))
    return report


@pytest.fixture
def db_advisor() -> Callable[..., Any]:
    """Call as db_advisor(url, fail_on="warning", ignore=[...], checks=[...], memory="4GiB")."""
    return advise
