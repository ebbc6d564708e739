"""mysql.versions.* against the shipped versions table (advisor/data/versions.toml): recorded
server identities for both vendors, and the shared MariaDB judged live."""

from __future__ import annotations

import pytest

from advisor import versions
from mysql_helpers import of, run_advisor
from recorded_facts import facts, judge


def _server(vendor, version, now="2025-11-13 12:00:00"):
    rec = facts("mariadb1011" if vendor == "mariadb" else "mysql80")
    rec["mysql.server"] = {**rec["mysql.server"], "vendor": vendor, "version": version,
                           "version_tuple": list(versions.parse(version))[:3], "now": now}
    return rec


@pytest.mark.parametrize("vendor, version, now, expected", [
    ("mysql", "5.7.44", "2025-11-13 12:00:00", "critical"),     # EOL 2023-10-31
    ("mysql", "8.0.44", "2025-11-13 12:00:00", "warning"),      # EOL 2026-04-30: 168 days
    ("mysql", "8.0.44", "2025-01-01 12:00:00", None),           # judged at collection time
    ("mysql", "8.4.7", "2025-11-13 12:00:00", None),
    ("mariadb", "10.4.34", "2025-11-13 12:00:00", "critical"),
    ("mariadb", "10.3.39", "2025-11-13 12:00:00", "critical"),  # older than every listed major
    ("mariadb", "10.11.14", "2025-11-13 12:00:00", None),
])
def test_end_of_life(vendor, version, now, expected):
    found = judge("mysql.versions.eol", _server(vendor, version, now))[0]
    assert [str(f.severity) for f in found] == ([expected] if expected else [])
    if found:
        assert found[0].evidence["table_as_of"] == str(versions.table().as_of)


def test_short_term_mariadb_release_not_in_the_table_is_skipped():
    found, skipped = judge("mysql.versions.eol", _server("mariadb", "11.5.2"))
    assert found == [] and "not in the versions table" in skipped[0].reason


@pytest.mark.parametrize("version, behind, severity", [("8.4.7", None, None), ("8.4.5", 2, "info"),
                                                       ("8.4.2", 5, "warning")])
def test_minor_releases_behind(version, behind, severity):
    found = judge("mysql.versions.minor", _server("mysql", version))[0]
    assert [(f.evidence["releases_behind"], str(f.severity)) for f in found] == \
        ([(behind, severity)] if behind else [])


def test_newer_than_the_table_is_never_the_servers_problem():
    for cid in ("mysql.versions.eol", "mysql.versions.minor"):
        for version in ("8.4.99", "9.9.1"):  # a newer minor, a newer major
            assert judge(cid, _server("mysql", version)) == ([], [])
    # a known major past its end of life is judged even on a minor newer than the table
    assert len(judge("mysql.versions.eol", _server("mysql", "5.7.99"))[0]) == 1


def test_shared_mariadb_judged_by_the_table(mysql_admin_url):
    res = run_advisor(mysql_admin_url, ["mysql.versions.*"])
    assert not res.errors
    version = res.server_version.split()[-1]
    info = versions.lookup("mariadb", version)
    assert res.skipped == []
    behind = bool(info.minors_behind) and not info.newer_than_table
    assert bool(of(res, "mysql.versions.minor")) == behind
