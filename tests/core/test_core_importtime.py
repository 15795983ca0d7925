"""Nothing heavy on the hot paths: `python -X importtime` of the installed example
agents (meta-data, probe, recurring monitor) shows none of the modules in the
one import-cost table, ocfpy.testing.importcost.HEAVY (bench/ uses it too)."""

from pathlib import Path

import pytest

from core_helpers import clean_environ
from ocfpy.testing import importcost


def hot_paths(state_dir: Path) -> dict:
    """(agent, path label) -> (action, environment) of the example agents' hot paths."""
    out = {}
    for name in ("dummy", "stateful"):
        absent = state_dir / f"{name}-absent.state"
        present = state_dir / f"{name}-present.state"
        present.write_text("unpromoted\n" if name == "stateful" else "1\n")
        # no crm tools on PATH: what matters is what gets imported, not the cluster
        bare = {"PATH": str(state_dir), "OCF_RESOURCE_INSTANCE": "bench"}
        out[(name, "meta-data")] = ("meta-data", clean_environ(**bare))
        out[(name, "probe")] = ("monitor", clean_environ(OCF_RESKEY_state=absent, **bare))
        out[(name, "recurring monitor")] = ("monitor", clean_environ(
            OCF_RESKEY_state=present, OCF_RESKEY_CRM_meta_interval="10000", **bare))
    return out


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("importtime")


PATHS = [(name, label) for name in ("dummy", "stateful")
         for label in ("meta-data", "probe", "recurring monitor")]


@pytest.mark.parametrize("agent, label", PATHS)
def test_hot_path_imports_none_of_the_heavy_modules(installed, state_dir, agent, label):
    action, env = hot_paths(state_dir)[(agent, label)]
    python = importcost.script_python(installed[agent])
    modules = importcost.imported_modules(python, installed[agent], action, env)
    assert "ocfpy.agent" in modules, "importtime output not parsed: the agent did not run?"
    assert importcost.heavy_in(modules) == []


def test_importtime_parser_sees_a_heavy_import(tmp_path):
    # the detector itself works: a script importing click is caught
    import sys

    script = tmp_path / "s.py"
    site = str(Path(__import__("click").__file__).parent.parent)
    script.write_text(f"import sys; sys.path.insert(0, {site!r}); import click\n")
    modules = importcost.imported_modules(sys.executable, script, "x", clean_environ())
    assert "click" in importcost.heavy_in(modules)
