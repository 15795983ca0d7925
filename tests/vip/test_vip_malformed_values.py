"""Values that look harmless but that the kernel or inet_pton refuse (audit
finding 6): an over-long or malformed nic, digits of other scripts in an
address, an IPv6 link-local gateway with or without its interface.

validate-all refuses them with 6 and one exit reason; a probe answers 6 and a
stop 0 (the framework's rules for a value that can never be valid), never 1,
which for a stop means fencing. The namespace tests run the agent in
ocfsec-vip* namespaces (10.231.0.0/24, fd31::/64).
"""


import pytest

from ocfpy_agents.vip import health
from ocfpy_agents.vip.addr import ifname_problem, link_by_name, pack_ip
from ocfpy.parameters import Integer, IPAddress
from ocfpy_agents.vip.agent import Vip
from ocfpy_agents.vip.values import Lifetime, Netmask

from vip_calls import run

ARABIC_INDIC = "١٩٢.٠.٢.١٠"          # 192.0.2.10 in Arabic-Indic digits: str.isdigit says yes
SIXTEEN = "abcdefghijklmnop"         # IFNAMSIZ - 1 is 15
RECURRING = {"OCF_RESKEY_CRM_meta_interval": "10000"}
DEEP = {"OCF_RESKEY_CRM_meta_interval": "30000", "OCF_CHECK_LEVEL": "10"}


def reasons(proc) -> list:
    return [l for l in proc.stderr.splitlines() if l.startswith("ocf-exit-reason:")]


def answers(bed, node, action, rc, env=None, **params):
    proc = bed.agent(node, action, env=env, **params)
    assert proc.returncode == rc, f"{action}: rc {proc.returncode} != {rc}: {proc.stderr}"
    return proc


# -- nic -------------------------------------------------------------------------------

BAD_NICS = [SIXTEEN, "a" * 40, "eth0/x", "eth0:1", "eth 0", "\teth0", ".", "..", "é" * 8]


@pytest.mark.parametrize("nic", BAD_NICS, ids=["16-chars", "40-chars", "slash", "colon", "space",
                                               "tab", "dot", "dotdot", "16-bytes-utf8"])
def test_validate_all_refuses_a_nic_the_kernel_cannot_name(nic):
    rc, why = run("validate-all", ip="10.231.0.50", nic=nic)
    assert rc == 6 and len(why) == 1 and "parameter nic" in why[0], why


def test_validate_all_accepts_a_15_character_nic():
    assert ifname_problem("abcdefghijklmno") is None
    assert run("validate-all", ip="10.231.0.50", nic="abcdefghijklmno")[0] == 0


def test_validate_all_refuses_a_16_character_scope_on_a_link_local_ip():
    rc, why = run("validate-all", ip=f"fe80::10%{SIXTEEN}")
    assert rc == 6 and len(why) == 1 and "parameter ip" in why[0], why


class NoNetlink:
    """A netlink socket that must not be used."""

    def get(self, *args):
        raise AssertionError("a request was sent for a name the kernel refuses")


def test_link_lookup_of_a_name_the_kernel_refuses_sends_nothing():
    for name in (SIXTEEN, "eth0/x", "eth0:1", ""):
        assert link_by_name(NoNetlink(), name) is None


@pytest.mark.parametrize("nic", [SIXTEEN, "eth0/x", "eth0:1", "eth 0"],
                         ids=["16-chars", "slash", "colon", "space"])
def test_stop_with_a_malformed_nic_answers_0_and_probe_6(sec_bed, nic):
    ip = "10.231.0.50"
    answers(sec_bed, "a", "stop", 0, ip=ip, nic=nic)
    probe = answers(sec_bed, "a", "monitor", 6, ip=ip, nic=nic)
    assert len(reasons(probe)) == 1 and "parameter nic" in reasons(probe)[0], probe.stderr
    start = answers(sec_bed, "a", "start", 6, ip=ip, nic=nic)
    assert len(reasons(start)) == 1 and "parameter nic" in reasons(start)[0], start.stderr
    answers(sec_bed, "a", "validate-all", 6, env={"OCF_CHECK_LEVEL": "10"}, ip=ip, nic=nic)
    assert not sec_bed.has_ip("a", ip)


def test_stop_with_a_16_character_nic_answers_0(sec_bed):
    """The audit's case: the kernel answers ERANGE to a 16-byte name."""
    proc = answers(sec_bed, "a", "stop", 0, ip="10.231.0.50", nic=SIXTEEN)
    assert len(reasons(proc)) == 1 and "15 bytes" in reasons(proc)[0], proc.stderr


# -- digits of other scripts ------------------------------------------------------------

def test_parameter_types_take_ascii_digits_only():
    for parse, text in ((IPAddress("ip").parse, ARABIC_INDIC), (Netmask("m").parse, "٢٤"),
                        (Netmask("m").parse, "٢٥٥.٢٥٥.٢٥٥.٠"), (Lifetime("l").parse, "٣٠"),
                        (Integer("n").parse, "٥"), (Integer("n").parse, "1_000"),
                        (IPAddress("ip").parse, "١٩٢.0.2.10")):
        with pytest.raises(ValueError):
            parse(text)
    assert Integer("n").parse(" -5 ") == -5 and Integer("n").parse("+7") == 7
    with pytest.raises(ValueError):
        pack_ip(ARABIC_INDIC)


@pytest.mark.parametrize("params, name", [
    ({"ip": ARABIC_INDIC}, "parameter ip"),
    ({"ip": "10.231.0.50", "broadcast": "١٠.٢٣١.٠.٢٥٥"}, "parameter broadcast"),
    ({"ip": "10.231.0.50", "gateways": "10.231.0.1 ١٠.٢٣١.٠.١"}, "parameter gateways"),
    ({"ip": "10.231.0.50", "cidr_netmask": "٢٤"}, "parameter cidr_netmask"),
    ({"ip": "10.231.0.50", "arp_count": "٥"}, "parameter arp_count"),
], ids=["ip", "broadcast", "gateways", "cidr_netmask", "arp_count"])
def test_validate_all_refuses_non_ascii_digits(params, name):
    rc, why = run("validate-all", **params)
    assert rc == 6 and len(why) == 1 and name in why[0], why


def test_stop_with_arabic_indic_digits_in_ip_answers_0_and_probe_6(sec_bed):
    answers(sec_bed, "a", "stop", 0, ip=ARABIC_INDIC)
    probe = answers(sec_bed, "a", "monitor", 6, ip=ARABIC_INDIC)
    assert len(reasons(probe)) == 1 and "parameter ip" in reasons(probe)[0], probe.stderr
    answers(sec_bed, "a", "start", 6, ip=ARABIC_INDIC)


def refused_without_trace(bed, why, **params):
    """start answers 6 with one exit reason saying ``why`` and adds nothing;
    monitor answers 6, stop 0."""
    start = answers(bed, "a", "start", 6, **params)
    assert len(reasons(start)) == 1 and why in reasons(start)[0], start.stderr
    assert not bed.has_ip("a", params["ip"])
    answers(bed, "a", "monitor", 6, **params)
    answers(bed, "a", "stop", 0, **params)


def test_start_with_arabic_indic_digits_in_broadcast_answers_6_and_adds_nothing(sec_bed):
    refused_without_trace(sec_bed, "parameter broadcast", ip="10.231.0.51", broadcast="١٠.٢٣١.٠.٢٥٥")


# -- link-local gateways ----------------------------------------------------------------

@pytest.mark.parametrize("gateways, rc, text", [
    ("fe80::1%eth0", 0, None),
    ("10.231.0.1 fe80::1%eth0 fd31::1", 0, None),
    ("fe80::1", 6, "needs its interface"),
    ("fd31::1%eth0", 6, "only a link-local gateway"),
    (f"fe80::1%{SIXTEEN}", 6, "15 bytes"),
    ("fe80::1%eth0/x", 6, "must not contain"),
], ids=["scoped", "mixed", "link-local-without-interface", "scope-on-global", "scope-16-chars",
        "scope-slash"])
def test_validate_all_link_local_gateways_need_their_interface(gateways, rc, text):
    got, why = run("validate-all", ip="10.231.0.50", gateways=gateways)
    assert got == rc, why
    if text:
        assert len(why) == 1 and "parameter gateways" in why[0] and text in why[0], why


def test_ping_of_a_gateway_on_a_missing_interface_counts_as_no_answer():
    assert health.ping_all(["fe80::1%ocfsecnone0"], timeout=0.05) == {"fe80::1%ocfsecnone0": False}


@pytest.fixture
def crm(tmp_path):
    """Fake Pacemaker tools (node attributes) for the gateway check."""
    from ocfpy.testing.fake_tools import init_state, install_tools, read_state

    bin_dir, state_dir = tmp_path / "bin", tmp_path / "state"
    install_tools(bin_dir)
    init_state(state_dir, ["node1"])
    env = {"PATH": f"{bin_dir}:/usr/sbin:/usr/bin:/sbin:/bin", "OCFPY_FAKE_STATE": state_dir,
           "OCFPY_FAKE_NODE": "node1"}
    return env, lambda name: read_state(state_dir)["attrs"]["node1"]["reboot"].get(name)


def test_link_local_gateway_with_its_interface_is_pinged_through_it(sec_bed, crm):
    env, attribute = crm
    gw = "fe80::31:1"
    sec_bed.sh("a", "ip", "-6", "addr", "add", "fe80::31:11/64", "dev", "eth0", "nodad")
    sec_bed.sh("c", "ip", "-6", "addr", "add", f"{gw}/64", "dev", "eth0", "nodad")
    params = dict(ip="10.231.0.60", gateways=f"{gw}%eth0", gateway_fall=2, gateway_rise=2,
                  gateway_timeout="300ms")
    name = f"{sec_bed.tag}-vip-gw-ok"
    try:
        answers(sec_bed, "a", "start", 0, env=env, **params)
        assert attribute(name) == "1"
        answers(sec_bed, "a", "monitor", 0, env={**env, **RECURRING}, **params)
        answers(sec_bed, "a", "monitor", 0, env={**env, **DEEP}, **params)
        # the gateway goes away: the check really depends on the scoped echo
        sec_bed.sh("c", "ip", "-6", "addr", "del", f"{gw}/64", "dev", "eth0")
        answers(sec_bed, "a", "monitor", 0, env={**env, **DEEP}, **params)
        deep = answers(sec_bed, "a", "monitor", 1, env={**env, **DEEP}, **params)
        assert any("unreachable" in r for r in reasons(deep)), deep.stderr
        assert attribute(name) == "0"
    finally:
        answers(sec_bed, "a", "stop", 0, env=env, **params)


def test_link_local_gateway_without_its_interface_answers_6_not_1(sec_bed):
    refused_without_trace(sec_bed, "needs its interface", ip="10.231.0.61", gateways="fe80::31:1")


def test_a_network_namespace_name_too_long_for_a_file_name_is_refused_and_stop_answers_0(tmp_path):
    # found by bench/bench_hostile.py: a 100k-character name passed validate-all,
    # then stop and probe answered 1 (ENAMETOOLONG)
    import io

    from ocfpy.environment import Invocation  # noqa: F401 - the agent's own view
    env = {"OCF_RESOURCE_INSTANCE": "v1", "HA_VARRUN": str(tmp_path), "OCF_RESKEY_ip": "192.0.2.10",
           "OCF_RESKEY_nic": "lo", "OCF_RESKEY_network_namespace": "n" * 100_000}
    for action, meta, expected in (("validate-all", {}, 6), ("stop", {}, 0),
                                   ("monitor", {"OCF_RESKEY_CRM_meta_interval": "0"}, 6)):
        err = io.StringIO()
        rc = Vip.run(["vip", action], {**env, **meta}, stdout=io.StringIO(), stderr=err)
        assert rc == expected, (action, rc, err.getvalue())
        assert "Traceback" not in err.getvalue()
