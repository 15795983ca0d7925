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


def gw_attr(c, node):
    out = c.run(["crm_attribute", "-N", node, "-l", "reboot", "-n", "vipg-gw-ok", "-G", "-q"],
                check=False).stdout.strip()
    return out or None


def test_gateway_rule_moves_away_from_a_node_without_gateways_but_does_not_rotate(real_cluster3_clean):
    """The documented rule: score=1000 where <rsc>-gw-ok eq 1, stickiness below it,
    role=Stopped monitors so every node publishes. One node loses its gateway:
    the address leaves it. Every node loses it: the address stays put."""
    c = real_cluster3_clean
    gateway = "10.213.0.250"              # on node3, inside the cluster's private subnet
    c.run(["ip", "addr", "add", f"{gateway}/24", "dev", "eth0"], node=3)
    try:
        c.run(["pcs", "resource", "create", "vipg", "ocf:ocfpy:vip", "ip=192.0.2.100", "nic=eth0",
               "cidr_netmask=24", f"gateways={gateway}", "gateway_timeout=300ms",
               "meta", "resource-stickiness=100",
               # the stopped nodes check more often than the active one (see the longdesc)
               "op", "monitor", "interval=3s", "op", "monitor", "interval=2s", "role=Stopped"])
        c.run(["pcs", "constraint", "location", "vipg", "prefers", "node1=50"])
        c.run(["pcs", "constraint", "location", "vipg", "rule", "score=1000", "vipg-gw-ok", "eq", "1"])
        c.wait_for(lambda mon: c.resource_state("vipg", mon)["nodes"] == ["node1"]
                   and c.resource_state("vipg", mon)["active"], timeout=30)
        t0 = time.monotonic()
        while any(gw_attr(c, n) != "1" for n in c.node_names):
            assert time.monotonic() - t0 < 30, [gw_attr(c, n) for n in c.node_names]
            time.sleep(0.5)

        # node1 alone loses its gateway: the address moves
        c.run(["ip", "route", "add", "blackhole", f"{gateway}/32"], node=1)
        t0 = time.monotonic()
        c.wait_for(lambda mon: c.resource_state("vipg", mon)["nodes"] not in ([], ["node1"])
                   and c.resource_state("vipg", mon)["active"], timeout=40)
        where = c.resource_state("vipg")["nodes"][0]
        print(f"\nnode1 lost its gateway: vip moved to {where} in {time.monotonic() - t0:.1f} s")
        assert gw_attr(c, "node1") == "0"
        assert "192.0.2.100/24" in c.run(["ip", "-o", "addr", "show", "dev", "eth0"], node=where).stdout

        # every node loses it: no rotation, the address stays where it is
        c.run(["ip", "addr", "del", f"{gateway}/24", "dev", "eth0"], node=3)
        t0 = time.monotonic()
        while any(gw_attr(c, n) != "0" for n in c.node_names):
            assert time.monotonic() - t0 < 30, [gw_attr(c, n) for n in c.node_names]
            time.sleep(0.5)
        # the stopped nodes, checking more often, reach 0 first: the address never
        # follows a node that only looks healthy for one more round
        time.sleep(8)                     # several monitor rounds with every node failing
        st = c.resource_state("vipg")
        print(f"every node lost its gateway: vip on {st['nodes']} (was on {where})")
        assert st["nodes"] == [where] and st["active"] and not st["failed"], st
    finally:
        c.run(["pcs", "resource", "delete", "vipg"], check=False)
        c.run(["ip", "route", "del", "blackhole", f"{gateway}/32"], node=1, check=False)
        c.run(["ip", "addr", "del", f"{gateway}/24", "dev", "eth0"], node=3, check=False)
