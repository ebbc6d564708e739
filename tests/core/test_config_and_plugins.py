"""advisor.toml / [tool.advisor] thresholds and selection, and entry-point plugins."""

from __future__ import annotations

import json
import sys
import textwrap
import types
from importlib import metadata

import pytest

from advisor import registry


def _checks_json(run_cli, *args):
    code, out, err = run_cli("checks", "--json", *args)
    assert code == 0, err
    return {c["id"]: c for c in json.loads(out)["checks"]}


def test_threshold_override_from_advisor_toml(tmp_path, monkeypatch, run_cli):
    monkeypatch.chdir(tmp_path)
    default = _checks_json(run_cli)["pg.statements.slow"]["thresholds"]
    (name, t), = [(k, v) for k, v in default.items() if isinstance(v["default"], (int, float))][:1]
    (tmp_path / "advisor.toml").write_text(f'[thresholds."pg.statements.slow"]\n{name} = 12345\n')
    eff = _checks_json(run_cli)["pg.statements.slow"]["thresholds"][name]
    assert eff["value"] == 12345 and eff["default"] == t["default"]


def test_pyproject_tool_advisor_is_read(tmp_path, monkeypatch, run_cli):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent("""
        [project]
        name = "app"
        [tool.advisor.thresholds."pg.index.unused"]
        min_bytes = 1
    """))
    checks = _checks_json(run_cli)
    assert checks["pg.index.unused"]["thresholds"]["min_bytes"]["value"] == 1


@pytest.mark.parametrize("toml, fragment", [
    ('[thresholds."pg.nope.nothing"]\nx = 1\n', "unknown check"),
    ('[thresholds."pg.statements.slow"]\nnot_a_threshold = 1\n', "has no threshold"),
    ('colour = "blue"\n', "unknown key"),
    ('fail_on = "sometimes"\n', "unknown severity"),
    ('[[mute]]\ncheck = "pg.*"\n', "reason"),
    ('this is not toml', "not valid TOML"),
    ('[options.redis]\nsampel_keys = 5\n', "redis has no option 'sampel_keys' (valid: client_list_max, "),
    ('[options.redis]\nsample_seconds = "soon"\n', "option redis.sample_seconds must be a number"),
    ('[options.mongo]\nprofile_values = 1\n', "option mongo.profile_values must be a boolean"),
    # timeout is the run's setting: [options.<engine>] timeout would silently beat --timeout
    ('[options.postgres]\ntimeout = 1\n', "timeout is the run's setting"),
])
def test_bad_config_is_exit_2_one_line(tmp_path, run_cli, toml, fragment):
    cfg = tmp_path / "advisor.toml"
    cfg.write_text(toml)
    code, out, err = run_cli("run", "--config", str(cfg), "postgresql://127.0.0.1:1/x")
    assert code == 2, err
    assert fragment in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_broken_plugin_is_reported_not_fatal(monkeypatch):
    good = types.ModuleType("advisor_test_good_plugin")
    sys.modules["advisor_test_good_plugin"] = good

    def register():
        @registry.check(id="pg.plugin.example", title="A plugin check", category="schema",
                        severity="info", facts=["pg.settings"], reference="a test plugin")
        def example(ctx):
            """A check shipped by another distribution through the advisor.checks entry point."""
            return []

    good.register = register
    eps = [metadata.EntryPoint("good", "advisor_test_good_plugin:register", "advisor.checks"),
           metadata.EntryPoint("broken", "advisor_test_no_such_module:register", "advisor.checks")]
    monkeypatch.setattr(metadata, "entry_points", lambda group=None: [e for e in eps if e.group == group])
    monkeypatch.setattr(registry, "declares_plugins", lambda paths=None: True)
    before = list(registry.plugin_errors)
    try:
        registry.load_plugins()
        assert registry.get("pg.plugin.example").title == "A plugin check"
        new = registry.plugin_errors[len(before):]
        assert len(new) == 1 and "broken" in new[0] and "ModuleNotFoundError" in new[0]
    finally:
        registry.plugin_errors[:] = before
        registry._REGISTRY.pop("pg.plugin.example", None)
        sys.modules.pop("advisor_test_good_plugin", None)


def test_engine_options_are_listed(run_cli):
    """`advisor options` (and `advisor checks --options`) list every declared engine option."""
    import json as _json
    from advisor.engines.options import OPTIONS
    code, out, _ = run_cli("options", "--json")
    listed = {e: {o["name"]: o for o in opts} for e, opts in _json.loads(out)["options"].items()}
    assert code == 0 and {e: set(v) for e, v in listed.items()} == {e: set(v) for e, v in OPTIONS.items()}
    assert listed["redis"]["sample_keys"] == {"name": "sample_keys", "type": "int", "default": 100000,
                                              "help": OPTIONS["redis"]["sample_keys"].help}
    code, out, _ = run_cli("checks", "--options", "--engine", "mongo")
    assert code == 0 and out.startswith("[options.mongo]") and "collection_limit" in out and "[options.redis]" not in out


@pytest.mark.parametrize("flags, config, inventory_timeout, want", [
    ([], "", None, 10.0),                                  # the default
    ([], "timeout = 5\n", None, 5.0),                      # config file
    (["--timeout", "7"], "timeout = 5\n", None, 7.0),      # flags beat the config file
    (["--timeout", "7"], "timeout = 5\n", 2, 2.0),         # an inventory entry beats both
])
def test_timeout_precedence(tmp_path, flags, config, inventory_timeout, want):
    from advisor import cli, config as config_mod, inventory
    cfg_file = tmp_path / "advisor.toml"
    cfg_file.write_text(config)
    args = cli.build_parser().parse_args(["run", "postgresql://h/db", "--config", str(cfg_file), *flags])
    opts = cli._options(args, config_mod.load(str(cfg_file)))
    entry = {"name": "a", "url": "postgresql://h/db", **({"timeout": inventory_timeout} if inventory_timeout else {})}
    target = inventory.parse({"target": [entry]}).targets[0]
    assert opts.for_target(target).timeout == want
    assert opts.for_target(target).session_options()["timeout"] == want


def test_plugin_declarations_are_found_on_the_path(tmp_path):
    """The quick scan that decides whether importlib.metadata is asked at all."""
    from advisor import registry
    dist = tmp_path / "advisor_demo_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "entry_points.txt").write_text("[console_scripts]\nx = y:z\n")
    assert not registry.declares_plugins([str(tmp_path)])
    (dist / "entry_points.txt").write_text("[advisor.checks]\ndemo = advisor_demo_plugin\n")
    assert registry.declares_plugins([str(tmp_path), str(tmp_path / "missing")])
