"""The Agent base class: declarations, validation, dispatch and safe defaults.

An agent declares its parameters and actions at the top and implements short
action methods below; ``main()`` does the rest::

    from ocfpy.agent import Agent, Action
    from ocfpy import codes
    from ocfpy.parameters import Path

    class Dummy(Agent):
        name = "dummy"
        shortdesc = "Example agent"
        state = Path("state", default="/run/dummy.state")
        actions = (Action("start"), Action("stop"), Action("monitor", interval=10))

        def start(self):
            open(self.state, "w").close()

        def stop(self):
            if os.path.exists(self.state):
                os.unlink(self.state)

        def monitor(self):
            return codes.SUCCESS if os.path.exists(self.state) else codes.NOT_RUNNING

    main = Dummy.main

What the framework does for every call:
- ``meta-data``, ``usage``/``help``, ``methods`` and ``validate-all`` are built in;
  an unknown action returns 3 with an exit reason; extra arguments are ignored.
- Parameters are converted and checked before the action runs. A problem ends
  the action through ``on_invalid``: by default a probe returns 7 for a missing
  parameter or for software/configuration absent on this node (6 for a value
  that can never be valid), stop returns 0 (logged), anything else returns the
  error's own code. Agents override ``on_invalid`` where they know better.
- An ``OCFError`` ends the action with its code and reason; any other exception
  gives 1 (ERR_GENERIC) and one exit-reason line, the traceback goes only to
  the debug log.
- ``self.deadline`` is derived from the operation timeout, with a margin.
"""


import os
import sys
import time

from ocfpy import codes
from ocfpy.deadline import Deadline
from ocfpy.environment import Invocation
from ocfpy.errors import OCFError, ParameterError
from ocfpy.log import Log, printable
from ocfpy.metadata import Action
from ocfpy.parameters import collect, parse_all

__all__ = ["Agent", "Action", "OCFError", "codes"]

# When this module loaded: close to process start, where an installed agent's
# time budget begins (main() uses it; in-process runs count from their own call).
_STARTED = time.monotonic()

#: longest exit reason printed (characters); Pacemaker shows it in crm_mon
MAX_REASON = 512
#: actions every agent must declare and implement (checked when the class is created)
MANDATORY_ACTIONS = ("start", "stop", "monitor")


class Agent:
    """Base class of an OCF resource agent. See the module docstring."""

    name = ""              # the OCF type, e.g. "galera"
    provider = "ocfpy"     # default provider directory for `ocfpy install`
    version = "1.0"        # the agent's own version (not the OCF version)
    shortdesc = ""
    longdesc = ""
    actions: tuple = ()

    _parameter_list: list = []
    _action_list: list = []

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        cls._parameter_list = collect(cls)
        declared = list(cls.actions)
        names = {a.name for a in declared}
        if cls.name:   # a concrete agent (a shared base class has no name)
            missing = [n for n in MANDATORY_ACTIONS if n not in names]
            missing += [a.name for a in declared if a.name != "meta-data"
                        and not callable(getattr(cls, a.name.replace("-", "_"), None))]
            if missing:
                raise TypeError(f"agent {cls.name!r} ({cls.__qualname__}) does not declare "
                                f"and implement: {', '.join(sorted(set(missing)))}")
        if "meta-data" not in names:
            declared.append(Action("meta-data", timeout=5))
        if "validate-all" not in names:
            declared.append(Action("validate-all", timeout=20))
        cls._action_list = declared

    # -- declarations -----------------------------------------------------------
    @classmethod
    def parameter_list(cls) -> list:
        return cls._parameter_list

    @classmethod
    def action_list(cls) -> list:
        return cls._action_list

    @classmethod
    def supported_actions(cls) -> list:
        """Distinct action names, in meta-data order, plus methods/usage."""
        seen = []
        for a in cls._action_list:
            if a.name not in seen:
                seen.append(a.name)
        return seen + ["methods", "usage"]

    @classmethod
    def metadata(cls) -> str:
        from ocfpy.metadata import render

        return render(cls)

    # -- one invocation ---------------------------------------------------------
    def __init__(self, invocation: Invocation, crm=None, stdout=None, stderr=None, started=None):
        self.invocation = invocation
        self.values = {p.name: p.default for p in self._parameter_list}
        self._stdout = stdout if stdout is not None else sys.stdout
        self._stderr = stderr if stderr is not None else sys.stderr
        self.log = Log.from_environ(self.name, invocation.instance_full, invocation.environ,
                                    stream=self._stderr)
        # Pacemaker's clock started before our process did: count from as early as we know
        self.deadline = Deadline.from_timeout(invocation.meta.timeout,
                                              start=time.monotonic() if started is None else started)
        self._crm = crm
        self._exit_reason = None

    @property
    def action(self) -> str:
        return self.invocation.action

    @property
    def is_probe(self) -> bool:
        return self.invocation.is_probe

    @property
    def crm(self):
        """The cluster's tools (node attributes, promotion scores, node name)."""
        if self._crm is None:
            from ocfpy.crm import ToolsCrm

            self._crm = ToolsCrm(resource=self.invocation.instance,
                                 node=self.invocation.node_name, deadline=self.deadline,
                                 environ=self.invocation.environ)
        return self._crm

    def state_path(self, suffix: str = "state") -> str:
        """A per-resource file under Pacemaker's run directory (``HA_VARRUN``,
        default /run), e.g. /run/ocfpy-dummy-d1.state; clone instances share it
        because each node has its own run directory."""
        run_dir = self.invocation.environ.get("HA_VARRUN") or "/run"
        instance = self.invocation.instance or "default"
        name = f"ocfpy-{self.name}-{instance}.{suffix}"
        if len(name.encode("utf-8")) > 200:   # a file name has at most 255 bytes
            import hashlib

            digest = hashlib.sha256(instance.encode("utf-8")).hexdigest()[:16]
            name = f"ocfpy-{self.name}-{instance[:64]}-{digest}.{suffix}"
        return os.path.join(run_dir, name)

    @property
    def attrs(self):
        """This resource's node attributes (``<instance>-<name>``), see
        :class:`ocfpy.crm.ResourceAttributes`."""
        from ocfpy.crm import ResourceAttributes

        return ResourceAttributes(self.crm, self.invocation.instance or self.name, self.log)

    @property
    def node(self) -> str:
        """This node's name: Pacemaker's ``on_node`` when given, else ``crm_node -n``;
        ends the action with 1 when neither can tell."""
        if self.invocation.node_name:
            return self.invocation.node_name
        from ocfpy.crm import CrmError

        try:
            return self.crm.node_name()
        except (CrmError, OSError) as exc:
            raise OCFError(codes.ERR_GENERIC, f"cannot tell this node's name: {exc}") from None

    def set_promotion(self, score: int) -> bool:
        """Advertise this node's promotion score. Best effort, as Pacemaker's own
        agents do: outside a cluster (ocf-tester, a manual run) the tools fail,
        which is logged and does not fail the action. Returns True when set."""
        return self._best_effort("set the promotion score", lambda: self.crm.set_promotion(score))

    def clear_promotion(self) -> bool:
        """Withdraw this node's promotion score (best effort, like set_promotion)."""
        return self._best_effort("clear the promotion score", lambda: self.crm.delete_promotion())

    def set_node_attribute(self, name: str, value) -> bool:
        """Set this node's transient attribute ``name`` (best effort, like
        set_promotion). Returns True when set.

        Example::

            if self.set_node_attribute("vip-gw-ok", "1"):
                remember_published("1")
        """
        return self._best_effort(f"set node attribute {name}", lambda: self.crm.set_attr(name, value))

    def _best_effort(self, doing: str, call) -> bool:
        from ocfpy.crm import CrmError

        try:
            call()
            return True
        except (CrmError, OSError) as exc:     # outside a cluster the tools fail
            self.log.warning("could not %s: %s", doing, exc)
            return False

    def set_exit_reason(self, reason: str) -> None:
        """The reason Pacemaker shows for this action; the last one set is printed."""
        self._exit_reason = reason

    def fail(self, code: int, reason: str):
        """Raise OCFError: end the action with ``code`` and ``reason``."""
        raise OCFError(code, reason)

    # -- hooks an agent may override ------------------------------------------
    def validate_config(self) -> None:
        """Checks across parameters that do not depend on this node; raise
        OCFError(ERR_CONFIGURED, ...) for a configuration that can never work."""

    def validate_node(self) -> None:
        """Checks of this node (software installed, files present); raise
        OCFError with ERR_INSTALLED, ERR_ARGS or ERR_PERM."""

    def stop_unvalidated(self, error: OCFError) -> None:
        """Called by a stop whose configuration did not validate, before it
        answers 0: stop here whatever may still run (a daemon found through
        what did parse), or raise OCFError when something provably still runs.
        The default does nothing."""

    def on_invalid(self, error: OCFError) -> int:
        """What an action answers when validation failed (see module docstring).

        The stop-path policy, written once: a stop never fails because of its
        configuration (a failed stop means fencing), but it still stops what
        it can (``stop_unvalidated``) before answering 0.
        """
        if self.action == "stop":
            self.stop_unvalidated(error)
            self.log.warning("stop: %s; treating the resource as stopped", error.reason)
            self.set_exit_reason(error.reason)
            return codes.SUCCESS
        if self.is_probe:
            missing = isinstance(error, ParameterError) and error.missing
            if error.code == codes.ERR_CONFIGURED and not missing:
                raise error
            self.log.info("probe: %s; reporting not running", error.reason)
            self.set_exit_reason(error.reason)
            return codes.NOT_RUNNING
        raise error

    def validate_all(self):
        """validate-all: the framework has already validated; nothing more by default."""
        return codes.SUCCESS

    # -- running --------------------------------------------------------------------
    def validate(self) -> None:
        """Convert parameters and run the checks this action needs (raises OCFError)."""
        inv = self.invocation
        for p in self._parameter_list:   # before parsing, which a trace may record
            if p.private:
                self.log.hide(inv.params.get(p.name))
        parsed = parse_all(self._parameter_list, inv.params)
        self.values = parsed.values
        for name in parsed.deprecated_used:
            self.log.warning("parameter %s is deprecated", name)
        error = parsed.first_error()
        if error is not None:
            raise error
        self.validate_config()
        if self.action == "validate-all" and inv.check_level < 10:
            return   # OCF 1.1: level 0 checks the parameters only, 10 also this node
        for p in self._parameter_list:
            p.check_node(self.values.get(p.name))
        self.validate_node()

    def perform(self) -> int:
        """Validate, then run the action's method; returns the OCF code."""
        try:
            self.validate()
        except OCFError as error:
            return self.on_invalid(error)
        method = getattr(self, self.action.replace("-", "_"))
        rc = method()
        return codes.SUCCESS if rc is None else rc

    def dispatch(self) -> int:
        """perform() with every failure turned into a code and one exit reason."""
        tracer = self._start_trace() if self.invocation.trace_enabled else None
        try:
            rc = self.perform()
        except OCFError as error:
            rc = error.code
            self.set_exit_reason(error.reason)
        except SystemExit as exc:
            # sys.exit() means success, sys.exit(n) means n, sys.exit("text") a failure
            rc = 0 if exc.code is None else exc.code if isinstance(exc.code, int) else codes.ERR_GENERIC
        except Exception as exc:  # noqa: BLE001 - the agent must never die with a traceback
            rc = codes.ERR_GENERIC
            first = (str(exc).splitlines() or [""])[0][:200]
            self.set_exit_reason(f"unexpected {type(exc).__name__} in {self.action}"
                                 + (f": {first}" if first else ""))
            import traceback

            self.log.debug_text(traceback.format_exc())
        finally:
            if tracer is not None:
                tracer.close()
        rc = int(rc)
        if self._exit_reason:
            reason = printable(self.log.redact(" ".join(self._exit_reason.split())))
            if len(reason) > MAX_REASON:     # a 20 kB value quoted whole helps nobody
                reason = reason[:MAX_REASON - 3] + "..."
            if rc not in (codes.SUCCESS, codes.NOT_RUNNING, codes.RUNNING_PROMOTED):
                self.log.error("%s failed (%d): %s", self.action, rc, reason)
            self._stderr.write(f"{self.invocation.exit_reason_prefix}{reason}\n")
            self._stderr.flush()
        return rc

    def _start_trace(self):
        from ocfpy.log import Tracer, trace_path

        inv = self.invocation
        path = trace_path(inv.environ, inv.resource_type or self.name, inv.instance_full, inv.action)
        module = sys.modules.get(type(self).__module__)
        roots = [os.path.dirname(os.path.abspath(__file__))]
        if module is not None and getattr(module, "__file__", None):
            roots.append(os.path.abspath(module.__file__))
        try:
            tracer = Tracer(path, self.log, roots)
        except OSError as exc:
            self.log.warning("cannot write trace to %s: %s", path, exc)
            return None
        tracer.install()
        return tracer

    # -- entry points -----------------------------------------------------------------
    @classmethod
    def usage(cls) -> str:
        return f"usage: {cls.name} {{{'|'.join(cls.supported_actions())}}}\n"

    @classmethod
    def run(cls, argv=None, environ=None, crm=None, stdout=None, stderr=None, started=None) -> int:
        """Run one action as Pacemaker would, return the exit code (no sys.exit).

        ``started`` is when the operation's clock started (time.monotonic());
        by default, now.
        """
        argv = sys.argv if argv is None else argv
        out = sys.stdout if stdout is None else stdout
        err = sys.stderr if stderr is None else stderr
        action = argv[1] if len(argv) > 1 else ""
        if action == "meta-data":
            out.write(cls.metadata())
            return codes.SUCCESS
        if action in ("usage", "help", "--help", "-h"):
            out.write(cls.usage())
            return codes.SUCCESS
        if action == "methods":
            out.write("\n".join(cls.supported_actions()) + "\n")
            return codes.SUCCESS
        inv = Invocation(action, environ, argv[2:])
        problem = inv.instance_problem
        if problem is not None:
            # never reaches a file name: Pacemaker cannot have sent it
            from ocfpy.log import printable

            err.write(f"{inv.exit_reason_prefix}{printable(problem)}\n")
            return codes.ERR_ARGS
        if action not in cls.supported_actions():
            err.write(cls.usage())
            what = f"action {action!r} is not supported" if action else "no action given"
            err.write(f"{inv.exit_reason_prefix}{what}\n")
            return codes.ERR_UNIMPLEMENTED if action else codes.ERR_ARGS
        return cls(inv, crm=crm, stdout=out, stderr=err, started=started).dispatch()

    @classmethod
    def main(cls, argv=None, environ=None):
        """Entry point of an installed agent: run, then end the process with
        the code. The action has closed what it opened (log lines and traces
        are written through files it closes), so the interpreter's teardown
        is skipped once stdout and stderr are flushed: ~2 ms of every
        monitor and meta-data call (bench/bench_agents.py)."""
        rc = cls.run(argv, environ, started=_STARTED)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(rc if isinstance(rc, int) and 0 <= rc <= 255 else codes.ERR_GENERIC)
