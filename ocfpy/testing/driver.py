"""Run a resource agent the way Pacemaker's executor does, and capture the result.

An agent is a Python :class:`ocfpy.agent.Agent` subclass, the name of a
shipped ocfpy agent, an ``ocf:provider:type`` spec or a path to any
executable (:func:`resolve_agent`). :class:`Driver` runs one action on one
node with the environment Pacemaker gives (``OCF_*``, ``OCF_RESKEY_*``,
``OCF_RESKEY_CRM_meta_*`` including clone and notify variables), in a new
process group (session), kills the whole group with SIGKILL when the
timeout passes, and returns an :class:`ActionResult` (rc, exit reason,
stdout, stderr, duration).

With a :class:`ocfpy.testing.fake.FakeCluster` the agent "runs on" a node
of the fake: its fake tools come first on PATH (subprocess) or
``cluster.crm(node, rsc)`` is handed to it (in-process Python agents).

Example::

    cluster = FakeCluster.create(tmp / "fake", nodes=3)
    d = Driver("ocf:pacemaker:Stateful", cluster=cluster, resource="st",
               params={"state": str(tmp / "st.state")})
    meta = clone_meta(clone_max=3, promotable=True)
    d.run("start", "node1", meta=meta, instance=0).rc          # 0
    d.run("monitor", "node1", interval=10, meta=meta, instance=0).rc   # 0
"""

from __future__ import annotations

import importlib
import io
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ocfpy import codes

__all__ = ["ActionResult", "AgentSpec", "Driver", "RC_TIMEOUT", "clone_meta",
           "resolve_agent", "AgentNotFound"]

#: rc reported for an action killed at its timeout (Pacemaker's internal PCMK_OCF_TIMEOUT)
RC_TIMEOUT = 198
#: the feature set Pacemaker 2.1.5 passes (>= 3.10 means crm_attribute --promotion works)
CRM_FEATURE_SET = "3.16.2"
EXIT_REASON_PREFIX = "ocf-exit-reason:"
DEFAULT_OCF_ROOT = "/usr/lib/ocf"


class AgentNotFound(Exception):
    """The agent spec names nothing runnable."""


@dataclass(frozen=True)
class AgentSpec:
    """What to run: ``argv`` before the action (subprocess), the Agent class when
    it is an ocfpy agent (``cls``, allows in-process runs), type and provider."""

    argv: tuple
    type: str
    provider: str
    cls: type = None
    path: str = ""

    @property
    def label(self) -> str:
        return f"ocf:{self.provider}:{self.type}"


def _class_argv(cls) -> tuple:
    code = (f"import importlib; m = importlib.import_module({cls.__module__!r}); "
            f"getattr(m, {cls.__qualname__!r}).main()")
    return (sys.executable, "-c", code)


def resolve_agent(agent, ocf_root=DEFAULT_OCF_ROOT) -> AgentSpec:
    """An :class:`AgentSpec` from a class, a shipped agent name, ``ocf:prov:type``,
    ``module:Class`` or a path. Raises :class:`AgentNotFound` with a clear message.

    >>> resolve_agent("ocf:pacemaker:Dummy").argv
    ('/usr/lib/ocf/resource.d/pacemaker/Dummy',)
    """
    from ocfpy.agent import Agent

    if isinstance(agent, AgentSpec):
        return agent
    if isinstance(agent, type) and issubclass(agent, Agent):
        return AgentSpec(_class_argv(agent), agent.name, agent.provider, cls=agent)
    text = str(agent)
    if text.startswith("ocf:"):
        parts = text.split(":")
        if len(parts) != 3 or not all(parts[1:]):
            raise AgentNotFound(f"{text!r} is not an ocf:PROVIDER:TYPE spec")
        path = Path(ocf_root) / "resource.d" / parts[1] / parts[2]
        if not path.is_file():
            raise AgentNotFound(f"{text}: no agent at {path}")
        if not os.access(path, os.X_OK):
            raise AgentNotFound(f"{text}: {path} is not executable")
        return AgentSpec((str(path),), parts[2], parts[1], path=str(path))
    if os.sep in text or os.path.exists(text):
        path = Path(text).resolve()
        if not path.exists():
            raise AgentNotFound(f"{text}: no such file")
        if not path.is_file():
            raise AgentNotFound(f"{text}: not a file")
        if not os.access(path, os.X_OK):
            raise AgentNotFound(f"{text}: not executable (chmod +x?)")
        provider = path.parent.name if path.parent.parent.name == "resource.d" else "local"
        return AgentSpec((str(path),), path.name, provider, path=str(path))
    if ":" in text:
        module, _, name = text.partition(":")
        try:
            cls = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError) as exc:
            raise AgentNotFound(f"{text}: {exc}") from None
        return resolve_agent(cls)
    from ocfpy.install import find

    try:
        (info,) = find([text])
    except KeyError:
        raise AgentNotFound(f"{text!r}: not a path, an ocf:PROVIDER:TYPE spec or a shipped "
                            "agent (see `ocfpy list`)") from None
    return resolve_agent(info.cls)


@dataclass
class ActionResult:
    """One agent call. ``rc`` is RC_TIMEOUT (198) when the call was killed."""

    action: str
    node: str
    rc: int
    exit_reason: str = None
    stdout: str = ""
    stderr: str = ""
    duration: float = 0.0
    timeout: float = 20.0
    timed_out: bool = False
    instance: str = ""
    interval: float = 0.0
    environ: dict = field(default_factory=dict, repr=False)

    @property
    def rc_name(self) -> str:
        return "TIMEOUT" if self.timed_out else codes.name_of(self.rc)

    @property
    def is_probe(self) -> bool:
        return self.action == "monitor" and not self.interval

    @property
    def label(self) -> str:
        if self.action == "monitor":
            return "probe" if self.is_probe else f"monitor (interval {self.interval:g}s)"
        return self.action


def exit_reason(stderr: str, prefix: str = EXIT_REASON_PREFIX):
    """The last ``ocf-exit-reason:`` line of stderr, without the prefix, or None."""
    found = None
    for line in stderr.splitlines():
        if line.startswith(prefix):
            found = line[len(prefix):].strip()
    return found


def clone_meta(clone_max=1, clone_node_max=1, promotable=False, promoted_max=1,
               promoted_node_max=1, notify=False, globally_unique=False) -> dict:
    """Meta attributes (without the CRM_meta_ prefix) of a clone's instances,
    with the legacy master_* names Pacemaker 2.1 still passes.

    >>> clone_meta(3, promotable=True)["promoted_max"]
    '1'
    """
    meta = {"clone_max": str(clone_max), "clone_node_max": str(clone_node_max),
            "globally_unique": "true" if globally_unique else "false",
            "notify": "true" if notify else "false"}
    if promotable:
        meta.update(promotable="true", promoted_max=str(promoted_max),
                    promoted_node_max=str(promoted_node_max),
                    master_max=str(promoted_max), master_node_max=str(promoted_node_max))
    return meta


def _base_environ() -> dict:
    # Pacemaker's executor gives agents a small environment, not the caller's
    env = {"PATH": os.environ.get("PATH", os.defpath)}
    for key in ("LANG", "LC_ALL", "HOME", "PYTHONPATH", "VIRTUAL_ENV"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


class Driver:
    """Runs one agent's actions (see the module docstring).

    ``resource`` is the primitive id; clone instances get ``resource:N``.
    ``params`` are the instance attributes given to every call. ``workdir``,
    when given, becomes the agent's private HA_VARRUN / HA_RSCTMP / TMPDIR, so
    a test can see what it leaves behind (one subdirectory per node with a
    cluster). ``node_params`` ({node: {name: value}}) adds per-node parameters,
    e.g. a state file per node for agents whose default path is fixed.
    ``inprocess=True`` runs ocfpy Agent
    classes inside this process (fast; the timeout is measured, not enforced).
    """

    def __init__(self, agent, cluster=None, resource="rsc", params=None, ocf_root=None,
                 workdir=None, inprocess=False, extra_env=None, user=None, node_params=None):
        self.ocf_root = str(ocf_root or DEFAULT_OCF_ROOT)
        self.spec = resolve_agent(agent, self.ocf_root)
        self.cluster = cluster
        self.resource = resource
        self.params = dict(params or {})
        self.node_params = {n: dict(v) for n, v in (node_params or {}).items()}
        self.workdir = str(workdir) if workdir else None
        self.inprocess = inprocess and self.spec.cls is not None
        self.extra_env = dict(extra_env or {})
        self.user = user
        self.results: list = []

    def instance_name(self, instance=None) -> str:
        return self.resource if instance is None else f"{self.resource}:{instance}"

    def environ(self, action, node="node1", interval=0.0, timeout=20.0, params=None,
                meta=None, instance=None, check_level=None) -> dict:
        """The environment of one call (also what :meth:`run` uses)."""
        env = _base_environ()
        if self.cluster is not None:
            env = self.cluster.environ(node, base=env)
        if self.workdir:
            # one directory per node: nodes of a real cluster do not share /run
            base = os.path.join(self.workdir, node) if self.cluster is not None else self.workdir
            for key, sub in (("HA_VARRUN", "run"), ("HA_RSCTMP", "rsctmp"), ("TMPDIR", "tmp")):
                path = os.path.join(base, sub)
                os.makedirs(path, exist_ok=True)
                env[key] = path + "/"
        env.update({
            "OCF_ROOT": self.ocf_root,
            "OCF_RA_VERSION_MAJOR": "1", "OCF_RA_VERSION_MINOR": "1",
            "OCF_RESOURCE_INSTANCE": self.instance_name(instance),
            "OCF_RESOURCE_TYPE": self.spec.type,
            "OCF_RESOURCE_PROVIDER": self.spec.provider,
            "OCF_EXIT_REASON_PREFIX": EXIT_REASON_PREFIX,
            "OCF_RESKEY_crm_feature_set": CRM_FEATURE_SET,
            "HA_debug": "0",
            "HA_LOGFACILITY": "none", "PCMK_logfacility": "none",
        })
        merged = {**self.params, **self.node_params.get(node, {}), **(params or {})}
        for key, value in merged.items():
            env[f"OCF_RESKEY_{key}"] = str(value)
        full_meta = {"name": action, "interval": str(int(interval * 1000)),
                     "timeout": str(int(timeout * 1000)), "on_node": node,
                     "on_node_uuid": self._node_uuid(node)}
        if instance is not None:
            full_meta["clone"] = str(instance)
        full_meta.update(meta or {})
        for key, value in full_meta.items():
            env["OCF_RESKEY_CRM_meta_" + key.replace("-", "_")] = str(value)
        if check_level is not None:
            env["OCF_CHECK_LEVEL"] = str(check_level)
        env.update(self.extra_env)
        return env

    def _node_uuid(self, node) -> str:
        if self.cluster is not None:
            for entry in self.cluster.state()["nodes"]:
                if entry["name"] == node:
                    return str(entry["id"])
        return "1"

    def run(self, action, node="node1", interval=0.0, timeout=20.0, params=None, meta=None,
            instance=None, check_level=None, user=None) -> ActionResult:
        """Run ``action`` on ``node``; ``interval``/``timeout`` in seconds.

        >>> Driver("ocf:pacemaker:Dummy").run("monitor").rc        # doctest: +SKIP
        7
        """
        env = self.environ(action, node, interval, timeout, params, meta, instance, check_level)
        if self.inprocess and user is None and self.user is None:
            result = self._run_inprocess(action, node, env, timeout)
        else:
            result = self._run_subprocess(action, node, env, timeout, user or self.user)
        result.instance = env["OCF_RESOURCE_INSTANCE"]
        result.interval = interval
        self.results.append(result)
        return result

    def _run_inprocess(self, action, node, env, timeout) -> ActionResult:
        out, err = io.StringIO(), io.StringIO()
        crm = self.cluster.crm(node, env["OCF_RESOURCE_INSTANCE"]) if self.cluster else None
        started = time.monotonic()
        rc = self.spec.cls.run(["agent", action], environ=env, crm=crm, stdout=out, stderr=err)
        duration = time.monotonic() - started
        stderr = err.getvalue()
        return ActionResult(action, node, int(rc), exit_reason(stderr), out.getvalue(), stderr,
                            duration, timeout, duration > timeout, environ=env)

    def _run_subprocess(self, action, node, env, timeout, user) -> ActionResult:
        # Output goes to files, not pipes: like Pacemaker we wait for the agent
        # to exit, not for EOF (a daemon it starts may keep the pipe open).
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            started = time.monotonic()
            kwargs = {}
            if user is not None:
                kwargs["user"] = user
            try:
                proc = subprocess.Popen([*self.spec.argv, action], env=env, stdin=subprocess.DEVNULL,
                                        stdout=out, stderr=err, start_new_session=True,
                                        cwd="/", **kwargs)
            except OSError as exc:
                return ActionResult(action, node, codes.ERR_INSTALLED,
                                    f"cannot execute {self.spec.argv[0]}: {exc}",
                                    stderr=str(exc), timeout=timeout, environ=env)
            timed_out = False
            try:
                rc = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                _kill_group(proc.pid)
                proc.wait()
                rc = RC_TIMEOUT
            duration = time.monotonic() - started
            stdout, stderr = _read(out), _read(err)
        if rc < 0 and not timed_out:   # killed by a signal: Pacemaker reports a generic error
            rc = codes.ERR_GENERIC
        return ActionResult(action, node, rc, exit_reason(stderr), stdout, stderr, duration,
                            timeout, timed_out, environ=env)


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _read(fh) -> str:
    fh.seek(0)
    return fh.read().decode("utf-8", "replace")
