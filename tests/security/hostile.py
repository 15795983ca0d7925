"""Hostile-input matrix of the shipped agents (issue 11), shared by the CI test
(tests/security/test_hostile_input.py, a seeded sample) and the benchmark
(bench/bench_hostile.py, every combination).

A *case* is (agent, action, target, value class): the target is a parameter
(``OCF_RESKEY_<name>``), ``@timeout`` (``OCF_RESKEY_CRM_meta_timeout``),
``@instance`` (``OCF_RESOURCE_INSTANCE``) or ``-`` (the baseline: a valid
configuration, the control). Every other parameter keeps its baseline value.

One run executes the INSTALLED agent scripts (``ocfpy install`` into a scratch
OCF root) as Pacemaker's executor would -- a small Pacemaker-like
environment given as raw bytes, cwd /, own session, stdout/stderr captured --
inside fresh namespaces made by ``unshare --mount --net --pid --ipc --fork``:

=================  ===========================================================
inside the run     what it is
=================  ===========================================================
/ (everything)     an overlay: the host's root read-only below, a private tmpfs
                   above, so every write anywhere is contained AND visible
                   (the upper directory lists exactly what the run changed)
/run, /dev/shm     fresh tmpfs (HA_VARRUN=/run/, HA_RSCTMP, TMPDIR=/run/tmp)
/dev               tmpfs with null, zero, full, random, urandom, tty bound in
/proc, /sys        the run's own pid and network namespaces
network            lo and a veth pair ocsd0/ocsd1 (192.0.2.1/24 on ocsd0, for vip)
crm tools          the testing toolkit's fake tools (a fake cluster node1/node2)
                   behind wrappers that dump their argv and environment
mariadbd           a fake (galera's ``binary``): dumps argv/environ; answers
                   --wsrep-recover with a position; otherwise lives 1 s
haproxy            the real one (master-worker), a small configuration
OpenStack service  a fake HTTP service (``start_command``): dumps argv/environ,
                   answers the health check, token and API calls on 127.0.0.1:8999
=================  ===========================================================

The agents run chrooted into that overlay; the supervisor (pid 1 of the run's
pid namespace) stays outside it, reaps orphans, samples ``/proc`` of the
namespace every few milliseconds for secrets in any other process's command
line or environment, and when the run ends every process dies with the
namespace. Nothing is left on the host: the scratch directory
(/tmp/ocfsec-hostile-*) holds only the installed agents, a copy of this file
(the supervisor's code) and an empty mount point, and goes with the Harness.

The steps of a run (:func:`build_steps`): start is followed by a stop with the
same configuration; stop, a recurring monitor (OCF_CHECK_LEVEL 10),
promote, demote (after a promote), notify, reload... come after a start with
the baseline configuration (the resource runs when the hostile call comes);
probe and stop are preceded by validate-all at level 0 of the same
configuration, for the stop/probe rule below.

Checks of one run (see :func:`check`):

- the exit code is valid for the action (meta-data 0; stop 0-6; monitor 0-9,
  190, 191; validate-all 0-6; others 0-7); a step killed at the harness limit
  counts as an invalid code;
- a failure (anything but 0, and 7/8 from a monitor) prints exactly one
  ``ocf-exit-reason:`` line; no step ever prints more than one;
- no ``Traceback (most recent call last)`` on stdout or stderr;
- leaks: the secret marker (in check_passwd, os_password,
  os_application_credential_secret, the galera check file and the openrc file)
  is never in a child's environment or command line (dumps + /proc sampling),
  HA_LOGFILE / HA_DEBUGLOG (HA_debug=1), a trace file (OCF_TRACE_RA with
  OCF_TRACE_FILE or trace_dir), any file written, or an agent's stdout/stderr;
- leftovers: nothing written, created, chmod-ed or deleted outside the
  agent's own directories (:data:`ALLOWED_WRITES`, /run, __pycache__), and no
  process left once a stop answered 0;
- stop/probe on a valid configuration: when validate-all (level 0) answers 0,
  stop answers 0 and a probe 0, 7 or 8; a stop after a start that answered 0
  answers 0;
- harness errors: the run could not happen, or the baseline configuration's
  start failed (the run would then test nothing but refusals).

Debugging one case: ``Harness().run(Case("galera", "stop", "datadir",
"huge"), keep="/tmp/x")`` copies everything the run wrote to /tmp/x.

Runs are independent and deterministic: a case always produces the same
environments; sampling is seeded.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import stat
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

EXIT_REASON_PREFIX = "ocf-exit-reason:"
TRACEBACK = b"Traceback (most recent call last)"
#: the recognisable part of every secret (ASCII: survives any escaping)
MARKER = "OCFSECxQ7mZ2kR"
SECRETS = {
    "check_passwd": MARKER + "-param",         # galera
    "check_passwd_file": MARKER + "-cnffile",  # galera, inside the file
    "os_password": MARKER + "-ospw",           # OpenStack
    "os_application_credential_secret": MARKER + "-appcred",
    "openrc": MARKER + "-openrc",              # OpenStack, inside os_credentials_file
}

# --- value classes -----------------------------------------------------------------------
#: parameter values (bytes; None: the variable is absent)
VALUE_CLASSES = {
    "missing": None,
    "empty": b"",
    "huge": b"A" * 100_000,
    "nonutf8": b"\xff\xfe\xc3(bad\x80value",
    "option": b"--help",
    "option_rf": b"-rf",
    "shell": b";touch /tmp/PWNED-shell",
    "subst": b"$(id>/tmp/PWNED-subst)",
    "backtick": b"`touch /tmp/PWNED-backtick`",
    "newline": b"x\ntouch /tmp/PWNED-newline",
    "traversal": b"../../etc/shadow",
    "udigits": "\u0661\u0662\u0663".encode(),      # Arabic-Indic 123
}
#: OCF_RESKEY_CRM_meta_timeout (milliseconds as Pacemaker passes them)
TIMEOUT_CLASSES = {
    "neg": b"-1",
    "zero": b"0",
    "abc": b"abc",
    "huge": b"9" * 30,
    "empty": b"",
    "udigits": "\u0661\u0665\u0660\u0660\u0660".encode(),
}
#: OCF_RESOURCE_INSTANCE
INSTANCE_CLASSES = {
    "traversal": b"../../../x",
    "long": b"r" * 250,
    "newline": b"p_x\nevil",
    "slash": b"p_x/evil",
    "nonutf8": b"p_x\xff\xfe",
}
BASELINE = "-"
TIMEOUT_TARGET = "@timeout"
INSTANCE_TARGET = "@instance"

# --- the run's fixed paths (inside the overlay) -------------------------------------------
FX = "/srv/ocfsec"
FX_BIN = FX + "/bin"
FX_SBIN = FX + "/sbin"
FX_CRM = FX + "/crm"
FX_ETC = FX + "/etc"
FX_STATE = FX + "/state"
FX_DUMPS = FX + "/dumps"
LOG_DIR = "/var/log/ocfsec"
HA_LOGFILE = LOG_DIR + "/ha.log"
HA_DEBUGLOG = LOG_DIR + "/ha-debug.log"
TRACE_DIR = LOG_DIR + "/trace"
DATADIR = "/var/lib/ocfsec-mysql"
SERVICE_PORT = 8999
NIC = "ocsd0"
#: where an agent may write (relative to /); plus /run, /dev/shm and any __pycache__
ALLOWED_WRITES = ("var/log/ocfsec", "var/log/ocfpy", DATADIR.lstrip("/"),
                  FX_STATE.lstrip("/"), FX_DUMPS.lstrip("/"))

STEP_LIMIT = 40.0          # the harness kills a step after this long (seconds)
DEFAULT_TIMEOUT_MS = b"15000"
ALL_CODES = frozenset(range(10)) | {190, 191}


# =========================================================================================
# the matrix
# =========================================================================================
@dataclass(frozen=True)
class AgentModel:
    """What the matrix needs of a shipped agent."""

    name: str
    provider: str
    params: tuple            # parameter names, declaration order
    private: frozenset       # names of private parameters
    actions: tuple           # matrix actions (probe and monitor split)
    monitor_interval: int    # seconds, of the recurring monitor run
    monitor_role: str        # its role meta ("" for none)

    @property
    def promotable(self) -> bool:
        return "promote" in self.actions

    @property
    def instance(self) -> bytes:
        return f"p_{self.name.replace('-', '_')}".encode() + (b":0" if self.promotable else b"")


EXTRA_ACTIONS = ("promote", "demote", "notify", "reload", "reload-agent", "migrate_to", "migrate_from")


def agent_models(names=None) -> dict:
    """{name: AgentModel} of the shipped agents (all, or ``names``)."""
    from ocfpy.install import find

    models = {}
    for info in find(list(names) if names else None):
        cls = info.cls
        declared = [a.name for a in cls.action_list()]
        actions = ["start", "stop", "probe", "monitor"]
        actions += [a for a in EXTRA_ACTIONS if a in declared]
        actions += ["validate-all", "meta-data"]
        monitors = [a for a in cls.action_list() if a.name == "monitor" and (a.interval or 0) > 0]
        chosen = next((a for a in monitors if (a.role or "").lower() in ("unpromoted", "slave")),
                      monitors[0] if monitors else None)
        interval = int(chosen.interval) if chosen else 10
        role = (chosen.role or "") if chosen else ""
        params = cls.parameter_list()
        models[info.name] = AgentModel(
            info.name, info.provider, tuple(p.name for p in params),
            frozenset(p.name for p in params if p.private), tuple(actions), interval, role)
    return models


@dataclass(frozen=True, order=True)
class Case:
    agent: str
    action: str
    target: str     # parameter name, @timeout, @instance or - (baseline)
    vclass: str     # value class ("baseline" for the baseline)

    @property
    def key(self) -> str:
        return f"{self.agent}/{self.action}/{self.target}/{self.vclass}"

    @property
    def digest(self) -> int:
        return int(hashlib.sha256(self.key.encode()).hexdigest()[:8], 16)

    @property
    def trace(self) -> str:
        """"", "file" (OCF_TRACE_RA + OCF_TRACE_FILE) or "dir" (trace_ra + trace_dir):
        a third of the cases each, fixed per case."""
        return ("", "file", "dir")[self.digest % 3]

    def __str__(self) -> str:
        return self.key


def all_cases(models: dict) -> list:
    """Every combination, in a stable order."""
    cases = []
    for name in sorted(models):
        m = models[name]
        for action in m.actions:
            cases.append(Case(name, action, BASELINE, "baseline"))
            for param in m.params:
                for vclass in VALUE_CLASSES:
                    cases.append(Case(name, action, param, vclass))
            for vclass in TIMEOUT_CLASSES:
                cases.append(Case(name, action, TIMEOUT_TARGET, vclass))
            for vclass in INSTANCE_CLASSES:
                cases.append(Case(name, action, INSTANCE_TARGET, vclass))
    return cases


def sample_cases(cases: list, n: int, seed: int) -> list:
    """``n`` cases (all when n >= len): every baseline case, then round-robin over
    (agent, action) groups, each shuffled with ``seed`` -- every agent x action
    is covered and the classes vary from seed to seed."""
    if n is None or n >= len(cases):
        return list(cases)
    rng = random.Random(seed)
    chosen = [c for c in cases if c.target == BASELINE]
    groups = defaultdict(list)
    for c in cases:
        if c.target != BASELINE:
            groups[(c.agent, c.action)].append(c)
    order = sorted(groups)
    for key in order:
        rng.shuffle(groups[key])
    rng.shuffle(order)
    i = 0
    while len(chosen) < n and any(groups.values()):
        key = order[i % len(order)]
        if groups[key]:
            chosen.append(groups[key].pop())
        i += 1
    return chosen


# =========================================================================================
# configurations and environments
# =========================================================================================
def fake_service_command(python: str) -> str:
    return (f"{python} -IS {FX_BIN}/fake-openstack --port {SERVICE_PORT} "
            f"--config-file {FX_ETC}/service.conf")


def baseline_params(model: AgentModel, python: str) -> dict:
    """A valid configuration of ``model`` in the run's world (str values)."""
    if model.name == "dummy":
        return {"fake": "dummy", "op_sleep": "0"}
    if model.name == "stateful":
        return {"unpromoted_score": "5", "promoted_score": "10"}
    if model.name == "vip":
        return {"ip": "192.0.2.10", "nic": NIC, "cidr_netmask": "24", "arp_count": "2",
                "arp_interval": "50"}
    if model.name == "galera":
        return {"binary": f"{FX_SBIN}/mariadbd", "config": f"{FX_ETC}/my.cnf", "datadir": DATADIR,
                "user": "mysql", "group": "mysql", "wsrep_cluster_address": "gcomm://node1",
                "check_user": "monitor", "check_passwd": SECRETS["check_passwd"],
                "check_passwd_file": f"{FX_ETC}/galera-check.cnf",
                "pid": "/run/mysqld/mysqld.pid", "socket": "/run/mysqld/mysqld.sock"}
    if model.name == "haproxy":
        return {"conffile": f"{FX_ETC}/haproxy.cfg", "stop_grace": "1s"}
    if model.provider == "openstack":
        return {"start_command": fake_service_command(python), "config": f"{FX_ETC}/service.conf",
                "user": "nobody", "url": f"http://127.0.0.1:{SERVICE_PORT}/",
                "log_file": f"{LOG_DIR}/service.log", "healthcheck_timeout": "2s",
                "os_auth_url": f"http://127.0.0.1:{SERVICE_PORT}/v3", "os_username": "admin",
                "os_password": SECRETS["os_password"], "os_project_name": "admin",
                "os_credentials_file": f"{FX_ETC}/openrc"}
    raise KeyError(f"no baseline configuration for agent {model.name}: add one to "
                   "tests/security/hostile.py")


def hostile_value(model: AgentModel, param: str, vclass: str):
    """The bytes for ``param`` in ``vclass`` (None: absent). A private
    parameter's value carries the secret marker, so a leak of the hostile
    value itself is found too."""
    value = VALUE_CLASSES[vclass]
    if value is None or param not in model.private or vclass == "empty":
        return value
    return SECRETS.get(param, MARKER).encode() + value


@dataclass
class Config:
    """One configuration: parameters (bytes, None = absent), instance and timeout."""

    params: dict
    instance: bytes
    timeout: bytes = DEFAULT_TIMEOUT_MS


def case_config(model: AgentModel, case: Case, python: str) -> Config:
    params = {k: v.encode() for k, v in baseline_params(model, python).items()}
    cfg = Config(params, model.instance)
    if case.target == TIMEOUT_TARGET:
        cfg.timeout = TIMEOUT_CLASSES[case.vclass]
    elif case.target == INSTANCE_TARGET:
        cfg.instance = INSTANCE_CLASSES[case.vclass]
    elif case.target != BASELINE:
        cfg.params[case.target] = hostile_value(model, case.target, case.vclass)
    return cfg


def base_config(model: AgentModel, python: str) -> Config:
    return Config({k: v.encode() for k, v in baseline_params(model, python).items()}, model.instance)


def step_env(model: AgentModel, ocf_root: str, cfg: Config, action: str, interval: int = 0,
             check_level=None, trace: str = "", label: str = "") -> dict:
    """The environment of one call, as Pacemaker's executor builds it (bytes -> bytes)."""
    env = {
        b"PATH": f"{FX_CRM}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".encode(),
        b"LANG": b"C.UTF-8",
        b"HA_SBIN_DIR": FX_CRM.encode(),
        b"OCFPY_FAKE_STATE": FX_STATE.encode(),
        b"OCFPY_FAKE_NODE": b"node1",
        b"OCF_ROOT": ocf_root.encode(),
        b"OCF_RA_VERSION_MAJOR": b"1",
        b"OCF_RA_VERSION_MINOR": b"1",
        b"OCF_RESOURCE_INSTANCE": cfg.instance,
        b"OCF_RESOURCE_TYPE": model.name.encode(),
        b"OCF_RESOURCE_PROVIDER": model.provider.encode(),
        b"OCF_EXIT_REASON_PREFIX": EXIT_REASON_PREFIX.encode(),
        b"OCF_RESKEY_crm_feature_set": b"3.16.2",
        b"HA_debug": b"1",
        b"HA_LOGFILE": HA_LOGFILE.encode(),
        b"HA_DEBUGLOG": HA_DEBUGLOG.encode(),
        b"HA_LOGFACILITY": b"none",
        b"PCMK_logfacility": b"none",
        b"HA_VARRUN": b"/run/",
        b"HA_RSCTMP": b"/run/resource-agents",
        b"TMPDIR": b"/run/tmp",
    }
    for name, value in cfg.params.items():
        if value is not None:
            env[b"OCF_RESKEY_" + name.encode()] = value
    meta = {"name": action, "interval": str(interval * 1000), "on_node": "node1",
            "on_node_uuid": "1"}
    if model.promotable:
        meta.update(clone="0", clone_max="1", clone_node_max="1", globally_unique="false",
                    notify="true", promotable="true", promoted_max="1", promoted_node_max="1",
                    master_max="1", master_node_max="1")
    if action == "monitor" and interval and model.monitor_role:
        meta["role"] = model.monitor_role
    if action == "notify":
        inst = model.instance.decode()
        meta.update(notify_type="post", notify_operation="start",
                    notify_start_uname="node1", notify_start_resource=inst,
                    notify_active_uname="node1", notify_active_resource=inst,
                    notify_promoted_uname="", notify_master_uname="", notify_stop_uname="")
    if action == "migrate_to":
        meta.update(migrate_source="node1", migrate_target="node2")
    if action == "migrate_from":
        meta.update(migrate_source="node2", migrate_target="node1")
    for key, value in meta.items():
        env[b"OCF_RESKEY_CRM_meta_" + key.encode()] = value.encode()
    env[b"OCF_RESKEY_CRM_meta_timeout"] = cfg.timeout
    if check_level is not None:
        env[b"OCF_CHECK_LEVEL"] = str(check_level).encode()
    if trace == "file":
        env[b"OCF_TRACE_RA"] = b"1"
        env[b"OCF_TRACE_FILE"] = f"{TRACE_DIR}/{label or action}.trace".encode()
    elif trace == "dir":
        env[b"OCF_RESKEY_trace_ra"] = b"1"
        env[b"OCF_RESKEY_trace_dir"] = f"{TRACE_DIR}/dir".encode()
    return env


def build_steps(model: AgentModel, case: Case, ocf_root: str, python: str) -> list:
    """The calls of one run. ``role``: main (checked), cleanup (checked: the stop
    after a start), validate (validate-all level 0 of the same configuration, for
    the stop/probe rule), prelude (start, and promote before demote, with the
    baseline configuration -- but the case's instance name -- not checked beyond
    "the baseline starts": the resource runs when the hostile action comes)."""
    cfg = case_config(model, case, python)
    base = base_config(model, python)
    if case.target == INSTANCE_TARGET:
        base.instance = cfg.instance     # the same resource: Pacemaker never renames one
    trace = case.trace

    def step(action, role, config, interval=0, check_level=None, label=None):
        label = label or action
        return {"label": label, "action": action, "role": role,
                "env": _latin1(step_env(model, ocf_root, config, action, interval, check_level,
                                        trace if role != "prelude" else "", label)),
                "leftovers": action == "stop"}

    act = case.action
    if act == "meta-data":
        return [step("meta-data", "main", cfg)]
    if act == "validate-all":
        return [step("validate-all", "main", cfg)]
    if act == "start":
        return [step("start", "main", cfg), step("stop", "cleanup", cfg, label="stop-after-start")]
    if act == "probe":
        return [step("validate-all", "validate", cfg, check_level=0, label="validate-level0"),
                step("monitor", "main", cfg, label="probe")]
    steps = [step("start", "prelude", base, label="prelude-start")]
    if act == "stop":
        return steps + [step("validate-all", "validate", cfg, check_level=0, label="validate-level0"),
                        step("stop", "main", cfg)]
    if act == "monitor":
        return steps + [step("monitor", "main", cfg, interval=model.monitor_interval, check_level=10,
                             label="monitor")]
    if act == "demote":
        steps.append(step("promote", "prelude", base, label="prelude-promote"))
    return steps + [step(act, "main", cfg)]


def _latin1(env: dict) -> dict:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in env.items()}


# =========================================================================================
# results and checks
# =========================================================================================
@dataclass
class Failure:
    category: str
    case: Case
    step: str
    rc: object
    detail: str
    stderr: str = ""

    def line(self) -> str:
        head = " | ".join(self.stderr.strip().splitlines()[-3:])[:240]
        return (f"[{self.category}] {self.case.agent} {self.case.action} "
                f"{self.case.target}={self.case.vclass} step={self.step} rc={self.rc}: "
                f"{self.detail[:300]}" + (f"  <stderr: {head}>" if head else ""))


@dataclass
class RunResult:
    case: Case
    facts: dict
    duration: float
    failures: list = field(default_factory=list)


CATEGORIES = ("invalid_codes", "missing_exit_reasons", "multiple_exit_reasons", "tracebacks",
              "leaks", "leftovers", "stop_probe_failures_on_valid_config", "harness_errors")
LABELS = {
    "invalid_codes": "invalid codes",
    "missing_exit_reasons": "missing exit reasons",
    "multiple_exit_reasons": "multiple exit reasons",
    "tracebacks": "tracebacks",
    "leaks": "leaks",
    "leftovers": "leftovers",
    "stop_probe_failures_on_valid_config": "stop/probe failures on valid config",
    "harness_errors": "harness errors",
}


def allowed_codes(action: str) -> frozenset:
    if action == "meta-data":
        return frozenset({0})
    if action == "monitor":
        return ALL_CODES
    if action in ("stop", "validate-all"):
        return frozenset(range(7))
    return frozenset(range(8))


def is_failure(action: str, rc: int) -> bool:
    return not (rc == 0 or (action == "monitor" and rc in (7, 8)))


def check(model: AgentModel, case: Case, facts: dict) -> list:
    """The failures of one run (see the module docstring)."""
    out = []

    def fail(category, step, rc, detail, stderr=""):
        out.append(Failure(category, case, step, rc, detail, stderr))

    if facts.get("error"):
        fail("harness_errors", "-", "-", facts["error"].strip().splitlines()[-1][:300]
             if facts["error"].strip() else "?", facts["error"])
        return out
    steps = facts["steps"]
    validate_rc = next((s["rc"] for s in steps if s["role"] == "validate"), None)
    for s in steps:
        label, rc, action = s["label"], s["rc"], s["action"]
        if s["role"] in ("main", "cleanup"):
            stderr = s["stderr"]
            if s["killed"]:
                fail("invalid_codes", label, "killed",
                     f"still running after {STEP_LIMIT:g}s (killed by the harness)", stderr)
            elif rc not in allowed_codes(action):
                fail("invalid_codes", label, rc, f"{rc} is not a valid code for {action}"
                     + (f"; exit reason: {s['reason']}" if s["reason"] else ""), stderr)
            if s["reasons"] > 1:
                fail("multiple_exit_reasons", label, rc, f"{s['reasons']} exit-reason lines", stderr)
            elif not s["killed"] and is_failure(action, rc) and s["reasons"] == 0:
                fail("missing_exit_reasons", label, rc, "failure without an exit reason", stderr)
            if s["traceback"]:
                fail("tracebacks", label, rc, "Python traceback in the output", stderr)
            if s["secret_in_output"]:
                fail("leaks", label, rc, "secret marker in the agent's stdout/stderr", stderr)
        for hit in s.get("proc_hits", ()):
            fail("leaks", label, rc, f"secret in a child process: {hit}", s["stderr"])
        if s.get("left") and s["role"] in ("main", "cleanup"):
            for proc in s["left"]:
                fail("leftovers", label, rc, f"process still running after stop answered 0: {proc}"
                     + ("" if validate_rc in (None, 0) else f" (validate-all said {validate_rc})"),
                     s["stderr"])
    for s in steps:
        if (s["role"] == "prelude" and s["rc"] != 0 and s["label"] != "prelude-promote"
                and case.target != INSTANCE_TARGET):
            fail("harness_errors", s["label"], s["rc"], "the baseline configuration's "
                 f"{s['action']} answered {s['rc']}: {s['reason']}", s["stderr"])
    for path, what in facts.get("secret_files", ()):
        fail("leaks", "-", "-", f"secret marker in {what}: /{path}")
    for path, what in facts.get("writes", ()):
        fail("leftovers", "-", "-", f"{what} outside the agent's directories: /{path}")
    # stop/probe never fail on a configuration validate-all accepts
    main = next((s for s in steps if s["role"] == "main"), None)
    if main is not None and not main["killed"]:
        if case.action == "stop" and validate_rc == 0 and main["rc"] != 0:
            fail("stop_probe_failures_on_valid_config", "stop", main["rc"],
                 f"stop answered {main['rc']} though validate-all answered 0: {main['reason']}",
                 main["stderr"])
        if case.action == "probe" and validate_rc == 0 and main["rc"] not in (0, 7, 8):
            fail("stop_probe_failures_on_valid_config", "probe", main["rc"],
                 f"probe answered {main['rc']} though validate-all answered 0: {main['reason']}",
                 main["stderr"])
        if case.action == "start" and main["rc"] == 0:
            cleanup = next((s for s in steps if s["role"] == "cleanup"), None)
            if cleanup is not None and not cleanup["killed"] and cleanup["rc"] != 0:
                fail("stop_probe_failures_on_valid_config", cleanup["label"], cleanup["rc"],
                     f"stop answered {cleanup['rc']} after a start that answered 0: "
                     f"{cleanup['reason']}", cleanup["stderr"])
    return out


class Totals:
    """Counts per category over many runs, and the failures."""

    def __init__(self):
        self.runs = 0
        self.counts = Counter()
        self.failures = []
        self.duration = 0.0

    def add(self, result: RunResult) -> None:
        self.runs += 1
        self.duration += result.duration
        for f in result.failures:
            self.counts[f.category] += 1
        self.failures.extend(result.failures)

    @property
    def failing_runs(self) -> int:
        return len({f.case for f in self.failures})

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        lines = [f"runs: {self.runs}"]
        for cat in CATEGORIES:
            lines.append(f"{LABELS[cat]}: {self.counts.get(cat, 0)}")
        lines.append(f"failing runs: {self.failing_runs}")
        return "\n".join(lines)

    def grouped(self) -> list:
        """Failures grouped by cause: (category, agent, action, step, rc, detail
        without the values) -> the targets and classes concerned."""
        groups = defaultdict(list)
        for f in self.failures:
            detail = _normalize(f.detail)
            groups[(f.category, f.case.agent, f.case.action, f.step, str(f.rc), detail)].append(f)
        return sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))

    def report(self, limit: int = 60) -> str:
        lines = [self.summary()]
        if self.failures:
            lines.append("")
            lines.append("failures grouped by cause "
                         "(count [category] agent action step rc: detail; cases):")
            for (cat, agent, action, step, rc, detail), fs in self.grouped()[:limit]:
                cases = sorted({f"{f.case.target}={f.case.vclass}" for f in fs})
                shown = ", ".join(cases[:8]) + (f", ... ({len(cases)} cases)" if len(cases) > 8 else "")
                lines.append(f"{len(fs):5d} [{cat}] {agent} {action} step={step} rc={rc}: {detail}")
                lines.append(f"        {shown}")
                head = " | ".join(fs[0].stderr.strip().splitlines()[-2:])[:200]
                if head:
                    lines.append(f"        stderr: {head}")
            more = len(self.grouped()) - limit
            if more > 0:
                lines.append(f"... {more} more groups")
        return "\n".join(lines)


def _normalize(detail: str) -> str:
    """A failure's detail without what varies per value (pids, values, paths' tails)."""
    import re

    text = re.sub(r"\(pid \d+\)|pid \d+|\[\d+\]", "pid N", detail)
    text = re.sub(r"'[^']{20,}'(\.\.\.)?", "'...'", text)
    text = re.sub(r"PWNED-\w+", "PWNED-*", text)
    text = re.sub(r"\.\d+\.\d+$", ".*", text)
    text = re.sub(r"dumps/([\w-]+)\.\d+\.\d+", r"dumps/\1.*", text)
    text = re.sub(r"A{20,}", "A...", text)
    return text[:200]


# =========================================================================================
# the executor (host side)
# =========================================================================================
def unavailable():
    """Why the hostile-input runs cannot happen here, or None."""
    if os.geteuid() != 0:
        return "needs root (namespaces, overlay and tmpfs mounts)"
    import shutil

    for tool in ("unshare", "ip"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return None


class Harness:
    """Installs the agents into a scratch OCF root and runs cases in namespaces.

    Use as a context manager; the scratch directory (/tmp/ocfsec-hostile-*)
    is removed on exit.
    """

    def __init__(self, agents=None, python=None, scratch_parent="/tmp"):
        import tempfile

        from ocfpy.install import install

        self.python = python or sys.executable
        self.models = agent_models(agents)
        self.scratch = tempfile.mkdtemp(prefix="ocfsec-hostile-", dir=scratch_parent)
        os.chmod(self.scratch, 0o755)       # the service users run the fakes through it
        self.mnt = os.path.join(self.scratch, "mnt")
        os.mkdir(self.mnt)
        self.ocf_root = os.path.join(self.scratch, "ocf")
        install(__import__("pathlib").Path(self.ocf_root), names=sorted(self.models),
                python=self.python)
        self.scripts = {name: os.path.join(self.ocf_root, "resource.d", m.provider, name)
                        for name, m in self.models.items()}
        self.repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        # the supervisor runs from a copy: editing this file never disturbs a long run
        import shutil

        self.inner = os.path.join(self.scratch, "hostile_inner.py")
        shutil.copyfile(os.path.abspath(__file__), self.inner)
        self.host_pwned_before = _host_pwned()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        import shutil

        shutil.rmtree(self.scratch, ignore_errors=True)

    def cases(self) -> list:
        return all_cases(self.models)

    def job(self, case: Case, script=None, keep=None) -> dict:
        model = self.models[case.agent]
        return {"mnt": self.mnt, "python": self.python, "repo": self.repo,
                "script": script or self.scripts[case.agent], "marker": MARKER,
                "agent": case.agent, "keep": keep,
                "steps": build_steps(model, case, self.ocf_root, self.python)}

    def run(self, case: Case, script=None, keep=None) -> RunResult:
        """One run. ``script`` replaces the installed agent (the harness's own
        tests); ``keep`` is a host directory that receives a copy of everything
        the run wrote (the overlay's upper layer, and /run as run/), for debugging."""
        try:
            job = self.job(case, script, keep)
        except KeyError as exc:      # an agent without a baseline configuration
            facts = {"error": str(exc.args[0] if exc.args else exc)}
            return RunResult(case, facts, 0.0, check(self.models[case.agent], case, facts))
        limit = STEP_LIMIT * len(job["steps"]) + 30
        argv = ["unshare", "--mount", "--net", "--pid", "--ipc", "--fork", "--kill-child",
                "--propagation", "private", "--", self.python, "-I", "-S", self.inner, "--inner"]
        started = time.monotonic()
        try:
            proc = subprocess.run(argv, input=json.dumps(job).encode(), capture_output=True,
                                  timeout=limit, cwd="/", env={"PATH": os.defpath + ":/usr/sbin:/sbin",
                                                               "LANG": "C.UTF-8"})
            try:
                facts = json.loads(proc.stdout.decode("utf-8", "replace").strip().splitlines()[-1])
            except (ValueError, IndexError):
                facts = {"error": f"supervisor exited {proc.returncode} without a result: "
                                  f"{proc.stderr.decode('utf-8', 'replace')[-2000:]}"}
        except subprocess.TimeoutExpired:
            facts = {"error": f"the run took longer than {limit:g}s"}
        result = RunResult(case, facts, time.monotonic() - started)
        result.failures = check(self.models[case.agent], case, facts)
        return result

    def run_many(self, cases, jobs: int = 3, progress=None) -> Totals:
        """Run ``cases`` on ``jobs`` workers; ``progress(done, total, result)``."""
        from concurrent.futures import ThreadPoolExecutor, as_completed

        totals = Totals()
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = [pool.submit(self.run, c) for c in cases]
            for i, fut in enumerate(as_completed(futures), 1):
                result = fut.result()
                totals.add(result)
                if progress is not None:
                    progress(i, len(futures), result)
        for path in sorted(_host_pwned() - self.host_pwned_before):
            totals.add(RunResult(Case("-", "-", "-", "-"), {}, 0.0, [
                Failure("leftovers", Case("-", "-", "-", "-"), "-", "-",
                        f"{path} appeared on the HOST during the runs")]))
        return totals


def _host_pwned() -> set:
    try:
        return {os.path.join("/tmp", n) for n in os.listdir("/tmp") if n.startswith("PWNED")}
    except OSError:
        return set()


# =========================================================================================
# the supervisor (inside the namespaces; pid 1 of the run's pid namespace)
# =========================================================================================
MS_BIND, MS_REC, MS_RDONLY, MS_NOSUID, MS_NODEV = 4096, 16384, 1, 2, 4


def _libc():
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
    return libc


def _mount(libc, src, target, fstype, flags=0, data=None):
    import ctypes

    if libc.mount(src.encode() if src else None, target.encode(),
                  fstype.encode() if fstype else None, flags,
                  data.encode() if data else None) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {fstype or src} on {target}: {os.strerror(err)}")


def _setup_namespace(job) -> dict:
    """Mount the run's world; returns {root, upper, io}."""
    libc = _libc()
    mnt = job["mnt"]
    _mount(libc, "tmpfs", mnt, "tmpfs", 0, "mode=0755")
    upper, work, root, io = (os.path.join(mnt, d) for d in ("up", "work", "root", "io"))
    for d in (upper, work, root, io):
        os.mkdir(d)
    _mount(libc, "overlay", root, "overlay", 0, f"lowerdir=/,upperdir={upper},workdir={work}")
    _mount(libc, "proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV)
    _mount(libc, "sysfs", root + "/sys", "sysfs", MS_NOSUID | MS_NODEV)
    _mount(libc, "tmpfs", root + "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
    _mount(libc, "tmpfs", root + "/dev", "tmpfs", MS_NOSUID, "mode=0755")
    for node in ("null", "zero", "full", "random", "urandom", "tty"):
        target = f"{root}/dev/{node}"
        open(target, "w").close()
        _mount(libc, f"/dev/{node}", target, None, MS_BIND)
    os.mkdir(root + "/dev/shm")
    os.chmod(root + "/dev/shm", 0o1777)
    os.mkdir(root + "/dev/pts")
    for name, dest in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                       ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(dest, f"{root}/dev/{name}")
    for d, mode in (("/run/tmp", 0o1777), ("/run/resource-agents", 0o755), ("/run/lock", 0o1777)):
        os.mkdir(root + d)
        os.chmod(root + d, mode)
    subprocess.run(["ip", "-batch", "-"], input=(
        "link set lo up\n"
        f"link add {NIC} type veth peer name ocsd1\n"
        "link set ocsd1 up\n"
        f"link set {NIC} up\n"
        f"addr add 192.0.2.1/24 dev {NIC}\n").encode(), check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return {"root": root, "upper": upper, "io": io}


_DUMP_FUNC = r'''
def _ocfsec_dump(name):
    import os, time
    try:
        with open("/proc/self/cmdline", "rb") as fh:
            cmd = fh.read()
        with open("/proc/self/environ", "rb") as fh:
            env = fh.read()
        fd = os.open("%(dumps)s/%%s.%%d.%%d" %% (name, os.getpid(), time.monotonic_ns()),
                     os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, b"ARGV " + cmd + b"\nENV " + env + b"\n")
        os.close(fd)
    except OSError:
        pass
''' % {"dumps": FX_DUMPS}

_FAKE_MARIADBD = r'''
import sys, time
_ocfsec_dump("mariadbd")
args = sys.argv[1:]
if "--wsrep-recover" in args:
    logs = [a.split("=", 1)[1] for a in args if a.startswith("--log-error=")]
    if logs:
        with open(logs[-1], "a") as fh:
            fh.write("2026-01-01 0:00:00 0 [Note] WSREP: Recovered position: "
                     "6ee2d5c1-1111-2222-3333-444455556666:42\n")
    sys.exit(0)
time.sleep(1.0)
sys.exit(1)
'''

_FAKE_INSTALL_DB = r'''
import os, sys
_ocfsec_dump("mariadb-install-db")
for a in sys.argv[1:]:
    if a.startswith("--datadir="):
        os.makedirs(os.path.join(a.split("=", 1)[1], "mysql"), exist_ok=True)
'''

_FAKE_OPENSTACK = r'''
import os, signal, socket, sys, threading
_ocfsec_dump("fake-openstack")
for number in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
    signal.signal(number, lambda *a: os._exit(0))
args = sys.argv[1:]
port = int(args[args.index("--port") + 1]) if "--port" in args else %(port)d
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(64)
print("fake service listening on", port, flush=True)
TOKEN = (b'{"token": {"expires_at": "2099-01-01T00:00:00.000000Z", "project": '
         b'{"id": "0123456789abcdef0123456789abcdef", "name": "admin"}}}')
def reply(conn, status, body, extra=b""):
    conn.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
                 b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n"
                 + extra + b"\r\n" + body)
def handle(conn):
    try:
        conn.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        method, path = (lines[0].split() + [b"", b""])[:2]
        length = 0
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v.strip() or 0)
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        path = path.split(b"?")[0].rstrip(b"/") or b"/"
        if method == b"POST" and path == b"/v3/auth/tokens":
            reply(conn, b"201 Created", TOKEN, b"X-Subject-Token: gAAAAfaketoken\r\n")
        elif path == b"/":
            reply(conn, b"300 Multiple Choices", b'{"versions": {"values": []}}')
        elif path == b"/healthcheck":
            reply(conn, b"200 OK", b"OK")
        else:
            reply(conn, b"200 OK", b'{"token": {}, "images": [], "volume_types": [], "share_types": []}')
    except (OSError, ValueError):
        pass
    finally:
        conn.close()
while True:
    conn, _ = srv.accept()
    threading.Thread(target=handle, args=(conn,), daemon=True).start()
''' % {"port": SERVICE_PORT}

_CRM_WRAPPER = r'''
_ocfsec_dump(%(tool)r)
import sys
sys.path.insert(0, %(repo)r)
from ocfpy.testing.fake_tools import main
main(%(tool)r)
'''


def _write(path, text, mode=0o644, uid=0, gid=0):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        fh.write(text)
    os.chown(path, uid, gid)
    os.chmod(path, mode)


def _setup_fixtures(job, root) -> None:
    import grp
    import pwd

    py = job["python"]
    shebang = f"#!{py} -IS\n"
    for d, mode in ((FX, 0o755), (FX_BIN, 0o755), (FX_SBIN, 0o755), (FX_CRM, 0o755),
                    (FX_ETC, 0o755), (FX_DUMPS, 0o1777), (LOG_DIR, 0o755), (TRACE_DIR, 0o700)):
        os.makedirs(root + d, exist_ok=True)
        os.chmod(root + d, mode)
    _write(root + FX_SBIN + "/mariadbd", shebang + _DUMP_FUNC + _FAKE_MARIADBD, 0o755)
    _write(root + FX_BIN + "/mariadb-install-db", shebang + _DUMP_FUNC + _FAKE_INSTALL_DB, 0o755)
    _write(root + FX_BIN + "/fake-openstack", shebang + _DUMP_FUNC + _FAKE_OPENSTACK, 0o755)
    sys.path.insert(0, job["repo"])
    from ocfpy.testing import fake_tools as ft

    for tool in ft.TOOLS:
        _write(root + FX_CRM + "/" + tool,
               shebang + _DUMP_FUNC + _CRM_WRAPPER % {"tool": tool, "repo": job["repo"]}, 0o755)
    ft.init_state(root + FX_STATE, ["node1", "node2"])
    _write(root + FX_ETC + "/service.conf", "[DEFAULT]\n")
    _write(root + FX_ETC + "/my.cnf", "[mysqld]\nwsrep_on=ON\n")
    _write(root + FX_ETC + "/haproxy.cfg",
           "global\n    maxconn 100\n"
           "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n"
           "    timeout server 5s\n"
           "frontend fe\n    bind 127.0.0.1:8081\n    default_backend be\n"
           f"backend be\n    server s1 127.0.0.1:{SERVICE_PORT}\n")
    _write(root + FX_ETC + "/galera-check.cnf",
           f"[client]\nuser=monitor\npassword={SECRETS['check_passwd_file']}\n", 0o600)
    _write(root + FX_ETC + "/openrc",
           "export OS_USERNAME=admin\n"
           f"export OS_PASSWORD={SECRETS['openrc']}\n"
           "export OS_PROJECT_NAME=admin\n"
           f"export OS_AUTH_URL=http://127.0.0.1:{SERVICE_PORT}/v3\n", 0o600)
    uid, gid = pwd.getpwnam("mysql").pw_uid, grp.getgrnam("mysql").gr_gid
    os.makedirs(root + DATADIR)
    os.chown(root + DATADIR, uid, gid)
    os.chmod(root + DATADIR, 0o750)
    _write(root + DATADIR + "/grastate.dat",
           "# GALERA saved state\nversion: 2.1\nuuid: 6ee2d5c1-1111-2222-3333-444455556666\n"
           "seqno: -1\nsafe_to_bootstrap: 0\n", 0o660, uid, gid)
    _write(root + DATADIR + "/ibdata1", "", 0o660, uid, gid)


def _tree(top) -> dict:
    out = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            out[os.path.relpath(path, top)] = (stat.S_IFMT(st.st_mode), st.st_mode, st.st_uid,
                                               st.st_gid, st.st_size, st.st_mtime_ns, st.st_rdev)
    return out


def _allowed(rel: str) -> bool:
    if "__pycache__" in rel.split("/"):
        return True
    return any(rel == a or rel.startswith(a + "/") for a in ALLOWED_WRITES)


def _classify(rel: str) -> str:
    if rel.startswith(FX_DUMPS.lstrip("/") + "/"):
        name = rel.rsplit("/", 1)[-1].split(".", 1)[0]
        return f"the environment or command line of child {name}"
    if rel in (HA_LOGFILE.lstrip("/"), HA_DEBUGLOG.lstrip("/")):
        return "HA_LOGFILE/HA_DEBUGLOG"
    if rel.startswith(TRACE_DIR.lstrip("/")):
        return "a trace file"
    if rel.startswith(FX_STATE.lstrip("/")):
        return "the fake cluster (crm tool arguments)"
    return "a file the run wrote"


def _read_proc(root, pid, name) -> bytes:
    try:
        with open(f"{root}/proc/{pid}/{name}", "rb") as fh:
            return fh.read()
    except OSError:
        return b""


def _ns_pids(root) -> list:
    try:
        return [int(n) for n in os.listdir(root + "/proc") if n.isdigit()]
    except OSError:
        return []


def _proc_state(root, pid):
    text = _read_proc(root, pid, "stat")
    tail = text.rpartition(b")")[2].split()
    return (tail[0].decode(), int(tail[1])) if len(tail) > 1 else (None, None)


def _reap(root) -> None:
    """pid 1 of the namespace: reap orphans that died (not our agent: Popen does that)."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _run_step(step, job, world) -> dict:
    root, io = world["root"], world["io"]
    marker = job["marker"].encode()
    env = {k.encode("latin-1"): v.encode("latin-1") for k, v in step["env"].items()}
    script = job["script"].encode()
    out_path, err_path = os.path.join(io, "out"), os.path.join(io, "err")

    def enter():
        os.chroot(root)
        os.chdir("/")

    started = time.monotonic()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen([job["script"], step["action"]], env=env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=err, start_new_session=True, preexec_fn=enter)
        hits, killed = {}, False
        while True:
            rc = proc.poll()
            if rc is not None:
                break
            if time.monotonic() - started > STEP_LIMIT:
                try:
                    os.killpg(proc.pid, 9)
                except OSError:
                    pass
                killed = True
                rc = proc.wait()
                break
            _sample(root, proc.pid, script, marker, hits)
            time.sleep(0.004)
    duration = time.monotonic() - started
    _reap(root)
    with open(out_path, "rb") as fh:
        stdout = fh.read()
    with open(err_path, "rb") as fh:
        stderr = fh.read()
    prefix = EXIT_REASON_PREFIX.encode()
    reasons = [l for l in stderr.split(b"\n") if l.startswith(prefix)]
    result = {
        "label": step["label"], "action": step["action"], "role": step["role"],
        "rc": rc if rc >= 0 else 1, "signal": -rc if rc < 0 else 0, "killed": killed,
        "duration": round(duration, 3),
        "stdout": stdout[:3000].decode("latin-1") if step["action"] != "meta-data" else "",
        "stderr": stderr[-6000:].decode("utf-8", "backslashreplace"),
        "reasons": len(reasons),
        "reason": reasons[-1][len(prefix):].decode("utf-8", "backslashreplace")[:400] if reasons else "",
        "traceback": TRACEBACK in stdout or TRACEBACK in stderr,
        "secret_in_output": marker in stderr or (marker in stdout and step["action"] != "meta-data"),
        "proc_hits": sorted(hits.values()),
    }
    if step["leftovers"] and result["rc"] == 0 and not killed:
        left = []
        time.sleep(0.05)
        _reap(root)
        for pid in _ns_pids(root):
            if pid == 1:
                continue
            state, _ppid = _proc_state(root, pid)
            if state in (None, "Z", "X"):
                continue
            cmd = _read_proc(root, pid, "cmdline").replace(b"\0", b" ").strip()
            left.append(f"pid {pid}: {cmd[:160].decode('utf-8', 'backslashreplace')}")
        result["left"] = left
    return result


def _sample(root, agent_pid, script, marker, hits) -> None:
    """Secrets in the command line or environment of any process of the run
    but the agent itself (and its own forks, which share its memory)."""
    for pid in _ns_pids(root):
        if pid in (1, agent_pid):
            continue
        cmd = _read_proc(root, pid, "cmdline")
        if not cmd:
            state, ppid = _proc_state(root, pid)
            if state == "Z" and ppid == 1:       # an orphan of ours: reap it (by pid only)
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
            continue
        if not cmd or script in cmd.split(b"\0"):
            continue
        where = []
        if marker in cmd:
            where.append("command line")
        if marker in _read_proc(root, pid, "environ"):
            where.append("environment")
        if where:
            key = (cmd[:80], tuple(where))
            hits.setdefault(key, " and ".join(where) + " of "
                            + cmd.replace(b"\0", b" ")[:160].decode("utf-8", "backslashreplace"))


def _scan(world, before, marker: bytes):
    """(writes outside the allowed places, files holding the marker)."""
    root, upper = world["root"], world["upper"]
    after = _tree(upper)
    writes, secret_files = [], []
    for rel, meta in sorted(after.items()):
        if before.get(rel) == meta:
            continue
        kind = meta[0]
        if kind == stat.S_IFREG and meta[4] < 64 * 2**20:
            try:
                with open(os.path.join(upper, rel), "rb") as fh:
                    if marker in fh.read():
                        secret_files.append((rel, _classify(rel)))
            except OSError:
                pass
        if _allowed(rel):
            continue
        if kind == stat.S_IFDIR:
            try:
                low = os.lstat("/" + rel)
            except OSError:
                writes.append((rel, "created a directory"))
                continue
            if (low.st_mode, low.st_uid, low.st_gid) != meta[1:4]:
                writes.append((rel, "changed the owner or mode of a directory"))
            continue
        if kind == stat.S_IFCHR and meta[6] == 0:
            writes.append((rel, "deleted a file"))
        elif rel in before:
            writes.append((rel, "modified a file"))
        else:
            try:
                os.lstat("/" + rel)
                writes.append((rel, "modified (or chmod/chown-ed) a file"))
            except OSError:
                writes.append((rel, "created a file"))
    for rel in sorted(set(before) - set(after)):
        if not _allowed(rel):
            writes.append((rel, "deleted a file"))
    for top in ("/run", "/dev/shm"):
        for dirpath, _dirs, files in os.walk(root + top):
            for name in files:
                path = os.path.join(dirpath, name)
                try:
                    if os.path.getsize(path) < 64 * 2**20:
                        with open(path, "rb") as fh:
                            if marker in fh.read():
                                secret_files.append((os.path.relpath(path, root), "a run-time file"))
                except OSError:
                    pass
    expected_dev = {"null", "zero", "full", "random", "urandom", "tty", "shm", "pts", "fd",
                    "stdin", "stdout", "stderr"}
    for name in os.listdir(root + "/dev"):
        if name not in expected_dev:
            writes.append((f"dev/{name}", "created a file"))
    return writes, secret_files


def inner_main() -> int:
    import traceback

    job = json.loads(sys.stdin.buffer.read())
    facts = {"steps": [], "error": None}
    try:
        world = _setup_namespace(job)
        _setup_fixtures(job, world["root"])
        before = _tree(world["upper"])
        for step in job["steps"]:
            facts["steps"].append(_run_step(step, job, world))
        facts["writes"], facts["secret_files"] = _scan(world, before, job["marker"].encode())
        if job.get("keep"):
            import shutil

            shutil.copytree(world["upper"], job["keep"], symlinks=True, dirs_exist_ok=True)
            shutil.copytree(world["root"] + "/run", os.path.join(job["keep"], "run"), symlinks=True,
                            dirs_exist_ok=True)
    except Exception:   # noqa: BLE001 - reported as a harness error
        facts["error"] = traceback.format_exc()
    sys.stdout.write(json.dumps(facts) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__" and sys.argv[1:2] == ["--inner"]:
    sys.exit(inner_main())
