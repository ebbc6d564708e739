"""advisor.testing: container configuration for advising, and the clean skip without Docker
(this machine has no Docker engine; the containers themselves are exercised where one exists)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from advisor import testing


def test_specs_configure_each_engine_for_advising():
    pg, my, mongo, redis = (testing.SPECS[e] for e in ("postgres", "mysql", "mongo", "redis"))
    assert "shared_preload_libraries=pg_stat_statements" in pg.command
    assert "track_io_timing=on" in pg.command
    assert pg.setup == ("CREATE EXTENSION IF NOT EXISTS pg_stat_statements",)
    assert pg.kwargs == {"driver": None}  # a plain postgresql:// URL, not SQLAlchemy's +psycopg2
    assert "--performance-schema=ON" in my.command
    assert "--profile 1" in mongo.command and "--slowms" in mongo.command
    assert redis.command is None
    assert testing.SPECS["postgres"].with_image("postgres:13").image == "postgres:13"
    assert testing.SPECS["postgres"].image == "postgres:16"  # specs are immutable


def test_container_classes_exist_in_installed_testcontainers():
    pytest.importorskip("testcontainers")
    for spec in testing.SPECS.values():
        cls = testing._container_class(spec)
        assert cls.__name__ == spec.cls


def test_unknown_engine_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown engine 'oracle'"):
        with testing.advised_server("oracle"):
            pass


def test_user_suite_is_skipped_with_the_reason_when_docker_is_absent(pytester, monkeypatch):
    monkeypatch.setenv("ADVISOR_NO_DOCKER", "1")
    pytester.makepyfile('''
import pytest
from advisor.testing import advised_server

@pytest.fixture(scope="session")
def pg_url():
    with advised_server("postgres") as url:
        yield url

def test_schema(db_advisor, pg_url):
    db_advisor(pg_url)
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*SKIPPED*db-advisor: ADVISOR_NO_DOCKER is set*"])


def test_real_probe_reason_on_this_machine():
    """Without a Docker engine the probe says so in one line; with one it returns None."""
    testing.docker_unavailable_reason.cache_clear()
    reason = testing.docker_unavailable_reason()
    if reason is None:
        pytest.skip("a Docker engine answers here")
    assert "\n" not in reason
    assert reason.startswith(("no Docker engine answers", "testcontainers is not installed"))


def test_outside_pytest_it_raises_docker_unavailable():
    code = ("import os; os.environ['ADVISOR_NO_DOCKER'] = '1'\n"
            "from advisor.testing import advised_server, DockerUnavailable\n"
            "try:\n    advised_server('redis').__enter__()\n"
            "except DockerUnavailable as e:\n    print('unavailable:', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "unavailable: ADVISOR_NO_DOCKER is set"
