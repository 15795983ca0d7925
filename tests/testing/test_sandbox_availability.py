"""What an API client sees through the demo's VIP while the demo is hurt
(issue 15): a client in its own namespace calls token, image-list,
volume-type and share-type through the VIP without pause while HAProxy is
reloaded with a changed configuration (no call fails), while every
keystone process of the node HAProxy sends the client to is killed (no
call fails: the other nodes serve), and while the node holding the VIP is
powered off (no run of failed calls longer than corosync's failure
detection, token plus consensus, plus 2 s; no API without an answer for
2 s more than that).

The figures themselves (both agent sets, the Galera writer's node, the
monitors' CPU) are bench/bench_availability.py's.

Run: .venv/bin/python -m pytest tests/testing/test_sandbox_availability.py -v -s
(root; the real demo, ~4 minutes on a loaded 2-core machine).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from ocfpy.sandbox import demo
from ocfpy.sandbox.availability import ApiClient, Call, DemoBed, figures, monitor_ops, \
    resource_env
from ocfpy.sandbox.cluster import missing_requirements as cluster_missing

WARMUP = 5.0


# --------------------------------------------------------------- figures
def test_a_run_of_failed_calls_lasts_from_the_first_failure_to_the_next_good_call():
    calls = [Call("token", t, t + 0.1, not 2 <= t < 4) for t in range(8)]
    fig = figures(calls, 1.5)["token"]
    assert (fig.failed, fig.longest_failure_run) == (2, 2)


def test_a_call_that_hangs_and_then_succeeds_is_time_without_an_answer_not_a_failure():
    calls = [Call("image-list", 0, 0.1, True), Call("image-list", 1, 5.5, True),
             Call("image-list", 5.6, 5.7, True)]
    fig = figures(calls, 0.5)["image-list"]
    assert (fig.failed, round(fig.longest_without_answer, 1), fig.slowest_ok) == (0, 5.0, 4.5)


def test_a_call_in_flight_when_the_fault_strikes_counts_for_the_fault():
    calls = [Call("token", 0, 0.1, True), Call("token", 0.9, 3.0, False),
             Call("token", 3.0, 3.1, True)]
    assert figures(calls, 1.0)["token"].failed == 1


def test_an_api_that_never_failed_is_normal_at_once():
    calls = [Call("share-type", t / 5, t / 5 + 0.05, True) for t in range(50)]
    fig = figures(calls, 2.0)["share-type"]
    assert (fig.failed, fig.back_to_normal, fig.longest_failure_run) == (0, 0.0, 0.0)


def test_fence_history_times_are_read_in_every_form_pacemaker_writes():
    from ocfpy.sandbox.availability import fence_time
    assert [fence_time(t) for t in ("2026-12-02 10:53:16Z", "2026-12-02 10:53:16 +00:00",
                                    "2026-12-02 11:53:16.250 +01:00", "yesterday")] == [
        1796208796.0, 1796208796.0, 1796208796.0, None]


_CIB = """<cib><configuration><resources>
<clone id="g-clone"><meta_attributes id="m"><nvpair id="m1" name="promoted-max" value="3"/>
</meta_attributes>
<primitive id="g" class="ocf" provider="ocfpy" type="galera">
 <instance_attributes id="a"><nvpair id="a1" name="datadir" value="/var/lib/mysql"/>
 </instance_attributes>
 <instance_attributes id="b"><rule id="r" score="0"><expression id="e" attribute="#uname"
  operation="eq" value="node2"/></rule><nvpair id="b1" name="datadir" value="/srv/n2"/>
 </instance_attributes>
 <operations>
  <op id="o1" name="monitor" interval="10s" timeout="30s" role="Promoted"/>
  <op id="o2" name="monitor" interval="11s" timeout="30s" role="Unpromoted"/>
  <op id="o3" name="monitor" interval="1min" timeout="30s"><instance_attributes id="o3a">
   <nvpair id="o3a1" name="OCF_CHECK_LEVEL" value="10"/></instance_attributes></op>
 </operations></primitive></clone>
<primitive id="fence" class="stonith" type="fence_x"><operations>
 <op id="f1" name="monitor" interval="60s"/></operations></primitive>
</resources></configuration></cib>"""


def test_an_action_gets_the_parameters_of_its_node_and_the_clones_meta_attributes():
    _path, env1, _i = resource_env(_CIB, "g", "node1")
    _path, env2, _i = resource_env(_CIB, "g", "node2")
    assert (env1["OCF_RESKEY_datadir"], env2["OCF_RESKEY_datadir"],
            env1["OCF_RESKEY_CRM_meta_promoted_max"]) == ("/var/lib/mysql", "/srv/n2", "3")


def test_an_action_gets_its_operations_interval_role_and_depth():
    _p, promoted, _i = resource_env(_CIB, "g", "node1", role="Promoted")
    _p, deep, interval = resource_env(_CIB, "g", "node1", interval_ms=60000)
    assert (promoted["OCF_RESKEY_CRM_meta_interval"], promoted["OCF_RESKEY_CRM_meta_role"],
            deep["OCF_CHECK_LEVEL"], interval) == ("10000", "Promoted", "10", 60000)


def test_monitor_ops_lists_the_recurring_monitors_of_ocf_resources_only():
    assert monitor_ops(_CIB) == [("g", 10000, "Promoted"), ("g", 11000, "Unpromoted"),
                                 ("g", 60000, None)]


# ------------------------------------------------------------ the real demo
@pytest.fixture(scope="module")
def bed():
    """The openstack demo on 3 nodes with fencing (``ocfpy sandbox up
    --demo`` in a sandbox directory of its own), attached from here."""
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces, Pacemaker)")
    reason = cluster_missing() or demo.missing_requirements("openstack", 3)
    if reason:
        pytest.skip(reason)
    from ocfpy.sandbox.cli import load_state
    from ocfpy.sandbox.cluster import Cluster
    from ocfpy.sandbox.layout import DemoLayout

    base = Path(tempfile.mkdtemp(prefix="ocfpy-avail-", dir="/tmp"))
    os.chmod(base, 0o755)        # the demo's service user traverses it
    saved = os.environ.get("OCFPY_SANDBOX_DIR")
    os.environ["OCFPY_SANDBOX_DIR"] = str(base / "sbx")
    cli = [sys.executable, "-c", "from ocfpy.cli import main; main()", "sandbox"]
    try:
        up = subprocess.run(cli + ["up", "--demo"], capture_output=True, text=True, timeout=600)
        assert up.returncode == 0, up.stdout[-4000:] + up.stderr[-4000:]
        cluster = Cluster.from_state(load_state())
        yield DemoBed(cluster, DemoLayout.default())
    finally:
        subprocess.run(cli + ["down"], capture_output=True, text=True, timeout=300)
        if saved is None:
            os.environ.pop("OCFPY_SANDBOX_DIR", None)
        else:
            os.environ["OCFPY_SANDBOX_DIR"] = saved
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def client(bed, tmp_path):
    """Start a client calling every API through the VIP (once the demo is
    whole); ``stop()`` returns its calls."""
    from ocfpy.sandbox.client import ClientNamespace

    bed.wait_healthy(300)
    ns = ClientNamespace(bed.c).start()
    started = []

    def start() -> ApiClient:
        openrc = str(bed.layout.node_dir("node1") / "admin-openrc")
        api = ApiClient(ns, tmp_path / "calls.jsonl", openrc, period=0.2).start()
        started.append(api)
        time.sleep(WARMUP)
        return api
    try:
        yield start
    finally:
        for api in started:
            if api.proc is not None:
                api.stop()
        ns.stop()


def _failed(calls, since: float) -> dict:
    return {api: f.failed for api, f in figures(calls, since).items()}


@pytest.mark.real_cluster
@pytest.mark.netns
def test_haproxy_reloaded_with_a_changed_configuration_fails_no_call(bed, client):
    api = client()
    t0 = time.monotonic()
    bed.reload_haproxy()
    time.sleep(5)
    calls = api.stop()
    failed = _failed(calls, t0)
    assert set(failed) == {"token", "image-list", "volume-type", "share-type"}
    assert sum(failed.values()) == 0, ([c for c in calls if not c.ok][:10], failed)


@pytest.mark.real_cluster
@pytest.mark.netns
def test_killing_keystone_on_the_clients_node_fails_no_call(bed, client):
    api = client()
    target = bed.busiest_server("keystone_public_internal_cluster")
    t0 = time.monotonic()
    killed = bed.kill_api("keystone", target)
    time.sleep(8)
    calls = api.stop()
    failed = _failed(calls, t0)
    bed.c.run(["crm_resource", "--cleanup", "-r", "keystone-clone"], check=False)
    assert killed and sum(failed.values()) == 0, (
        target, killed, [c for c in calls if not c.ok][:10], failed)


@pytest.mark.real_cluster
@pytest.mark.netns
def test_the_vip_nodes_power_loss_leaves_no_api_without_answer_longer_than_detection_plus_2s(
        bed, client):
    if bed.vip_node() == "node1":       # keep the Galera writer out of it
        bed.move_vip("node2")
    target = bed.vip_node()
    timings = bed.corosync_timings()
    token, consensus = timings["token"], timings["consensus"]
    limit = (token + consensus) / 1000 + 2
    api = client()
    t0, wall = time.monotonic(), time.time()
    bed.power_off(target)
    deadline = time.monotonic() + 120
    while not bed.fenced(target, wall) and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(10)
    calls = api.stop()
    figs = figures(calls, t0)
    moved_to = bed.vip_node()
    bed.repair(target)
    worst_run = max(f.longest_failure_run for f in figs.values())
    worst_wait = max(f.longest_without_answer for f in figs.values())
    print(f"\nVIP node {target} powered off: longest run of failed calls {worst_run:.2f} s, "
          f"longest without an answer {worst_wait:.2f} s (limit {limit:.2f} s: token {token} ms "
          f"+ consensus {consensus} ms + 2 s); "
          + "; ".join(f"{a} {f.failed} failed" for a, f in figs.items()))
    assert moved_to not in (None, target)
    # the measure: the longest run of failed calls. Calls mostly wait
    # for the new holder instead of failing, so the time without an answer
    # is bounded too, with 2 s more room: 4.5-6.9 s measured with this test
    # alone on this 2-core machine, 6.95-7.03 s beside two other heavy jobs
    assert (worst_run <= limit, worst_wait <= limit + 2) == (True, True), {
        a: f.line() for a, f in figs.items()}
