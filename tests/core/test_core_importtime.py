"""Nothing heavy on the hot paths: `python -X importtime` of the installed example
agents (meta-data, probe, recurring monitor) shows none of lxml, click, pyroute2,
pymysql, psutil. Shares its parsing with bench/bench_agents.py."""

import importlib.util
from pathlib import Path

import pytest

from core_helpers import REPO, clean_environ

_spec = importlib.util.spec_from_file_location("bench_agents", REPO / "bench" / "bench_agents.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("importtime")


PATHS = [(name, label) for name in ("dummy", "stateful")
         for label in ("meta-data", "probe", "recurring monitor")]


@pytest.mark.parametrize("agent, label", PATHS)
def test_hot_path_imports_none_of_the_heavy_modules(installed, state_dir, agent, label):
    paths = {(n, l): (a, env) for n, l, a, env in bench.importtime_paths(installed, state_dir)}
    action, env = paths[(agent, label)]
    python = bench.script_python(installed[agent])
    modules = bench.imported_modules(python, installed[agent], action, env)
    assert "ocfpy.agent" in modules, "importtime output not parsed: the agent did not run?"
    assert bench.heavy_in(modules) == []


def test_importtime_parser_sees_a_heavy_import(tmp_path):
    # the detector itself works: a script importing click is caught
    import sys

    script = tmp_path / "s.py"
    site = str(Path(__import__("click").__file__).parent.parent)
    script.write_text(f"import sys; sys.path.insert(0, {site!r}); import click\n")
    modules = bench.imported_modules(sys.executable, script, "x", clean_environ())
    assert bench.heavy_in(modules) == ["click"]
