"""Small agents the core tests run, in-process and as child processes.

Each one exists to reach one path of the framework; they are not examples.
"""

import os

from ocfpy import codes
from ocfpy.agent import Action, Agent
from ocfpy.errors import OCFError
from ocfpy.parameters import (Boolean, Duration, Integer, IPAddress, Path, Port, Select,
                              String)

BASIC_ACTIONS = (
    Action("start"), Action("stop"), Action("monitor", interval=10),
    Action("validate-all"), Action("meta-data", timeout=5),
)


class Idle(Agent):
    """The base of samples that reach one path and need no more: start and
    stop succeed, monitor finds nothing running (no name: not an agent itself)."""

    def start(self):
        return codes.SUCCESS

    def stop(self):
        return codes.SUCCESS

    def monitor(self):
        return codes.NOT_RUNNING


class Basic(Agent):
    """Every action behaves as the environment variable SAMPLE_BEHAVIOUR says."""

    name = "basic"
    shortdesc = "sample"
    actions = BASIC_ACTIONS + (Action("promote"), Action("demote"), Action("notify"),
                               Action("reload"), Action("reload-agent"),
                               Action("migrate_to"), Action("migrate_from"))
    fake = String("fake", default="x")

    def _behave(self):
        how = self.invocation.environ.get("SAMPLE_BEHAVIOUR", "ok")
        self.log.info("running %s as %s", self.action, how)
        self.log.debug("a debug line from %s", self.action)
        if how == "ok":
            return None
        if how == "code":
            return int(self.invocation.environ["SAMPLE_CODE"])
        if how == "ocferror":
            raise OCFError(codes.ERR_PERM, "no permission\non two lines")
        if how == "crash":
            raise KeyError("the-missing-key")
        if how == "exit":
            raise SystemExit(4)
        if how == "reason_then_ok":
            self.set_exit_reason("first")
            self.set_exit_reason("second and last")
            return codes.ERR_GENERIC
        raise AssertionError(how)

    start = stop = monitor = promote = demote = notify = _behave
    reload = reload_agent = migrate_to = migrate_from = _behave


class NeedsConfig(Idle):
    """A required parameter and a binary that must exist on the node."""

    name = "needsconfig"
    shortdesc = "sample with required configuration"
    actions = BASIC_ACTIONS
    config = String("config", required=True, shortdesc="required")
    binary = Path("binary", kind="executable", must_exist=True, default="true")
    count = Integer("count", default=1, minimum=1, maximum=5)

    def stop(self):
        self.log.info("stop reached the agent")
        return codes.SUCCESS


class Secretive(Agent):
    """A private parameter that the agent (carelessly) puts in messages."""

    name = "secretive"
    shortdesc = "sample with a secret"
    actions = BASIC_ACTIONS
    password = String("password", private=True, required=True)
    pin = Integer("pin", private=True)

    def start(self):
        self.log.info("connecting with password %s", self.password)
        raise OCFError(codes.ERR_GENERIC, f"login refused for password {self.password}")

    def stop(self):
        return codes.SUCCESS

    def monitor(self):
        raise RuntimeError(f"cannot log in with {self.password}")


class Escaped(Agent):
    """Descriptions and values with characters XML must escape."""

    name = "escaped"
    shortdesc = 'Short <b> & "quoted"'
    longdesc = 'Long text with <tags>, & ampersands, "quotes" and \'apostrophes\'.'
    actions = BASIC_ACTIONS
    weird = String("weird", default='a<b&c"d', shortdesc='x < y & "z"',
                   longdesc='if a < b && c > d then "go"')
    mode = Select("mode", options=("a&b", "<c>"), default="a&b")

    def start(self):
        return codes.SUCCESS

    stop = monitor = start


class Typed(Agent):
    """One parameter of every type, for conversion and error paths."""

    name = "typed"
    shortdesc = "sample with typed parameters"
    actions = BASIC_ACTIONS
    text = String("text", allow_empty=False, default="t")
    number = Integer("number", minimum=-5, maximum=10, default=0)
    flag = Boolean("flag", default=False)
    choice = Select("choice", options=("red", "green"), default="red")
    ip = IPAddress("ip")
    ip4 = IPAddress("ip4", version=4)
    ip6 = IPAddress("ip6", version=6)
    port = Port("port", default=80)
    conf = Path("conf", kind="file", must_exist=True)
    datadir = Path("datadir", kind="dir", must_exist=True)
    program = Path("program", kind="executable", must_exist=True)
    relpath = Path("relpath", absolute=False)
    wait = Duration("wait", default=5)
    old_name = String("old_name", deprecated="use new_name", replaced_with="new_name")
    new_name = String("new_name", default="")

    def start(self):
        out = self.invocation.environ.get("SAMPLE_DUMP")
        if out:
            import json

            with open(out, "w") as fh:
                json.dump({k: getattr(self, k) for k in
                           ("text", "number", "flag", "choice", "ip", "ip4", "ip6", "port",
                            "conf", "datadir", "program", "relpath", "wait", "new_name")}, fh)
        return codes.SUCCESS

    stop = monitor = start


class Waiter(Idle):
    """Waits for something that never happens, for as long as the deadline allows."""

    name = "waiter"
    shortdesc = "sample that waits"
    actions = BASIC_ACTIONS

    def start(self):
        self.deadline.wait_for(lambda: False, interval=0.05)
        return codes.ERR_GENERIC


class Deprecated(Agent):
    """A deprecated parameter with a replacement: the meta-data needs OCF 1.1."""

    name = "deprecated"
    shortdesc = "sample with a deprecated parameter"
    actions = BASIC_ACTIONS + (Action("reload-agent"),)
    old = String("old", deprecated="renamed to new", replaced_with="new")
    new = String("new", default="n", reloadable=True)
    group_a = String("group_a", unique_group="addr")

    def start(self):
        return codes.SUCCESS

    stop = monitor = reload_agent = start


STATE_DIR_ENV = "SAMPLE_STATE"


class Tracing(Agent):
    """Something to trace with OCF_TRACE_RA."""

    name = "tracing"
    shortdesc = "sample for tracing"
    actions = BASIC_ACTIONS
    password = String("password", private=True)

    def start(self):
        secret_copy = self.password
        total = 0
        for i in range(3):
            total += i
        return codes.SUCCESS if total == 3 and secret_copy is not None else codes.ERR_GENERIC

    def stop(self):
        return codes.SUCCESS

    def monitor(self):
        return codes.SUCCESS if os.path.exists("/") else codes.NOT_RUNNING
