"""Secrets stay out of the CIB: the snippets read the OpenStack credentials
and Galera's check password from files, and a value moved out with
Pacemaker's own cibsecret still reaches the agent while the CIB holds only
the placeholder lrm:// (on a real one-node cluster)."""

import secrets

import pytest

from ocfpy.cib.agents import check_parameters
from ocfpy.cib.apply import apply_config
from ocfpy.cib.model import Config, Op, Primitive
from ocfpy.cib.spec import load_spec

from cibtools import SNIPPETS, need

OPENSTACK_AGENTS = ("ocf:openstack:keystone", "ocf:openstack:glance-api",
                    "ocf:openstack:cinder-api", "ocf:openstack:manila-api")


@pytest.mark.parametrize("name", ["openstack.py", "openstack.yaml"])
def test_the_guides_configuration_keeps_its_secrets_in_files(name):
    cfg = load_spec(str(SNIPPETS / name))
    api = [p for p, _ in cfg.iter_primitives() if p.agent in OPENSTACK_AGENTS]
    assert len(api) == 4
    for p in api:
        assert p.params["os_credentials_file"] == "/etc/openstack/ocfpy-admin.openrc", p.id
        assert not {"os_password", "os_username", "os_tenant_name"} & set(p.params), p.id
    galera = cfg.top_ids()["galera-clone"].child
    assert galera.params["check_passwd_file"] == "/etc/sysconfig/clustercheck"
    assert "check_passwd" not in galera.params


@pytest.mark.real_cluster
def test_cibsecret_keeps_a_value_out_of_the_cib_and_the_agent_still_gets_it(
        real_cluster_clean):
    need("cibsecret")
    c = real_cluster_clean

    def runner(argv, input=None):
        return c.run(list(argv), input=input, check=False)

    def spec(role):
        cfg = Config()
        cfg.add(Primitive("sec", "ocf:ocfpy:dummy", meta={"target-role": role},
                          ops=[Op("monitor", "2s", timeout="10s")]))
        return cfg

    apply_config(spec("Stopped"), runner)
    value = f"/run/ocfpy-secret-test/{secrets.token_hex(8)}"
    # cibsecret (run inside the node: the secrets directory is the node's own
    # /var/lib/pacemaker/lrm/secrets) writes the value and its md5 there, copies
    # them to the other live nodes, then puts lrm:// in the CIB. Pacemaker 2.1.5's
    # script gives up when no other node is live (a one-node cluster) after
    # writing the local files; the last step is then done as it would have been.
    p = c.run(["cibsecret", "set", "sec", "state", value], check=False)
    if p.returncode != 0:
        assert "no other nodes live" in p.stdout + p.stderr, p.stdout + p.stderr
        c.run(["crm_resource", "-r", "sec", "-p", "state", "-v", "lrm://"])
    assert c.run(["cibsecret", "get", "sec", "state"]).stdout.strip() == value
    # the spec does not name the parameter: apply keeps the placeholder, starts it
    result = apply_config(spec("Started"), runner, wait=30)
    assert any("'state'" in n and "cibsecret" in n for n in result.notes), result.notes
    c.wait_for(lambda m: c.resource_state("sec", m)["active"], timeout=15)
    assert c.run(["test", "-f", value], check=False).returncode == 0   # the agent got it
    cib = c.run(["cibadmin", "--query"]).stdout
    assert value not in cib
    assert c.run(["crm_resource", "-r", "sec", "-g", "state"]).stdout.strip() == "lrm://"
    # a spec may name the placeholder itself: verify takes it as set
    named = spec("Started")
    named.resources[0].params["state"] = "lrm://"
    assert check_parameters(named) == []
    assert apply_config(named, runner).changed is False
