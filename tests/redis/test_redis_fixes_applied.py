"""Advise, apply, advise again: every fix the advisor prints for a planted problem is run exactly as
printed (each line through bash and the real redis-cli, placeholders filled with advisor.fixes.fill)
against a private redis-server started from a config file; then the advisor runs again live, and
once more after a restart from that config file (which proves that the fix persisted). Asserted:
every fix ran without error, each finding it addressed is gone, no new warning or critical.

Fixes that are not applied mechanically are listed below by kind (shell, manual), with why."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import redis

from advisor import registry
from advisor.fixes import fill, kind, placeholders
from servers import free_port

MEMORY = "1GiB"

# Checks whose fixes are proven here (scenario -> checks); the count is reported in the issue notes.
PROVEN = {
    "defaults_gone_wrong": {"redis.memory.maxmemory_unset", "redis.persistence.none", "redis.latency.monitor_disabled",
                            "redis.slowlog.disabled", "redis.eviction.volatile_without_ttl",
                            "redis.keys.encoding_limits", "redis.memory.cached_scripts", "redis.security.no_auth"},
    "full_cache_without_eviction": {"redis.eviction.noeviction", "redis.eviction.oom_rejections",
                                    "redis.persistence.rdb_only"},
    "oversized_and_slow_durability": {"redis.memory.maxmemory_too_high", "redis.persistence.aof_fsync",
                                      "redis.security.no_auth"},
    "backlog_too_small": {"redis.replication.backlog"},
}
# Host commands: a test cannot change the machine's kernel settings (fix_kind "shell").
SHELL = {"redis.memory.swapping": "sysctl vm.swappiness, /etc/sysctl.d",
         "redis.persistence.slow_fork": "transparent_hugepage via /sys and the kernel command line",
         "redis.cluster.coverage": "an advisor command line over every cluster node"}
# The real fix is an application change or a diagnosis first (fix_kind "manual").
MANUAL = {"redis.clients.near_max": "bound the application's pools (timeout is only a safety net)",
          "redis.latency.spikes": "LATENCY DOCTOR, then a remedy that depends on the event",
          "redis.persistence.failed": "fix the cause in the Redis log, then BGSAVE"}
# Command fixes not proven here, and why.
NOT_PLANTED = {
    "redis.memory.fragmentation": "activedefrag needs > 10 MB of allocator holes and time to reclaim them",
    "redis.memory.allocator_fragmentation": "same as redis.memory.fragmentation",
    "redis.memory.rss_overhead": "MEMORY PURGE needs an allocator holding > 10 MB of freed pages",
    "redis.persistence.stale_save": "needs a last save older than 24 h",
    "redis.security.protected_mode": "needs a server listening on every interface; tests bind loopback only",
    "redis.slowlog.dangerous": "the ACL denial works, but the past slow-log entries it judged stay",
}
ERROR_REPLY = re.compile(r"^(\(error\) )?(ERR|NOAUTH|WRONGPASS|NOPERM|WRONGTYPE|OOM|READONLY|LOADING|BUSY)\b", re.M)


class ConfServer:
    """redis-server started from a config file only (no command-line overrides, so CONFIG REWRITE
    is what a restart reads back), in its own temp dir on a free loopback port."""

    def __init__(self, conf: str):
        self.dir = Path(tempfile.mkdtemp(prefix="advisor-fixes-"))
        self.port = free_port()
        self.conf = self.dir / "redis.conf"
        self.conf.write_text(f"port {self.port}\nbind 127.0.0.1\ndir {self.dir}\ndaemonize no\n"
                             f"logfile {self.dir}/redis.log\nlatency-monitor-threshold 100\n{conf}\n")
        self.proc: subprocess.Popen | None = None

    def start(self) -> "ConfServer":
        self.proc = subprocess.Popen([shutil.which("redis-server"), str(self.conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port, socket_timeout=1).ping()
                return self
            except (redis.AuthenticationError, redis.ResponseError):   # up, and wants a password
                return self
            except redis.ConnectionError:                             # not listening yet, or LOADING
                pass
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def restart(self, password: str | None) -> None:
        # as the AOF fix says: Redis refuses SIGTERM while it writes the initial AOF
        r = self.client(password)
        deadline = time.monotonic() + 30
        while any(r.info("persistence")[k] for k in ("aof_rewrite_in_progress", "aof_rewrite_scheduled")):
            assert time.monotonic() < deadline, "AOF rewrite did not finish"
            time.sleep(0.05)
        self.proc.terminate()           # SIGTERM: Redis saves (save rules) and flushes the AOF first
        self.proc.wait(20)
        self.start()
        wait_loaded(self, password)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)
        if not os.environ.get("KEEP_FIXES_DIR"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, password: str | None = None) -> str:
        return f"redis://{':' + password + '@' if password else ''}127.0.0.1:{self.port}/0"

    def client(self, password: str | None = None, username: str | None = None) -> redis.Redis:
        return redis.Redis(port=self.port, password=password, username=username)


def wait_loaded(srv: ConfServer, password: str | None = None) -> None:
    deadline = time.monotonic() + 15
    while True:
        try:
            if srv.client(password).info("persistence").get("loading") == 0:
                return
        except (redis.ConnectionError, redis.ResponseError):
            pass
        assert time.monotonic() < deadline, "server still loading"
        time.sleep(0.05)


@pytest.fixture
def conf_server():
    started = []

    def _start(conf: str) -> ConfServer:
        srv = ConfServer(conf).start()
        started.append(srv)
        return srv

    yield _start
    for srv in started:
        srv.stop()


def judged(report: dict) -> dict[tuple[str, str], dict]:
    return {(f["check"], f["object"]): f for f in report["findings"]}


def serious(report: dict) -> set[tuple[str, str]]:
    return {k for k, f in judged(report).items() if f["severity"] in ("warning", "critical")}


def run_fix(fix: str, port: int, values: dict[str, str], auth: str | None) -> list[str]:
    """Every line of the fix through bash, as printed; comment lines are what a shell ignores too.
    Returns the command lines run; fails on an exit code or an error reply (redis-cli exits 0 on those)."""
    text = fill(fix, values)
    ran = []
    env = {k: v for k, v in os.environ.items() if k != "REDISCLI_AUTH"}
    if auth:
        env["REDISCLI_AUTH"] = auth
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        assert f"-h 127.0.0.1 -p {port} " in line, f"fix line not aimed at this private server: {line}"
        p = subprocess.run(["bash", "-c", line], env=env, capture_output=True, text=True, timeout=30)
        out = p.stdout + p.stderr
        assert p.returncode == 0 and not ERROR_REPLY.search(out) and "AUTH failed" not in out, (line, out)
        ran.append(line)
    return ran


def apply_all(report: dict, port: int, values: dict[str, str], auth: str | None) -> tuple[set, dict]:
    """Apply every printed fix of kind command (the password change last: the others do not send it).
    Returns the addressed findings and the fixes not applied, by kind."""
    fixed, skipped = set(), {}
    todo = sorted((f for f in report["findings"] if f.get("fix")),
                  key=lambda f: f["check"] == "redis.security.no_auth" and f["object"] == "user default")
    for f in todo:
        k = kind("redis", f["evidence"])
        if k != "command":
            skipped[f["check"]] = k
            continue
        assert set(placeholders(f["fix"])) <= set(values), (f["check"], f["fix"])
        assert run_fix(f["fix"], port, values, auth), f["check"]
        fixed.add((f["check"], f["object"]))
        if f["check"] == "redis.security.no_auth" and f["object"] == "user default":
            auth = values["password"]
    return fixed, skipped


def scenario(advise, srv: ConfServer, expect: set[str], *, auth: str | None = None, workload=None,
             counters: set[str] = frozenset()) -> tuple[dict, set]:
    """advise -> apply -> advise (live) -> restart (+ workload again) -> advise; returns the first
    report and the checks proven. `counters`: checks judged on counters since start, which only a
    restart clears (asserted gone after it, not live)."""
    values = {"password": "pw-" + secrets.token_hex(8), "sentinel_master_name": "mymaster",
              "maxmemory_policy": "allkeys-lru"}          # the planted data is all cache
    _, before, err = advise(srv.url(auth), "--memory", MEMORY)
    assert not before["errors"], before["errors"]
    seen = {f["check"] for f in before["findings"]}
    assert expect <= seen, (expect - seen, err)
    fixed, not_applied = apply_all(before, srv.port, values, auth)
    assert expect <= {c for c, _ in fixed}, expect - {c for c, _ in fixed}
    password = values["password"] if ("redis.security.no_auth", "user default") in fixed else auth
    old_serious = serious(before)

    _, live, _ = advise(srv.url(password), "--memory", MEMORY)
    assert not live["errors"], live["errors"]
    left = {k for k in fixed if k in judged(live) and k[0] not in counters}
    assert not left, [judged(live)[k]["summary"] for k in left]
    assert not serious(live) - old_serious, serious(live) - old_serious

    srv.restart(password)
    if workload:
        workload(srv.client(password))
    _, after, _ = advise(srv.url(password), "--memory", MEMORY)
    assert not after["errors"], after["errors"]
    left = fixed & set(judged(after))
    assert not left, [judged(after)[k]["summary"] for k in left]
    assert not serious(after) - old_serious, serious(after) - old_serious
    return before, {c for c, _ in fixed}


def test_defaults_gone_wrong(conf_server, advise):
    srv = conf_server('save ""\nappendonly no\nmaxmemory 0\nmaxmemory-policy volatile-lru\n'
                      "latency-monitor-threshold 0\nslowlog-log-slower-than -1\nhash-max-listpack-entries 4096\n")
    r = srv.client()
    r.mset({f"order:{i}": "x" * 100 for i in range(300)})
    for i in range(1001):                          # scripts built with inlined values
        r.eval(f"return {i}", 0)
    scenario(advise, srv, PROVEN["defaults_gone_wrong"])
    conf = srv.conf.read_text()                     # what CONFIG REWRITE wrote and the restart read back
    assert "appendonly yes" in conf and "maxmemory 768mb" in conf and "maxmemory-policy allkeys-lru" in conf
    assert "user default on #" in conf and "pw-" not in conf   # the password is kept hashed


def test_full_cache_without_eviction(conf_server, advise):
    srv = conf_server('save "900 1"\nappendonly no\nmaxmemory 3mb\nmaxmemory-policy noeviction\n'
                      "requirepass bpw\n")

    def workload(r):
        rejected = 0
        for i in range(400):
            try:
                r.set(f"cache:{i}", "x" * 10_000)
            except redis.ResponseError:
                rejected += 1
        return rejected

    assert workload(srv.client("bpw"))
    # the OOM counter counts since the start: the live run still shows it, the restart clears it and
    # the same writes then evict instead of failing
    scenario(advise, srv, PROVEN["full_cache_without_eviction"], auth="bpw",
             workload=lambda r: (workload(r) == 0) or pytest.fail("writes still rejected after the fix"),
             counters={"redis.eviction.oom_rejections"})


def test_oversized_and_slow_durability(conf_server, advise):
    srv = conf_server('requirepass cpw\nmaxmemory 900mb\nmaxmemory-policy allkeys-lru\nsave "900 1"\n'
                      "appendonly yes\nappendfsync always\naof-use-rdb-preamble no\n"
                      "user app on nopass ~* +@read +@write\n")
    srv.client("cpw").set("k", "v")
    before, _ = scenario(advise, srv, PROVEN["oversized_and_slow_durability"], auth="cpw")
    assert ("redis.security.no_auth", "user app") in judged(before)
    with pytest.raises(redis.AuthenticationError):          # the password change survived the restart
        srv.client("wrong", username="app").ping()


def test_backlog_too_small(conf_server, advise):
    master = conf_server("repl-backlog-size 16kb\nrepl-diskless-sync-delay 0\nrequirepass mpw\n")
    replica = conf_server(f"replicaof 127.0.0.1 {master.port}\nmasterauth mpw\nrequirepass mpw\n")
    m = master.client("mpw")
    deadline = time.monotonic() + 15
    while m.info("replication").get("connected_slaves", 0) < 1:
        assert time.monotonic() < deadline, "replica did not attach"
        time.sleep(0.05)
    m.mset({f"w:{i}": "x" * 1000 for i in range(2000)})          # ~2 MB of stream in the first seconds
    before, _ = scenario(advise, master, PROVEN["backlog_too_small"], auth="mpw")
    f = judged(before)[("redis.replication.backlog", "repl-backlog-size")]
    assert "master_repl_offset / uptime_in_seconds" in f["evidence"]["write_rate_basis"]
    # the replica is not judged: its offset is the master's history, not a rate over its own uptime
    _, rep, _ = advise(replica.url("mpw"), "--checks", "redis.replication.backlog")
    assert not rep["findings"]


def test_every_redis_fix_is_proven_or_listed_with_its_kind():
    """Each Redis check that prints a fix is proven above, or listed as shell/manual/not planted."""
    proven = set().union(*PROVEN.values())
    listed = proven | set(SHELL) | set(MANUAL) | set(NOT_PLANTED)
    assert not (proven & (set(SHELL) | set(MANUAL) | set(NOT_PLANTED)))
    ids = {c.id for c in registry.select("redis")}
    assert listed <= ids, listed - ids
    src = "\n".join(p.read_text() for p in Path(registry.get("redis.cache.hit_ratio").func.__code__.co_filename)
                    .parent.glob("*.py"))
    for check_id in ids - listed:       # the rest print no fix at all
        func = registry.get(check_id).func.__name__
        body = src[src.index(f"def {func}(ctx)"):]
        body = body[:body.find("\n@check(") if "\n@check(" in body else None]
        assert "fix=" not in body or "fix=None" in body, check_id
    print(f"\nRedis checks whose fixes were applied and proven on real servers: {len(proven)}")
