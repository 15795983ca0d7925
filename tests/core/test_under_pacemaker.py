"""The example agents under a real one-node Pacemaker (fixture ``real_cluster_clean``
from ocfpy.testing.fixtures_real): start, monitor, promotion, failure and recovery.

Outcomes are read from ``crm_mon --output-as=xml``. The fixture skips, saying why,
only when not root or when pacemakerd, corosync or unshare is not installed.
"""

import xml.etree.ElementTree as ET

import pytest

pytestmark = pytest.mark.real_cluster

STATE_DIR = "/run/ocfpy-test"     # /run is a private tmpfs inside the cluster's node


def primitive_xml(rsc_id, agent, params=None, ops=()):
    """A <primitive> for ``cibadmin --create -o resources``, built with ElementTree."""
    prim = ET.Element("primitive", id=rsc_id, **{"class": "ocf"}, provider="ocfpy", type=agent)
    if params:
        ia = ET.SubElement(prim, "instance_attributes", id=f"{rsc_id}-ia")
        for name, value in params.items():
            ET.SubElement(ia, "nvpair", id=f"{rsc_id}-ia-{name}", name=name, value=str(value))
    if ops:
        ops_el = ET.SubElement(prim, "operations")
        for op in ops:
            attrs = {"id": f"{rsc_id}-{op['name']}-{op['interval']}", **op}
            ET.SubElement(ops_el, "op", **{k: str(v) for k, v in attrs.items()})
    return prim


def promotable_clone_xml(clone_id, prim):
    clone = ET.Element("clone", id=clone_id)
    meta = ET.SubElement(clone, "meta_attributes", id=f"{clone_id}-meta")
    for name, value in (("promotable", "true"), ("promoted-max", "1"), ("clone-max", "1")):
        ET.SubElement(meta, "nvpair", id=f"{clone_id}-meta-{name}", name=name, value=value)
    clone.append(prim)
    return clone


def create(cluster, element):
    cluster.run(["cibadmin", "--create", "-o", "resources", "-X",
                 ET.tostring(element, encoding="unicode")])


def operations(mon, rsc_id, task=None):
    """operation_history entries of ``rsc_id`` (clone instances included) in crm_mon xml."""
    out = []
    for rh in mon.iter("resource_history"):
        if rh.get("id", "").split(":")[0] == rsc_id:
            out += [op for op in rh.iter("operation_history")
                    if task is None or op.get("task") == task]
    return out


def test_dummy_starts_and_is_monitored(real_cluster_clean):
    c = real_cluster_clean
    state = f"{STATE_DIR}/d1.state"
    create(c, primitive_xml("d1", "dummy", {"state": state},
                            ops=[{"name": "monitor", "interval": "1s", "timeout": "10s"}]))
    mon = c.wait_for(lambda m: c.resource_state("d1", m)["active"]
                     and any(op.get("interval") == "1000ms" and op.get("rc") == "0"
                             for op in operations(m, "d1", "monitor")), timeout=30)
    st = c.resource_state("d1", mon)
    assert (st["nodes"], st["role"], st["failed"]) == (["node1"], "Started", False)
    (start,) = operations(mon, "d1", "start")
    assert start.get("rc") == "0"
    assert c.run(["test", "-f", state], check=False).returncode == 0


def test_stateful_promotable_clone_gets_promoted(real_cluster_clean):
    c = real_cluster_clean
    prim = primitive_xml("st1", "stateful", {"state": f"{STATE_DIR}/st1.state"}, ops=[
        {"name": "monitor", "interval": "2s", "role": "Promoted", "timeout": "10s"},
        {"name": "monitor", "interval": "3s", "role": "Unpromoted", "timeout": "10s"},
    ])
    create(c, promotable_clone_xml("st1-clone", prim))
    mon = c.wait_for(lambda m: c.resource_state("st1-clone", m)["promoted"] == ["node1"],
                     timeout=30)
    st = c.resource_state("st1-clone", mon)
    assert st["role"] == "Promoted" and not st["failed"]
    promotes = operations(mon, "st1", "promote")
    assert promotes and all(op.get("rc") == "0" for op in promotes)
    # the promoted instance's recurring monitor answers 8 (RUNNING_PROMOTED) = success
    mon = c.wait_for(lambda m: any(op.get("rc") == "8" for op in operations(m, "st1", "monitor")),
                     timeout=15)
    assert not c.resource_state("st1-clone", mon)["failed"]
    attr = c.run(["crm_attribute", "-N", "node1", "-l", "reboot", "-n", "master-st1", "-G", "-q"])
    assert attr.stdout.strip() == "10"


def test_injected_failure_is_detected_and_recovered(real_cluster_clean):
    c = real_cluster_clean
    state = f"{STATE_DIR}/d2.state"
    create(c, primitive_xml("d2", "dummy", {"state": state},
                            ops=[{"name": "monitor", "interval": "1s", "timeout": "10s"}]))
    c.wait_for(lambda m: c.resource_state("d2", m)["active"], timeout=30)

    c.run(["rm", "-f", state])     # the "service" dies behind Pacemaker's back

    def detected_and_recovered(m):
        # a failed monitor (7) is recorded, and a start newer than it succeeded
        failed_calls = [int(f.get("call", "0")) for f in m.iter("failure")
                        if f.get("op_key", "").startswith("d2_monitor_") and f.get("exitcode") == "7"]
        restarted = [op for op in operations(m, "d2", "start")
                     if op.get("rc") == "0" and failed_calls and int(op.get("call")) > max(failed_calls)]
        rsc = [r for r in m.iter("resource") if r.get("id") == "d2"]
        return (failed_calls and restarted and rsc and rsc[0].get("active") == "true"
                and rsc[0].get("failed") == "false")

    mon = c.wait_for(detected_and_recovered, timeout=30)
    st = c.resource_state("d2", mon)
    assert st["nodes"] == ["node1"] and st["role"] == "Started"
    (failure,) = [f for f in st["failures"] if f["op"] == "monitor"]
    assert failure["rc"] == 7 and failure["node"] == "node1"
    (history,) = [rh for rh in mon.iter("resource_history") if rh.get("id") == "d2"]
    assert history.get("fail-count") == "1"
    assert c.run(["test", "-f", state], check=False).returncode == 0
