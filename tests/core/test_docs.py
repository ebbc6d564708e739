"""docs/checks.md is generated from the checks; it must not drift from them."""

from pathlib import Path

from advisor import checkdocs

ROOT = Path(__file__).resolve().parents[2]


def test_checks_reference_is_up_to_date():
    current = (ROOT / "docs" / "checks.md").read_text()
    assert current == checkdocs.render(), "regenerate: advisor checks --markdown > docs/checks.md"


def test_readme_commands_exist():
    readme = (ROOT / "README.md").read_text()
    for script in ("scripts/demo", "scripts/test"):
        assert script in readme and (ROOT / script).is_file()
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text()
