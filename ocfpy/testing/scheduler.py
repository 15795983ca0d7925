"""A small clone / promotable-clone scheduler over the fake cluster.

Not Pacemaker's scheduler: enough of its behaviour to run a clone's agents
through the life cycle a real cluster gives them, in the same order, with
the same variables:

- probe every node, then start one instance per online node (up to
  clone-max), instance N on the N-th node (``rsc:N``);
- read promotion scores (``master-<rsc>`` node attributes) from the fake
  cluster and promote the best-scored running instances, up to
  promoted-max (ties: node order; a score <= 0 is never promoted);
- when notify=true, deliver pre and post notifications of every operation
  of a transition (demote, stop, start, promote: in that order) to the
  instances active when the transition began, with the start/stop/promote/
  demote, active/inactive and promoted/unpromoted lists;
- a failed instance (:meth:`CloneScheduler.fail`) is recovered in place:
  demote (if promoted), stop, start, then promotion is decided again from
  the scores read when the failure is handled, as Pacemaker plans a whole
  transition from one CIB snapshot;
- :meth:`CloneScheduler.stop_all` demotes before it stops;
- :meth:`CloneScheduler.settle` re-plans promotion after monitors until
  nothing changes, as Pacemaker re-runs its scheduler after every attribute
  change (agents that set each other's scores, like Galera's bootstrap node,
  need more than one round), recovering instances found failed;
- ``parallel=True`` runs each phase's operations on all its nodes at once,
  as Pacemaker's executor does (promotes of several joiners overlap);
- every role change is recorded in the fake cluster
  (:meth:`~ocfpy.testing.fake.FakeCluster.set_role`), so agents that ask
  ``crm_mon`` whether an instance is Promoted get the scheduler's answer.

Everything is recorded: :meth:`rc_history` gives ``[(node, action, rc), ...]``
and :meth:`roles` ``{"node1": "Promoted", "node2": "Unpromoted", ...}``,
the data a test compares with a real cluster.

Example::

    cluster = FakeCluster.create(tmp / "fake", nodes=3)
    driver = Driver("ocf:pacemaker:Stateful", cluster=cluster, resource="st",
                    workdir=tmp / "work")
    sched = CloneScheduler(driver, cluster, promotable=True, notify=True)
    sched.start_all(); sched.promote()
    sched.roles()        # {"node1": "Promoted", "node2": "Unpromoted", "node3": "Unpromoted"}
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ocfpy import codes
from ocfpy.testing.driver import ActionResult, Driver, clone_meta

__all__ = ["CloneScheduler", "Op", "SchedulerError", "STOPPED", "STARTED", "PROMOTED",
           "UNPROMOTED", "FAILED"]

STOPPED, STARTED, PROMOTED, UNPROMOTED, FAILED = (
    "Stopped", "Started", "Promoted", "Unpromoted", "Failed")
ORDER = ("demote", "stop", "start", "promote")


class SchedulerError(Exception):
    """An agent call did not give the result the scheduler needs."""


@dataclass
class Op:
    """One recorded operation (``injected`` for a failure we simulated)."""

    node: str
    action: str
    rc: int
    interval: float = 0.0
    notify: str = ""          # "pre-start", "post-promote"... for notify actions
    injected: bool = False
    exit_reason: str = None

    def as_tuple(self) -> tuple:
        return (self.node, self.action, self.rc)


@dataclass
class _Transition:
    demote: list = field(default_factory=list)
    stop: list = field(default_factory=list)
    start: list = field(default_factory=list)
    promote: list = field(default_factory=list)


class _PublishedRoles(dict):
    """{node: role}; every change is also recorded in the fake cluster, so the
    agents see the clone's roles through ``crm_mon`` as on a real cluster. A
    failed instance keeps showing its last role, flagged failed, until it is
    stopped (the roles :meth:`CloneScheduler.recover` plans with do not hide it)."""

    def __init__(self, cluster, driver, promotable):
        super().__init__()
        self._publish = getattr(cluster, "set_role", None)
        self._resource = driver.resource
        self._agent = driver.spec.label
        self._promotable = promotable
        self._shown = {}           # node -> (role, failed) last published

    def __setitem__(self, node, role):
        super().__setitem__(node, role)
        if self._publish is None:
            return
        shown_role, failed = self._shown.get(node, (STOPPED, False))
        if role == FAILED:
            failed = True
        else:
            shown_role, failed = role, failed and role != STOPPED
        if self._shown.get(node) == (shown_role, failed):
            return
        self._shown[node] = (shown_role, failed)
        self._publish(self._resource, node, shown_role, failed=failed,
                      clone=f"{self._resource}-clone", agent=self._agent,
                      promotable=self._promotable)

    def update(self, *args, **kwargs):
        for node, role in dict(*args, **kwargs).items():
            self[node] = role


class CloneScheduler:
    """Runs a (promotable) clone over a FakeCluster with a Driver (see module doc)."""

    def __init__(self, driver: Driver, cluster, clone_max=None, promotable=False,
                 promoted_max=1, notify=False, timeout=20.0, monitor_interval=10.0,
                 strict=True, parallel=False, timeouts=None):
        self.driver = driver
        self.cluster = cluster
        self.nodes = cluster.nodes()
        self.clone_max = clone_max or len(self.nodes)
        self.promotable = promotable
        self.promoted_max = promoted_max
        self.notify_enabled = notify
        self.timeout = timeout
        self.monitor_interval = monitor_interval
        self.strict = strict
        self.parallel = parallel
        self.timeouts = dict(timeouts or {})     # per action, e.g. {"promote": 300}
        self._failed_from = {}                   # node -> role it had when a monitor failed it
        self.meta = clone_meta(self.clone_max, promotable=promotable, promoted_max=promoted_max,
                               notify=notify)
        self.instance = {node: i for i, node in enumerate(self.nodes[:self.clone_max])}
        self.role = _PublishedRoles(cluster, driver, promotable)
        self.role.update({node: STOPPED for node in self.nodes})
        self.ops: list = []

    # -- plumbing ---------------------------------------------------------
    @property
    def resource(self) -> str:
        return self.driver.resource

    def _inst(self, node) -> str:
        return f"{self.resource}:{self.instance[node]}"

    def _run(self, node, action, interval=0.0, meta=None, expect=None, notify="") -> ActionResult:
        all_meta = dict(self.meta)
        all_meta.update(meta or {})
        result = self.driver.run(action, node, interval=interval,
                                 timeout=self.timeouts.get(action, self.timeout),
                                 meta=all_meta, instance=self.instance[node])
        self.ops.append(Op(node, action, result.rc, interval, notify, False, result.exit_reason))
        if expect is not None and result.rc not in expect and self.strict:
            raise SchedulerError(f"{action} of {self._inst(node)} on {node} returned "
                                 f"{result.rc} ({result.rc_name}), expected {expect}"
                                 + (f": {result.exit_reason}" if result.exit_reason else ""))
        return result

    def _active(self):
        return [n for n in self.nodes if self.role[n] in (STARTED, PROMOTED, UNPROMOTED)]

    def _notify_meta(self, kind, operation, tr: _Transition, active) -> dict:
        def res(nodes):
            return " ".join(self._inst(n) for n in nodes if n in self.instance)

        def unames(nodes):
            return " ".join(nodes)

        promoted = [n for n in active if self.role[n] == PROMOTED]
        unpromoted = [n for n in active if self.role[n] in (UNPROMOTED, STARTED)]
        inactive = [n for n in self.instance if n not in active]
        online = self.cluster.online_nodes()
        meta = {"notify_type": kind, "notify_operation": operation,
                "notify_active_resource": res(active), "notify_active_uname": unames(active),
                "notify_inactive_resource": res(inactive),
                "notify_all_uname": unames(self.nodes), "notify_all_hosts": unames(self.nodes),
                "notify_available_uname": unames(online)}
        for op in ORDER:
            nodes = getattr(tr, op)
            meta[f"notify_{op}_resource"] = res(nodes)
            meta[f"notify_{op}_uname"] = unames(nodes)
        if self.promotable:
            for new, old, nodes in (("promoted", "master", promoted),
                                    ("unpromoted", "slave", unpromoted)):
                for name in (new, old):
                    meta[f"notify_{name}_resource"] = res(nodes)
                    meta[f"notify_{name}_uname"] = unames(nodes)
        return meta

    def _notify(self, kind, operation, tr, receivers, active):
        if not self.notify_enabled:
            return
        meta = self._notify_meta(kind, operation, tr, active)
        for node in receivers:
            self._run(node, "notify", meta=meta, expect=(codes.SUCCESS,),
                      notify=f"{kind}-{operation}")

    def _execute(self, tr: _Transition) -> None:
        """Run a transition: demote, stop, start, promote, each wrapped in notifications."""
        active_at_start = self._active()
        for operation in ORDER:
            nodes = getattr(tr, operation)
            if not nodes:
                continue
            before = self._active()
            self._notify("pre", operation, tr, before, active_at_start)
            if self.parallel and len(nodes) > 1:
                self._parallel(operation, nodes)
                nodes = []
            for node in nodes:
                if operation == "start":
                    self._run(node, "start", expect=(codes.SUCCESS,))
                    self.role[node] = UNPROMOTED if self.promotable else STARTED
                elif operation == "stop":
                    self._run(node, "stop", expect=(codes.SUCCESS,))
                    self.role[node] = STOPPED
                elif operation == "promote":
                    self._run(node, "promote", expect=(codes.SUCCESS,))
                    self.role[node] = PROMOTED
                else:
                    self._run(node, "demote", expect=(codes.SUCCESS,))
                    self.role[node] = UNPROMOTED
            self._notify("post", operation, tr, self._active(), active_at_start)

    def _parallel(self, operation, nodes) -> None:
        """Run one phase on several nodes at once; roles as in the serial case.
        The first failure is raised after every call has finished."""
        from concurrent.futures import ThreadPoolExecutor

        new_role = {"start": UNPROMOTED if self.promotable else STARTED, "stop": STOPPED,
                    "promote": PROMOTED, "demote": UNPROMOTED}[operation]
        with ThreadPoolExecutor(max_workers=len(nodes)) as pool:
            futures = {node: pool.submit(self._run, node, operation, expect=(codes.SUCCESS,))
                       for node in nodes}
        error = None
        for node in nodes:
            try:
                futures[node].result()
                self.role[node] = new_role
            except SchedulerError as exc:
                error = error or exc
        if error is not None:
            raise error

    # -- what a test calls ---------------------------------------------------------
    def probe_all(self) -> dict:
        """Probe every clone node; the role a probe finds is recorded. Returns {node: rc}."""
        found = {}
        for node in self.instance:
            if not self.cluster.is_online(node):
                continue
            rc = self._run(node, "monitor").rc
            found[node] = rc
            self.role[node] = {codes.SUCCESS: UNPROMOTED if self.promotable else STARTED,
                               codes.RUNNING_PROMOTED: PROMOTED,
                               codes.NOT_RUNNING: STOPPED}.get(rc, FAILED)
        return found

    def start_all(self) -> None:
        """Probe, then start an instance on every online node without one."""
        self.probe_all()
        todo = [n for n in self.instance if self.cluster.is_online(n) and self.role[n] == STOPPED]
        self._execute(_Transition(start=todo))
        self.monitor_all()

    def choose_promoted(self, exclude=()) -> list:
        """The nodes to be promoted given the current scores (node order breaks ties)."""
        scores = self.cluster.promotion_scores(self.resource)
        running = [n for n in self._active() if n not in exclude]

        def score(node):
            value = scores.get(node)
            return value if isinstance(value, int) else 0

        ranked = sorted((n for n in running if score(n) > 0),
                        key=lambda n: (-score(n), self.nodes.index(n)))
        return ranked[:self.promoted_max]

    def promote(self) -> None:
        """Promote the best-scored instances, demoting the ones that lost their place."""
        if not self.promotable:
            return
        wanted = self.choose_promoted()
        current = [n for n in self.nodes if self.role[n] == PROMOTED]
        tr = _Transition(demote=[n for n in current if n not in wanted],
                         promote=[n for n in wanted if n not in current])
        if tr.demote or tr.promote:
            self._execute(tr)
        self.monitor_all()

    def monitor_all(self) -> dict:
        """One recurring monitor per running instance; a result that contradicts
        the expected role marks the instance Failed. Returns {node: rc}."""
        found = {}
        for node in self._active():
            role = self.role[node]
            meta = {"role": "Promoted" if role == PROMOTED else "Unpromoted"} if self.promotable else {}
            interval = self.monitor_interval + (0 if role == PROMOTED else 1) if self.promotable \
                else self.monitor_interval
            rc = self._run(node, "monitor", interval=interval, meta=meta).rc
            found[node] = rc
            expected = codes.RUNNING_PROMOTED if role == PROMOTED else codes.SUCCESS
            if rc != expected:
                self._failed_from[node] = role
                self.role[node] = FAILED
        return found

    def fail(self, node, rc=codes.ERR_GENERIC) -> None:
        """Simulate a failed recurring monitor on ``node`` (like ``crm_resource --fail``)
        and recover: demote if promoted, stop, start, then decide promotion again."""
        self.ops.append(Op(node, "monitor", rc, self.monitor_interval, injected=True))
        was_promoted = self.role[node] == PROMOTED
        self.role[node] = FAILED
        self.recover(node, was_promoted)

    def recover(self, node, was_promoted=False) -> None:
        # the whole transition is planned from the scores as they are now
        if self.promotable:
            self.role[node] = PROMOTED if was_promoted else UNPROMOTED
            wanted = self.choose_promoted()
            current = [n for n in self.nodes if self.role[n] == PROMOTED]
            tr = _Transition(demote=[n for n in current if n not in wanted or n == node],
                             stop=[node], start=[node] if self.cluster.is_online(node) else [],
                             promote=[n for n in wanted if n not in current or n == node])
        else:
            self.role[node] = STARTED
            tr = _Transition(stop=[node], start=[node] if self.cluster.is_online(node) else [])
        self._execute(tr)
        self.monitor_all()

    def settle(self, max_rounds: int = 10) -> bool:
        """Promote, monitor and recover failed instances until the roles and
        promotion scores stop changing; True when stable within ``max_rounds``."""
        for _ in range(max_rounds):
            before = (self.roles(), self.cluster.promotion_scores(self.resource))
            for node in [n for n in self.nodes if self.role[n] == FAILED]:
                self.recover(node, self._failed_from.pop(node, None) == PROMOTED)
            self.promote()
            if (self.roles(), self.cluster.promotion_scores(self.resource)) == before:
                return True
        return False

    def stop_all(self) -> None:
        """Demote every promoted instance, then stop every instance."""
        promoted = [n for n in self.nodes if self.role[n] == PROMOTED]
        self._execute(_Transition(demote=promoted, stop=self._active()))

    # -- results -------------------------------------------------------------------------
    def roles(self) -> dict:
        """{node: "Promoted" | "Unpromoted" | "Started" | "Stopped" | "Failed"}."""
        return dict(self.role)

    def rc_history(self, include_monitors=True, include_notify=True) -> list:
        """[(node, action, rc), ...] in the order the calls happened."""
        return [op.as_tuple() for op in self.ops
                if (include_monitors or op.action != "monitor")
                and (include_notify or op.action != "notify")]

    def per_node(self) -> dict:
        """{node: [(action, rc), ...]}."""
        out = {n: [] for n in self.nodes}
        for op in self.ops:
            out[op.node].append((op.action, op.rc))
        return out
