"""ocf:ocfpy:vip under the real one-node Pacemaker fixture (issue 5 acceptance).

`pcs resource create ... ocf:ocfpy:vip ip=...` without --force, a recurring
monitor, and recovery after the address is deleted behind the agent's back.
The node's network namespace is the cluster's own; the test adds a veth pair
there for the address (TEST-NET) and removes it afterwards.
"""

import json
import time

import pytest

pytestmark = [pytest.mark.real_cluster, pytest.mark.netns]

VIP = "192.0.2.10"


def addresses(c, dev):
    out = c.run(["ip", "-j", "addr", "show", "dev", dev]).stdout
    return [a["local"] for a in json.loads(out)[0].get("addr_info", [])]


@pytest.fixture
def node_link(real_cluster_clean):
    c = real_cluster_clean
    c.run(["ip", "link", "add", "vipv0", "type", "veth", "peer", "name", "vipv1"])
    try:
        for dev in ("vipv0", "vipv1"):
            c.run(["ip", "link", "set", dev, "up"])
        c.run(["ip", "addr", "add", "192.0.2.1/24", "dev", "vipv0"])
        yield c
    finally:
        c.run(["pcs", "resource", "delete", "vip1"], check=False)
        c.run(["ip", "link", "del", "vipv0"], check=False)


def test_pcs_create_monitors_and_recovers_deleted_address(node_link):
    c = node_link
    created = c.run(["pcs", "resource", "create", "vip1", "ocf:ocfpy:vip", f"ip={VIP}",
                     "cidr_netmask=24", "op", "monitor", "interval=2s"], check=False)
    assert created.returncode == 0, created.stderr + created.stdout
    c.wait_for(lambda mon: c.resource_state("vip1", mon)["active"], timeout=20)
    assert VIP in addresses(c, "vipv0")
    st = c.resource_state("vip1")
    assert st["nodes"] == ["node1"] and not st["failed"]

    t0 = time.monotonic()
    c.run(["ip", "addr", "del", f"{VIP}/24", "dev", "vipv0"])          # behind its back
    c.wait_for(lambda mon: c.resource_state("vip1", mon)["failed"], timeout=15)
    detected = time.monotonic() - t0
    c.wait_for(lambda mon: (c.resource_state("vip1", mon)["active"]
                            and VIP in addresses(c, "vipv0")), timeout=20)
    print(f"\nvip: deletion detected in {detected:.2f} s, address back after "
          f"{time.monotonic() - t0:.2f} s")
    st = c.resource_state("vip1")
    assert [(f["op"], f["rc"]) for f in st["failures"]] == [("monitor", 7)]
    assert st["active"] and st["nodes"] == ["node1"]
