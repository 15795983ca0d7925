"""Cluster scenarios written once, run on any backend (the fake cluster, a real one).

A backend is any object with the methods of :class:`PromotableBackend`;
:class:`FakeBackend` runs them on the fake cluster with the
:class:`~ocfpy.testing.scheduler.CloneScheduler`. A real-cluster backend
(built on :mod:`ocfpy.sandbox.cluster`) implements the same five methods
with ``cibadmin``/``crm_resource --fail``/``crm_mon`` and the same scenario
function then gives a :class:`ScenarioResult` to compare with
:func:`compare`.

Example::

    backend = FakeBackend.create(tmp_path / "fake", nodes=3)
    result = promotable_failover(backend)
    result.roles_after      # {"node1": "Promoted", "node2": "Unpromoted", "node3": "Unpromoted"}
    result.operations       # [("node1", "monitor", 7), ..., ("node1", "promote", 0), ...]
    compare(result, result_from_real_cluster)   # [] when they agree
"""

from __future__ import annotations

from dataclasses import dataclass, field

try:                                    # Python >= 3.8
    from typing import Protocol
except ImportError:                     # pragma: no cover
    Protocol = object

__all__ = ["PromotableBackend", "FakeBackend", "ScenarioResult", "promotable_failover",
           "compare", "significant"]

STATEFUL = "ocf:pacemaker:Stateful"


class PromotableBackend(Protocol):
    """What a scenario needs from a cluster. Every method returns when the
    cluster has settled (no pending action)."""

    nodes: list

    def create_promotable(self, resource: str, agent: str, promoted_max: int = 1,
                          notify: bool = True, params: dict = None) -> None:
        """Create and start a promotable clone of ``agent`` on every node."""

    def roles(self, resource: str) -> dict:
        """{node: "Promoted" | "Unpromoted" | "Stopped" | ...} for every node."""

    def fail(self, resource: str, node: str, rc: int = 1) -> None:
        """Make the instance on ``node`` fail its monitor with ``rc``, let the cluster recover."""

    def operations(self, resource: str) -> list:
        """Every agent call so far as (node, action, rc), in order."""

    def remove(self, resource: str) -> None:
        """Stop and delete the resource."""


@dataclass
class ScenarioResult:
    """What a scenario observed; plain data, JSON-friendly."""

    name: str
    roles_before: dict
    roles_after: dict
    failed_node: str = ""
    operations: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"name": self.name, "roles_before": self.roles_before,
                "roles_after": self.roles_after, "failed_node": self.failed_node,
                "operations": [list(op) for op in self.operations]}


def significant(operations) -> list:
    """The operations two clusters must agree on: starts, stops, promotes and
    demotes with their rc (probes, recurring monitors and notifications
    depend on timing and are dropped)."""
    return [tuple(op) for op in operations if op[1] in ("start", "stop", "promote", "demote")]


def normalized(result: ScenarioResult) -> ScenarioResult:
    """The result with nodes renamed by what happened to them, not by name.

    Which of several equal-scored nodes gets promoted first is a tie-break
    each implementation makes its own way; the scenario is the same if the
    node that was promoted first ("first-promoted") and the others
    ("other-1", "other-2", ... ordered by their operations) behave the same.
    """
    ops = significant(result.operations)
    first = [n for n, r in sorted(result.roles_before.items()) if r == "Promoted"]
    others = sorted((n for n in result.roles_before if n not in first),
                    key=lambda n: ([op[1:] for op in ops if op[0] == n], result.roles_after.get(n, "")))
    names = {n: "first-promoted" if i == 0 else f"first-promoted-{i}" for i, n in enumerate(first)}
    names.update({n: f"other-{i + 1}" for i, n in enumerate(others)})
    rename = lambda n: names.get(n, n)  # noqa: E731
    return ScenarioResult(result.name,
                          {rename(n): r for n, r in result.roles_before.items()},
                          {rename(n): r for n, r in result.roles_after.items()},
                          rename(result.failed_node),
                          [(rename(op[0]), *op[1:]) for op in result.operations])


def compare(a: ScenarioResult, b: ScenarioResult) -> list:
    """Differences between two results of the same scenario ([] when they agree):
    roles before and after, and per node the sequence of significant operations,
    with nodes matched by their part in the scenario (see :func:`normalized`)."""
    a, b = normalized(a), normalized(b)
    problems = []
    for what in ("roles_before", "roles_after", "failed_node"):
        if getattr(a, what) != getattr(b, what):
            problems.append(f"{what}: {getattr(a, what)!r} != {getattr(b, what)!r}")
    nodes = sorted({op[0] for op in a.operations} | {op[0] for op in b.operations})
    for node in nodes:
        seq_a = [op[1:] for op in significant(a.operations) if op[0] == node]
        seq_b = [op[1:] for op in significant(b.operations) if op[0] == node]
        if seq_a != seq_b:
            problems.append(f"{node}: operations {seq_a} != {seq_b}")
    return problems


def promotable_failover(backend, agent=STATEFUL, resource="st", params=None) -> ScenarioResult:
    """A promotable clone on every node; fail the promoted instance; let it recover.

    Returns the roles before and after, the failed node and every operation.
    """
    backend.create_promotable(resource, agent, promoted_max=1, notify=True, params=params)
    before = backend.roles(resource)
    promoted = [n for n, role in before.items() if role == "Promoted"]
    if len(promoted) != 1:
        raise AssertionError(f"expected one promoted instance after start, got roles {before}")
    backend.fail(resource, promoted[0], rc=1)
    after = backend.roles(resource)
    ops = backend.operations(resource)
    return ScenarioResult("promotable_failover", before, after, promoted[0], ops)


class FakeBackend:
    """:class:`PromotableBackend` on a FakeCluster (agents run as subprocesses
    through the Driver, scheduled by the CloneScheduler)."""

    def __init__(self, cluster, workdir, ocf_root=None):
        self.cluster = cluster
        self.workdir = workdir
        self.ocf_root = ocf_root
        self.nodes = cluster.nodes()
        self.schedulers = {}

    @classmethod
    def create(cls, state_dir, nodes=3, ocf_root=None) -> "FakeBackend":
        from pathlib import Path

        from ocfpy.testing.fake import FakeCluster

        state_dir = Path(state_dir)
        return cls(FakeCluster.create(state_dir / "cluster", nodes), state_dir / "work", ocf_root)

    def create_promotable(self, resource, agent, promoted_max=1, notify=True, params=None):
        from ocfpy.testing.driver import Driver
        from ocfpy.testing.scheduler import CloneScheduler

        driver = Driver(agent, cluster=self.cluster, resource=resource, params=params,
                        ocf_root=self.ocf_root, workdir=self.workdir / resource)
        sched = CloneScheduler(driver, self.cluster, promotable=True,
                               promoted_max=promoted_max, notify=notify)
        self.schedulers[resource] = sched
        sched.start_all()
        sched.promote()

    def scheduler(self, resource):
        return self.schedulers[resource]

    def roles(self, resource):
        return self.schedulers[resource].roles()

    def fail(self, resource, node, rc=1):
        self.schedulers[resource].fail(node, rc)

    def operations(self, resource):
        return self.schedulers[resource].rc_history()

    def remove(self, resource):
        self.schedulers.pop(resource).stop_all()


# A wrapper agent records every call on a real node as "<node> <action> <rc>",
# because the CIB keeps only the last operation of each kind.
_RECORDER = """#!/bin/sh
# ocfpy scenario recorder: runs {agent} and logs each call
{agent} "$@"
rc=$?
echo "${{OCF_RESKEY_CRM_meta_on_node:-?}} $1 $rc" >> {log}
exit $rc
"""
RECORDER_LOG = "/var/lib/pacemaker/ocfpy-scenario-calls.log"


class RealBackend:
    """:class:`PromotableBackend` on a real cluster (:class:`~ocfpy.sandbox.cluster.Cluster`).

    The agent runs under Pacemaker through a recording wrapper installed as
    ``ocf:scenario:<type>``; failures are injected with ``crm_resource --fail``
    (a failed monitor, as the fake's scheduler injects it).
    """

    def __init__(self, cluster, timeout: float = 60.0):
        self.cluster = cluster
        self.nodes = list(cluster.node_names)
        self.timeout = timeout

    def _install_recorder(self, agent: str) -> str:
        import tempfile
        from pathlib import Path

        _, provider, kind = agent.split(":")
        script = _RECORDER.format(agent=f"/usr/lib/ocf/resource.d/{provider}/{kind}", log=RECORDER_LOG)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / kind
            path.write_text(script)
            self.cluster.install_file(path, kind, provider="scenario")
        for node in self.nodes:
            self.cluster.run(["rm", "-f", RECORDER_LOG], node=node)
        return kind

    def _settled_with_one_promoted(self, resource):
        def check(mon):
            state = self.cluster.resource_state(f"{resource}-clone", mon)
            roles = state["roles"]
            return (not state["pending"] and len(roles) == len(self.nodes)
                    and sorted(roles.values()).count("Promoted") == 1
                    and all(r in ("Promoted", "Unpromoted") for r in roles.values()))
        return check

    def create_promotable(self, resource, agent, promoted_max=1, notify=True, params=None):
        from xml.sax.saxutils import quoteattr

        kind = self._install_recorder(agent)
        nvpairs = "".join(
            f'<nvpair id={quoteattr(f"{resource}-ia-{k}")} name={quoteattr(k)} value={quoteattr(str(v))}/>'
            for k, v in (params or {}).items())
        xml = (f'<clone id="{resource}-clone"><meta_attributes id="{resource}-clone-meta">'
               f'<nvpair id="{resource}-clone-promotable" name="promotable" value="true"/>'
               f'<nvpair id="{resource}-clone-promoted-max" name="promoted-max" value="{promoted_max}"/>'
               f'<nvpair id="{resource}-clone-notify" name="notify" value="{str(notify).lower()}"/>'
               f'</meta_attributes>'
               f'<primitive id="{resource}" class="ocf" provider="scenario" type="{kind}">'
               f'<instance_attributes id="{resource}-ia">{nvpairs}</instance_attributes>'
               f'<operations>'
               f'<op id="{resource}-mon-p" name="monitor" interval="10s" role="Promoted"/>'
               f'<op id="{resource}-mon-u" name="monitor" interval="11s" role="Unpromoted"/>'
               f'</operations></primitive></clone>')
        self.cluster.run(["cibadmin", "--create", "-o", "resources", "--xml-text", xml])
        self.cluster.wait_for(self._settled_with_one_promoted(resource), timeout=self.timeout)

    def roles(self, resource):
        roles = self.cluster.resource_state(f"{resource}-clone")["roles"]
        return {node: roles.get(node, "Stopped") for node in self.nodes}

    def fail(self, resource, node, rc=1):
        self.cluster.run(["crm_resource", "--fail", "--resource", resource, "--node", node])
        # first the failure shows, then the recovery settles
        self.cluster.wait_for(lambda mon: self.cluster.resource_state(f"{resource}-clone", mon)["failed"],
                              timeout=self.timeout)
        self.cluster.wait_for(self._settled_with_one_promoted(resource), timeout=self.timeout)
        self.cluster.wait_settled(timeout=self.timeout)

    def operations(self, resource):
        ops = []
        for node in self.nodes:
            text = self.cluster.run(["cat", RECORDER_LOG], node=node, check=False).stdout
            for line in text.splitlines():
                parts = line.split()
                if len(parts) == 3 and parts[2].lstrip("-").isdigit():
                    ops.append((node, parts[1], int(parts[2])))
        return ops

    def remove(self, resource):
        self.cluster.run(["crm_resource", "--resource", f"{resource}-clone", "--set-parameter",
                          "target-role", "--meta", "--parameter-value", "Stopped"])
        self.cluster.wait_for(lambda mon: not self.cluster.resource_state(f"{resource}-clone", mon)["active"],
                              timeout=self.timeout)
        self.cluster.run(["cibadmin", "--delete", "-o", "resources", "--xml-text",
                          f'<clone id="{resource}-clone"/>'])
