"""The shipped versions table (advisor/data/versions.toml) and its loader."""

import datetime as dt

import pytest

from advisor import versions


def test_table_is_dated_and_complete():
    t = versions.table()
    assert t.as_of <= dt.date.today()
    for engine in versions.ENGINES:
        assert t.majors[engine], engine
        for m in t.majors[engine].values():
            assert versions.parse(m.newest)[:len(versions.parse(m.major))] == versions.parse(m.major), m
            assert m.eol is None or m.released is None or m.eol > m.released, m
    # the policy the table encodes: PostgreSQL majors live five years, their last release in November
    for m in t.majors["postgres"].values():
        assert m.eol.year - m.released.year == 5 and m.eol.month == 11, m


@pytest.mark.parametrize("text,parts", [
    ("15.4", (15, 4)), ("8.0.36-log", (8, 0, 36)), ("10.11.6-MariaDB-0+deb12u1", (10, 11, 6)),
    ("17beta1", (17,)), ("7.0.15", (7, 0, 15))])
def test_parse(text, parts):
    assert versions.parse(text) == parts


def test_parse_rejects_garbage():
    with pytest.raises(ValueError):
        versions.parse("unknown")


def test_lookup_minor_behind_and_newer_than_table():
    t = versions.table()
    newest15 = versions.parse(t.majors["postgres"]["15"].newest)[1]
    old = t.lookup("postgres", "15.2")
    assert old.major.major == "15" and old.minors_behind == newest15 - 2 and not old.newer_than_table
    current = t.lookup("postgres", f"15.{newest15}")
    assert current.minors_behind == 0 and not current.newer_than_table
    ahead = t.lookup("postgres", f"15.{newest15 + 1}")
    assert ahead.minors_behind == 0 and ahead.newer_than_table
    future = t.lookup("postgres", "99.0")
    assert future.major is None and future.newer_than_table and not future.older_than_table
    ancient = t.lookup("postgres", "9.6.24")  # before 10 the major is two numbers; not in the table
    assert ancient.major is None and not ancient.newer_than_table and ancient.older_than_table
    rapid = t.lookup("mongo", "7.3.2")   # between majors the table knows: neither
    assert rapid.major is None and not rapid.newer_than_table and not rapid.older_than_table
    my = t.lookup("mysql", "8.0.30")
    assert my.major.major == "8.0" and my.minors_behind == versions.parse(my.major.newest)[2] - 30


def test_eol_passed_is_judged_against_the_given_day():
    m = versions.table().majors["postgres"]["12"]
    assert m.eol_passed(m.eol + dt.timedelta(days=1)) and not m.eol_passed(m.eol)
    assert not versions.table().majors["redis"]["7.2"].eol_passed(dt.date(2100, 1, 1))  # no date known
