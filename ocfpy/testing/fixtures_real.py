"""Fixtures that start a real Pacemaker cluster on this machine.

=====================  =========  =============================================
fixture                scope      what you get
=====================  =========  =============================================
``real_cluster``       session    a 1-node :class:`~ocfpy.sandbox.cluster.Cluster`
``real_cluster_clean`` function   the same cluster, CIB reset before the test
``real_cluster3``      session    a 3-node cluster in network namespaces
``real_cluster3_clean`` function  the same, CIB reset before the test
=====================  =========  =============================================

Each cluster lives in its own namespaces (see :mod:`ocfpy.sandbox.cluster`):
nothing on the host is touched and it is removed completely at the end of the
session. ocfpy's agents are installed into a provider private to the cluster
(``ocf:ocfpy:dummy``, ``ocf:ocfpy:stateful``, ...: the default provider of
each agent, visible only inside the cluster's nodes); install more with
``cluster.install_file(path, name, provider="test")``. Starting costs about
4-5 s (1 node) / 5-7 s (3 nodes), once per session; ``cluster.start_seconds``
says how long it took.

Fencing is on, as in production: ``stonith-enabled=true`` and one device,
``fence-nodes`` (``stonith:fence_ocfpy_sandbox``), that really powers nodes
off and on (:meth:`~ocfpy.sandbox.cluster.Cluster.power_off`,
:meth:`~ocfpy.sandbox.cluster.Cluster.power_on`). So a stop that fails is
answered by fencing the node (a reboot: it comes back by itself), not by a
blocked resource; a 3-node test can kill a node with ``power_off(node)`` or
``run(["stonith_admin", "--fence", node])``. The ``*_clean`` fixtures put the
device and ``stonith-enabled=true`` back and power on any node a test left
off. The 1-node cluster has the device too (no resource starts with fencing
on and no device); fencing its only node power-cycles the whole cluster,
which comes back by itself.

The fixtures skip, with the reason, only when not running as root or when
pacemakerd, corosync or unshare is not installed; any other failure errors.

Example::

    def test_dummy_starts(real_cluster_clean):
        c = real_cluster_clean
        c.run(["cibadmin", "--create", "-o", "resources", "--xml-text",
               '<primitive id="d" class="ocf" provider="ocfpy" type="dummy"/>'])
        c.wait_for(lambda mon: c.resource_state("d", mon)["active"], timeout=10)
        assert c.resource_state("d")["nodes"] == ["node1"]
"""

from __future__ import annotations

import pytest

__all__ = ["real_cluster", "real_cluster_clean", "real_cluster3", "real_cluster3_clean"]


def _running(nodes: int):
    """A started ``nodes``-node cluster, yielded; stopped when the generator is
    closed (what both session fixtures are)."""
    # imported here: the plugin is loaded by every pytest run, clusters are rare
    from ocfpy.sandbox.cluster import Cluster, missing_requirements, reap_orphans

    reason = missing_requirements()
    if reason:
        pytest.skip("real Pacemaker cluster unavailable: " + reason)
    reap_orphans()  # clusters of earlier runs that were killed before their teardown
    cluster = Cluster(nodes=nodes)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def real_cluster():
    """A real one-node Pacemaker cluster for the whole session (see module doc)."""
    yield from _running(1)


@pytest.fixture
def real_cluster_clean(real_cluster):
    """``real_cluster`` with its CIB back to the just-started state (no resources,
    no constraints, no failures, no transient attributes)."""
    real_cluster.reset()
    return real_cluster


@pytest.fixture(scope="session")
def real_cluster3():
    """A real three-node Pacemaker cluster in network namespaces, for the session."""
    yield from _running(3)


@pytest.fixture
def real_cluster3_clean(real_cluster3):
    """``real_cluster3`` with its CIB back to the just-started state."""
    real_cluster3.reset()
    return real_cluster3
