"""The slow log: slow commands by name, and dangerous or full-read commands seen there."""

from collections import defaultdict

from advisor.model import Severity
from advisor.registry import Threshold, check

from ._common import MANAGED, cli, config_fix, persist_acl, setting_int

REF = "Redis SLOWLOG (slowlog-log-slower-than default 10,000 us, slowlog-max-len 128)"
BLOCKING = {"KEYS": "SCAN with MATCH and COUNT", "FLUSHALL": "FLUSHALL ASYNC (and restrict it by ACL)",
            "FLUSHDB": "FLUSHDB ASYNC (and restrict it by ACL)", "DEBUG": "nothing in production"}
FULL_READS = {"HGETALL": "HSCAN", "SMEMBERS": "SSCAN", "HKEYS": "HSCAN", "HVALS": "HSCAN",
              "SUNION": "smaller sets", "SINTER": "smaller sets", "SDIFF": "smaller sets", "SORT": "a sorted set"}
RANGE_READS = {"LRANGE", "ZRANGE", "ZREVRANGE", "ZRANGEBYSCORE", "XRANGE", "XREVRANGE"}


def _deny_fix(ctx, cmd: str) -> str:
    """Deny the command seen, not all of @dangerous (that category also holds INFO, CLIENT and CONFIG,
    which client libraries and monitoring use)."""
    c = cli(ctx)
    return "\n".join([
        f"# the application's calls of {cmd} fail with NOPERM from now on: replace them first (ACL LOG shows "
        "denials); ACL SETUSER creates {{app_user}} (disabled) if it does not exist",
        f"{c} ACL SETUSER {{{{app_user}}}} -{cmd.lower()}", persist_acl(ctx, c), MANAGED])


# An operator's CONFIG SET / CONFIG REWRITE (applying a fix) can pass 10 ms (a fork for appendonly yes,
# an fsync of redis.conf): not application latency.
OPERATOR = {("CONFIG", "SET"), ("CONFIG", "REWRITE")}


def _entries(ctx):
    """Slow-log entries, without the advisor's own commands (its connections are named db-advisor)
    and without configuration changes."""
    return [e for e in ctx.fact("redis.slowlog")["entries"] if e.get("client_name") != "db-advisor"
            and (e["command"], (e["args"][1:2] or [""])[0].upper()) not in OPERATOR]


def _example(e: dict) -> str:
    return " ".join(e["args"])


def _duration(us: int) -> str:
    return f"{us / 1000:.1f} ms" if us >= 100 else f"{us} us"


@check(id="redis.slowlog.slow_commands", title="Slow commands in the slow log", category="queries",
       severity=Severity.WARNING, facts=["redis.slowlog"], reference=REF,
       thresholds={"slow_us": Threshold(10_000, "us", REF), "top": Threshold(10, "commands", "db-advisor")})
def slow_commands(ctx):
    """Redis runs commands one at a time: a 10 ms command delays every client by 10 ms. The
    slow log keeps the latest commands slower than slowlog-log-slower-than. One finding per
    command name with count, worst and average duration and the slowest call (arguments cut to
    64 characters). Fix: replace O(N) commands on big keys (SCAN family, smaller keys, pipelining)."""
    groups = defaultdict(list)
    for e in _entries(ctx):
        if e["duration_us"] >= ctx.threshold("slow_us"):
            groups[e["command"]].append(e)
    ranked = sorted(groups.items(), key=lambda kv: -sum(e["duration_us"] for e in kv[1]))
    for cmd, es in ranked[:ctx.threshold("top")]:
        worst = max(es, key=lambda e: e["duration_us"])
        total = sum(e["duration_us"] for e in es)
        yield ctx.finding(
            object=cmd,
            summary=f"{cmd}: {len(es)} slow call(s) in the slow log, worst {_duration(worst['duration_us'])}",
            evidence={"command": cmd, "calls": len(es), "max_us": worst["duration_us"],
                      "avg_us": round(total / len(es)), "slowest_call": _example(worst),
                      "client": worst.get("client"), "threshold_us": ctx.threshold("slow_us"),
                      "slowlog_entries_read": len(_entries(ctx)), "slowlog_len": ctx.fact("redis.slowlog")["len"]},
            recommendation="Find the caller (client address above) and make the command cheaper: bounded "
                           "ranges, the SCAN family, smaller keys; pipeline many small commands instead.",
        )


def _full_read(e: dict) -> str | None:
    cmd, args = e["command"], e["args"]
    if cmd in FULL_READS:
        return FULL_READS[cmd]
    if cmd in RANGE_READS and len(args) >= 4:
        lo, hi = args[2], args[3]
        if (lo, hi) in (("0", "-1"), ("-", "+"), ("+", "-"), ("-inf", "+inf")):
            return f"bounded {cmd} pages"
    return None


@check(id="redis.slowlog.dangerous", title="Dangerous or full-read commands in the slow log",
       category="queries", severity=Severity.WARNING, facts=["redis.slowlog", "redis.config"],
       reference=REF + "; Redis docs: KEYS must not be used in production")
def dangerous(ctx):
    """KEYS walks the whole keyspace and FLUSHALL/FLUSHDB (sync) free everything while blocking
    all clients; HGETALL/SMEMBERS/LRANGE 0 -1 read a whole collection at once, which is slow on
    big keys. Any of them in the slow log has already stalled the server. Fix: SCAN/HSCAN/SSCAN,
    paged ranges, FLUSHALL ASYNC, and deny the commands to applications by ACL (-@dangerous)."""
    hits = defaultdict(list)
    for e in _entries(ctx):
        if e["command"] in BLOCKING:
            hits[(e["command"], BLOCKING[e["command"]], Severity.CRITICAL)].append(e)
        elif (alt := _full_read(e)) is not None:
            hits[(e["command"], alt, Severity.WARNING)].append(e)
    for (cmd, alt, sev), es in sorted(hits.items(), key=lambda kv: (-kv[0][2], kv[0][0])):
        worst = max(es, key=lambda e: e["duration_us"])
        yield ctx.finding(
            object=cmd, severity=sev,
            summary=f"{cmd} seen {len(es)} time(s) in the slow log (worst {_duration(worst['duration_us'])})",
            evidence={"command": cmd, "calls": len(es), "max_us": worst["duration_us"], "example": _example(worst),
                      "client": worst.get("client")},
            recommendation=f"Use {alt} instead; block the command for applications with ACLs.",
            fix=_deny_fix(ctx, cmd) if cmd in BLOCKING else None,
        )


@check(id="redis.slowlog.disabled", title="Slow log disabled or too short", category="observability",
       severity=Severity.INFO, facts=["redis.config"], reference="Redis SLOWLOG defaults (10,000 us, 128 entries)")
def slowlog_disabled(ctx):
    """slowlog-log-slower-than below 0 disables the slow log; slowlog-max-len 0 keeps nothing.
    Without it nobody can tell which commands stall the server. Fix: the defaults (10000 us, 128)."""
    slower, keep = setting_int(ctx, "slowlog-log-slower-than"), setting_int(ctx, "slowlog-max-len")
    if slower >= 0 and keep > 0:
        return
    yield ctx.finding(
        object="slowlog-log-slower-than" if slower < 0 else "slowlog-max-len",
        summary=f"slow log records nothing (slowlog-log-slower-than {slower}, slowlog-max-len {keep})",
        evidence={"slowlog-log-slower-than": slower, "slowlog-max-len": keep},
        recommendation="Restore the slow log with its defaults.",
        fix=config_fix(ctx, {"slowlog-log-slower-than": 10000, "slowlog-max-len": 128}),
    )
