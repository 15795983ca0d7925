"""pcs 0.11 takes every shipped agent as installed by `ocfpy install`, without
--force: `pcs resource describe` and `pcs -f FILE resource create` with
sensible parameters (the HA guide's for the OpenStack agents), and each
agent's meta-data is valid against the OCF 1.1 schema pcs itself uses.
pcs still validates them (an unknown parameter is refused), and `ocfpy cib
verify` refuses the same mistakes."""

import subprocess
from pathlib import Path

import pytest
from lxml import etree

from ocfpy.cib.agents import check_parameters
from ocfpy.cib.model import Clone, Config, Op, Primitive

from cibtools import empty_cib, need, ours_installed, spec_paths

PCS_OCF_RNG = Path("/usr/share/pcs/data/ocf-1.1.rng")
_AUTH_GUIDE = {"os_password": "secretsecret", "os_username": "admin",
               "os_tenant_name": "admin"}
#: (id, parameters, promotable) per agent: the guide's values where it has some
CREATE = {
    "ocf:ocfpy:dummy": ("d1", {"state": "/run/ocfpy-test/d1"}, False),
    "ocf:ocfpy:stateful": ("s1", {"state": "/run/ocfpy-test/s1"}, True),
    "ocf:ocfpy:vip": ("vip", {"ip": "10.0.0.11", "cidr_netmask": "24"}, False),
    "ocf:ocfpy:galera": ("galera", {
        "wsrep_cluster_address": "gcomm://controller1,controller2,controller3",
        "check_passwd_file": "/etc/sysconfig/clustercheck"}, True),
    "ocf:openstack:keystone": ("p_keystone", {
        "config": "/etc/keystone/keystone.conf", **_AUTH_GUIDE,
        "os_auth_url": "http://10.0.0.11:5000/v2.0/"}, False),
    "ocf:openstack:glance-api": ("p_glance-api", {
        "config": "/etc/glance/glance-api.conf", **_AUTH_GUIDE,
        "os_auth_url": "http://10.0.0.11:5000/v2.0/"}, False),
    "ocf:openstack:cinder-api": ("p_cinder-api", {
        "config": "/etc/cinder/cinder.conf", **_AUTH_GUIDE,
        "keystone_get_token_url": "http://10.0.0.11:5000/v2.0/tokens"}, False),
    "ocf:openstack:manila-api": ("p_manila-api", {
        "config": "/etc/manila/manila.conf", **_AUTH_GUIDE,
        "keystone_get_token_url": "http://10.0.0.11:5000/v2.0/tokens"}, False),
}


@pytest.fixture(scope="module")
def agents():
    need("pcs", "crm_resource", "cibadmin")
    return sorted(f"ocf:{i.provider}:{i.name}" for i in ours_installed())


def pcs(*args):
    return subprocess.run(["pcs", *args], capture_output=True, text=True, timeout=120)


def _shipped():
    from ocfpy.install import discover
    return sorted(f"ocf:{i.provider}:{i.name}" for i in discover())


def create_args(agent):
    """(id, parameters, promotable): the table's, or for an agent it does not
    list yet, its required parameters with a value of their type."""
    if agent in CREATE:
        return CREATE[agent]
    from ocfpy.cib.agents import installed_metadata
    md = installed_metadata(agent)
    assert md is not None, f"{agent}: no meta-data"
    sample = {"integer": "1", "boolean": "true"}
    params = {p.name: (p.options[0] if p.options else sample.get(p.type, "x"))
              for p in md.parameters.values() if p.required and not p.deprecated}
    return agent.split(":")[-1].replace("-", "_"), params, False


def test_the_table_lists_shipped_agents_only(agents):
    assert set(CREATE) <= set(agents)


def test_pcs_describes_every_shipped_agent(agents):
    for agent in agents:
        p = pcs("resource", "describe", agent)
        assert (p.returncode, "Warning" in p.stderr) == (0, False), (agent, p.stderr)
        assert p.stdout.startswith(f"{agent} - "), p.stdout[:200]


def test_meta_data_is_valid_against_the_ocf_1_1_schema_pcs_uses(agents):
    if not PCS_OCF_RNG.exists():
        pytest.skip(f"{PCS_OCF_RNG} is not installed")
    rng = etree.RelaxNG(etree.parse(str(PCS_OCF_RNG)))
    for agent in agents:
        out = subprocess.run(["crm_resource", "--show-metadata", agent], capture_output=True,
                             check=True).stdout
        doc = etree.fromstring(out)
        assert rng.validate(doc), (agent, [e.message for e in rng.error_log])
        assert doc.find(".//parameter[@private]") is None, agent


@pytest.mark.parametrize("agent", _shipped())
def test_pcs_creates_each_agent_without_force(agents, agent, tmp_path):
    rid, params, promotable = create_args(agent)
    cib = empty_cib(tmp_path / "cib.xml")
    argv = ["-f", str(cib), "resource", "create", rid, agent,
            *[f"{k}={v}" for k, v in params.items()], "op", "monitor", "interval=31s",
            "--no-default-ops"]
    if promotable:
        argv.append("promotable")
    p = pcs(*argv)
    assert p.returncode == 0, p.stderr
    root = etree.parse(str(cib)).getroot()
    prim = root.find(f".//primitive[@id='{rid}']")
    got = {n.get("name"): n.get("value") for n in prim.findall("instance_attributes/nvpair")}
    assert (f"ocf:{prim.get('provider')}:{prim.get('type')}", got) == (agent, params)
    assert (root.find(f".//clone[@id='{rid}-clone']") is not None) == promotable
    # and our verify agrees that nothing is wrong with these parameters
    cfg = Config()
    p = Primitive(rid, agent, params=params, ops=[Op("monitor", "31s")])
    cfg.add(Clone(f"{rid}-clone", p, promotable=True) if promotable else p)
    assert [f for f in check_parameters(cfg) if f.level == "error"] == []


def test_pcs_and_verify_both_refuse_an_unknown_parameter(agents, tmp_path):
    cib = empty_cib(tmp_path / "cib.xml")
    p = pcs("-f", str(cib), "resource", "create", "vip", "ocf:ocfpy:vip", "ip=10.0.0.11",
            "nic_name=eth0", "--no-default-ops")
    assert p.returncode != 0 and "nic_name" in p.stderr, p.stderr
    cfg = Config()
    cfg.add(Primitive("vip", "ocf:ocfpy:vip", params={"ip": "10.0.0.11", "nic_name": "eth0"}))
    assert [str(f).split(":")[0:2] for f in check_parameters(cfg)] == [
        ["error", " primitive 'vip'"]]


def test_pcs_and_verify_both_refuse_a_missing_required_parameter(agents, tmp_path):
    cib = empty_cib(tmp_path / "cib.xml")
    p = pcs("-f", str(cib), "resource", "create", "galera", "ocf:ocfpy:galera",
            "--no-default-ops")
    assert p.returncode != 0 and "wsrep_cluster_address" in p.stderr, p.stderr
    cfg = Config()
    cfg.add(Primitive("galera", "ocf:ocfpy:galera"))
    (finding,) = check_parameters(cfg)
    assert "wsrep_cluster_address" in str(finding) and finding.level == "error"


def _commands(text):
    """Lines of ``text`` with shell continuations (trailing backslash) joined."""
    out, cur = [], ""
    for line in text.splitlines():
        if line.rstrip().endswith("\\"):
            cur += line.rstrip()[:-1] + " "
            continue
        out.append(cur + line)
        cur = ""
    return out + ([cur] if cur else [])


def test_no_force_for_our_agents_in_readme_or_snippets():
    root = Path(__file__).resolve().parents[2]
    paths = [root / "README.md"] + sorted(p for p in (root / "crm_snippets").iterdir()
                                          if p.suffix in (".md", ".py", ".yaml"))
    for path in paths:
        for cmd in _commands(path.read_text()):
            if "--force" in cmd and ("ocf:ocfpy:" in cmd or "ocf:openstack:" in cmd):
                raise AssertionError(f"{path.name}: {cmd.strip()}")


def test_rendered_pcs_scripts_force_only_agents_not_installed_here(agents):
    from ocfpy.cib.render_pcs import render_pcs
    from ocfpy.cib.spec import load_spec
    for path in spec_paths():
        script = render_pcs(load_spec(str(path)), force="missing")
        lines = script.splitlines()
        for i, line in enumerate(lines):
            if line.endswith("--force"):
                assert "ocf:ocfpy:" not in line and "ocf:openstack:" not in line, line
                assert lines[i - 1].startswith("# --force: systemd:"), (path.name, line)
