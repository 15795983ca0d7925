"""Unit tests of the vip agent's parts that need no namespace: parameter types,
packet layouts, the fall/rise state, meta-data, in-process validation."""

import xml.etree.ElementTree as ET

import pytest

from ocfpy.agent import Agent
from ocfpy.deadline import Deadline
from ocfpy_agents.vip import announce, health, rtnl
from ocfpy_agents.vip.addr import in_prefix, pack_ip
from ocfpy_agents.vip.change import broadcast_for
from ocfpy_agents.vip.agent import Vip
from ocfpy_agents.vip.values import AddressList, Lifetime, Netmask, config_problem, gateway_problem

from vip_calls import run


@pytest.mark.parametrize("raw, value", [("24", 24), ("0", 0), ("128", 128), ("255.255.255.0", 24),
                                        ("255.255.255.255", 32), ("0.0.0.0", 0), (" 255.255.0.0 ", 16)])
def test_netmask_accepts_prefix_and_dotted_quad(raw, value):
    assert Netmask("cidr_netmask").parse(raw) == value


@pytest.mark.parametrize("raw", ["129", "255.0.255.0", "255.255.255", "abc", "-1", "256.0.0.0"])
def test_netmask_rejects(raw):
    with pytest.raises(ValueError):
        Netmask("cidr_netmask").parse(raw)


def test_lifetime_and_address_list():
    assert Lifetime("p").parse("forever") is None
    assert Lifetime("p").parse("0") == 0 and Lifetime("p").parse("30sec") == 30
    with pytest.raises(ValueError):
        Lifetime("p").parse("soon")
    assert AddressList("g").parse("192.0.2.1, 2001:db8::1") == ("192.0.2.1", "2001:db8::1")
    with pytest.raises(ValueError):
        AddressList("g").parse("192.0.2.1 999.1.1.1")


def test_broadcast_and_prefix_math():
    assert broadcast_for("192.0.2.10", 24) == "192.0.2.255"
    assert broadcast_for("192.0.2.10", 30) == "192.0.2.11"
    assert broadcast_for("192.0.2.10", 31) is None and broadcast_for("2001:db8::1", 64) is None
    assert in_prefix(pack_ip("192.0.2.70"), pack_ip("192.0.2.64"), 26)
    assert not in_prefix(pack_ip("192.0.2.130"), pack_ip("192.0.2.64"), 26)
    assert in_prefix(pack_ip("2001:db8::5"), pack_ip("2001:db8::"), 64)
    assert not in_prefix(pack_ip("2001:db8::5"), pack_ip("192.0.2.0"), 24)


MAC = bytes.fromhex("020000000001")


def test_gratuitous_arp_frames_per_mode():
    req, rep = announce.announcement_frames(MAC, "192.0.2.10", "request_reply")
    ip = pack_ip("192.0.2.10")
    for frame in (req, rep):
        assert len(frame) == 60
        assert frame[0:6] == b"\xff" * 6 and frame[6:12] == MAC and frame[12:14] == b"\x08\x06"
        assert frame[22:28] == MAC and frame[28:32] == ip and frame[38:42] == ip
    assert req[20:22] == b"\x00\x01" and req[32:38] == b"\0" * 6       # request, target MAC zero
    assert rep[20:22] == b"\x00\x02" and rep[32:38] == MAC              # reply, target MAC ours
    assert [f[20:22] for f in announce.announcement_frames(MAC, "192.0.2.10", "reply")] == [b"\x00\x02"]
    assert [f[20:22] for f in announce.announcement_frames(MAC, "192.0.2.10", "request")] == [b"\x00\x01"]


def test_neighbour_advertisement_layout():
    pkt = announce.na_packet("2001:db8::10", MAC)
    assert pkt[0] == 136 and pkt[1] == 0
    assert pkt[4] & 0x20 and not pkt[4] & 0xC0        # Override, not Router/Solicited
    assert pkt[8:24] == pack_ip("2001:db8::10")
    assert pkt[24:26] == b"\x02\x01" and pkt[26:32] == MAC


def test_icmp_checksum_verifies():
    pkt = health._echo(rtnl.AF_INET, 0x1234, 7)
    assert health.icmp_checksum(pkt) == 0


def test_hysteresis_fall_and_rise(tmp_path):
    path = str(tmp_path / "gw")
    states = []
    for passed in (True, False, False, False, True, True, False, True):
        h = health.Hysteresis(path, fall=2, rise=2)
        states.append(h.record(passed))
        h.save()
    assert states == ["up", "up", "down", "down", "down", "up", "up", "up"]


def test_metadata_declares_ipaddr2_names_and_monitor_depths():
    root = ET.fromstring(Vip.metadata().split("\n", 2)[2])
    names = {p.get("name") for p in root.iter("parameter")}
    assert {"ip", "nic", "cidr_netmask", "broadcast", "iflabel", "arp_count", "arp_interval",
            "arp_count_refresh", "arp_bg", "arp_mode", "run_arping", "nodad", "noprefixroute",
            "preferred_lft", "flush_routes", "network_namespace", "check_link_status",
            "gateways", "gateway_fall", "gateway_rise"} <= names
    depths = sorted(a.get("depth") for a in root.iter("action") if a.get("name") == "monitor")
    assert depths == ["0"]      # the gateway depth (10) is opt-in, see the longdesc
    assert next(p for p in root.iter("parameter") if p.get("name") == "ip").get("required") == "1"


def test_validate_all_level_0_checks_parameters_only():
    assert run("validate-all", ip="192.0.2.10", cidr_netmask="24", nic="notonthisnode")[0] == 0
    rc, why = run("validate-all", ip="192.0.2.10", cidr_netmask="33")
    assert rc == 6 and "cidr_netmask" in why[0]
    rc, why = run("validate-all", ip="fe80::10")
    assert rc == 6 and "link-local address needs nic" in why[0]
    rc, why = run("validate-all", ip="192.0.2.10", nic="eth0", iflabel="averyverylonglabel")
    assert rc == 6 and "15 characters" in why[0]
    assert issubclass(Vip, Agent)


def test_config_problem_names_the_first_value_that_can_never_work():
    values = {p.name: p.default for p in Vip.parameter_list()}
    assert config_problem({**values, "ip": "192.0.2.10"}) is None
    assert config_problem({**values, "ip": "fe80::1"}) == "an IPv6 link-local address needs nic"
    assert config_problem({**values, "ip": "192.0.2.10", "nic": "a/b"}) == \
        "parameter nic: 'a/b' must not contain /, NUL or whitespace"
    assert "link-local gateway fe80::1 needs its interface" in config_problem(
        {**values, "ip": "192.0.2.10", "gateways": ("192.0.2.1", "fe80::1")})
    assert gateway_problem("fe80::1%eth0") is None


class Rounds:
    """A sender that counts rounds and whether it was closed."""

    def __init__(self):
        self.rounds, self.closed = 0, False

    def round(self):
        self.rounds += 1
        return 1

    def close(self):
        self.closed = True


def test_send_rounds_sends_the_first_round_here_and_the_rest_where_detach_runs_them():
    here = Rounds()
    announce.send_rounds(here, 1, 0.0, Deadline.after(5))
    assert (here.rounds, here.closed) == (1, True)
    later, detached = Rounds(), []
    announce.send_rounds(later, 3, 0.0, Deadline.after(5), detach=detached.append)
    assert (later.rounds, later.closed, len(detached)) == (1, True, 1)
    later.closed = False
    detached[0]()                      # what the child would run
    assert (later.rounds, later.closed) == (3, True)


def test_one_gateway_check_counts_in_the_hysteresis(tmp_path, monkeypatch):
    monkeypatch.setattr(health, "ping_all", lambda gws, timeout: {gw: False for gw in gws})
    state = health.Hysteresis(str(tmp_path / "gw"), fall=2, rise=2)
    assert health.check(state, ["192.0.2.1"], timeout=0.1) is True      # one failure: still up
    assert health.check(state, ["192.0.2.1"], timeout=0.1) is False
