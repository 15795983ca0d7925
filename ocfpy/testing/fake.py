"""A fake multi-node Pacemaker cluster for agent tests (no Pacemaker needed).

One state directory, two faces:

- this Python API: :class:`FakeCluster` (nodes, online/offline, transient
  and permanent attributes, promotion scores, call history) and
  ``cluster.crm(node, resource)``, an :class:`ocfpy.crm.Crm` for agents run
  in-process;
- fake executables (``crm_attribute``, ``crm_master``, ``crm_node``,
  ``attrd_updater``, ``crm_mon``) in ``cluster.bin_dir``: put it first on PATH
  (and set ``HA_SBIN_DIR`` to it, shell agents call ``$HA_SBIN_DIR/crm_attribute``)
  with :meth:`FakeCluster.environ`, and agents run as subprocesses -- shell
  agents from resource-agents, Pacemaker's Stateful, ``ToolsCrm`` -- use it.

Example::

    cluster = FakeCluster.create(tmp_path / "fake", nodes=3)
    cluster.set_promotion("node2", "rsc", 10)
    env = cluster.environ("node1", base=os.environ)    # PATH, HA_SBIN_DIR, OCFPY_FAKE_*
    subprocess.run(["crm_attribute", "--promotion=rsc", "-v", "5"], env=env)
    cluster.promotion_scores("rsc")                    # {"node1": 5, "node2": 10}
    cluster.set_online("node3", False)                 # its transient attributes go
    cluster.history(tool="crm_attribute")              # every call, in order
"""

from __future__ import annotations

import os
from pathlib import Path

from ocfpy.crm import REBOOT, Crm, CrmError, promotion_attribute
from ocfpy.testing import fake_tools as ft

__all__ = ["FakeCluster", "FakeCrm", "MemoryCrm"]


class FakeCluster:
    """Handle on a fake cluster's state directory (see the module docstring).

    Cheap to build: every method opens, locks and reads the JSON state, so any
    number of handles (and fake tools in subprocesses) see the same cluster.
    """

    def __init__(self, state_dir):
        self.state_dir = Path(state_dir)
        self.bin_dir = self.state_dir / "bin"

    # -- creation -----------------------------------------------------------
    @classmethod
    def create(cls, state_dir, nodes=3) -> "FakeCluster":
        """A fresh cluster; ``nodes`` is a count (node1..nodeN) or a list of names.

        >>> FakeCluster.create("/tmp/fc", 2).nodes()      # doctest: +SKIP
        ['node1', 'node2']
        """
        names = [f"node{i}" for i in range(1, nodes + 1)] if isinstance(nodes, int) else list(nodes)
        if not names or len(set(names)) != len(names):
            raise ValueError(f"node names must be distinct and at least one: {names!r}")
        cluster = cls(state_dir)
        ft.init_state(str(cluster.state_dir), names)
        ft.install_tools(str(cluster.bin_dir))
        return cluster

    def environ(self, node, base=None) -> dict:
        """Environment for a process "running on" ``node``: the fake tools first
        on PATH, ``HA_SBIN_DIR`` pointing at them, and the state/node variables."""
        env = dict(os.environ if base is None else base)
        env["PATH"] = f"{self.bin_dir}{os.pathsep}{env.get('PATH', os.defpath)}"
        env["HA_SBIN_DIR"] = str(self.bin_dir)
        env[ft.STATE_ENV] = str(self.state_dir)
        env[ft.NODE_ENV] = node
        return env

    def _lock(self):
        return ft.locked(str(self.state_dir))

    def state(self) -> dict:
        """A snapshot of the whole state (plain dicts and lists)."""
        return ft.read_state(str(self.state_dir))

    # -- nodes --------------------------------------------------------------
    def nodes(self) -> list:
        return [n["name"] for n in self.state()["nodes"]]

    def online_nodes(self) -> list:
        return [n["name"] for n in self.state()["nodes"] if n["online"]]

    def is_online(self, node) -> bool:
        return node in self.online_nodes()

    def set_online(self, node, online: bool = True) -> None:
        """Bring a node up or down. Going down drops its transient (reboot)
        attributes, as a node leaving the cluster does; permanent ones stay."""
        with self._lock() as st:
            entry = self._node(st, node)
            entry["online"] = bool(online)
            if not online:
                st["attrs"][node][REBOOT] = {}
            ft.record(st, tool="api", node=node, op="online" if online else "offline", rc=0)

    @staticmethod
    def _node(st, node):
        entry = ft.node_entry(st, node)
        if entry is None:
            raise KeyError(f"no node {node!r} in the fake cluster")
        return entry

    # -- attributes -----------------------------------------------------------
    def get_attr(self, node, name, lifetime=REBOOT):
        """The attribute's value (a string) or None."""
        return self.state()["attrs"].get(node, {}).get(lifetime, {}).get(name)

    def set_attr(self, node, name, value, lifetime=REBOOT) -> None:
        with self._lock() as st:
            self._node(st, node)
            st["attrs"][node][lifetime][name] = str(value)
            ft.record(st, tool="api", node=node, op="set", target=node, lifetime=lifetime,
                      name=name, value=str(value), rc=0)

    def delete_attr(self, node, name, lifetime=REBOOT) -> None:
        with self._lock() as st:
            self._node(st, node)
            st["attrs"][node][lifetime].pop(name, None)
            ft.record(st, tool="api", node=node, op="delete", target=node, lifetime=lifetime,
                      name=name, value=None, rc=0)

    def attributes(self, lifetime=REBOOT) -> dict:
        """{node: {name: value}} for one lifetime."""
        return {n: dict(v.get(lifetime, {})) for n, v in self.state()["attrs"].items()}

    def promotion_scores(self, resource) -> dict:
        """{node: score} of every node that has one for ``resource`` (clone suffix ignored)."""
        name = promotion_attribute(resource)
        scores = {}
        for node, values in self.attributes(REBOOT).items():
            if name in values:
                try:
                    scores[node] = int(values[name])
                except ValueError:
                    scores[node] = values[name]
        return scores

    def set_promotion(self, node, resource, score) -> None:
        self.set_attr(node, promotion_attribute(resource), int(score))

    # -- resources (what crm_mon shows; the scheduler records it) ---------------
    def set_role(self, resource, node, role, failed=False, clone=None, agent="",
                 promotable=False) -> None:
        """Record the role of ``resource``'s instance on ``node`` so that
        ``crm_mon`` and ``cibadmin -Q`` show it (the fake has no scheduler:
        :class:`~ocfpy.testing.scheduler.CloneScheduler` calls this).

        >>> cluster.set_role("db", "node1", "Promoted", clone="db-clone",
        ...                  promotable=True)                  # doctest: +SKIP
        >>> cluster.resource_roles("db")                       # doctest: +SKIP
        {'node1': 'Promoted'}
        """
        with self._lock() as st:
            ft.set_role(st, resource, node, role, failed, clone, agent, promotable)

    def resource_roles(self, resource) -> dict:
        """{node: role} recorded for ``resource`` (clone suffix ignored)."""
        rsc = self.state().get("resources", {}).get(ft.strip_clone(resource), {})
        return {n: i["role"] for n, i in rsc.get("instances", {}).items()}

    # -- history -----------------------------------------------------------------
    def history(self, tool=None, node=None) -> list:
        """Every recorded call (dicts with seq, tool, argv, node, op, name, value, rc)."""
        return [h for h in self.state()["history"]
                if (tool is None or h.get("tool") == tool) and (node is None or h.get("node") == node)]

    def crm(self, node, resource="") -> "FakeCrm":
        """An ocfpy.crm.Crm for an agent run in-process on ``node``."""
        return FakeCrm(self, node, resource)


class FakeCrm(Crm):
    """:class:`ocfpy.crm.Crm` on a :class:`FakeCluster`, for in-process agents.

    Behaves like ToolsCrm against the fake tools (CrmError when this node is
    offline or a node is unknown), and records its calls as tool ``crm``.

    >>> crm = cluster.crm("node1", "rsc:0")               # doctest: +SKIP
    >>> crm.set_promotion(5); cluster.promotion_scores("rsc")
    {'node1': 5}
    """

    def __init__(self, cluster: FakeCluster, node: str, resource: str = ""):
        self.cluster = cluster
        self.node = node
        self.resource = resource

    def _op(self, op, name, node, lifetime, value=None):
        target = node or self.node
        with self.cluster._lock() as st:
            me = ft.node_entry(st, self.node)
            argv = [op, name, target, lifetime]
            if me is None or not me["online"]:
                ft.record(st, tool="crm", node=self.node, op="error", argv=argv, rc=ft.EX_DISCONNECT)
                raise CrmError(["crm"], ft.EX_DISCONNECT, "Transport endpoint is not connected")
            if ft.node_entry(st, target) is None:
                ft.record(st, tool="crm", node=self.node, op="error", argv=argv, rc=ft.EX_NOSUCH)
                raise CrmError(["crm"], ft.EX_NOSUCH, f"Could not map name={target} to a UUID")
            store = st["attrs"][target][lifetime]
            result = None
            if op == "get":
                result = store.get(name)
            elif op == "set":
                store[name] = str(value)
            else:
                store.pop(name, None)
            ft.record(st, tool="crm", node=self.node, op=op, target=target, lifetime=lifetime,
                      name=name, value=str(value) if op == "set" else result, rc=0)
            return result

    def node_name(self):
        return self.node

    def get_attr(self, name, node=None, lifetime=REBOOT):
        return self._op("get", name, node, lifetime)

    def set_attr(self, name, value, node=None, lifetime=REBOOT):
        self._op("set", name, node, lifetime, value)

    def delete_attr(self, name, node=None, lifetime=REBOOT):
        self._op("delete", name, node, lifetime)


class MemoryCrm(Crm):
    """An in-memory cluster view for unit tests.

    ``store`` maps (node, lifetime, name) to a string and may be shared by
    several MemoryCrm objects, one per node, to model a cluster; ``calls``
    records every call as a tuple.

    >>> store = {}
    >>> a, b = MemoryCrm("node1", "rsc", store), MemoryCrm("node2", "rsc", store)
    >>> a.set_attr("x", 1); b.get_attr("x", node="node1")
    '1'
    """

    def __init__(self, node: str = "node1", resource: str = "", store=None, calls=None):
        self.node = node
        self.resource = resource
        self.store = {} if store is None else store
        self.calls = [] if calls is None else calls

    def node_name(self):
        self.calls.append(("node_name", self.node))
        return self.node

    def get_attr(self, name, node=None, lifetime=REBOOT):
        self.calls.append(("get_attr", node or self.node, lifetime, name))
        return self.store.get((node or self.node, lifetime, name))

    def set_attr(self, name, value, node=None, lifetime=REBOOT):
        self.calls.append(("set_attr", node or self.node, lifetime, name, str(value)))
        self.store[(node or self.node, lifetime, name)] = str(value)

    def delete_attr(self, name, node=None, lifetime=REBOOT):
        self.calls.append(("delete_attr", node or self.node, lifetime, name))
        self.store.pop((node or self.node, lifetime, name), None)
