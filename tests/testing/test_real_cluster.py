"""Real Pacemaker clusters in namespaces: fixtures, Cluster and the sandbox CLI.

Needs root and pacemaker/corosync (the fixtures skip otherwise); CI runs it.
Run: .venv/bin/python -m pytest tests/testing/test_real_cluster.py -v
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ocfpy.sandbox.cluster import FENCE_DEVICE, Cluster, process_alive, missing_requirements

pytestmark = [pytest.mark.real_cluster, pytest.mark.netns]

# state files set explicitly (each node has its own /run), so the tests do not
# depend on the agents' default location
STATE = "/run/ocfpy-test/{id}.state"
DUMMY = ('<primitive id="{id}" class="ocf" provider="ocfpy" type="dummy">'
         '<instance_attributes id="{id}-ia"><nvpair id="{id}-ia-state" name="state" '
         'value="/run/ocfpy-test/{id}.state"/></instance_attributes>'
         '<operations><op id="{id}-monitor-1s" name="monitor" interval="1s" timeout="20s"/>'
         '</operations></primitive>')
STATEFUL_CLONE = (
    '<clone id="{id}-clone"><meta_attributes id="{id}-clone-meta">'
    '<nvpair id="{id}-clone-promotable" name="promotable" value="true"/></meta_attributes>'
    '<primitive id="{id}" class="ocf" provider="ocfpy" type="stateful">'
    '<instance_attributes id="{id}-ia"><nvpair id="{id}-ia-state" name="state" '
    'value="/run/ocfpy-test/{id}.state"/></instance_attributes><operations>'
    '<op id="{id}-mon-p" name="monitor" interval="1s" timeout="20s" role="Promoted"/>'
    '<op id="{id}-mon-u" name="monitor" interval="2s" timeout="20s" role="Unpromoted"/>'
    '</operations></primitive></clone>')


def _create(cluster, xml):
    cluster.run(["cibadmin", "--create", "-o", "resources", "--xml-text", xml])


# ------------------------------------------------------------ host snapshot
def _links() -> set:
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True,
                         check=True).stdout
    return {line.split(":")[1].strip().split("@")[0] for line in out.splitlines()}


def _tree_digest(*roots: str) -> dict:
    """Names, sizes and content hashes of small host files we must never touch."""
    found = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            found[dirpath] = sorted(dirnames)
            for name in filenames:
                path = os.path.join(dirpath, name)
                try:
                    with open(path, "rb") as fh:
                        found[path] = hashlib.sha256(fh.read()).hexdigest()
                except OSError:
                    found[path] = None
    return found


def require_cluster() -> None:
    """Skips the calling test when this machine cannot run a real cluster."""
    reason = missing_requirements()
    if reason:
        pytest.skip(reason)


def sandbox_env(tmp_path: Path) -> dict:
    """The environment for ``ocfpy sandbox`` commands that keep their state in
    ``tmp_path``/sbx."""
    return dict(os.environ, OCFPY_SANDBOX_DIR=str(tmp_path / "sbx"))


def _host_snapshot() -> dict:
    # Other people's tests may run at the same time (their own clusters, agent
    # installs into /usr/lib/ocf/resource.d/<their provider>), so only what a
    # cluster of ours could have touched is compared.
    return {
        "mounts": Path("/proc/self/mounts").read_text(),
        "files": _tree_digest("/etc/corosync", "/var/lib/pacemaker", "/var/lib/corosync",
                              "/var/log/corosync", "/usr/lib/ocf/resource.d/ocfpy",
                              "/usr/lib/ocf/resource.d/heartbeat",
                              "/usr/lib/ocf/resource.d/pacemaker"),
    }


# where a node mounts things inside its own mount namespace
_NODE_MOUNTPOINTS = ("/var/lib/pacemaker", "/var/log/pacemaker", "/var/lib/corosync",
                     "/var/log/corosync", "/etc/corosync", "/usr/lib/ocf", "/run", "/dev/shm")


def _relevant_mounts(mounts: str, workdir: str) -> set:
    """Host mount lines a cluster of ours could have caused (other people's
    tests may add unrelated mounts, e.g. /run/netns/* of their own)."""
    found = set()
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 2:
            continue
        source, target = fields[0], fields[1]
        if workdir in source or target.startswith(workdir) or target in _NODE_MOUNTPOINTS \
                or target.startswith("/usr/lib/ocf/"):
            found.add(line)
    return found


def _named_netns_inodes() -> set:
    found = set()
    if os.path.isdir("/run/netns"):
        for name in os.listdir("/run/netns"):
            try:
                found.add(os.stat(os.path.join("/run/netns", name)).st_ino)
            except OSError:
                pass
    return found


def _live_pids_in(netns_inodes: set) -> list:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ino = os.stat("/proc/%s/ns/net" % entry).st_ino
        except OSError:
            continue
        if ino in netns_inodes and process_alive(int(entry)):
            pids.append(int(entry))
    return pids


#: network namespaces of the clusters under test, held open by _hold_namespaces
_HELD_NAMESPACES: dict = {}


def _hold_namespaces(pids) -> None:
    """Keep the network namespaces of ``pids`` in existence until
    :func:`_assert_nothing_left` has looked into them: a freed namespace's
    inode number goes to the next namespace anybody creates, and a job beside
    the suite that makes namespaces by the second (the hostile-input bench)
    would otherwise show up as our leftover."""
    for pid in pids:
        try:
            fd = os.open("/proc/%d/ns/net" % pid, os.O_RDONLY)
        except OSError:
            continue
        ino = os.fstat(fd).st_ino
        if ino in _HELD_NAMESPACES:
            os.close(fd)
        else:
            _HELD_NAMESPACES[ino] = fd


def _release_namespaces() -> None:
    while _HELD_NAMESPACES:
        os.close(_HELD_NAMESPACES.popitem()[1])


def _assert_nothing_left(before: dict, cluster_facts: dict) -> None:
    """Nothing of the cluster described by ``cluster_facts`` remains on the host."""
    try:
        _assert_nothing_of_it_left(before, cluster_facts)
    finally:
        _release_namespaces()


def _assert_nothing_of_it_left(before: dict, cluster_facts: dict) -> None:
    leftovers = [p for p in cluster_facts["pids"] if process_alive(p)]
    assert not leftovers, "processes survived: %s" % leftovers
    in_ns = _live_pids_in(cluster_facts["netns"])
    assert not in_ns, "processes still in the nodes' namespaces: %s" % in_ns
    ours = {link for link in _links() if cluster_facts["tag"] in link}
    assert not ours, "links left behind: %s" % ours
    after = _host_snapshot()
    new_mounts = _relevant_mounts(after["mounts"], cluster_facts["workdir"]) - \
        _relevant_mounts(before["mounts"], cluster_facts["workdir"])
    assert not new_mounts, "mounts left on the host: %s" % new_mounts
    assert not (_named_netns_inodes() & cluster_facts["netns"]), "namespace pinned by a name"
    assert after["files"] == before["files"], "host files changed"
    assert not Path(cluster_facts["workdir"]).exists(), "workdir left behind"


def _facts(cluster: Cluster) -> dict:
    _hold_namespaces(cluster.pids)
    return {
        "pids": list(cluster.pids),
        "netns": {net for net, _ in cluster.namespaces if net},
        "tag": cluster.tag,
        "workdir": str(cluster.workdir),
    }


# ---------------------------------------------------------------- 1 node
def test_one_node_fixture_up_under_10s(real_cluster):
    assert real_cluster.start_seconds < 10, real_cluster.start_seconds
    print("1-node cluster settled in %.2f s" % real_cluster.start_seconds)
    root = real_cluster.wait_settled(timeout=10)
    assert [n.get("name") for n in root.findall("nodes/node")] == ["node1"]
    assert real_cluster.node_names == ["node1"]


def test_node_is_isolated_and_sees_our_agents(real_cluster):
    c = real_cluster
    assert c.run(["hostname"]).stdout.strip() == "node1"
    # the provider exists only inside the node's private view
    meta = c.run(["crm_resource", "--show-metadata", "ocf:ocfpy:dummy"]).stdout
    assert '<resource-agent name="dummy"' in meta
    assert "ocfpy" in c.run(["crm_resource", "--list-ocf-providers"]).stdout.split()
    assert (c.ocf_root / "resource.d" / "ocfpy" / "dummy").exists()
    # the host's providers are still there for the node
    assert "Dummy" in c.run(["crm_resource", "--list-agents", "ocf:pacemaker"]).stdout.split()
    # the node's CIB lives in the workdir, not in the host's /var/lib/pacemaker
    assert (c.workdir / "node1" / "var-lib-pacemaker" / "cib" / "cib.xml").exists()
    assert not any(c.workdir.as_posix() in line
                   for line in Path("/proc/self/mounts").read_text().splitlines())


def test_dummy_resource_starts_and_state_read_from_crm_mon(real_cluster_clean):
    c = real_cluster_clean
    t0 = time.monotonic()
    _create(c, DUMMY.format(id="d1"))
    c.wait_for(lambda mon: c.resource_state("d1", mon)["active"], timeout=10)
    print("dummy started in %.2f s" % (time.monotonic() - t0))
    st = c.resource_state("d1")
    assert st["exists"] and st["active"]
    assert st["nodes"] == ["node1"]
    assert st["role"] == "Started"
    assert st["failed"] is False and st["failures"] == []
    assert c.run(["cat", STATE.format(id="d1")]).returncode == 0
    assert c.resource_state("no-such-resource")["exists"] is False


def test_injected_failure_is_detected_and_recovered(real_cluster_clean):
    c = real_cluster_clean
    _create(c, DUMMY.format(id="d2"))
    c.wait_for(lambda mon: c.resource_state("d2", mon)["active"], timeout=10)
    t0 = time.monotonic()
    c.run(["rm", "-f", STATE.format(id="d2")])  # the "service" dies
    c.wait_for(lambda mon: c.resource_state("d2", mon)["failed"], timeout=10)
    detected = time.monotonic() - t0
    c.wait_for(lambda mon: (c.resource_state("d2", mon)["active"]
                            and c.resource_state("d2", mon)["failed"]), timeout=10)
    c.wait_settled(timeout=10)
    st = c.resource_state("d2")
    print("failure detected in %.2f s, recovered in %.2f s" % (
        detected, time.monotonic() - t0))
    assert st["active"] and st["nodes"] == ["node1"]
    assert [(f["op"], f["rc"]) for f in st["failures"]] == [("monitor", 7)]
    assert c.run(["test", "-e", STATE.format(id="d2")], check=False).returncode == 0


def test_reset_gives_a_clean_cib(real_cluster_clean):
    c = real_cluster_clean
    _create(c, DUMMY.format(id="d3"))
    c.run(["crm_attribute", "-t", "crm_config", "-n", "maintenance-mode", "-v", "false"])
    c.wait_for(lambda mon: c.resource_state("d3", mon)["active"], timeout=10)
    # a test that deletes the fencing device or turns fencing off gets both back
    c.run(["crm_attribute", "-n", "stonith-enabled", "-v", "false"])
    c.run(["cibadmin", "--delete", "-o", "resources", "--xml-text",
           '<primitive id="%s"/>' % FENCE_DEVICE])
    c.reset()
    root = ET_fromstring(c.crm_mon_xml())
    # only the fencing device is left, and it runs
    assert [(r.get("id"), r.get("resource_agent"), r.get("role"))
            for r in root.findall("resources/*")] == \
        [(FENCE_DEVICE, "stonith:fence_ocfpy_sandbox", "Started")]
    assert c.run(["crm_attribute", "-t", "crm_config", "-n", "maintenance-mode", "-G"],
                 check=False).returncode != 0
    assert c.run(["crm_attribute", "-G", "-n", "stonith-enabled", "-q"]).stdout.strip() \
        == "true"


def ET_fromstring(text):
    import xml.etree.ElementTree as ET
    return ET.fromstring(text)


# --------------------------------------------------------------- 3 nodes
def test_three_node_fixture_up_under_20s(real_cluster3):
    c = real_cluster3
    assert c.start_seconds < 20, c.start_seconds
    print("3-node cluster settled in %.2f s" % c.start_seconds)
    root = c.wait_settled(timeout=10)
    assert sorted(n.get("name") for n in root.findall("nodes/node")) == \
        ["node1", "node2", "node3"]
    # each node has its own address on the private bridge and reaches the others
    assert "10.213.0.2/24" in c.run(["ip", "-o", "addr", "show", "eth0"], node=2).stdout
    assert c.bridge and c.bridge in _links()
    # corosync/knet on node1 talks to the other nodes over the bridge
    links = c.run(["corosync-cfgtool", "-s"], node=1).stdout
    for nodeid in (2, 3):
        assert re.search(r"nodeid:\s+%d:\s+connected" % nodeid, links), links


def test_three_node_promotable_clone_recovers_from_promoted_failure(real_cluster3_clean):
    c = real_cluster3_clean
    _create(c, STATEFUL_CLONE.format(id="s1"))

    def one_promoted_all_running(mon):
        st = c.resource_state("s1-clone", mon)
        return len(st["promoted"]) == 1 and len(st["nodes"]) == 3

    c.wait_for(one_promoted_all_running, timeout=15)
    st = c.resource_state("s1-clone")
    promoted = st["promoted"][0]
    assert sorted(r for r in st["roles"].values()) == ["Promoted", "Unpromoted", "Unpromoted"]
    t0 = time.monotonic()
    c.run(["rm", "-f", STATE.format(id="s1")], node=promoted)
    c.wait_for(lambda mon: c.resource_state("s1-clone", mon)["failed"], timeout=15)
    c.wait_for(lambda mon: one_promoted_all_running(mon)
               and c.resource_state("s1-clone", mon)["failed"], timeout=20)
    print("promoted failure on %s recovered in %.2f s" % (promoted, time.monotonic() - t0))
    fails = c.resource_state("s1-clone")["failures"]
    # only the last failure per node is kept: the monitor's 7, or the 7 of the
    # demote Pacemaker tries next on the dead instance (Stateful answers 7 too)
    assert fails and all(f["node"] == promoted and f["op"] in ("monitor", "demote")
                         and f["rc"] == 7 for f in fails), fails


def test_three_node_dummy_moves_on_standby(real_cluster3_clean):
    c = real_cluster3_clean
    _create(c, DUMMY.format(id="d4"))
    c.wait_for(lambda mon: c.resource_state("d4", mon)["active"], timeout=10)
    first = c.resource_state("d4")["nodes"][0]
    c.run(["crm_attribute", "-N", first, "-n", "standby", "-v", "on"])
    try:
        c.wait_for(lambda mon: c.resource_state("d4", mon)["nodes"] not in ([], [first]),
                   timeout=15)
        assert c.resource_state("d4")["nodes"][0] != first
    finally:
        c.run(["crm_attribute", "-N", first, "-n", "standby", "-D"], check=False)


# -------------------------------------------------------------- teardown
@pytest.mark.parametrize("nodes", [1, 3])
def test_teardown_leaves_nothing_behind(nodes, real_cluster):
    # real_cluster is up meanwhile: two clusters coexist on one machine
    before = _host_snapshot()
    links_before = _links()
    c = Cluster(nodes=nodes)
    t0 = time.monotonic()
    try:
        c.start()
        started = time.monotonic() - t0
        facts = _facts(c)
        assert len(facts["netns"]) == nodes
        assert len(_live_pids_in(facts["netns"])) >= nodes * 3
        if nodes == 3:
            assert {l for l in _links() - links_before if c.tag in l} == \
                {c.bridge} | {"ocv%s%d" % (c.tag, i) for i in (1, 2, 3)}
        _create(c, DUMMY.format(id="t1"))
        c.wait_for(lambda mon: c.resource_state("t1", mon)["active"], timeout=10)
        # a daemon an agent (or a person) left running in a node goes too
        c.run(["setsid", "-f", "sh", "-c", "exec sleep 600 </dev/null >/dev/null 2>&1"],
              node=nodes)
        assert len(_live_pids_in(facts["netns"])) > len(facts["pids"])
        # the running cluster changed nothing the host can see
        during = _host_snapshot()
        assert during["files"] == before["files"]
        assert _relevant_mounts(during["mounts"], facts["workdir"]) == \
            _relevant_mounts(before["mounts"], facts["workdir"])
        assert real_cluster.resource_state("t1")["exists"] is False
    finally:
        t1 = time.monotonic()
        c.stop()
    print("%d node(s): start %.2f s, stop %.2f s" % (nodes, started, time.monotonic() - t1))
    _assert_nothing_left(before, facts)


def test_teardown_after_failed_start_leaves_nothing(monkeypatch):
    require_cluster()
    before = _host_snapshot()
    c = Cluster(nodes=3)
    seen = {}

    def boom(*a, **kw):
        seen.update(_facts(c))  # corosync runs, bridge and namespaces exist
        raise RuntimeError("injected failure after corosync")

    monkeypatch.setattr(c, "_wait_corosync", boom)
    with pytest.raises(RuntimeError, match="injected"):
        c.start()
    # 3 holders, 3 corosync and the host anchor (fencing)
    assert len(seen["pids"]) == 7 and len(seen["netns"]) == 3
    _assert_nothing_left(before, seen)
    assert not c.alive()


def test_reap_orphans_removes_cluster_of_a_killed_run():
    require_cluster()
    from ocfpy.sandbox.cluster import STATE_FILE, reap_orphans

    before = _host_snapshot()
    owner = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\n"
         "from ocfpy.sandbox.cluster import Cluster\n"
         "c = Cluster(nodes=1)\nc.start()\nprint(c.workdir, flush=True)\ntime.sleep(600)\n"],
        stdout=subprocess.PIPE, text=True)
    try:
        workdir = Path(owner.stdout.readline().strip())
    finally:
        owner.kill()  # no teardown ran: the cluster is orphaned
        owner.wait()
        owner.stdout.close()
    facts = _facts_from_state(workdir / STATE_FILE)
    assert all(process_alive(p) for p in facts["pids"])
    assert str(workdir) in reap_orphans(workdir.parent)
    _assert_nothing_left(before, facts)


# --------------------------------------------------------------- sandbox
def _ocfpy(*args, env, timeout=120, cwd=None):
    return subprocess.run([sys.executable, "-c", "from ocfpy.cli import main; main()", *args],
                          capture_output=True, text=True, env=env, timeout=timeout, cwd=cwd)


def _facts_from_state(path: Path) -> dict:
    state = json.loads(path.read_text())
    _hold_namespaces(p["pid"] for p in state["procs"])
    return {"pids": [p["pid"] for p in state["procs"]],
            "netns": {n["netns"] for n in state["node_info"]},
            "tag": state["tag"], "workdir": state["workdir"]}


def test_sandbox_up_down_twice(tmp_path):
    require_cluster()
    env = sandbox_env(tmp_path)
    before = _host_snapshot()
    for round_, demo in ((1, ("--demo", "basic")), (2, ())):
        t0 = time.monotonic()
        up = _ocfpy("sandbox", "up", "--nodes", "3", *demo, env=env)
        assert up.returncode == 0, up.stdout + up.stderr
        print("round %d: up in %.2f s" % (round_, time.monotonic() - t0))
        assert "[sandbox] cluster ocfpy-sandbox settled" in up.stdout  # progress shown
        state = json.loads((tmp_path / "sbx" / "state.json").read_text())
        facts = _facts_from_state(tmp_path / "sbx" / "state.json")
        # it stays up after the command exited
        assert all(process_alive(p["pid"], p["start"]) for p in state["procs"])
        again = _ocfpy("sandbox", "up", env=env)
        assert again.returncode != 0 and "already up" in again.stderr
        mon = _ocfpy("sandbox", "exec", "node2", "--", "crm_mon", "-1", env=env)
        assert mon.returncode == 0 and "Online: [ node1 node2 node3 ]" in mon.stdout
        if demo:
            assert "demo-dummy" in mon.stdout and "Promoted:" in mon.stdout
        rc = _ocfpy("sandbox", "exec", "3", "--", "sh", "-c", "hostname; exit 4", env=env)
        assert rc.returncode == 4 and rc.stdout.strip() == "node3"
        # the caller's working directory is kept (relative paths work in the node)
        wd = _ocfpy("sandbox", "exec", "1", "--", "pwd", env=env, cwd=tmp_path)
        assert wd.stdout.strip() == str(tmp_path), wd.stdout + wd.stderr
        assert _ocfpy("sandbox", "status", env=env).returncode == 0
        down = _ocfpy("sandbox", "down", env=env)
        assert down.returncode == 0, down.stdout + down.stderr
        _assert_nothing_left(before, facts)
        assert not (tmp_path / "sbx").exists()
        assert _ocfpy("sandbox", "status", env=env).returncode == 1


# The OpenStack demo under real Pacemaker: tests/testing/test_sandbox_demo.py.
