"""The shipped table of engines' major versions (advisor/data/versions.toml): end of life and the
newest minor release known on the table's own date. Any engine's checks can use it.

    info = versions.lookup("postgres", "15.4")
    info.eol_passed(today), info.minors_behind, info.newer_than_table, table().age_days(today)
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

PATH = Path(__file__).parent / "data" / "versions.toml"
ENGINES = ("postgres", "mysql", "mariadb", "mongo", "redis")


def parse(version: str) -> tuple[int, ...]:
    """'15.4' -> (15, 4); '8.0.36-log' -> (8, 0, 36); '10.11.6-MariaDB-0+deb12u1' -> (10, 11, 6);
    '17beta1' -> (17,). Leading numeric dot-separated parts only."""
    m = re.match(r"\s*(\d+(?:\.\d+)*)", version or "")
    if not m:
        raise ValueError(f"not a version: {version!r}")
    return tuple(int(p) for p in m.group(1).split("."))


@dataclass(frozen=True)
class Major:
    engine: str
    major: str          # "15", "8.0"
    released: dt.date | None
    eol: dt.date | None  # None: no published date the table relies on
    newest: str         # newest minor release known on the table's date
    note: str = ""

    def eol_passed(self, today: dt.date) -> bool:
        return self.eol is not None and today > self.eol

    def eol_due(self, today: dt.date, warn_days: float) -> tuple[int, str] | None:
        """(days left, how it reads) when the end of life has passed or is within warn_days;
        None when it is further away or the table has no date for it."""
        if self.eol is None:
            return None
        left = (self.eol - today).days
        if left > warn_days:
            return None
        return left, (f"reached end of life on {self.eol}: no fixes, security ones included" if left < 0
                      else f"reaches end of life on {self.eol} ({left} days)")


@dataclass(frozen=True)
class Lookup:
    """A running version against the table."""

    version: str
    major: Major | None          # None: the table does not know this major
    minors_behind: int | None    # releases between the running minor and `newest` (same major)
    newer_than_table: bool       # running a release (or major) the table has not heard of
    older_than_table: bool = False  # a major older than every one the table lists (long past its end)


@dataclass(frozen=True)
class Table:
    as_of: dt.date
    majors: dict[str, dict[str, Major]]

    def age_days(self, today: dt.date) -> int:
        return (today - self.as_of).days

    def lookup(self, engine: str, version: str) -> Lookup:
        parts = parse(version)
        known = self.majors.get(engine, {})
        width = 1 if engine == "postgres" and parts[0] >= 10 else 2
        key = ".".join(map(str, parts[:width]))
        major = known.get(key)
        if major is None:
            majors = [parse(k) for k in known]
            return Lookup(version, None, None, parts[:width] > max(majors, default=()),
                          bool(majors) and parts[:width] < min(majors))
        newest = parse(major.newest)
        running = parts[:width + 1] + (0,) * max(0, width + 1 - len(parts))
        behind = max(0, newest[width] - running[width]) if len(newest) > width else None
        return Lookup(version, major, behind, running > newest[:width + 1])


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


@functools.lru_cache(maxsize=4)
def table(path: str | Path = PATH) -> Table:
    data = tomllib.loads(Path(path).read_text())
    majors: dict[str, dict[str, Major]] = {}
    for engine in ENGINES:
        rows = data.get(engine, {})
        majors[engine] = {k: Major(engine, k, _date(v.get("released", "")), _date(v.get("eol", "")),
                                   v["newest"], v.get("note", ""))
                          for k, v in rows.items() if isinstance(v, dict)}
    return Table(_date(str(data["as_of"])), majors)


def lookup(engine: str, version: str) -> Lookup:
    return table().lookup(engine, version)
