"""The installer and the ocfpy command line (click's CliRunner)."""

import os
import stat
import sys
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from core_helpers import run_script
from ocfpy import install as inst
from ocfpy.cli import main


def test_discover_finds_the_example_agents_with_their_default_provider():
    found = {a.name: a for a in inst.discover()}
    assert found["dummy"].provider == "ocfpy" and found["dummy"].module == "ocfpy_agents.dummy"
    assert found["stateful"].provider == "ocfpy"
    assert found["dummy"].cls.__name__ == "Dummy"


def test_discover_finds_an_agent_inside_its_family_package():
    found = {a.name: a for a in inst.discover()}
    assert found["vip"].module == "ocfpy_agents.vip.agent"


def test_an_agent_can_be_named_as_ocf_provider_type():
    assert [a.name for a in inst.find(["ocf:ocfpy:dummy"])] == ["dummy"]


def test_find_unknown_agent_raises_key_error_naming_it():
    with pytest.raises(KeyError, match="nosuch"):
        inst.find(["dummy", "nosuch"])


def test_install_writes_executable_scripts_under_the_default_provider(tmp_path):
    paths = inst.install(tmp_path, names=["dummy", "stateful"])
    assert sorted(paths) == [tmp_path / "resource.d/ocfpy/dummy", tmp_path / "resource.d/ocfpy/stateful"]
    for p in paths:
        mode = p.stat().st_mode
        assert stat.S_ISREG(mode) and mode & 0o111 == 0o111 and mode & 0o777 == 0o755


def test_install_with_a_provider_writes_there(tmp_path):
    (path,) = inst.install(tmp_path, provider="acme", names=["dummy"])
    assert path == tmp_path / "resource.d/acme/dummy"


def test_installed_script_runs_this_interpreter_with_IS_and_carries_the_marker(tmp_path):
    (path,) = inst.install(tmp_path, names=["dummy"])
    lines = path.read_text().splitlines()
    assert lines[0] == f"#!{sys.executable} -IS"
    assert inst.MARKER in lines[1] and "ocf:ocfpy:dummy" in lines[1]


def test_installed_script_finds_pymysql_and_psutil_without_site_packages(tmp_path):
    # the galera agent queries mysqld with pymysql; -IS alone would hide it
    (path,) = inst.install(tmp_path, names=["dummy"])
    header = "".join(line + "\n" for line in path.read_text().splitlines()
                     if line.startswith(("import sys", "sys.path")))
    code = header + "import pymysql, psutil; print(pymysql.__name__, psutil.__name__)"
    import subprocess
    out = subprocess.run([sys.executable, "-IS", "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == ["pymysql", "psutil"], out.stderr


def test_install_with_another_python_uses_it_in_the_shebang(tmp_path):
    (path,) = inst.install(tmp_path, names=["dummy"], python="/usr/bin/python3")
    assert path.read_text().startswith("#!/usr/bin/python3 -IS\n")


def test_install_replaces_an_existing_script_and_leaves_no_temporary_file(tmp_path):
    inst.install(tmp_path, names=["dummy"])
    inst.install(tmp_path, names=["dummy"])
    assert sorted(os.listdir(tmp_path / "resource.d/ocfpy")) == ["dummy"]


def test_installed_script_runs_meta_data(installed):
    res = run_script(installed["dummy"], "meta-data")
    assert res.rc == 0
    root = ET.fromstring(res.stdout.split("\n", 2)[2])
    assert root.get("name") == "dummy" and root.find("version").text == "1.1"


def test_installed_scripts_run_a_start_monitor_stop_cycle(installed, tmp_path):
    params = {"state": tmp_path / "d.state"}
    rec = {"interval": "10000"}
    assert run_script(installed["dummy"], "monitor", params).rc == 7
    assert run_script(installed["dummy"], "start", params).rc == 0
    assert run_script(installed["dummy"], "monitor", params, rec).rc == 0
    assert run_script(installed["dummy"], "stop", params).rc == 0
    assert run_script(installed["dummy"], "stop", params).rc == 0
    assert run_script(installed["dummy"], "monitor", params, rec).rc == 7


def test_installed_stateful_promotes_and_reports_8(installed, tmp_path):
    # crm tools are absent from PATH: promotion scores are best effort outside a cluster
    params = {"state": tmp_path / "s.state"}
    env = {"PATH": str(tmp_path)}
    rec = {"interval": "10000"}
    assert run_script(installed["stateful"], "start", params, env=env).rc == 0
    assert run_script(installed["stateful"], "monitor", params, rec, env=env).rc == 0
    assert run_script(installed["stateful"], "promote", params, env=env).rc == 0
    assert run_script(installed["stateful"], "monitor", params, rec, env=env).rc == 8
    assert run_script(installed["stateful"], "demote", params, env=env).rc == 0
    assert run_script(installed["stateful"], "monitor", params, rec, env=env).rc == 0
    assert run_script(installed["stateful"], "stop", params, env=env).rc == 0
    assert run_script(installed["stateful"], "monitor", params, env=env).rc == 7


def test_uninstall_removes_only_what_install_wrote(tmp_path):
    inst.install(tmp_path, names=["dummy", "stateful"])
    directory = tmp_path / "resource.d/ocfpy"
    foreign = directory / "other"
    foreign.write_text("#!/bin/sh\nexit 0\n")
    removed = inst.uninstall(tmp_path)
    assert sorted(p.name for p in removed) == ["dummy", "stateful"]
    assert sorted(os.listdir(directory)) == ["other"]


def test_uninstall_keeps_a_hand_written_agent_with_our_name(tmp_path):
    directory = tmp_path / "resource.d/ocfpy"
    directory.mkdir(parents=True)
    (directory / "dummy").write_text("#!/bin/sh\n# someone else's dummy\n")
    assert inst.uninstall(tmp_path, names=["dummy"]) == []
    assert (directory / "dummy").exists()


def test_uninstall_removes_the_empty_provider_directory(tmp_path):
    inst.install(tmp_path, provider="acme", names=["dummy"])
    inst.uninstall(tmp_path, provider="acme", names=["dummy"])
    assert not (tmp_path / "resource.d/acme").exists()
    assert (tmp_path / "resource.d").exists()


def test_uninstall_of_nothing_installed_is_fine(tmp_path):
    assert inst.uninstall(tmp_path) == []


# -- CLI ------------------------------------------------------------------------
@pytest.fixture
def cli():
    return CliRunner()


def test_cli_list_shows_ocf_names_and_descriptions(cli):
    res = cli.invoke(main, ["list"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert any(l.startswith("ocf:ocfpy:dummy\t") for l in lines)
    assert any(l.startswith("ocf:ocfpy:stateful\t") for l in lines)


def test_cli_meta_data_prints_the_agents_meta_data(cli):
    from ocfpy_agents.dummy import Dummy

    res = cli.invoke(main, ["meta-data", "dummy"])
    assert res.exit_code == 0
    assert res.output == Dummy.metadata()


def test_cli_meta_data_of_an_unknown_agent_fails_with_a_message(cli):
    res = cli.invoke(main, ["meta-data", "nosuch"])
    assert res.exit_code != 0
    assert "no agent named nosuch" in res.output


def test_cli_install_and_uninstall_into_an_ocf_root(cli, tmp_path):
    res = cli.invoke(main, ["install", "--create-root", "--ocf-root", str(tmp_path), "--provider", "t", "dummy"])
    assert res.exit_code == 0, res.output
    target = tmp_path / "resource.d/t/dummy"
    assert f"installed {target}" in res.output
    assert os.access(target, os.X_OK)
    res = cli.invoke(main, ["uninstall", "--ocf-root", str(tmp_path), "--provider", "t", "dummy"])
    assert res.exit_code == 0
    assert f"removed {target}" in res.output
    assert not target.exists()


def test_cli_install_without_names_installs_every_agent(cli, tmp_path):
    res = cli.invoke(main, ["install", "--create-root", "--ocf-root", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "resource.d/ocfpy/dummy").exists()
    assert (tmp_path / "resource.d/ocfpy/stateful").exists()


def test_cli_install_of_an_unknown_agent_fails_and_writes_nothing(cli, tmp_path):
    res = cli.invoke(main, ["install", "--create-root", "--ocf-root", str(tmp_path), "dummy", "nosuch"])
    assert res.exit_code != 0
    assert "nosuch" in res.output
    assert not (tmp_path / "resource.d").exists()


def test_cli_install_into_an_unwritable_place_fails_cleanly(cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    res = cli.invoke(main, ["install", "--create-root", "--ocf-root", str(blocker), "dummy"])
    assert res.exit_code != 0
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)


def test_cli_version(cli):
    res = cli.invoke(main, ["--version"])
    assert res.exit_code == 0 and "0.1.0" in res.output
