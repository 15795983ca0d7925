"""Announcements are bounded (audit finding 7): a valid configuration sent
~16,500 gratuitous ARP frames a second in the background until stop, and a
foreground start (arp_bg=false) ignored its 4 s timeout for 320,000 frames.

Now arp_count is 1-100, arp_interval 10-10000 ms and arp_count_refresh 0-20
(validation answers 6 outside), no loop paces rounds closer than 10 ms, and
no round is sent after the action's deadline: the foreground loop returns
before it and the background announcer ends there. The namespace tests run
in ocfsec-vip* namespaces (10.231.0.0/24) and listen on the client.
"""

import time
import xml.etree.ElementTree as ET

import pytest

from ocfpy.deadline import Deadline
from ocfpy.process import alive
from ocfpy_agents.vip import announce
from ocfpy_agents.vip.agent import Vip

from vip_calls import run


# -- bounds ----------------------------------------------------------------------------

@pytest.mark.parametrize("name, value", [
    ("arp_count", "0"), ("arp_count", "101"), ("arp_count", "1000000"),
    ("arp_interval", "0"), ("arp_interval", "9"), ("arp_interval", "10001"),
    ("arp_count_refresh", "21"), ("arp_count_refresh", "-1"),
])
def test_validate_all_refuses_announcement_settings_that_flood(name, value):
    rc, why = run("validate-all", ip="10.231.0.50", **{name: value})
    assert rc == 6 and len(why) == 1 and f"parameter {name}" in why[0], why


@pytest.mark.parametrize("params", [
    {"arp_count": "1", "arp_interval": "10", "arp_count_refresh": "0"},
    {"arp_count": "100", "arp_interval": "10000", "arp_count_refresh": "20"},
])
def test_validate_all_accepts_the_bounds_themselves(params):
    assert run("validate-all", ip="10.231.0.50", **params) == (0, [])


def test_meta_data_states_the_bounds():
    root = ET.fromstring(Vip.metadata().split("\n", 2)[2])
    longdesc = {p.get("name"): p.find("longdesc").text for p in root.iter("parameter")}
    assert "1 to 100" in longdesc["arp_count"]
    assert "10 to 10000 milliseconds" in longdesc["arp_interval"]
    assert "0 to 20" in longdesc["arp_count_refresh"]


class Counter:
    """A sender that counts rounds and when they went out."""

    def __init__(self):
        self.times, self.closed = [], False

    def round(self):
        self.times.append(time.monotonic())
        return 2

    def close(self):
        self.closed = True


def test_rounds_are_never_closer_than_10_ms_even_with_interval_0():
    pauses = []
    sender = Counter()
    assert announce.repeat(sender, 50, 0, sleep=pauses.append) == 100
    assert len(pauses) == 49 and min(pauses) >= announce.MIN_INTERVAL == 0.01
    assert sender.closed


def test_foreground_rounds_stop_before_the_deadline():
    deadline = Deadline.after(0.35)
    sender = Counter()
    frames = announce.repeat(sender, 100, 0.1, deadline=deadline)
    assert time.monotonic() <= deadline.end + 0.02       # returned by the deadline
    assert all(t <= deadline.end for t in sender.times)  # nothing sent after it
    assert 3 <= len(sender.times) <= 4 and frames == 2 * len(sender.times)
    assert sender.closed


def test_an_expired_deadline_sends_no_further_round():
    sender = Counter()
    assert announce.repeat(sender, 100, 0.01, deadline=Deadline.after(0), wait_first=True) == 0
    assert sender.times == [] and sender.closed


# -- on the wire -------------------------------------------------------------------------

ARP_LISTENER = """
import json, select, socket, sys, time
ip = socket.inet_aton(sys.argv[1])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
s.bind(("eth0", 0x0806))
print("ready", flush=True)
seen, start = [], time.monotonic()
end = start + float(sys.argv[2])
while time.monotonic() < end:
    if select.select([s], [], [], 0.05)[0]:
        f = s.recv(2048)
        if f[28:32] == ip and f[38:42] == ip:      # sender = target = the VIP: an announcement
            seen.append([round(time.monotonic() - start, 4), int.from_bytes(f[20:22], "big")])
print(json.dumps(seen))
"""


def listen(bed, vip, seconds, action):
    """[[seconds since listening began, ARP op], ...] the client c sees for
    ``vip`` while ``action()`` runs and until ``seconds`` have passed."""
    return bed.watch("c", ARP_LISTENER, seconds, action, vip, str(seconds))


def timed(bed, node, action, rc=0, **kw):
    began = time.monotonic()
    proc = bed.agent(node, action, **kw)
    took = time.monotonic() - began
    assert proc.returncode == rc, f"{action}: rc {proc.returncode} != {rc}: {proc.stderr}"
    return took


def test_foreground_start_never_announces_past_its_timeout(sec_bed):
    """arp_bg=false, 100 rounds 1 s apart, a 3 s start timeout: the deadline
    (3 s less the 0.5 s margin) ends the announcements, start answers 0 in time."""
    vip = "10.231.0.70"
    params = dict(ip=vip, arp_count=100, arp_interval=1000, arp_bg="false",
                  env={"OCF_RESKEY_CRM_meta_timeout": "3000"})
    took = []
    try:
        seen = listen(sec_bed, vip, 5.0, lambda: took.append(timed(sec_bed, "a", "start", **params)))
    finally:
        sec_bed.agent("a", "stop", ip=vip)
    assert took[0] < 3.0, took
    assert 2 <= len(seen) <= 2 * 3, seen         # rounds at 0, 1 and 2 s at most: no burst
    assert sec_bed.has_ip("a", vip) is False     # stopped again


def test_background_announcer_is_paced_and_ends_at_the_start_deadline(sec_bed, tmp_path):
    """arp_bg=true, 100 rounds 100 ms apart (10 s), a 2 s start timeout: the
    announcer sends at most one round per 100 ms and is gone 1.5 s after the start."""
    vip = "10.231.0.71"
    env = {"OCF_RESKEY_CRM_meta_timeout": "2000", "HA_VARRUN": str(tmp_path)}
    params = dict(ip=vip, arp_count=100, arp_interval=100, arp_mode="request")
    state = tmp_path / f"ocfpy-vip-{sec_bed.tag}-vip.announce"
    pids = []

    def start():
        timed(sec_bed, "a", "start", env=env, **params)
        pids.append(int(state.read_text().split()[0]))
    try:
        seen = listen(sec_bed, vip, 4.0, start)
        gone = not alive(pids[0])
    finally:
        sec_bed.agent("a", "stop", env=env, ip=vip)
    times = [t for t, _ in seen]
    assert 5 <= len(times) <= 1.5 / 0.1 + 1, seen          # not 40 rounds in these 4 s
    assert min(b - a for a, b in zip(times, times[1:])) > 0.08, seen
    assert times[-1] - times[0] < 1.6, seen
    assert gone, "the background announcer outlived the start's deadline"


def test_monitor_refresh_never_announces_past_its_timeout(sec_bed):
    vip = "10.231.0.72"
    ok = dict(ip=vip, arp_count=1)
    try:
        timed(sec_bed, "a", "start", **ok)
        took = []
        seen = listen(sec_bed, vip, 4.0, lambda: took.append(timed(
            sec_bed, "a", "monitor", ip=vip, arp_count_refresh=20, arp_interval=1000,
            env={"OCF_RESKEY_CRM_meta_interval": "10000", "OCF_RESKEY_CRM_meta_timeout": "3000"})))
    finally:
        sec_bed.agent("a", "stop", ip=vip)
    assert took[0] < 3.0, took
    assert 2 <= len(seen) <= 2 * 3, seen
