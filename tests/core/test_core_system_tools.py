"""The example agents under Pacemaker's and resource-agents' own tools.

Pacemaker looks for OCF agents only in /usr/lib/ocf, so a session fixture runs
``ocfpy install --ocf-root /usr/lib/ocf`` with a provider private to this test
run (``ocfpy-test-<pid>``) and removes it afterwards. Each test skips only when
the tool it needs is not installed (CI installs them) or when /usr/lib/ocf is
not writable (not root).
"""

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from core_helpers import clean_environ
from ocfpy_agents.dummy import Dummy
from ocfpy_agents.stateful import Stateful

OCF_ROOT = Path("/usr/lib/ocf")
PROVIDER = f"ocfpy-test-{os.getpid()}"
SBIN_PATH = os.environ.get("PATH", "") + ":/usr/sbin:/usr/bin:/sbin:/bin"


def tool(name):
    return shutil.which(name, path=SBIN_PATH)


def needs(name):
    return pytest.mark.skipif(tool(name) is None,
                              reason=f"{name} not installed (Debian: "
                                     f"{'resource-agents' if name == 'ocf-tester' else 'pacemaker-cli-utils'})")


def ocfpy_cli():
    script = Path(sys.executable).parent / "ocfpy"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from ocfpy.cli import main; main()"]


@pytest.fixture(scope="session")
def system_provider():
    """The example agents installed as ocf:<PROVIDER>:dummy / :stateful in /usr/lib/ocf."""
    if not (OCF_ROOT / "resource.d").is_dir():
        pytest.skip(f"{OCF_ROOT}/resource.d does not exist (resource-agents/pacemaker not installed)")
    if not os.access(OCF_ROOT / "resource.d", os.W_OK):
        pytest.skip(f"{OCF_ROOT}/resource.d is not writable: run as root")
    proc = subprocess.run([*ocfpy_cli(), "install", "--ocf-root", str(OCF_ROOT),
                           "--provider", PROVIDER, "dummy", "stateful"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    try:
        yield PROVIDER
    finally:
        subprocess.run([*ocfpy_cli(), "uninstall", "--ocf-root", str(OCF_ROOT),
                        "--provider", PROVIDER, "dummy", "stateful"], capture_output=True)
        assert not (OCF_ROOT / "resource.d" / PROVIDER).exists()


def run(argv, **kw):
    env = clean_environ(PATH=SBIN_PATH)
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, **kw)


@needs("crm_resource")
@pytest.mark.parametrize("agent_cls", [Dummy, Stateful])
def test_crm_resource_show_metadata_prints_our_meta_data(system_provider, agent_cls):
    proc = run(["crm_resource", "--show-metadata", f"ocf:{system_provider}:{agent_cls.name}"])
    assert proc.returncode == 0, proc.stderr
    root = ET.fromstring(proc.stdout.encode())
    ours = ET.fromstring(agent_cls.metadata().encode())
    assert root.get("name") == agent_cls.name
    assert root.find("version").text == "1.1"
    assert [p.get("name") for p in root.iter("parameter")] == [p.get("name") for p in ours.iter("parameter")]


@needs("crm_resource")
@pytest.mark.parametrize("agent, options", [
    ("dummy", ["state=/run/ocfpy-test/d.state", "op_sleep=0.1s"]),
    ("dummy", []),
    ("stateful", ["unpromoted_score=3", "promoted_score=20"]),
])
def test_crm_resource_validate_with_good_parameters_returns_0(system_provider, agent, options):
    argv = ["crm_resource", "--validate", "--class", "ocf", "--provider", system_provider,
            "--agent", agent]
    for opt in options:
        argv += ["--option", opt]
    proc = run(argv)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@needs("crm_resource")
@pytest.mark.parametrize("agent, option, param", [
    ("dummy", "op_sleep=abc", "op_sleep"),
    ("dummy", "state=relative/path", "state"),
    ("stateful", "unpromoted_score=-3", "unpromoted_score"),
    ("stateful", "promoted_score=ten", "promoted_score"),
])
def test_crm_resource_validate_with_a_bad_parameter_returns_6_naming_it(system_provider, agent,
                                                                        option, param):
    proc = run(["crm_resource", "--validate", "--class", "ocf", "--provider", system_provider,
                "--agent", agent, "--option", option])
    assert proc.returncode == 6, proc.stdout + proc.stderr
    assert f"ocf-exit-reason:parameter {param}:" in proc.stdout + proc.stderr


@needs("ocf-tester")
@pytest.mark.parametrize("agent", ["dummy", "stateful"])
def test_ocf_tester_passes_on_the_installed_example_agent(system_provider, agent, tmp_path):
    tmp_path.chmod(0o755)
    state = tmp_path / f"{agent}.state"
    script = OCF_ROOT / "resource.d" / system_provider / agent
    proc = run([tool("ocf-tester"), "-n", f"test_{agent}", "-o", f"state={state}", str(script)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "passed all tests" in proc.stdout + proc.stderr
    # ocf-tester leaves the resource running; clean up by the agent itself
    cleanup = subprocess.run([str(script), "stop"], capture_output=True,
                             env=clean_environ(OCF_RESKEY_state=str(state), PATH=SBIN_PATH))
    assert cleanup.returncode == 0
