"""ocf:ocfpy:vip in real network namespaces (issue 5 acceptance).

Every test gets its own bed (servers a, b, client c on one bridge; see
vip_bed.py) that the fixture removes, even on failure. The agent runs inside a
server's namespace through `ip netns exec`, or on the host with its own
network_namespace parameter.
"""

import json
import subprocess
import sys
import time

import pytest

from vip_bed import ADDRESSES, REPO

pytestmark = pytest.mark.netns

RECURRING = {"OCF_RESKEY_CRM_meta_interval": "10000"}
DEEP = {"OCF_RESKEY_CRM_meta_interval": "30000", "OCF_CHECK_LEVEL": "10"}


def reasons(proc) -> list:
    return [l for l in proc.stderr.splitlines() if l.startswith("ocf-exit-reason:")]


def ok(proc, rc=0):
    assert proc.returncode == rc, f"rc {proc.returncode} != {rc}: {proc.stderr}"
    return proc


def wait_until(predicate, timeout=2.0, step=0.01):
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > end:
            return value
        time.sleep(step)


def failover(bed, vip, **params):
    """Start on a, let the client talk to it, move to b under a 10 ms probe.
    Returns (probe result, seconds from the stop on a to the client on b's MAC)."""
    mac_a, mac_b = bed.mac("a"), bed.mac("b")
    ok(bed.agent("a", "start", ip=vip, **params))
    assert bed.has_ip("a", vip)
    assert bed.sh("c", "ping", "-c", "1", "-W", "2", vip, check=False).returncode == 0
    assert bed.neigh("c", vip) == mac_a
    probe = bed.probe("c", vip, duration=4.0, interval=0.01)
    try:
        time.sleep(1.0)                  # a second of steady state on a
        t0 = time.monotonic()
        ok(bed.agent("a", "stop", ip=vip, **params))
        assert not bed.has_ip("a", vip)
        ok(bed.agent("b", "start", ip=vip, **params))
        moved = wait_until(lambda: bed.neigh("c", vip) == mac_b, timeout=3.0)
        switched = time.monotonic() - t0
    finally:
        result = bed.probe_result(probe)
    assert moved, f"client still has {bed.neigh('c', vip)} for {vip}, b is {mac_b}"
    assert bed.has_ip("b", vip)
    return result, switched


def test_ipv4_failover_moves_client_neighbour_entry(bed):
    result, switched = failover(bed, "192.0.2.50")
    print(f"\nIPv4 failover: outage {result['outage_ms']} ms "
          f"({result['lost_max']} probes of 10 ms lost), client on b's MAC "
          f"{switched * 1000:.0f} ms after the stop began; probe {result}")
    # replies resumed from b well before the end of the 4 s probe
    assert result["last_ok"] is not None and result["last_ok"] > 3.5
    assert result["answered"] > result["sent"] * 0.5
    # a's stop and b's start returned, and the MAC changed, long before ARP
    # expiry (base_reachable_time 30 s): the gratuitous ARP did it
    assert switched < 3.0


def test_ipv6_failover_with_neighbour_advertisements(bed):
    result, switched = failover(bed, "2001:db8::50")
    print(f"\nIPv6 failover (DAD on b): outage {result['outage_ms']} ms, client on b's MAC "
          f"{switched * 1000:.0f} ms after the stop began; probe {result}")
    assert result["last_ok"] is not None and result["last_ok"] > 3.5


def test_ipv6_failover_nodad(bed):
    result, switched = failover(bed, "2001:db8::51", nodad="true")
    print(f"\nIPv6 failover (nodad): outage {result['outage_ms']} ms, client on b's MAC "
          f"{switched * 1000:.0f} ms after the stop began")
    assert result["last_ok"] is not None and result["last_ok"] > 3.5


def test_dad_failure_fails_start_and_removes_address(bed):
    vip = "2001:db8::60"
    bed.sh("a", "ip", "-6", "addr", "add", f"{vip}/64", "dev", "eth0", "nodad")
    proc = bed.agent("b", "start", ip=vip)
    assert proc.returncode == 1, proc.stderr
    assert any("duplicate address detection failed" in r for r in reasons(proc)), proc.stderr
    assert not bed.has_ip("b", vip)
    ok(bed.agent("b", "monitor", ip=vip), 7)


def test_run_arping_refuses_duplicate_ipv4(bed):
    vip = "192.0.2.60"
    bed.sh("a", "ip", "addr", "add", f"{vip}/24", "dev", "eth0")
    proc = bed.agent("b", "start", ip=vip, run_arping="true")
    assert proc.returncode == 1, proc.stderr
    assert any("already in use" in r and bed.mac("a") in r for r in reasons(proc)), proc.stderr
    assert not bed.has_ip("b", vip)
    # without a duplicate the same check lets it start
    ok(bed.agent("b", "start", ip="192.0.2.61", run_arping="true"))
    assert bed.has_ip("b", "192.0.2.61")


def test_check_link_status_link_down_gives_not_running(bed):
    vip = "192.0.2.70"
    ok(bed.agent("a", "start", ip=vip, nic="eth0"))
    ok(bed.agent("a", "monitor", ip=vip, nic="eth0", env=RECURRING))
    bed.sh("a", "ip", "link", "set", "eth0", "down")
    proc = ok(bed.agent("a", "monitor", ip=vip, nic="eth0", env=RECURRING), 7)
    assert any("eth0" in r and "down" in r for r in reasons(proc))
    ok(bed.agent("a", "monitor", ip=vip, nic="eth0", check_link_status="false", env=RECURRING))
    proc = bed.agent("a", "start", ip="192.0.2.71", nic="eth0")
    assert proc.returncode == 1 and not bed.has_ip("a", "192.0.2.71")
    ok(bed.agent("a", "stop", ip=vip, nic="eth0"))


def test_carrier_loss_on_the_peer_gives_not_running(bed):
    vip = "192.0.2.72"
    ok(bed.agent("a", "start", ip=vip))
    bed.sh(None, "ip", "link", "set", "pa", "down")        # the switch port: no carrier
    ok(bed.agent("a", "monitor", ip=vip, env=RECURRING), 7)


def test_unreachable_gateway_attribute_and_deep_monitor(bed, tmp_path):
    from ocfpy.testing.fake_tools import init_state, install_tools, read_state

    bed.sh("c", "ip", "addr", "add", "192.0.2.1/24", "dev", "eth0")     # the gateway
    bin_dir, state_dir = tmp_path / "bin", tmp_path / "state"
    install_tools(bin_dir)
    init_state(state_dir, ["node1"])
    crm_env = {"PATH": f"{bin_dir}:/usr/sbin:/usr/bin:/sbin:/bin", "OCFPY_FAKE_STATE": state_dir,
               "OCFPY_FAKE_NODE": "node1"}
    params = dict(ip="192.0.2.80", gateways="192.0.2.1", gateway_fall=2, gateway_rise=2,
                  gateway_timeout="300ms")
    attr = f"{bed.tag}-vip-gw-ok"

    def attribute():
        return read_state(state_dir)["attrs"]["node1"]["reboot"].get(attr)

    ok(bed.agent("a", "start", env=crm_env, **params))
    assert attribute() == "1"
    ok(bed.agent("a", "monitor", env={**crm_env, **DEEP}, **params))
    bed.sh("c", "ip", "addr", "del", "192.0.2.1/24", "dev", "eth0")      # gateway gone
    ok(bed.agent("a", "monitor", env={**crm_env, **RECURRING}, **params))
    assert attribute() == "1", "one failed check must not flip the state (fall 2)"
    proc = ok(bed.agent("a", "monitor", env={**crm_env, **DEEP}, **params), 1)
    assert attribute() == "0"
    assert any("unreachable" in r for r in reasons(proc))
    # depth 0 keeps reporting the address itself: 0, the attribute carries the news
    ok(bed.agent("a", "monitor", env={**crm_env, **RECURRING}, **params))
    # a probe never pings
    ok(bed.agent("a", "monitor", env=crm_env, **params))
    bed.sh("c", "ip", "addr", "add", "192.0.2.1/24", "dev", "eth0")      # back
    ok(bed.agent("a", "monitor", env={**crm_env, **RECURRING}, **params))
    assert attribute() == "0", "one passed check must not flip the state (rise 2)"
    ok(bed.agent("a", "monitor", env={**crm_env, **DEEP}, **params))
    assert attribute() == "1"
    # a stopped node keeps publishing (monitor role=Stopped): 7, attribute still set
    ok(bed.agent("a", "stop", env=crm_env, **params))
    ok(bed.agent("a", "monitor", env={**crm_env, **RECURRING}, **params), 7)
    assert attribute() == "1"


@pytest.mark.parametrize("params, start_rc, probe_rc, reason", [
    ({"ip": "999.1.1.1"}, 6, 6, "parameter ip"),
    ({"ip": "192.0.2.90", "cidr_netmask": "40"}, 6, 6, "cidr_netmask"),
    ({"ip": "192.0.2.90", "cidr_netmask": "255.0.255.0"}, 6, 6, "cidr_netmask"),
    ({"ip": "192.0.2.90", "nic": "doesnotexist"}, 5, 7, "interface doesnotexist does not exist"),
    ({"ip": "192.0.2.90", "network_namespace": "NSMISSING"}, 5, 7, "does not exist"),
    ({"ip": "203.0.113.9"}, 5, 7, "no interface has a route"),
    ({}, 6, 7, "required parameter ip"),
], ids=["ip-999", "cidr-40", "netmask-noncontiguous", "nic-missing", "netns-missing",
        "no-route", "ip-missing"])
def test_bad_input(bed, params, start_rc, probe_rc, reason):
    params = {k: (v.replace("NSMISSING", bed.ns("missing")) if isinstance(v, str) else v)
              for k, v in params.items()}
    before = {n: bed.addrs(n) for n in ("a", "b", "c")}
    netns_before = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    # the namespace case runs on the host through the parameter, the others inside a
    node = None if "network_namespace" in params else "a"
    start = bed.agent(node, "start", **params)
    assert start.returncode == start_rc, start.stderr
    assert len(reasons(start)) == 1 and reason in reasons(start)[0], start.stderr
    ok(bed.agent(node, "monitor", **params), probe_rc)
    ok(bed.agent(node, "stop", **params), 0)
    assert bed.agent(node, "validate-all", env={"OCF_CHECK_LEVEL": "10"}, **params).returncode == start_rc
    assert {n: bed.addrs(n) for n in ("a", "b", "c")} == before
    assert subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout == netns_before


def test_network_namespace_parameter(bed):
    vip = "198.51.100.10"
    bed.sh("a", "ip", "addr", "add", "198.51.100.1/24", "dev", "eth0")
    params = dict(ip=vip, network_namespace=bed.ns("a"))
    ok(bed.agent(None, "monitor", **params), 7)
    ok(bed.agent(None, "start", **params))
    assert "198.51.100.10/24" in bed.addrs("a")
    ok(bed.agent(None, "monitor", env=RECURRING, **params))
    ok(bed.agent(None, "stop", **params))
    assert not bed.has_ip("a", vip)


def test_idempotence_and_half_configured(bed):
    vip = "192.0.2.95"
    ok(bed.agent("a", "stop", ip=vip))                     # stop of absent: 0
    ok(bed.agent("a", "monitor", ip=vip), 7)
    ok(bed.agent("a", "start", ip=vip, cidr_netmask="24"))
    ok(bed.agent("a", "start", ip=vip, cidr_netmask="24"))   # again: 0, once
    assert bed.addrs("a").count(f"{vip}/24") == 1
    # the same address with another prefix: half-configured
    ok(bed.agent("a", "monitor", ip=vip, cidr_netmask="255.255.255.128", env=RECURRING), 1)
    ok(bed.agent("a", "start", ip=vip, cidr_netmask="255.255.255.128"))   # start repairs it
    assert f"{vip}/25" in bed.addrs("a") and f"{vip}/24" not in bed.addrs("a")
    ok(bed.agent("a", "stop", ip=vip))
    ok(bed.agent("a", "stop", ip=vip))
    assert not bed.has_ip("a", vip)


def test_flags_label_lifetime_broadcast(bed):
    ok(bed.agent("a", "start", ip="192.0.2.96", iflabel="vip", broadcast="192.0.2.255"))
    ok(bed.agent("a", "start", ip="2001:db8::96", nodad="1", noprefixroute="1", preferred_lft="0"))
    info = json.loads(bed.sh("a", "ip", "-j", "addr", "show", "dev", "eth0").stdout)[0]["addr_info"]
    v4 = next(a for a in info if a["local"] == "192.0.2.96")
    v6 = next(a for a in info if a["local"] == "2001:db8::96")
    assert v4["label"] == "eth0:vip" and v4["broadcast"] == "192.0.2.255"
    assert v6.get("nodad") and v6.get("noprefixroute") and v6["preferred_life_time"] == 0
    ok(bed.agent("a", "stop", ip="2001:db8::96", flush_routes="true"))
    ok(bed.agent("a", "stop", ip="192.0.2.96"))
    assert not bed.has_ip("a", "192.0.2.96") and not bed.has_ip("a", "2001:db8::96")


def test_interface_discovery_like_ipaddr2(bed):
    # a second link in a with more specific, metric-ordered and blackhole routes
    bed.sh("a", "ip", "link", "add", "x0", "type", "veth", "peer", "name", "x1")
    for dev in ("x0", "x1"):
        bed.sh("a", "ip", "link", "set", dev, "up")
    bed.sh("a", "ip", "route", "add", "192.0.2.64/26", "dev", "x0", "scope", "link")
    bed.sh("a", "ip", "route", "add", "blackhole", "192.0.2.192/27")
    bed.sh("a", "ip", "route", "add", "198.51.100.0/24", "dev", "x0", "metric", "10")
    bed.sh("a", "ip", "route", "add", "198.51.100.0/24", "dev", "eth0", "metric", "5")
    cases = {"192.0.2.70": ("x0", 26), "192.0.2.40": ("eth0", 24), "192.0.2.200": ("eth0", 24),
             "198.51.100.20": ("eth0", 24)}
    for vip, (dev, prefix) in cases.items():
        ok(bed.agent("a", "start", ip=vip))
        assert f"{vip}/{prefix}" in bed.addrs("a", dev), (vip, bed.addrs("a", dev))
        ok(bed.agent("a", "monitor", ip=vip, env=RECURRING))
        ok(bed.agent("a", "stop", ip=vip))
        assert not bed.has_ip("a", vip, dev)


def test_recovers_when_address_deleted_behind_its_back(bed):
    vip = "192.0.2.97"
    ok(bed.agent("a", "start", ip=vip))
    bed.sh("a", "ip", "addr", "del", f"{vip}/24", "dev", "eth0")
    ok(bed.agent("a", "monitor", ip=vip, env=RECURRING), 7)
    ok(bed.agent("a", "stop", ip=vip))
    ok(bed.agent("a", "start", ip=vip))
    ok(bed.agent("a", "monitor", ip=vip, env=RECURRING))


def test_netlink_views_match_pyroute2(bed):
    """Our hot-path netlink parser against pyroute2 (the reference) in one namespace."""
    bed.sh("a", "ip", "addr", "add", "192.0.2.98/24", "dev", "eth0", "label", "eth0:x")
    bed.sh("a", "ip", "-6", "addr", "add", "2001:db8::98/64", "dev", "eth0", "nodad")
    script = f"""
import json, sys
sys.path.insert(0, {str(REPO)!r})
from pyroute2 import IPRoute
from ocfpy_agents.vip.rtnl import Netlink, AF_INET, AF_INET6
from ocfpy_agents.vip import addr
with IPRoute() as ipr, Netlink() as nl:
    ref = sorted((a.get_attr("IFA_LOCAL") or a.get_attr("IFA_ADDRESS"), a["prefixlen"], a["index"],
                  a.get_attr("IFA_FLAGS") or a["flags"]) for a in ipr.get_addr())
    ours = sorted((a.ip, a.prefixlen, a.index, a.flags)
                  for f in (AF_INET, AF_INET6) for a in addr.addresses(nl, f))
    links_ref = sorted((l["index"], l.get_attr("IFLA_IFNAME"), l.get_attr("IFLA_OPERSTATE").lower())
                       for l in ipr.get_links())
    links = sorted((l.index, l.name, l.operstate) for l in addr.links(nl))
print(json.dumps([ref == ours, ref, ours, links_ref == links, links_ref, links]))
"""
    out = bed.sh("a", sys.executable, "-c", script).stdout
    same_addrs, ref, ours, same_links, links_ref, links = json.loads(out)
    assert same_addrs, (ref, ours)
    assert same_links, (links_ref, links)


def test_monitor_does_not_import_pyroute2_or_socket(bed):
    ok(bed.agent("a", "start", ip="192.0.2.99"))
    env = bed.agent_env({"OCF_RESKEY_CRM_meta_interval": "10000"}, ip="192.0.2.99")
    proc = subprocess.run(["ip", "netns", "exec", bed.ns("a"), sys.executable, "-IS", "-X", "importtime",
                           str(bed.agent_path), "monitor"], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    modules = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert "ocfpy_agents.vip.agent" in modules and "ocfpy_agents.vip.addr" in modules
    assert not {m for m in modules if m.startswith("pyroute2")}
    assert "socket" not in modules and "enum" not in modules


ARP_LISTENER = """
import json, select, socket, sys, time
ip = socket.inet_aton(sys.argv[1])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
s.bind(("eth0", 0x0806))
print("ready", flush=True)
seen, end = [], time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    if select.select([s], [], [], 0.05)[0]:
        f = s.recv(2048)
        if f[28:32] == ip and f[38:42] == ip:      # sender = target = the VIP: an announcement
            seen.append([int.from_bytes(f[20:22], "big"), f[22:28].hex(":")])
print(json.dumps(seen))
"""


def capture_announcements(bed, vip, seconds, action):
    """Gratuitous ARPs for ``vip`` the client sees while ``action()`` runs and after."""
    return bed.watch("c", ARP_LISTENER, seconds, action, vip, str(seconds))


@pytest.mark.parametrize("mode, ops", [("request_reply", [1, 2]), ("reply", [2]), ("request", [1])])
def test_gratuitous_arp_rounds_and_modes(bed, mode, ops):
    vip, mac = "192.0.2.55", bed.mac("b")
    seen = capture_announcements(bed, vip, 1.5, lambda: ok(bed.agent(
        "b", "start", ip=vip, arp_count=4, arp_interval=100, arp_mode=mode)))
    assert seen == [[op, mac] for _ in range(4) for op in ops], seen


def test_send_arp_opts_dash_a_means_reply_mode(bed):
    vip = "192.0.2.56"
    seen = capture_announcements(bed, vip, 1.0, lambda: ok(bed.agent(
        "b", "start", ip=vip, arp_count=2, arp_interval=100, send_arp_opts="-A")))
    assert [op for op, _ in seen] == [2, 2]


def test_stop_ends_background_announcements(bed):
    """A late gratuitous ARP from the old node would pull the address back."""
    vip = "192.0.2.57"

    def start_then_stop():
        ok(bed.agent("a", "start", ip=vip, arp_count=10, arp_interval=200))
        time.sleep(0.3)
        ok(bed.agent("a", "stop", ip=vip))
    seen = capture_announcements(bed, vip, 2.5, start_then_stop)
    assert 1 <= len(seen) <= 2 * 4, seen          # 10 rounds would be 20 frames


def test_arp_count_refresh_on_monitor(bed):
    vip = "192.0.2.58"
    ok(bed.agent("a", "start", ip=vip, arp_count=1))
    seen = capture_announcements(bed, vip, 1.0, lambda: ok(bed.agent(
        "a", "monitor", ip=vip, arp_count_refresh=2, arp_interval=50, env=RECURRING)))
    assert len(seen) == 4, seen
    seen = capture_announcements(bed, vip, 0.5, lambda: ok(bed.agent(
        "a", "monitor", ip=vip, arp_count_refresh=2)))         # a probe sends nothing
    assert seen == []
