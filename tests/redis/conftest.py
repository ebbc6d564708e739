"""Redis fixtures: dedicated redis-server instances on free loopback ports, and the CLI as JSON."""

from __future__ import annotations

import json

import pytest

from servers import RedisServer


@pytest.fixture
def start_redis():
    """start_redis(*args) -> RedisServer; every instance is stopped at the end of the test."""
    started = []

    def _start(*args: str) -> RedisServer:
        srv = RedisServer(*args).start()
        started.append(srv)
        return srv

    yield _start
    for srv in started:
        srv.stop()


@pytest.fixture
def advise(run_cli, tmp_path):
    """advise(url, *flags, options={...}, thresholds={...}) -> (exit code, report dict, stderr)."""

    def _run(url: str, *flags: str, options: dict | None = None, thresholds: dict | None = None):
        args = ["run", "--json", *flags]
        if options or thresholds:
            cfg = tmp_path / "advisor.toml"
            lines = []
            if options:
                lines.append("[options.redis]")
                lines += [f"{k} = {json.dumps(v)}" for k, v in options.items()]
            for check_id, values in (thresholds or {}).items():
                lines.append(f'[thresholds."{check_id}"]')
                lines += [f"{k} = {json.dumps(v)}" for k, v in values.items()]
            cfg.write_text("\n".join(lines) + "\n")
            args += ["--config", str(cfg)]
        code, out, err = run_cli(*args, url)
        return code, json.loads(out), err

    return _run
