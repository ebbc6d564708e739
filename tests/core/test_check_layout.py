"""Where checks live (docs/architecture.md):

- check id `<prefix>.<topic>.<name>` is defined in `checks/<engine>/<topic>.py`
  (prefix pg -> folder postgres; the others are their own engine names);
- helpers shared by several check modules live in `_`-prefixed modules only;
- no check module imports another non-underscore check module.

The allow-lists below are empty: every check is in its topic's module. Never add to them:
put a new check in its topic's module, and a shared helper in a `_`-prefixed module.
"""

from __future__ import annotations

import ast
from pathlib import Path

from advisor import registry
from advisor.engines import ENGINE_OF_PREFIX

CHECKS = Path(__file__).resolve().parents[2] / "checks"

MISPLACED: dict[str, str] = {}  # check id -> the module it is in today (none)

# helper modules without the `_` prefix (none)
HELPERS_WITHOUT_UNDERSCORE: set[str] = set()

CROSS_IMPORTS: set[tuple[str, str]] = set()  # (importing module, imported check module)


def _home(check_id: str) -> str:
    prefix, topic = check_id.split(".")[:2]
    return f"checks.{ENGINE_OF_PREFIX[prefix]}.{topic}"


def _modules() -> dict[str, Path]:
    return {"checks." + ".".join(p.relative_to(CHECKS).with_suffix("").parts): p
            for p in CHECKS.rglob("*.py") if p.name != "__init__.py"}


def test_each_check_lives_in_its_topic_module():
    builtin = [c for c in registry.all_checks() if c.plugin is None]
    where = {c.id: c.func.__module__ for c in builtin}
    misplaced = {i: m for i, m in where.items() if m != _home(i) and MISPLACED.get(i) != m}
    assert misplaced == {}, f"define each check in checks/<engine>/<topic>.py: {misplaced}"
    moved = sorted(i for i, m in MISPLACED.items() if where.get(i) != m)
    assert moved == [], f"moved or renamed: delete from MISPLACED: {moved}"


def test_modules_without_checks_are_underscore_helpers():
    with_checks = {c.func.__module__ for c in registry.all_checks()}
    helpers = {m for m, p in _modules().items() if not p.name.startswith("_") and m not in with_checks}
    assert helpers == HELPERS_WITHOUT_UNDERSCORE, "shared helpers go in _-prefixed modules"


def test_check_modules_import_no_other_check_module():
    modules = _modules()
    found = set()
    for name, path in modules.items():
        package = name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                target = (f"{package}.{node.module}" if node.level == 1 and node.module
                          else node.module or "")
                if target in modules and not target.rsplit(".", 1)[1].startswith("_"):
                    found.add((name, target))
    assert found - CROSS_IMPORTS == set(), "import shared helpers from a _-prefixed module"
    assert CROSS_IMPORTS - found == set(), "fixed: delete these from CROSS_IMPORTS"
