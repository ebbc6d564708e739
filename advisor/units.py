"""Parsing and printing sizes and durations the way people and servers write them (and text
cut to one line of evidence)."""

from __future__ import annotations

import re

_SIZE_UNITS = {
    "": 1, "b": 1,
    "k": 1024, "kb": 1024, "kib": 1024,
    "m": 1024**2, "mb": 1024**2, "mib": 1024**2,
    "g": 1024**3, "gb": 1024**3, "gib": 1024**3,
    "t": 1024**4, "tb": 1024**4, "tib": 1024**4,
}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


def parse_size(text: str | int) -> int:
    """'16GiB', '16G', '512mb', '1.5 GB', 1024 -> bytes (binary multiples, as servers use)."""
    if isinstance(text, int):
        return text
    m = _SIZE_RE.match(str(text))
    unit = m.group(2).lower() if m else None
    if not m or unit not in _SIZE_UNITS:
        raise ValueError(f"not a size: {text!r} (try 16GiB, 512MB, 2G)")
    return int(float(m.group(1)) * _SIZE_UNITS[unit])


# Host memory: what a pod limit or a machine has. Kubernetes quantities are read as Kubernetes
# reads them (Ki/Mi/Gi/Ti binary; k/M/G/T decimal, so "16G" is 16e9 bytes, the smaller and so
# safer reading); KB/MB/GB/TB and KiB/MiB/GiB/TiB are binary, as server configs read them.
_MEMORY_UNITS = {
    "b": 1, "ki": 1024, "mi": 1024**2, "gi": 1024**3, "ti": 1024**4,
    "k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4,
    "kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
}
MEMORY_FLOOR = 256 * 1024**2  # below this no database host is real: a missing unit, most likely
MEMORY_EXAMPLE = "e.g. 16GiB, 16Gi (Kubernetes) or 512MiB"


def parse_memory(text: str | int) -> int:
    """Host memory in bytes from '16GiB', '16Gi', '16G', '512Mi', '1.5 GB' (or bytes from code).

    A number without a unit is refused ('16' would mean 16 bytes and size every setting to
    nothing), and so is anything below MEMORY_FLOOR."""
    if isinstance(text, bool):
        raise ValueError(f"not a memory size: {text!r} ({MEMORY_EXAMPLE})")
    if isinstance(text, int):
        value, shown = text, f"{text} bytes"
    else:
        m = _SIZE_RE.match(str(text))
        if m and float(m.group(1)) == 0:
            raise ValueError(f"memory must be > 0, not {str(text).strip()!r} ({MEMORY_EXAMPLE})")
        if m and not m.group(2):
            raise ValueError(f"memory {str(text).strip()!r} has no unit ({MEMORY_EXAMPLE})")
        unit = m.group(2).lower() if m else None
        if not m or unit not in _MEMORY_UNITS:
            raise ValueError(f"not a memory size: {text!r} ({MEMORY_EXAMPLE})")
        value, shown = int(float(m.group(1)) * _MEMORY_UNITS[unit]), str(text).strip()
    if value < MEMORY_FLOOR:
        raise ValueError(f"memory {shown} is below 256MiB: give the host's or pod's memory ({MEMORY_EXAMPLE})")
    return value


def human_bytes(n: float | int | None) -> str:
    if n is None:
        return "?"
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def config_size(n: int) -> str:
    """Bytes -> the largest exact unit a config file accepts (4GB, 512MB, 64kB style)."""
    for unit, mult in (("GB", 1024**3), ("MB", 1024**2), ("kB", 1024)):
        if n >= mult and n % mult == 0:
            return f"{n // mult}{unit}"
    if n >= 1024**2:
        return f"{n // 1024**2}MB"
    return f"{max(n // 1024, 1)}kB"


def settable(n: int | float) -> int:
    """n rounded down to what config_size writes (40.96 MiB -> 40 MiB), so that a summary's
    human_bytes and the fix's setting name the same value."""
    n = int(n)
    for mult in (1024**3, 1024**2, 1024):
        if n >= mult and n % mult == 0:
            return n
    return n // 1024**2 * 1024**2 if n >= 1024**2 else max(n // 1024, 1) * 1024


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    s = float(seconds)
    if s < 1:
        return f"{s * 1000:.1f} ms"
    if s < 120:
        return f"{s:.1f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    if s < 172800:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} days"


def pct(part: float, whole: float) -> float | None:
    return None if not whole else 100.0 * part / whole


def one_line(text: str | None, width: int) -> str:
    """Whitespace runs folded to one space, cut to `width` characters with an ellipsis."""
    text = " ".join(("" if text is None else str(text)).split())
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"
