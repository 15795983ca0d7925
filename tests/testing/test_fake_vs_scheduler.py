"""The promotable failover scenario on the fake cluster (the same function runs
on the real 3-node cluster; the lead compares both with scenarios.compare)."""

from pathlib import Path

import pytest

from labs.scenarios import FakeBackend, compare, promotable_failover, significant
from ocfpy.testing.scheduler import CloneScheduler
from ocfpy.testing.driver import Driver

STATEFUL = Path("/usr/lib/ocf/resource.d/pacemaker/Stateful")
pytestmark = pytest.mark.skipif(not STATEFUL.exists(), reason="pacemaker's Stateful not installed")


@pytest.fixture
def failover(tmp_path):
    backend = FakeBackend.create(tmp_path / "fake", nodes=3)
    return backend, promotable_failover(backend)


def test_failover_promotes_node1_first(failover):
    _, result = failover
    assert result.roles_before == {"node1": "Promoted", "node2": "Unpromoted", "node3": "Unpromoted"}


def test_failover_recovers_the_failed_promoted_instance_in_place(failover):
    _, result = failover
    assert (result.failed_node, result.roles_after) == (
        "node1", {"node1": "Promoted", "node2": "Unpromoted", "node3": "Unpromoted"})


def test_failover_agent_return_codes(failover):
    _, result = failover
    assert significant(result.operations) == [
        ("node1", "start", 0), ("node2", "start", 0), ("node3", "start", 0),
        ("node1", "promote", 0),
        ("node1", "demote", 0), ("node1", "stop", 0), ("node1", "start", 0), ("node1", "promote", 0)]


def test_failover_leaves_promotion_scores_in_the_fake(failover):
    backend, _ = failover
    assert backend.cluster.promotion_scores("st") == {"node1": 10, "node2": 5, "node3": 5}


def test_failover_results_of_two_runs_compare_equal(failover, tmp_path):
    _, first = failover
    second = promotable_failover(FakeBackend.create(tmp_path / "again", nodes=3))
    assert compare(first, second) == []


def test_notifications_carry_the_promote_lists(tmp_path, fake_cluster):
    driver = Driver(str(STATEFUL), cluster=fake_cluster, resource="st", workdir=tmp_path / "w")
    sched = CloneScheduler(driver, fake_cluster, promotable=True, notify=True)
    sched.start_all()
    sched.promote()
    pre = [r for r in driver.results if r.action == "notify"
           and r.environ["OCF_RESKEY_CRM_meta_notify_type"] == "pre"
           and r.environ["OCF_RESKEY_CRM_meta_notify_operation"] == "promote"][0].environ
    assert {k[len("OCF_RESKEY_CRM_meta_notify_"):]: pre[k] for k in (
        "OCF_RESKEY_CRM_meta_notify_promote_uname", "OCF_RESKEY_CRM_meta_notify_promote_resource",
        "OCF_RESKEY_CRM_meta_notify_unpromoted_uname", "OCF_RESKEY_CRM_meta_notify_slave_uname",
        "OCF_RESKEY_CRM_meta_notify_promoted_uname", "OCF_RESKEY_CRM_meta_notify_active_resource")} == {
        "promote_uname": "node1", "promote_resource": "st:0",
        "unpromoted_uname": "node1 node2 node3", "slave_uname": "node1 node2 node3",
        "promoted_uname": "", "active_resource": "st:0 st:1 st:2"}


def test_stop_all_demotes_before_stopping(tmp_path, fake_cluster):
    driver = Driver(str(STATEFUL), cluster=fake_cluster, resource="st", workdir=tmp_path / "w")
    sched = CloneScheduler(driver, fake_cluster, promotable=True)
    sched.start_all()
    sched.promote()
    first = len(sched.ops)
    sched.stop_all()
    assert ([op.as_tuple() for op in sched.ops[first:]], sched.roles()) == (
        [("node1", "demote", 0), ("node1", "stop", 0), ("node2", "stop", 0), ("node3", "stop", 0)],
        {"node1": "Stopped", "node2": "Stopped", "node3": "Stopped"})
