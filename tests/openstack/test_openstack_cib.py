"""The HA guide's `crm configure` lines for p_keystone, p_glance-api,
p_cinder-api and p_manila-api work with our agents installed as
ocf:openstack:*: crmsh (without -F) accepts them into a CIB file, and
`crm_resource --validate` passes with the guide's parameter values.

Pacemaker and crmsh find OCF agents only under /usr/lib/ocf, and the guide
names the provider "openstack": each command runs in a private mount
namespace (unshare) where a temporary resource.d, holding our agents (and
the host's other providers, bind-mounted), covers /usr/lib/ocf/resource.d.
The host's /usr/lib/ocf is never written. Needs root, unshare, crmsh and
Pacemaker's CLI tools; skips (saying which) without them.

The guide's keystone line "clone p_keystone ocf:openstack:keystone params ..."
is not valid crmsh (a clone wraps a primitive): it is applied as the
primitive p_keystone plus "clone keystone-clone p_keystone", as
crm_snippets/keystone.py renders it. Parameter values are the guide's.
"""

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from ocfpy.install import install

HOST_RD = "/usr/lib/ocf/resource.d"
AGENTS = ("keystone", "glance-api", "cinder-api", "manila-api")

GUIDE = {
    "p_keystone": ("keystone", {
        "config": "/etc/keystone/keystone.conf", "os_password": "secretsecret",
        "os_username": "admin", "os_tenant_name": "admin",
        "os_auth_url": "http://10.0.0.11:5000/v2.0/"}),
    "p_glance-api": ("glance-api", {
        "config": "/etc/glance/glance-api.conf", "os_password": "secretsecret",
        "os_username": "admin", "os_tenant_name": "admin",
        "os_auth_url": "http://10.0.0.11:5000/v2.0/"}),
    "p_cinder-api": ("cinder-api", {
        "config": "/etc/cinder/cinder.conf", "os_password": "secretsecret",
        "os_username": "admin", "os_tenant_name": "admin",
        "keystone_get_token_url": "http://10.0.0.11:5000/v2.0/tokens"}),
    "p_manila-api": ("manila-api", {
        "config": "/etc/manila/manila.conf", "os_password": "secretsecret",
        "os_username": "admin", "os_tenant_name": "admin",
        "keystone_get_token_url": "http://10.0.0.11:5000/v2.0/tokens"}),
}

# The guide's text (keystone's clone line corrected, see the module docstring)
GUIDE_CRM = '''\
primitive p_keystone ocf:openstack:keystone \\
  params config="/etc/keystone/keystone.conf" os_password="secretsecret" os_username="admin" \\
  os_tenant_name="admin" os_auth_url="http://10.0.0.11:5000/v2.0/" \\
  op monitor interval="30s" timeout="30s"
clone keystone-clone p_keystone meta interleave="true"
primitive p_glance-api ocf:openstack:glance-api \\
  params config="/etc/glance/glance-api.conf" \\
  os_password="secretsecret" \\
  os_username="admin" os_tenant_name="admin" \\
  os_auth_url="http://10.0.0.11:5000/v2.0/" \\
  op monitor interval="30s" timeout="30s"
primitive p_cinder-api ocf:openstack:cinder-api \\
  params config="/etc/cinder/cinder.conf" \\
  os_password="secretsecret" \\
  os_username="admin" \\
  os_tenant_name="admin" \\
  keystone_get_token_url="http://10.0.0.11:5000/v2.0/tokens" \\
  op monitor interval="30s" timeout="30s"
primitive p_manila-api ocf:openstack:manila-api \\
  params config="/etc/manila/manila.conf" \\
  os_password="secretsecret" \\
  os_username="admin" \\
  os_tenant_name="admin" \\
  keystone_get_token_url="http://10.0.0.11:5000/v2.0/tokens" \\
  op monitor interval="30s" timeout="30s"
'''
# the guide's basic properties turn fencing off (demo cluster): crmsh's commit
# runs crm_verify, which refuses a CIB without fencing devices otherwise
PREAMBLE = "property stonith-enabled=false\n"

# Runs in the new mount namespace: host providers into the temporary
# resource.d, that over /usr/lib/ocf/resource.d, then exec the command.
RUNNER = """
import os, subprocess, sys
rd, cmd = sys.argv[1], sys.argv[2:]
for prov in os.listdir(%r):
    if os.path.isdir(os.path.join(rd, prov)) and not os.listdir(os.path.join(rd, prov)):
        subprocess.run(["mount", "--bind", os.path.join(%r, prov), os.path.join(rd, prov)], check=True)
subprocess.run(["mount", "--rbind", rd, %r], check=True)
os.execvp(cmd[0], cmd)
""" % (HOST_RD, HOST_RD, HOST_RD)


def _missing():
    if os.geteuid() != 0:
        return "needs root (a private mount namespace over /usr/lib/ocf/resource.d)"
    if not os.path.isdir(HOST_RD):
        return f"{HOST_RD} does not exist (pacemaker/resource-agents not installed)"
    for tool in ("unshare", "mount", "crm", "crm_resource", "cibadmin"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian: util-linux, mount, crmsh, pacemaker-cli-utils)"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


def make_resource_d(base, with_ours=True):
    """A resource.d with our agents (provider openstack) and empty mount points
    for the host's providers; world-readable (Pacemaker may run meta-data as hacluster)."""
    root = base / "ocf"
    if with_ours:
        install(root, names=list(AGENTS))
    rd = root / "resource.d"
    rd.mkdir(parents=True, exist_ok=True)
    for prov in os.listdir(HOST_RD):
        if prov != "openstack":
            (rd / prov).mkdir(exist_ok=True)
    for path in (base, root, rd):
        path.chmod(0o755)
    return rd


def in_namespace(rd, argv, **kw):
    cmd = ["unshare", "--mount", "--propagation", "private", sys.executable, "-c", RUNNER,
           str(rd), *argv]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)


@pytest.fixture(scope="module")
def resource_d(tmp_path_factory):
    return make_resource_d(tmp_path_factory.mktemp("ocf-openstack"))


def empty_cib(path):
    text = subprocess.run(["cibadmin", "--empty"], capture_output=True, text=True, check=True).stdout
    path.write_text(text)
    return path


def crm_configure(rd, cib, text):
    env = {**os.environ, "CIB_file": str(cib)}
    return in_namespace(rd, ["crm", "configure"], input=text + "commit\n", env=env)


def primitives(cib) -> dict:
    """{id: (type, provider, {param: value})} from a CIB file."""
    root = ET.parse(cib).getroot()
    out = {}
    for p in root.iter("primitive"):
        params = {nv.get("name"): nv.get("value")
                  for ia in p.findall("instance_attributes") for nv in ia.findall("nvpair")}
        out[p.get("id")] = (p.get("type"), p.get("provider"), params)
    return out


def test_crmsh_accepts_the_guides_primitives_without_force(resource_d, tmp_path):
    cib = empty_cib(tmp_path / "cib.xml")
    proc = crm_configure(resource_d, cib, PREAMBLE + GUIDE_CRM)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # crmsh colours some scheduler warnings "ERROR" (no quorum in a CIB file): look for ours
    assert "got no meta-data" not in proc.stderr and "no such resource agent" not in proc.stderr
    found = primitives(cib)
    for rsc, (agent, params) in GUIDE.items():
        assert found[rsc] == (agent, "openstack", params)
    clone = ET.parse(cib).getroot().find(".//clone[@id='keystone-clone']")
    assert clone is not None and clone.find("primitive").get("id") == "p_keystone"


def test_crmsh_refuses_the_guides_lines_when_our_agents_are_not_installed(tmp_path):
    # the control: what the acceptance above proves depends on our agents
    rd = make_resource_d(tmp_path / "bare", with_ours=False)
    cib = empty_cib(tmp_path / "cib.xml")
    proc = crm_configure(rd, cib, PREAMBLE + GUIDE_CRM)
    assert proc.returncode != 0
    assert "ocf:openstack:keystone: got no meta-data" in proc.stderr
    assert primitives(cib) == {}


def validate(rd, agent, params, level=None):
    argv = ["crm_resource", "--validate" + (f"={level}" if level else ""), "--class", "ocf",
            "--provider", "openstack", "--agent", agent]
    for name, value in params.items():
        argv += ["--option", f"{name}={value}"]
    return in_namespace(rd, argv)


@pytest.mark.parametrize("rsc", list(GUIDE))
def test_crm_resource_validate_passes_with_the_guides_values(resource_d, rsc):
    agent, params = GUIDE[rsc]
    proc = validate(resource_d, agent, params)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "returned 0" in proc.stdout


@pytest.mark.parametrize("rsc", list(GUIDE))
def test_crm_resource_validate_level_10_passes_where_the_services_files_exist(resource_d, rsc,
                                                                                tmp_path):
    # Level 10 checks this node: the guide's values plus what only a node with
    # the service has: the config file, the program (binary, on PATH by
    # default) and the service user (here nobody), and for keystone the uWSGI
    # ini beside its config.
    agent, params = GUIDE[rsc]
    etc = tmp_path / "etc"
    etc.mkdir()
    config = etc / os.path.basename(params["config"])
    config.write_text("[DEFAULT]\n")
    (etc / "keystone-uwsgi-public.ini").write_text("[uwsgi]\n")
    program = tmp_path / "service-program"
    program.write_text("#!/bin/sh\nexit 0\n")
    program.chmod(0o755)
    node_values = {"config": str(config), "binary": str(program), "user": "nobody"}
    proc = validate(resource_d, agent, {**params, **node_values}, level=10)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # and without the node's files, level 10 says what is missing (5)
    proc = validate(resource_d, agent, params, level=10)
    assert proc.returncode == 5, proc.stdout + proc.stderr
    assert "ocf-exit-reason:" in proc.stdout + proc.stderr


def _snippet_configs():
    from ocfpy.cib.spec import load_spec

    snippets = os.path.join(os.path.dirname(__file__), "..", "..", "crm_snippets")
    return {name: load_spec(os.path.join(snippets, f"{name}.py"))
            for name in ("keystone", "glance", "cinder", "manila")}


def _ours(argv):
    return any(f"ocf:openstack:{agent}" in argv for agent in AGENTS)


@pytest.mark.skipif(shutil.which("pcs") is None, reason="pcs is not installed")
def test_pcs_creates_the_guides_glance_api_without_force(resource_d, tmp_path):
    # pcs 0.11 validates meta-data against its OCF RNG, which has no "private"
    # attribute: our meta-data has none, so pcs takes the guide's line as it is
    cib = empty_cib(tmp_path / "cib.xml")
    agent, params = GUIDE["p_glance-api"]
    argv = ["pcs", "-f", str(cib), "resource", "create", "p_glance-api", f"ocf:openstack:{agent}",
            *[f"{k}={v}" for k, v in params.items()], "--no-default-ops"]
    accepted = in_namespace(resource_d, argv)
    assert accepted.returncode == 0, accepted.stderr
    assert primitives(cib)["p_glance-api"] == (agent, "openstack", params)


@pytest.mark.skipif(shutil.which("pcs") is None, reason="pcs is not installed")
def test_pcs_accepts_the_snippets_rendering_with_our_agents_installed(resource_d, tmp_path,
                                                                      monkeypatch):
    # force="missing" (what crm_snippets and `ocfpy cib` use) adds --force only
    # for agents this machine cannot have: never for ours, and pcs takes them
    from ocfpy.cib import render_pcs

    monkeypatch.setattr(render_pcs, "OCF_ROOT", str(resource_d.parent))
    for name, cfg in _snippet_configs().items():
        cib = empty_cib(tmp_path / f"{name}.xml")
        commands = render_pcs.pcs_commands(cfg, force="missing")
        assert any(_ours(argv) for argv in commands), name
        for argv in commands:
            if _ours(argv):
                assert "--force" not in argv, argv
            proc = in_namespace(resource_d, ["pcs", "-f", str(cib), *argv])
            assert proc.returncode == 0, f"{name}: {argv}: {proc.stderr}"
