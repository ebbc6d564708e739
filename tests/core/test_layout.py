"""The test tree itself: pytest (prepend import mode) needs unique test module names."""

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_test_module_basenames_are_unique():
    names = Counter(p.name for p in TESTS.rglob("*.py")
                    if p.name != "conftest.py" and p.name != "__init__.py" and "__snapshots__" not in p.parts)
    assert [n for n, c in names.items() if c > 1] == [], "rename: e.g. tests/redis/test_redis_recorded.py"


def test_no_test_imports_conftest_by_name():
    offenders = [str(p.relative_to(TESTS)) for p in TESTS.rglob("*.py")
                 if "from conftest import" in p.read_text() and p.name not in ("support.py", "test_layout.py")]
    assert offenders == [], "import shared helpers from tests/support.py instead"
