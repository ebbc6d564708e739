"""Host memory: a number without a unit, or a size no database host has, is refused (exit 2,
with an example) instead of sizing every setting to a few bytes; Kubernetes quantities copied
from a pod limit are accepted on the flag, in advisor.toml and in inventories."""

from __future__ import annotations

import json

import pytest

from advisor.units import parse_memory
from qa_helpers import assert_contract, closed_port
from support import subprocess_cli

GiB = 1024**3


@pytest.mark.parametrize("text, expected", [
    ("16GiB", 16 * GiB), ("16Gi", 16 * GiB), ("512Mi", 512 * 1024**2), ("16G", 16 * 10**9),
    ("1.5 GB", int(1.5 * GiB)), ("16gb", 16 * GiB), ("1Ti", 1024**4), (8 * GiB, 8 * GiB),
])
def test_accepted_notations(text, expected):
    assert parse_memory(text) == expected


@pytest.mark.parametrize("args, fragment", [
    (["size", "postgresql", "--memory", "16"], "has no unit"),
    (["size", "postgresql", "--memory", "100MiB"], "below 256MiB"),
    (["size", "redis", "--memory", "16 bytes"], "not a memory size"),
    (["run", "--memory", "16", "postgresql://127.0.0.1:{port}/db"], "has no unit"),
    (["run", "--memory", "4096", "postgresql://127.0.0.1:{port}/db"], "e.g. 16GiB"),
])
def test_bare_or_tiny_memory_is_refused(args, fragment):
    port = closed_port()
    p = subprocess_cli(*[a.format(port=port) for a in args])
    assert_contract(p, 2, fragment)


def test_no_harmful_fix_from_a_bare_number(tmp_path, pg_db):
    """The defect: --memory 16 meant 16 bytes and printed shared_buffers = '1kB'."""
    for where in ("flag", "config", "inventory"):
        cfg = tmp_path / "advisor.toml"
        inv = tmp_path / "fleet.toml"
        cfg.write_text('memory = "16"\n' if where == "config" else "")
        inv.write_text(f'[[target]]\nname = "t"\nurl = "{pg_db.url}"\nmemory = "16"\n')
        args = ["run", "--config", cfg] + (["--memory", "16", pg_db.url] if where == "flag" else
                                           ["--inventory", inv] if where == "inventory" else [pg_db.url])
        p = subprocess_cli(*args)
        assert_contract(p, 2, "has no unit")
        assert p.stdout == ""


def test_kubernetes_quantities_everywhere(tmp_path, pg_db):
    cfg = tmp_path / "advisor.toml"
    cfg.write_text('memory = "512Mi"\n')   # small enough that pg.memory.* judges (and shows) it
    inv = tmp_path / "fleet.toml"
    inv.write_text(f'[[target]]\nname = "t"\nurl = "{pg_db.url}"\nmemory = "1Gi"\n')
    sizes = {}
    for label, args in (("flag", ["--memory", "600M", pg_db.url]), ("config", ["--config", cfg, pg_db.url]),
                        ("inventory", ["--inventory", inv])):
        p = subprocess_cli("run", "--json", "--checks", "pg.memory.*", "--fail-on", "never", *args)
        assert p.returncode == 0, p.stderr
        ev = [f["evidence"] for f in json.loads(p.stdout)["findings"] if "host_memory_bytes" in f["evidence"]]
        sizes[label] = {e["host_memory_bytes"] for e in ev}
    assert sizes == {"flag": {600 * 10**6}, "config": {512 * 1024**2}, "inventory": {GiB}}
    p = subprocess_cli("size", "postgresql", "--memory", "16Gi", "--format", "json")
    assert p.returncode == 0, p.stderr
