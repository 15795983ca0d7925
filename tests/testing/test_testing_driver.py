"""The driver runs agents with Pacemaker's environment and enforces timeouts."""

import time
from pathlib import Path

import pytest

from ocfpy.testing.driver import RC_TIMEOUT, AgentNotFound, Driver, clone_meta, resolve_agent

BROKEN = Path(__file__).parent / "broken_agents"
PCMK_STATEFUL = Path("/usr/lib/ocf/resource.d/pacemaker/Stateful")
needs_stateful = pytest.mark.skipif(not PCMK_STATEFUL.exists(), reason="pacemaker's Stateful agent not installed")


@pytest.fixture
def env_agent(tmp_path):
    """An agent that dumps its environment to stdout."""
    path = tmp_path / "envdump"
    path.write_text("#!/bin/sh\nenv\nexit 0\n")
    path.chmod(0o755)
    return path


def env_of(result):
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)


def test_driver_passes_ocf_variables_and_clone_meta(env_agent, fake_cluster):
    d = Driver(env_agent, cluster=fake_cluster, resource="db", params={"ip": "10.0.0.1"})
    env = env_of(d.run("monitor", "node2", interval=10, timeout=30, instance=1,
                       meta=clone_meta(3, promotable=True)))
    assert {k: env[k] for k in ("OCF_RESOURCE_INSTANCE", "OCF_RA_VERSION_MAJOR", "OCF_RA_VERSION_MINOR",
                                "OCF_RESKEY_ip", "OCF_RESKEY_CRM_meta_interval",
                                "OCF_RESKEY_CRM_meta_timeout", "OCF_RESKEY_CRM_meta_on_node",
                                "OCF_RESKEY_CRM_meta_clone", "OCF_RESKEY_CRM_meta_promoted_max",
                                "OCF_RESKEY_CRM_meta_master_max", "OCFPY_FAKE_NODE", "HA_debug")} == {
        "OCF_RESOURCE_INSTANCE": "db:1", "OCF_RA_VERSION_MAJOR": "1", "OCF_RA_VERSION_MINOR": "1",
        "OCF_RESKEY_ip": "10.0.0.1", "OCF_RESKEY_CRM_meta_interval": "10000",
        "OCF_RESKEY_CRM_meta_timeout": "30000", "OCF_RESKEY_CRM_meta_on_node": "node2",
        "OCF_RESKEY_CRM_meta_clone": "1", "OCF_RESKEY_CRM_meta_promoted_max": "1",
        "OCF_RESKEY_CRM_meta_master_max": "1", "OCFPY_FAKE_NODE": "node2", "HA_debug": "0"}


def test_driver_kills_the_process_group_at_the_timeout(tmp_path):
    d = Driver(BROKEN / "start_hangs", workdir=tmp_path / "w")
    started = time.monotonic()
    result = d.run("start", timeout=0.5)
    assert (result.rc, result.timed_out, time.monotonic() - started < 5) == (RC_TIMEOUT, True, True)


def test_driver_leaves_no_process_of_a_killed_action(tmp_path):
    marker = tmp_path / "pids"
    agent = tmp_path / "spawner"
    agent.write_text(f"#!/bin/sh\nsleep 60 &\necho $! > {marker}\nsleep 60\n")
    agent.chmod(0o755)
    Driver(agent).run("start", timeout=0.5)
    pid = int(marker.read_text())
    time.sleep(0.1)
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        state = "gone"
    assert state in ("gone", "Z", "X")


def test_driver_captures_the_last_exit_reason(tmp_path):
    agent = tmp_path / "reasons"
    agent.write_text("#!/bin/sh\necho 'ocf-exit-reason:first' >&2\necho 'ocf-exit-reason:second' >&2\nexit 1\n")
    agent.chmod(0o755)
    result = Driver(agent).run("start")
    assert (result.rc, result.exit_reason) == (1, "second")


def test_driver_runs_ocfpy_agents_in_process_with_a_fake_crm(fake_cluster, tmp_path):
    from ocfpy_agents.stateful import Stateful

    d = Driver(Stateful, cluster=fake_cluster, resource="st", inprocess=True,
               node_params={"node2": {"state": str(tmp_path / "st2")}})
    d.run("start", "node2", instance=1, meta=clone_meta(3, promotable=True))
    assert fake_cluster.promotion_scores("st") == {"node2": 5}


def test_resolve_agent_rejects_an_unknown_name_with_a_clear_message():
    with pytest.raises(AgentNotFound, match="not a path, an ocf:PROVIDER:TYPE spec or a shipped agent"):
        resolve_agent("no-such-agent")


@needs_stateful
def test_pacemaker_stateful_promotion_scores_appear_in_the_fake(fake_cluster, tmp_path):
    d = Driver(str(PCMK_STATEFUL), cluster=fake_cluster, resource="st", workdir=tmp_path / "w")
    meta = clone_meta(3, promotable=True)
    rcs = [d.run("start", n, instance=i, meta=meta).rc for i, n in enumerate(fake_cluster.nodes())]
    rcs.append(d.run("promote", "node2", instance=1, meta=meta).rc)
    rcs.append(d.run("monitor", "node2", interval=10, instance=1, meta={**meta, "role": "Promoted"}).rc)
    assert (rcs, fake_cluster.promotion_scores("st")) == ([0, 0, 0, 0, 8],
                                                         {"node1": 5, "node2": 10, "node3": 5})


@needs_stateful
def test_pacemaker_stateful_demote_and_stop_update_the_fake(fake_cluster, tmp_path):
    d = Driver(str(PCMK_STATEFUL), cluster=fake_cluster, resource="st", workdir=tmp_path / "w")
    meta = clone_meta(3, promotable=True)
    for action in ("start", "promote", "demote"):
        d.run(action, "node1", instance=0, meta=meta)
    after_demote = fake_cluster.promotion_scores("st")
    d.run("stop", "node1", instance=0, meta=meta)
    assert (after_demote, fake_cluster.promotion_scores("st")) == ({"node1": 5}, {})
