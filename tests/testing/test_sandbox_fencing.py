"""Real fencing of the namespace clusters (issue 14, part 1).

The fence agent ``fence_ocfpy_sandbox`` (ocfpy.sandbox.fence) follows the
fence-agents API; fencing a node through Pacemaker (``stonith_admin``) really
powers it off -- no process of its network namespace left, its link gone --
and power-on rebuilds it and it rejoins. The fixtures' clusters and the
sandbox run with stonith-enabled=true.

Needs root and pacemaker/corosync for everything but the agent's own checks.
Run: .venv/bin/python -m pytest tests/testing/test_sandbox_fencing.py -v
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ocfpy.process import start_time
from ocfpy.sandbox import fence
from ocfpy.sandbox.cluster import FENCE_DEVICE, process_alive
from test_real_cluster import (_assert_nothing_left, _facts_from_state, _host_snapshot, _ocfpy,
                               require_cluster, sandbox_env)

AGENT = "fence_ocfpy_sandbox"


def _agent(stdin: str = "", args=()) -> subprocess.CompletedProcess:
    """The agent module as Pacemaker runs it (options on stdin), no cluster needed."""
    return subprocess.run([sys.executable, "-m", "ocfpy.sandbox.fence", *args], input=stdin,
                          capture_output=True, text=True, timeout=30)


def _node_pids(netns: int) -> list:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat("/proc/%s/ns/net" % entry).st_ino == netns and process_alive(int(entry)):
                    found.append(int(entry))
            except OSError:
                pass
    return found


def _procs_of(netns: int) -> list:
    """(pid, start time) of every process in ``netns``: a namespace's inode
    number is reused at once after it is freed (a rebooted node's new
    namespace often gets the old number), pids with their start time are not."""
    return [(pid, start_time(pid) or 0) for pid in _node_pids(netns)]


def _any_alive(procs: list) -> list:
    return [pid for pid, start in procs if process_alive(pid, start)]


def _node_entry(mon: ET.Element, name: str) -> ET.Element:
    return next(n for n in mon.findall("nodes/node") if n.get("name") == name)


def _offline_and_clean(name: str):
    def check(mon):
        n = _node_entry(mon, name)
        return n.get("online") == "false" and n.get("unclean") == "false"
    return check


def _fence_events(c, target: str, node: int = 1) -> list:
    """Every fencing of ``target`` the cluster recorded, newest first, as
    (action, status, client, completed). (Without --verbose, stonith_admin
    2.1.5 --history shows one success, not always the newest.)"""
    out = c.run(["stonith_admin", "--history", target, "--verbose", "--output-as=xml"],
                node=node, check=False).stdout
    try:
        root = ET.fromstring(out)
    except ET.ParseError:
        return []
    return [(e.get("action"), e.get("status"), e.get("client", "").split(".")[0],
             e.get("completed")) for e in root.iter("fence_event")]


def _check_metadata(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == "resource-agent" and root.get("name") == AGENT and root.get("shortdesc")
    params = {p.get("name"): p for p in root.findall("parameters/parameter")}
    assert {"action", "port", "plug", "cluster_dir", "host_pid"} <= set(params)
    assert params["cluster_dir"].get("required") == "1"
    for p in params.values():
        assert p.find("content") is not None and p.find("shortdesc") is not None
    actions = {a.get("name") for a in root.findall("actions/action")}
    assert {"on", "off", "reboot", "status", "list", "monitor", "metadata"} <= actions
    return root


# ------------------------------------------------------- the agent alone
def test_agent_metadata_follows_the_fence_agents_format():
    res = _agent("action=metadata\n")
    assert res.returncode == 0, res.stderr
    _check_metadata(res.stdout)
    # the command line works too (fence-agents style)
    assert _agent(args=("-o", "metadata")).stdout == res.stdout


def test_agent_options_and_errors():
    opts = fence.parse_stdin('# comment\naction=off\nplug="node3"\nnodename=node3\n'
                             'cluster_dir=/x\nhost_pid=12:34\npcmk_host_list=a b\n\n')
    assert opts["action"] == "off" and opts["port"] == "node3" and opts["host_pid"] == "12:34"
    # without the device's parameters, with an unknown action: exit 1, a reason on stderr
    res = _agent("action=off\nport=node3\n")
    assert res.returncode == 1 and "cluster_dir and host_pid" in res.stderr
    res = _agent("action=explode\ncluster_dir=/x\nhost_pid=1\n")
    assert res.returncode == 1 and "unsupported action" in res.stderr
    # a host anchor that is gone (wrong start time): monitor fails
    start = start_time(os.getpid())
    res = _agent("action=monitor\ncluster_dir=/x\nhost_pid=%d:%d\n" % (os.getpid(), start + 1))
    assert res.returncode == 1 and "gone" in res.stderr
    res = _agent("action=monitor\ncluster_dir=/x\nhost_pid=%d:%d\n" % (os.getpid(), start))
    assert res.returncode == 0, res.stderr


def test_the_agent_of_another_installation_that_still_exists_is_left_for_its_clusters(tmp_path):
    other_tree = tmp_path / "other"
    (other_tree / "ocfpy" / "sandbox").mkdir(parents=True)
    (other_tree / "ocfpy" / "sandbox" / "fence.py").write_text("")
    path = tmp_path / "fence_ocfpy_sandbox"
    theirs = fence.script_text(python=sys.executable).replace(
        repr(str(Path(fence.__file__).resolve().parents[2])), repr(str(other_tree)))
    path.write_text(theirs)
    fence.install_agent(path)
    assert path.read_text() == theirs


def test_the_agent_of_an_installation_that_is_gone_is_replaced(tmp_path):
    path = tmp_path / "fence_ocfpy_sandbox"
    path.write_text(fence.script_text(python=str(tmp_path / "deleted-venv" / "python3")))
    fence.install_agent(path)
    assert path.read_text() == fence.script_text()


# ------------------------------------------------- fixtures run fenced
@pytest.mark.real_cluster
@pytest.mark.parametrize("fixture", ["real_cluster", "real_cluster3"])
def test_fixture_clusters_run_with_fencing_enabled(fixture, request):
    c = request.getfixturevalue(fixture)
    assert c.run(["crm_attribute", "-G", "-n", "stonith-enabled", "-q"]).stdout.strip() == "true"
    installed = c.run(["stonith_admin", "--list-installed"]).stdout.split()
    assert AGENT in installed
    assert c.run(["stonith_admin", "--list-registered"]).stdout.split()[0] == FENCE_DEVICE
    _check_metadata(c.run(["stonith_admin", "--metadata", "--agent", AGENT]).stdout)
    # the device can fence every node; its list action goes through the host side
    assert c.run(["stonith_admin", "--list", c.node_names[-1]]).stdout.split()[0] == FENCE_DEVICE
    targets = c.run(["stonith_admin", "--list-targets", FENCE_DEVICE]).stdout.split()
    assert set(c.node_names) <= set(targets)
    st = c.resource_state(FENCE_DEVICE)
    assert st["active"] and not st["failed"], st


# ----------------------------------------------------------- 3 nodes
@pytest.mark.real_cluster
def test_stonith_admin_off_really_powers_node3_off_and_power_on_brings_it_back(
        real_cluster3_clean):
    c = real_cluster3_clean
    netns = c.namespaces[2][0]
    holder, veth = c.holder_pids[2], c.veth("node3")
    before = _procs_of(netns)
    assert len(before) >= 3 and Path("/sys/class/net", veth).exists()
    earlier = set(_fence_events(c, "node3"))
    t0 = time.monotonic()
    res = c.run(["stonith_admin", "--fence", "node3", "--timeout", "60"], node=1, timeout=90,
                check=False)
    fenced = time.monotonic() - t0
    assert res.returncode == 0, res.stdout + res.stderr
    # really off: nothing of node3 runs, its link is gone
    assert _any_alive(before) == [] and not process_alive(holder)
    assert not Path("/sys/class/net", veth).exists()
    assert c.power_states() == {"node1": True, "node2": True, "node3": False}
    assert c.run(["hostname"], node=3, check=False).returncode != 0
    # the cluster knows: node3 OFFLINE (fenced, not unclean), the fencing recorded
    c.wait_for(_offline_and_clean("node3"), timeout=30, node=1)
    assert "OFFLINE: [ node3 ]" in c.run(["crm_mon", "-1"], node=1).stdout
    new = [e for e in _fence_events(c, "node3") if e not in earlier]
    assert ("off", "success", "stonith_admin") in [e[:3] for e in new], new
    # nothing powers it on behind our back (a reboot fence would leave it off too)
    time.sleep(2)
    assert c.power_states()["node3"] is False
    t1 = time.monotonic()
    assert c.power_on("node3") is True
    back = time.monotonic() - t1
    c.wait_settled(timeout=30)
    new_netns = c.namespaces[2][0]
    assert c.holder_pids[2] not in (0, holder) and len(_node_pids(new_netns)) >= 3
    assert c.run(["hostname"], node=3).stdout.strip() == "node3"
    assert "10.213.0.3/24" in c.run(["ip", "-o", "addr", "show", "eth0"], node=3).stdout
    print("fenced (off) in %.2f s, back Online %.2f s after power on" % (fenced, back))


@pytest.mark.real_cluster
def test_stonith_admin_reboot_powers_off_then_on(real_cluster3_clean):
    c = real_cluster3_clean
    netns, holder = c.namespaces[1][0], c.holder_pids[1]
    before = _procs_of(netns)
    earlier = set(_fence_events(c, "node2", node=3))
    t0 = time.monotonic()
    res = c.run(["stonith_admin", "--reboot", "node2", "--timeout", "60"], node=3, timeout=90,
                check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    # off happened: the old node is gone entirely; on happened: a new one runs
    assert _any_alive(before) == [] and not process_alive(holder)
    assert c.power_states()["node2"] is True and c.holder_pids[1] not in (0, holder)
    c.wait_node_online("node2", timeout=60)
    c.wait_settled(timeout=30)
    print("reboot: node2 back Online in %.2f s" % (time.monotonic() - t0))
    new = [e for e in _fence_events(c, "node2", node=3) if e not in earlier]
    assert new and new[0][:3] == ("reboot", "success", "stonith_admin"), new


@pytest.mark.real_cluster
def test_a_crashed_node_is_fenced_by_the_cluster_and_comes_back(real_cluster3_clean):
    # power_off(hold=False): the node dies but its switch stays on, so the
    # others' reboot fence (Pacemaker's own decision) powers it on again
    c = real_cluster3_clean
    before = _procs_of(c.namespaces[2][0])
    earlier = set(_fence_events(c, "node3"))
    t0 = time.monotonic()
    assert c.power_off("node3", hold=False) is True
    assert _any_alive(before) == []

    def fenced_by_the_cluster(_mon):
        return ("reboot", "success", "pacemaker-controld") in [
            e[:3] for e in _fence_events(c, "node3") if e not in earlier]

    c.wait_for(fenced_by_the_cluster, timeout=60, interval=0.5)
    c.wait_node_online("node3", timeout=60)
    c.wait_settled(timeout=30)
    print("crash -> fenced (reboot) -> back Online in %.2f s" % (time.monotonic() - t0))


# ------------------------------------------------------------ 1 node
@pytest.mark.real_cluster
def test_one_node_cluster_fences_itself_with_a_power_cycle(real_cluster_clean):
    # the only node can't be fenced by a peer: the fencer runs the agent on
    # the node itself, the host side power-cycles it, the cluster comes back
    c = real_cluster_clean
    holder = c.holder_pids[0]
    before = _procs_of(c.namespaces[0][0])
    res = c.run(["stonith_admin", "--reboot", "node1", "--timeout", "30"], timeout=60,
                check=False)
    assert res.returncode != 0   # the requester died with its node
    deadline = time.monotonic() + 30
    while c.holder_pids[0] in (0, holder) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _any_alive(before) == [] and not process_alive(holder)
    c.wait_settled(timeout=60)
    assert c.resource_state(FENCE_DEVICE)["active"]


# ----------------------------------------------------------- sandbox
def test_sandbox_power_and_fence_commands(tmp_path):
    require_cluster()
    env = sandbox_env(tmp_path)
    before = _host_snapshot()
    up = _ocfpy("sandbox", "up", "--nodes", "3", env=env)
    assert up.returncode == 0, up.stdout + up.stderr
    facts = _facts_from_state(tmp_path / "sbx" / "state.json")
    try:
        state = json.loads((tmp_path / "sbx" / "state.json").read_text())
        assert state["fencing"] is True
        mon = _ocfpy("sandbox", "exec", "node1", "--", "crm_attribute", "-G", "-n",
                     "stonith-enabled", "-q", env=env)
        assert mon.stdout.strip() == "true"

        off = _ocfpy("sandbox", "power", "off", "node3", env=env)
        assert off.returncode == 0 and "node3 powered off" in off.stdout, off.stdout + off.stderr
        status = _ocfpy("sandbox", "power", "status", "node3", env=env)
        assert (status.returncode, status.stdout.strip()) == (2, "node3: off")
        assert "node3 OFF" in _ocfpy("sandbox", "status", env=env).stdout
        refused = _ocfpy("sandbox", "exec", "node3", "--", "true", env=env)
        assert refused.returncode != 0 and "powered off" in refused.stderr
        on = _ocfpy("sandbox", "power", "on", "3", env=env)
        assert on.returncode == 0 and "node3 back Online" in on.stdout, on.stdout + on.stderr

        fenced = _ocfpy("sandbox", "fence", "node2", env=env, timeout=180)
        assert fenced.returncode == 0, fenced.stdout + fenced.stderr
        assert "reboot of node2 successful" in fenced.stdout
        off = _ocfpy("sandbox", "fence", "--off", "node2", env=env, timeout=180)
        assert off.returncode == 0 and "turning off of node2 successful" in off.stdout
        assert _ocfpy("sandbox", "power", "status", "2", env=env).returncode == 2
        assert _ocfpy("sandbox", "power", "on", "node2", env=env).returncode == 0
        mon = _ocfpy("sandbox", "exec", "node2", "--", "crm_mon", "-1", env=env)
        assert "Online: [ node1 node2 node3 ]" in mon.stdout, mon.stdout
        # the processes of the rebuilt nodes are the ones down must stop
        facts = dict(facts, pids=facts["pids"] + _facts_from_state(
            tmp_path / "sbx" / "cluster" / "cluster.json")["pids"])
        facts["netns"] |= _facts_from_state(tmp_path / "sbx" / "cluster" / "cluster.json")["netns"]
    finally:
        down = _ocfpy("sandbox", "down", env=env, timeout=300)
    assert down.returncode == 0, down.stdout + down.stderr
    _assert_nothing_left(before, facts)
