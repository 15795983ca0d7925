"""The command line's error paths (issue 13): each answers one line naming the
problem, a distinct exit code, and never a traceback."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

OCFPY = str(Path(sys.executable).parent / "ocfpy")


def ocfpy(*args, **kw):
    return subprocess.run([OCFPY, *map(str, args)], capture_output=True, text=True, timeout=120, **kw)


def one_line_error(proc, code):
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_meta_data_takes_the_name_that_list_prints():
    listed = ocfpy("list").stdout.split()
    assert "ocf:ocfpy:vip" in listed
    proc = ocfpy("meta-data", "ocf:ocfpy:vip")
    assert proc.returncode == 0 and '<resource-agent name="vip"' in proc.stdout


def test_list_and_meta_data_speak_json():
    agents = json.loads(ocfpy("list", "--format", "json").stdout)
    assert {"agent": "ocf:ocfpy:galera"}.items() <= next(a for a in agents if a["type"] == "galera").items()
    described = json.loads(ocfpy("meta-data", "galera", "--format", "json").stdout)
    names = {p["name"]: p for p in described["parameters"]}
    assert names["wsrep_cluster_address"]["required"] is True
    assert any(a["name"] == "promote" for a in described["actions"])


def test_meta_data_text_reads_like_pcs_resource_describe():
    text = ocfpy("meta-data", "ocf:ocfpy:dummy", "--format", "text").stdout
    assert text.startswith("ocf:ocfpy:dummy - ") and "Parameters" in text and "Actions:" in text


def test_meta_data_of_an_unknown_agent_exits_2_with_one_line():
    one_line_error(ocfpy("meta-data", "nosuch"), 2)
    one_line_error(ocfpy("meta-data", "ocf:nobody:nothing"), 2)


def test_check_of_an_unknown_agent_exits_2_not_1():
    one_line_error(ocfpy("check", "ocf:nobody:nothing"), 2)


def test_check_shows_each_check_as_it_runs_and_exits_0_when_all_pass():
    proc = ocfpy("check", "dummy", "-v")
    assert proc.returncode == 0
    assert proc.stdout.count("PASS") >= 20


def test_check_exits_1_when_a_check_fails():
    import shutil
    import tempfile

    where = Path(tempfile.mkdtemp(prefix="ocfpy-cli-"))   # 0700 pytest dirs hide it from nobody
    try:
        where.chmod(0o755)
        agent = where / "broken"
        agent.write_text("#!/bin/sh\necho not-xml\nexit 0\n")
        agent.chmod(0o755)
        proc = ocfpy("check", agent)
    finally:
        shutil.rmtree(where)
    assert proc.returncode == 1 and "FAIL" in proc.stdout and "Traceback" not in proc.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: the check runs meta-data as nobody")
def test_check_names_a_setup_problem_when_nobody_cannot_run_the_agent(tmp_path):
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    agent = private / "agent"
    agent.write_text("#!/bin/sh\nexit 0\n")
    agent.chmod(0o755)
    proc = ocfpy("check", agent)
    one_line_error(proc, 2)
    assert "set-up problem" in proc.stderr


def test_install_of_an_unknown_agent_exits_2(tmp_path):
    (tmp_path / "resource.d").mkdir()
    one_line_error(ocfpy("install", "--ocf-root", tmp_path, "nosuch"), 2)


def test_install_refuses_an_ocf_root_without_resource_d_unless_asked(tmp_path):
    typo = tmp_path / "typo"
    one_line_error(ocfpy("install", "--ocf-root", typo, "dummy"), 2)
    assert not typo.exists()
    proc = ocfpy("install", "--ocf-root", typo, "--create-root", "dummy")
    assert proc.returncode == 0 and (typo / "resource.d" / "ocfpy" / "dummy").exists()


MY_AGENT = '''
from ocfpy import codes
from ocfpy.agent import Action, Agent


class Mine(Agent):
    name = "mine"
    provider = "mycompany"
    shortdesc = "an agent written outside ocfpy"
    actions = (Action("start"), Action("stop"), Action("monitor", interval=10))

    def start(self):
        pass

    def stop(self):
        pass

    def monitor(self):
        return codes.NOT_RUNNING
'''


def test_an_agent_written_outside_ocfpy_installs_by_path_and_runs(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "my_agent.py").write_text(MY_AGENT)
    root = tmp_path / "ocf"
    proc = ocfpy("install", "--ocf-root", root, "--create-root", src / "my_agent.py")
    assert proc.returncode == 0, proc.stderr
    script = root / "resource.d" / "mycompany" / "mine"
    out = subprocess.run([script, "meta-data"], capture_output=True, text=True)
    assert out.returncode == 0 and '<resource-agent name="mine"' in out.stdout
    probe = subprocess.run([script, "monitor"], capture_output=True, text=True,
                           env={"OCF_RESOURCE_INSTANCE": "m1", "PATH": "/usr/bin:/bin"})
    assert probe.returncode == 7


def test_an_agent_installs_as_module_colon_class(tmp_path):
    src = tmp_path / "pkgroot"
    (src / "mypkg").mkdir(parents=True)
    (src / "mypkg" / "__init__.py").write_text("")
    (src / "mypkg" / "agent.py").write_text(MY_AGENT)
    root = tmp_path / "ocf"
    env = dict(os.environ, PYTHONPATH=str(src))
    proc = ocfpy("install", "--ocf-root", root, "--create-root", "mypkg.agent:Mine", env=env)
    assert proc.returncode == 0, proc.stderr
    out = subprocess.run([root / "resource.d" / "mycompany" / "mine", "meta-data"],
                         capture_output=True, text=True)
    assert out.returncode == 0 and 'name="mine"' in out.stdout


def test_install_of_a_file_that_does_not_parse_exits_2_with_one_line(tmp_path):
    bad = tmp_path / "bad_agent.py"
    bad.write_text("def (:\n")
    (tmp_path / "resource.d").mkdir()
    one_line_error(ocfpy("install", "--ocf-root", tmp_path, bad), 2)


def test_uninstall_help_is_its_own():
    assert "Remove agent executables" in ocfpy("uninstall", "--help").stdout
    assert "Remove" not in ocfpy("install", "--help").stdout
