"""The fake cluster shows resource roles: the scheduler records them, the fake
crm_mon and cibadmin -Q show them (agents such as heartbeat/galera decide
"join or bootstrap" from crm_mon)."""

import re
import subprocess
import xml.etree.ElementTree as ET

from ocfpy.sandbox.cluster import resource_state_from_xml
from ocfpy.testing.driver import Driver
from ocfpy.testing.scheduler import FAILED, CloneScheduler

# how resource-agents' galera (master_exists) looks for a healthy promoted instance
HEARTBEAT_PROMOTED = re.compile(r'resource.*id="db".*role="(Promoted|Master)".*active="true"'
                                r'.*orphaned="false".*failed="false"', re.I)


def tool(cluster, node, *argv):
    return subprocess.run(list(argv), env=cluster.environ(node), capture_output=True, text=True,
                          check=False)


def mon_xml(cluster, node="node1"):
    return tool(cluster, node, "crm_mon", "-1", "--output-as=xml").stdout


def stateful_scheduler(cluster, tmp_path):
    driver = Driver("ocf:pacemaker:Stateful", cluster=cluster, resource="db", workdir=tmp_path / "w")
    return CloneScheduler(driver, cluster, promotable=True)


def test_crm_mon_shows_a_recorded_promoted_instance_the_way_heartbeat_galera_greps_it(fake_cluster):
    fake_cluster.set_role("db", "node2", "Promoted", clone="db-clone", agent="ocf:heartbeat:galera",
                          promotable=True)
    lines = [line for line in mon_xml(fake_cluster).splitlines() if HEARTBEAT_PROMOTED.search(line)]
    assert len(lines) == 1 and 'resource_agent="ocf:heartbeat:galera"' in lines[0]


def test_a_failed_promoted_instance_does_not_count_as_a_healthy_one(fake_cluster):
    fake_cluster.set_role("db", "node2", "Promoted", failed=True, clone="db-clone", promotable=True)
    assert not HEARTBEAT_PROMOTED.search(mon_xml(fake_cluster))


def test_crm_mon_without_recorded_roles_shows_no_resources(fake_cluster):
    assert ET.fromstring(mon_xml(fake_cluster)).find("resources").findall("*") == []


def test_scheduler_roles_and_crm_mon_roles_agree_after_promotion(fake_cluster, tmp_path):
    sched = stateful_scheduler(fake_cluster, tmp_path)
    sched.start_all()
    sched.promote()
    st = resource_state_from_xml(ET.fromstring(mon_xml(fake_cluster, "node3")), "db-clone")
    assert (st["roles"], st["failed"]) == (sched.roles(), False)


def test_a_failed_instance_shows_failed_with_its_role_until_it_is_stopped(fake_cluster, tmp_path):
    sched = stateful_scheduler(fake_cluster, tmp_path)
    sched.start_all()
    sched.promote()
    sched.role["node1"] = FAILED          # what monitor_all does when a monitor fails
    failed_view = resource_state_from_xml(ET.fromstring(mon_xml(fake_cluster)), "db-clone")
    sched.recover("node1", was_promoted=True)
    recovered_view = resource_state_from_xml(ET.fromstring(mon_xml(fake_cluster)), "db-clone")
    assert (failed_view["roles"]["node1"], failed_view["failed"], recovered_view["failed"]) \
        == ("Promoted", True, False)


def test_crm_mon_text_lists_the_clone_by_role(fake_cluster):
    for node, role in (("node1", "Promoted"), ("node2", "Unpromoted"), ("node3", "Unpromoted")):
        fake_cluster.set_role("db", node, role, clone="db-clone", promotable=True)
    out = tool(fake_cluster, "node1", "crm_mon", "-1").stdout
    assert ("* Clone Set: db-clone [db] (promotable):\n    * Promoted: [ node1 ]\n"
            "    * Unpromoted: [ node2 node3 ]") in out


def test_cibadmin_query_shows_the_clone_and_every_node_s_transient_attributes(fake_cluster):
    fake_cluster.set_role("db", "node1", "Started", clone="db-clone", agent="ocf:heartbeat:galera")
    fake_cluster.set_attr("node3", "db-last-committed", "42")
    proc = tool(fake_cluster, "node2", "cibadmin", "-Q")
    root = ET.fromstring(proc.stdout)
    prim = root.find("configuration/resources/clone[@id='db-clone']/primitive")
    attr = root.find("status/node_state[@uname='node3']/transient_attributes//nvpair")
    assert ((prim.get("provider"), prim.get("type")), (attr.get("name"), attr.get("value"))) \
        == (("heartbeat", "galera"), ("db-last-committed", "42"))


def test_cibadmin_query_of_one_section_prints_only_that_section(fake_cluster):
    proc = tool(fake_cluster, "node1", "cibadmin", "-Q", "-o", "nodes")
    assert [n.get("uname") for n in ET.fromstring(proc.stdout)] == ["node1", "node2", "node3"]


def test_cibadmin_other_than_query_is_refused_with_a_usage_error(fake_cluster):
    proc = tool(fake_cluster, "node1", "cibadmin", "-o", "nodes")      # no -Q: a write
    assert proc.returncode == 64
