"""pytest fixtures on the fake crm environment (loaded by ocfpy's pytest plugin).

- ``fake_cluster``: a 3-node :class:`~ocfpy.testing.fake.FakeCluster` in
  tmp_path, its fake tools first on PATH (and HA_SBIN_DIR), this process
  "running on" node1 (``OCFPY_FAKE_NODE``); all undone after the test;
- ``fake_cluster_factory``: ``fake_cluster_factory(nodes=5)`` or a list of names;
- ``agent_runner``: ``agent_runner(agent, resource="rsc", params=..., inprocess=False)``
  gives a :class:`~ocfpy.testing.driver.Driver` on ``fake_cluster``.

Example::

    def test_promote_sets_score(agent_runner, fake_cluster):
        run = agent_runner("ocf:pacemaker:Stateful", resource="st")
        assert run.run("start", "node2", instance=1).rc == 0
        assert fake_cluster.promotion_scores("st") == {"node2": 5}

Module-level imports stay stdlib-only: every pytest run in an environment
with ocfpy installed imports this module.
"""

import os

import pytest

__all__ = ["fake_cluster", "fake_cluster_factory", "agent_runner"]


@pytest.fixture
def fake_cluster_factory(tmp_path, monkeypatch):
    """Build fake clusters; the last one built is the one on PATH."""
    from ocfpy.testing import fake_tools
    from ocfpy.testing.fake import FakeCluster

    made = []

    def make(nodes=3, name=None):
        cluster = FakeCluster.create(tmp_path / (name or f"fake{len(made)}"), nodes)
        monkeypatch.setenv("PATH", f"{cluster.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
        monkeypatch.setenv("HA_SBIN_DIR", str(cluster.bin_dir))
        monkeypatch.setenv(fake_tools.STATE_ENV, str(cluster.state_dir))
        monkeypatch.setenv(fake_tools.NODE_ENV, cluster.nodes()[0])
        made.append(cluster)
        return cluster

    return make


@pytest.fixture
def fake_cluster(fake_cluster_factory):
    """A 3-node fake cluster (node1..node3) on PATH; this process is on node1."""
    return fake_cluster_factory(3, name="fake")


@pytest.fixture
def agent_runner(fake_cluster, tmp_path):
    """Factory of Drivers running agents against ``fake_cluster``, each with a
    private work directory (HA_VARRUN/HA_RSCTMP/TMPDIR per node)."""
    from ocfpy.testing.driver import Driver

    count = [0]

    def make(agent, resource="rsc", params=None, inprocess=False, **kwargs):
        count[0] += 1
        kwargs.setdefault("workdir", tmp_path / f"agent{count[0]}")
        return Driver(agent, cluster=fake_cluster, resource=resource, params=params,
                      inprocess=inprocess, **kwargs)

    return make
