"""The fake cluster: its Python API and its fake executables share one state."""

import subprocess
import xml.etree.ElementTree as ET

import pytest

from ocfpy.crm import CrmError, ToolsCrm


def tool(cluster, node, *argv, env_extra=None):
    env = cluster.environ(node)
    env.update(env_extra or {})
    return subprocess.run(list(argv), env=env, capture_output=True, text=True, check=False)


def test_crm_attribute_query_prints_scope_name_and_value(fake_cluster):
    fake_cluster.set_attr("node2", "color", "blue")
    proc = tool(fake_cluster, "node1", "crm_attribute", "-N", "node2", "-n", "color", "-l", "reboot", "-G")
    assert (proc.returncode, proc.stdout) == (0, "scope=status  name=color value=blue\n")


def test_crm_attribute_quiet_query_prints_only_the_value(fake_cluster):
    fake_cluster.set_attr("node1", "color", "red", lifetime="forever")
    proc = tool(fake_cluster, "node1", "crm_attribute", "-N", "node1", "-n", "color", "-t", "nodes", "-G", "-q")
    assert (proc.returncode, proc.stdout) == (0, "red\n")


def test_crm_attribute_missing_attribute_exits_105(fake_cluster):
    proc = tool(fake_cluster, "node1", "crm_attribute", "-N", "node1", "-n", "nothing", "-G", "-q")
    assert (proc.returncode, proc.stdout) == (105, "")


def test_crm_attribute_unknown_option_exits_64(fake_cluster):
    assert tool(fake_cluster, "node1", "crm_attribute", "--bogus").returncode == 64


def test_crm_attribute_promotion_sets_reboot_score_of_calling_node(fake_cluster):
    tool(fake_cluster, "node3", "crm_attribute", "-p", "-v", "5",
         env_extra={"OCF_RESOURCE_INSTANCE": "db:2"})
    assert fake_cluster.get_attr("node3", "master-db", "reboot") == "5"


def test_crm_master_sets_the_same_attribute_as_promotion(fake_cluster):
    tool(fake_cluster, "node2", "crm_master", "-l", "reboot", "-v", "7",
         env_extra={"OCF_RESOURCE_INSTANCE": "db"})
    assert fake_cluster.promotion_scores("db") == {"node2": 7}


def test_crm_node_name_is_the_current_fake_node(fake_cluster):
    assert tool(fake_cluster, "node2", "crm_node", "-n").stdout == "node2\n"


def test_crm_node_partition_lists_online_nodes_only(fake_cluster):
    fake_cluster.set_online("node2", False)
    assert tool(fake_cluster, "node1", "crm_node", "-p").stdout == "node1 node3\n"


def test_tools_fail_to_connect_on_an_offline_node(fake_cluster):
    fake_cluster.set_online("node3", False)
    proc = tool(fake_cluster, "node3", "crm_attribute", "-N", "node1", "-n", "x", "-G")
    assert proc.returncode == 102


def test_offline_node_loses_transient_attributes_and_keeps_permanent_ones(fake_cluster):
    fake_cluster.set_attr("node2", "t", "1", "reboot")
    fake_cluster.set_attr("node2", "p", "1", "forever")
    fake_cluster.set_online("node2", False)
    assert (fake_cluster.attributes("reboot")["node2"], fake_cluster.attributes("forever")["node2"]) \
        == ({}, {"p": "1"})


def test_attrd_updater_update_then_query_all(fake_cluster):
    tool(fake_cluster, "node1", "attrd_updater", "-n", "seq", "-U", "42")
    proc = tool(fake_cluster, "node2", "attrd_updater", "-n", "seq", "-Q", "-A")
    assert proc.stdout == 'name="seq" host="node1" value="42"\n'


def test_crm_mon_xml_shows_nodes_and_node_attributes(fake_cluster):
    fake_cluster.set_online("node3", False)
    fake_cluster.set_attr("node1", "master-db", "10")
    root = ET.fromstring(tool(fake_cluster, "node1", "crm_mon", "--output-as=xml").stdout)
    online = {n.get("name"): n.get("online") for n in root.find("nodes")}
    attrs = {a.get("name"): a.get("value") for a in root.find("node_attributes/node[@name='node1']")}
    assert (online, attrs) == ({"node1": "true", "node2": "true", "node3": "false"}, {"master-db": "10"})


def test_every_tool_call_is_recorded_in_the_history(fake_cluster):
    tool(fake_cluster, "node2", "crm_attribute", "-N", "node1", "-n", "a", "-v", "1")
    entry = fake_cluster.history(tool="crm_attribute")[-1]
    assert (entry["node"], entry["op"], entry["target"], entry["name"], entry["value"], entry["rc"]) \
        == ("node2", "set", "node1", "a", "1", 0)


def test_tools_crm_works_against_the_fake_executables(fake_cluster, monkeypatch):
    monkeypatch.setenv("OCFPY_FAKE_NODE", "node2")
    crm = ToolsCrm(resource="db:1")
    crm.set_promotion(8)
    assert (crm.node_name(), crm.get_promotion(), crm.get_promotion(node="node1")) == ("node2", 8, None)


def test_tools_crm_delete_promotion_removes_the_score(fake_cluster):
    crm = ToolsCrm(resource="db")
    crm.set_promotion(3)
    crm.delete_promotion()
    assert fake_cluster.promotion_scores("db") == {}


def test_fake_crm_in_process_shares_state_with_the_tools(fake_cluster):
    fake_cluster.crm("node3", "db:2").set_attr("gtid", "77")
    proc = tool(fake_cluster, "node1", "crm_attribute", "-N", "node3", "-n", "gtid", "-l", "reboot", "-G", "-q")
    assert proc.stdout == "77\n"


def test_fake_crm_raises_crm_error_for_an_unknown_node(fake_cluster):
    with pytest.raises(CrmError, match="nodeX"):
        fake_cluster.crm("node1").get_attr("x", node="nodeX")


def test_fake_cluster_factory_builds_named_nodes(fake_cluster_factory):
    cluster = fake_cluster_factory(["alpha", "beta"])
    assert cluster.nodes() == ["alpha", "beta"]
