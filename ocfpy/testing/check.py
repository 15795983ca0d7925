"""``ocfpy check``: an OCF 1.1-aware compliance check of one resource agent.

A superset of resource-agents' ocf-tester. Every action runs through
:class:`ocfpy.testing.driver.Driver` against a one-node
:class:`ocfpy.testing.fake.FakeCluster` (so promotion-score calls work),
inside its declared meta-data timeout (killed with SIGKILL after it, as
Pacemaker does), with a private HA_VARRUN / HA_RSCTMP / TMPDIR.

What is checked, in order:

1. meta-data: exits 0 run as user ``nobody`` (when we are root), is valid
   OCF 1.1 (:mod:`ocfpy.testing.metadata_check`) and, when it uses no
   1.1-only construct, valid against the 1.0 DTD (xmllint);
2. required parameters given (``-o name=value``); validate-all -> 0;
3. probe without any parameter -> 7; probe before start -> 7;
4. start -> 0, monitor -> 0, probe -> 0, start again -> 0;
5. notify (if declared) pre/post start with real notify variables -> 0;
6. promote/demote (if declared): promote -> 0 then monitor -> 8, twice;
   demote -> 0 then monitor -> 0, twice; notify around them;
7. reload-agent (if declared) -> 0, then monitor -> 0; reload (1.0, if
   declared) only warns when not 0;
8. migrate_to / migrate_from (if declared) node1 -> node2 and back -> 0, then
   monitor -> 0 on the target;
9. stop -> 0, probe -> 7, stop again -> 0, probe -> 7;
10. for every call: finished inside its timeout, no Python traceback on
    stderr, an exit reason whenever it failed;
11. at the end: no file left behind (private run dirs, paths named in
    parameters, anything named after the resource under /run, /tmp,
    /dev/shm, /var/lib), no attribute or promotion score left in the fake
    cluster.

Example::

    report = check_agent("ocf:pacemaker:Dummy")
    report.ok                       # True
    print(report.text())            # PASS/FAIL lines and a summary
    json.dumps(report.to_dict())    # for machines
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ocfpy import codes
from ocfpy.testing.driver import ActionResult, Driver, clone_meta, resolve_agent
from ocfpy.testing.metadata_check import check_metadata, dtd_problems

__all__ = ["Finding", "CheckReport", "SetupProblem", "check_agent", "PASS", "FAIL", "WARN", "SKIP"]

PASS, FAIL, WARN, SKIP = "PASS", "FAIL", "WARN", "SKIP"
DEFAULT_TIMEOUT = 20.0
NODE = "node1"
OTHER_NODE = "node2"
TRACEBACK = "Traceback (most recent call last):"
#: where agents keep runtime state; scanned for files named after the resource
SCAN_ROOTS = ("/run", "/tmp", "/dev/shm", "/var/lib", "/var/tmp")
SCAN_DEPTH = 3
SCAN_LIMIT = 20000


@dataclass
class Finding:
    """One check: ``status`` PASS/FAIL/WARN/SKIP and a message saying what was seen."""

    name: str
    status: str
    message: str = ""
    count: int = 1        # how many calls showed it

    @property
    def text(self) -> str:
        more = f" (in {self.count} calls)" if self.count > 1 else ""
        return f"{self.name}: {self.message}{more}" if self.message else self.name + more

    def to_dict(self) -> dict:
        return {"name": self.name, "status": self.status, "message": self.message,
                "count": self.count}


@dataclass
class CheckReport:
    """Everything ``ocfpy check`` found about one agent."""

    agent: str
    path: str = ""
    findings: list = field(default_factory=list)
    calls: list = field(default_factory=list)   # ActionResult, in order

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def failures(self) -> list:
        return [f for f in self.findings if f.status == FAIL]

    def messages(self, status=FAIL) -> list:
        return [f.text for f in self.findings if f.status == status]

    def to_dict(self) -> dict:
        return {
            "agent": self.agent, "path": self.path, "ok": self.ok,
            "summary": {s: sum(1 for f in self.findings if f.status == s)
                        for s in (PASS, FAIL, WARN, SKIP)},
            "findings": [f.to_dict() for f in self.findings],
            "calls": [{"action": c.action, "label": c.label, "node": c.node, "rc": c.rc,
                       "rc_name": c.rc_name, "exit_reason": c.exit_reason,
                       "duration": round(c.duration, 4), "timeout": c.timeout,
                       "timed_out": c.timed_out} for c in self.calls],
        }

    def text(self, verbose=False) -> str:
        lines = [f"ocfpy check {self.agent}" + (f" ({self.path})" if self.path else "")]
        for f in self.findings:
            if f.status == PASS and not verbose:
                continue
            lines.append(f"  {f.status}  {f.text}")
        counts = self.to_dict()["summary"]
        lines.append(f"{len(self.findings)} checks: {counts[PASS]} passed, {counts[FAIL]} failed, "
                     f"{counts[WARN]} warnings, {counts[SKIP]} skipped, "
                     f"{len(self.calls)} agent calls -> " + ("OK" if self.ok else "FAILED"))
        return "\n".join(lines) + "\n"


def _describe(rc) -> str:
    return f"{rc} ({codes.name_of(rc)})"


def _scan(roots, needle, depth=SCAN_DEPTH, limit=SCAN_LIMIT) -> set:
    """Paths under ``roots`` (to ``depth`` levels) whose name contains ``needle``."""
    found, seen = set(), 0
    for root in roots:
        if not os.path.isdir(root):
            continue
        stack = [(root, 0)]
        while stack and seen < limit:
            path, level = stack.pop()
            try:
                entries = list(os.scandir(path))
            except OSError:
                continue
            for entry in entries:
                seen += 1
                if needle in entry.name:
                    found.add(entry.path)
                if level + 1 < depth and entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, level + 1))
    return found


def _tree(root) -> set:
    """Every path under ``root`` (files and directories)."""
    out = set()
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            out.add(os.path.join(dirpath, name))
    return out


class SetupProblem(Exception):
    """The check cannot run here (not a fault of the agent): e.g. user nobody
    cannot execute the interpreter an agent is installed with."""


class _Checker:
    def __init__(self, agent, options, timeout_scale, ocf_root, workdir, progress=None):
        from ocfpy.testing.fake import FakeCluster

        self.options = dict(options or {})
        self.scale = timeout_scale
        self.workdir = Path(workdir)
        self.spec = resolve_agent(agent, ocf_root or "/usr/lib/ocf")
        self.report = CheckReport(self.spec.label if not self.spec.path else str(agent),
                                  self.spec.path)
        self.cluster = FakeCluster.create(self.workdir / "fake", [NODE, OTHER_NODE])
        self.resource = "ocfpy-check-" + secrets.token_hex(3)
        self.run_dir = self.workdir / "agent"
        self.driver = Driver(self.spec, cluster=self.cluster, resource=self.resource,
                             params=self.options, ocf_root=ocf_root, workdir=self.run_dir)
        self.md = None
        self.promotable = False
        self.meta = {}
        self.instance = None
        self.monitor_interval = 10.0
        self.progress = progress

    # -- bookkeeping -------------------------------------------------------
    def add(self, name, status, message=""):
        # the same problem seen in several calls (every probe...) is one finding
        for f in self.report.findings:
            if f.name == name and f.status == status and f.message.startswith(message) and message:
                f.count += 1
                return
        finding = Finding(name, status, message)
        self.report.findings.append(finding)
        if self.progress is not None:
            self.progress(finding)

    def timeout_of(self, action, role=None) -> float:
        declared = None
        if self.md is not None:
            a = (self.md.action(action, role) if role else None) or self.md.action(action)
            declared = a["timeout"] if a else None
        return (declared or DEFAULT_TIMEOUT) * self.scale

    def call(self, action, interval=0.0, role=None, params=None, user=None, meta=None,
             node=NODE, use_options=True) -> ActionResult:
        """Run one action and apply the checks every call gets."""
        timeout = self.timeout_of(action, role)
        all_meta = dict(self.meta)
        if role:
            all_meta["role"] = role
        all_meta.update(meta or {})
        driver = self.driver
        if not use_options:
            driver = Driver(self.spec, cluster=self.cluster, resource=self.resource,
                            params={}, ocf_root=self.driver.ocf_root, workdir=self.run_dir)
        result = driver.run(action, node, interval=interval, timeout=timeout, params=params,
                            meta=all_meta, instance=self.instance, user=user)
        self.report.calls.append(result)
        label = result.label
        if result.timed_out:
            self.add(f"{label} timeout", FAIL,
                     f"{label} did not finish within its declared timeout of "
                     f"{timeout:g}s: killed with SIGKILL after {result.duration:.1f}s")
        if TRACEBACK in result.stderr or TRACEBACK in result.stdout:
            stream = result.stderr if TRACEBACK in result.stderr else result.stdout
            last = [ln for ln in stream.splitlines() if ln.strip()][-1].strip()
            self.add(f"{label} traceback", FAIL,
                     f"{label} printed a Python traceback on "
                     f"{'stderr' if stream is result.stderr else 'stdout'} ({last})")
        failed = result.rc not in ((codes.SUCCESS, codes.NOT_RUNNING, codes.RUNNING_PROMOTED,
                                    codes.DEGRADED, codes.DEGRADED_PROMOTED)
                                   if action == "monitor" else (codes.SUCCESS,))
        if failed and not result.timed_out and not result.exit_reason:
            self.add(f"{label} exit reason", FAIL,
                     f"{label} failed with rc {_describe(result.rc)} but gave no exit reason "
                     f"(print one line 'ocf-exit-reason:...' on stderr)")
        return result

    def expect(self, name, result, *expected, why=""):
        """PASS when ``result.rc`` is one of ``expected``, FAIL with a precise message."""
        if result.timed_out:   # already reported by call() as "<label> timeout"
            return False
        if result.rc in expected:
            self.add(name, PASS, f"returned {_describe(result.rc)}")
            return True
        want = " or ".join(_describe(e) for e in expected)
        reason = f" (exit reason: {result.exit_reason})" if result.exit_reason else ""
        self.add(name, FAIL, f"{result.label} returned {_describe(result.rc)}, expected {want}"
                             + reason + (f": {why}" if why else ""))
        return False

    # -- the checks ----------------------------------------------------------
    def run(self) -> CheckReport:
        if not self.check_metadata():
            return self.report
        missing = [p["name"] for p in self.md.parameters
                   if p["required"] and p["name"] not in self.options]
        if missing:
            self.add("required parameters", FAIL,
                     "not given: " + ", ".join(missing) + " (use -o NAME=VALUE)")
            return self.report
        unknown = sorted(set(self.options) - {p["name"] for p in self.md.parameters})
        if unknown:
            self.add("parameters", WARN, "not declared in meta-data: " + ", ".join(unknown))
        self.promotable = self.md.has_action("promote") and self.md.has_action("demote")
        if self.promotable:
            self.instance = 0
            self.meta = clone_meta(1, promotable=True,
                                   notify=self.md.has_action("notify"))
        monitor = self.md.action("monitor", "Unpromoted") or self.md.action("monitor")
        if monitor and monitor.get("interval"):
            self.monitor_interval = monitor["interval"]
        before_files = self.snapshot()
        started = False
        try:
            self.check_validate()
            self.check_probes_before_start()
            started = self.check_start()
            if started:
                self.check_notify("start")
                if self.promotable:
                    self.check_promotion()
                if self.md.has_action("reload-agent"):
                    self.check_reload_agent()
                if self.md.has_action("reload"):
                    self.check_reload()
                if self.md.has_action("migrate_to") and self.md.has_action("migrate_from"):
                    self.check_migrate()
        finally:
            self.check_stop()
        self.check_leftovers(before_files)
        return self.report

    def check_metadata(self) -> bool:
        user = None
        if os.geteuid() == 0:
            import pwd

            try:
                pwd.getpwnam("nobody")
                user = "nobody"
            except KeyError:
                self.add("meta-data as nobody", SKIP, "no user nobody on this machine")
        result = self.call("meta-data", user=user)
        who = f"as user {user}" if user else "as this (unprivileged) user"
        if user and result.rc in (126, 127) or "Permission denied" in result.stderr[:500]:
            # the agent never ran: its interpreter or file is not reachable for nobody
            raise SetupProblem(f"user {user} cannot execute the agent ({self.spec.argv[0]}): "
                               "make it and its interpreter readable and executable by others, "
                               "or run the check as an unprivileged user")
        if result.rc != codes.SUCCESS or result.timed_out:
            self.add("meta-data", FAIL, f"meta-data run {who} returned {_describe(result.rc)}"
                     + (f": {result.stderr.strip()[:300]}" if result.stderr.strip() else ""))
            return False
        self.add("meta-data", PASS, f"exits 0 {who} in {result.duration * 1000:.0f} ms")
        md = check_metadata(result.stdout)
        self.md = md
        for error in md.errors:
            self.add("meta-data OCF 1.1 structure", FAIL, error)
        for warning in md.warnings:
            self.add("meta-data OCF 1.1 structure", WARN, warning)
        if md.errors:
            return False
        self.add("meta-data OCF 1.1 structure", PASS,
                 f"{len(md.parameters)} parameters, {len(md.actions)} actions, OCF version "
                 f"{md.ocf_version}")
        declared = md.action("meta-data")
        if declared and declared["timeout"] and result.duration > declared["timeout"] * self.scale:
            self.add("meta-data timeout", FAIL, f"took {result.duration:.1f}s, declared timeout "
                                                f"{declared['timeout']:g}s")
        if md.ocf11_only:
            self.add("meta-data OCF 1.0 DTD", SKIP,
                     "uses OCF 1.1-only constructs (" + "; ".join(md.ocf11_only[:3])
                     + ("; ..." if len(md.ocf11_only) > 3 else "") + ")")
        else:
            problems = dtd_problems(result.stdout)
            if problems is None:
                self.add("meta-data OCF 1.0 DTD", SKIP, "xmllint or ra-api-1.dtd not installed")
            elif problems:
                for problem in problems:
                    self.add("meta-data OCF 1.0 DTD", FAIL, problem)
            else:
                self.add("meta-data OCF 1.0 DTD", PASS, "valid against ra-api-1.dtd")
        return True

    def check_validate(self):
        result = self.call("validate-all")
        if result.rc == codes.ERR_UNIMPLEMENTED and not self.md.has_action("validate-all"):
            self.add("validate-all", WARN, "not implemented (returned 3)")
            return
        self.expect("validate-all", result, codes.SUCCESS,
                    why="validate-all with the given parameters must succeed")

    def check_probes_before_start(self):
        result = self.call("monitor", use_options=False)
        if result.rc in (codes.ERR_INSTALLED, codes.ERR_ARGS):
            self.add("probe without parameters", WARN,
                     f"returned {_describe(result.rc)}: only Pacemaker >= 2.1.3 masks this on "
                     "probes; return 7 when unconfigured")
        else:
            self.expect("probe without parameters", result, codes.NOT_RUNNING,
                        why="a probe of an unconfigured resource must report it not running")
        result = self.call("monitor")
        self.expect("probe before start", result, codes.NOT_RUNNING,
                    why="the resource was never started")
        if any(p["required"] for p in self.md.parameters):
            result = self.call("stop", use_options=False)
            self.expect("stop without parameters", result, codes.SUCCESS,
                        why="stop must not fail for a missing required parameter")

    def monitor(self, role=None) -> ActionResult:
        interval = self.monitor_interval
        if role:
            declared = self.md.action("monitor", role)
            if declared and declared.get("interval"):
                interval = declared["interval"]
        return self.call("monitor", interval=interval, role=role)

    def check_start(self) -> bool:
        if not self.expect("start", self.call("start"), codes.SUCCESS):
            return False
        role = "Unpromoted" if self.promotable else None
        why = "start must leave a promotable instance unpromoted" if self.promotable else \
            "the resource was just started"
        ok = self.expect("monitor after start", self.monitor(role), codes.SUCCESS, why=why)
        self.expect("probe after start", self.call("monitor"), codes.SUCCESS, why=why)
        self.expect("start of a started resource", self.call("start"), codes.SUCCESS,
                    why="start must be idempotent")
        self.expect("monitor after second start", self.monitor(role), codes.SUCCESS, why=why)
        return ok

    def notify_meta(self, kind, operation, active, promoted=()) -> dict:
        inst = f"{self.resource}:0" if self.promotable else self.resource
        lists = {k: "" for k in ("start", "stop", "promote", "demote")}
        lists[operation] = inst
        meta = {"notify_type": kind, "notify_operation": operation,
                "notify_all_uname": f"{NODE} {OTHER_NODE}", "notify_all_hosts": f"{NODE} {OTHER_NODE}",
                "notify_available_uname": f"{NODE} {OTHER_NODE}",
                "notify_active_resource": inst if active else "",
                "notify_active_uname": NODE if active else "",
                "notify_inactive_resource": "" if active else inst}
        for op, value in lists.items():
            meta[f"notify_{op}_resource"] = value
            meta[f"notify_{op}_uname"] = NODE if value else ""
        for new, old, members in (("promoted", "master", promoted),
                                  ("unpromoted", "slave", () if promoted or not active else (NODE,))):
            for prefix in (new, old):
                meta[f"notify_{prefix}_resource"] = inst if members else ""
                meta[f"notify_{prefix}_uname"] = " ".join(members)
        return meta

    def check_notify(self, operation, promoted=()):
        if not self.md.has_action("notify"):
            return
        for kind in ("pre", "post"):
            meta = self.notify_meta(kind, operation, True, promoted if kind == "post" else ())
            if operation == "promote" and kind == "pre":
                meta = self.notify_meta(kind, operation, True, ())
            result = self.call("notify", meta=meta)
            self.expect(f"notify {kind}-{operation}", result, codes.SUCCESS)

    def check_promotion(self):
        for round_ in (1, 2):
            self.check_notify("promote", promoted=(NODE,)) if round_ == 1 else None
            self.expect(f"promote (cycle {round_})", self.call("promote"), codes.SUCCESS)
            self.expect(f"monitor after promote (cycle {round_})", self.monitor("Promoted"),
                        codes.RUNNING_PROMOTED,
                        why="a promoted instance's monitor must return 8 (RUNNING_PROMOTED)")
            self.expect(f"promote of a promoted instance (cycle {round_})", self.call("promote"),
                        codes.SUCCESS, why="promote must be idempotent")
            self.expect(f"demote (cycle {round_})", self.call("demote"), codes.SUCCESS)
            self.expect(f"monitor after demote (cycle {round_})", self.monitor("Unpromoted"),
                        codes.SUCCESS, why="a demoted instance's monitor must return 0")
            self.expect(f"demote of an unpromoted instance (cycle {round_})", self.call("demote"),
                        codes.SUCCESS, why="demote must be idempotent")
        scores = self.cluster.promotion_scores(self.resource)
        if scores:
            self.add("promotion score", PASS, f"set: {scores}")
        else:
            self.add("promotion score", WARN, "the agent never set a promotion score: Pacemaker "
                                              "will not promote it (crm_attribute --promotion -v N)")

    def check_reload_agent(self):
        self.expect("reload-agent", self.call("reload-agent"), codes.SUCCESS)
        role = "Unpromoted" if self.promotable else None
        self.expect("monitor after reload-agent", self.monitor(role), codes.SUCCESS)

    def check_reload(self):
        # OCF 1.0 "reload" (reload the service's configuration): like ocf-tester,
        # run it, but only warn, since its meaning differs between agents
        result = self.call("reload")
        if result.rc == codes.SUCCESS:
            self.add("reload", PASS, "returned 0 (SUCCESS)")
        else:
            self.add("reload", WARN, f"returned {_describe(result.rc)}")
        role = "Unpromoted" if self.promotable else None
        self.expect("monitor after reload", self.monitor(role), codes.SUCCESS)

    def check_migrate(self):
        # there and back again, so that the resource ends on NODE where it is stopped.
        # No probe of the source: the fake's nodes share the filesystem outside
        # their private run directories, so a state file in /run may be seen by both.
        for source, target in ((NODE, OTHER_NODE), (OTHER_NODE, NODE)):
            meta = {"migrate_source": source, "migrate_target": target}
            step = f"{source} -> {target}"
            self.expect(f"migrate_to ({step})", self.call("migrate_to", meta=meta, node=source),
                        codes.SUCCESS)
            self.expect(f"migrate_from ({step})",
                        self.call("migrate_from", meta=meta, node=target), codes.SUCCESS)
            self.expect(f"monitor after migration ({step})",
                        self.call("monitor", interval=self.monitor_interval, node=target),
                        codes.SUCCESS, why="the resource was migrated here")

    def check_stop(self):
        self.expect("stop", self.call("stop"), codes.SUCCESS)
        self.expect("probe after stop", self.call("monitor"), codes.NOT_RUNNING,
                    why="the resource was stopped")
        self.expect("stop of a stopped resource", self.call("stop"), codes.SUCCESS,
                    why="stop of a stopped resource must return 0, never 7")
        self.expect("probe after second stop", self.call("monitor"), codes.NOT_RUNNING)

    # -- leftovers -----------------------------------------------------------------
    def _param_paths(self) -> list:
        paths = []
        values = list(self.options.values())
        if self.md is not None:
            values += [p["default"] for p in self.md.parameters if p.get("default")]
        for value in values:
            if isinstance(value, str) and value.startswith("/") and "\n" not in value:
                paths.append(value)
        return paths

    def snapshot(self) -> dict:
        return {"run_dir": _tree(self.run_dir) if self.run_dir.exists() else set(),
                "named": _scan(SCAN_ROOTS, self.resource),
                "params": {p for p in self._param_paths() if os.path.lexists(p)}}

    def check_leftovers(self, before):
        after = self.snapshot()
        left = sorted((after["run_dir"] - before["run_dir"]) | (after["named"] - before["named"])
                      | (after["params"] - before["params"]))
        # a directory is only reported when nothing inside it is
        left = [p for p in left if not any(q.startswith(p + "/") for q in left)
                or not os.path.isdir(p)]
        left = [p for p in left if not os.path.isdir(p) or not os.listdir(p)] or left
        files = [p for p in left if not os.path.isdir(p)]
        if files:
            self.add("state cleaned after stop", FAIL,
                     "state left behind after stop: " + ", ".join(files))
        else:
            self.add("state cleaned after stop", PASS, "no file left behind")
        leftovers = []
        for lifetime in ("reboot", "forever"):
            for node, attrs in self.cluster.attributes(lifetime).items():
                for name, value in sorted(attrs.items()):
                    leftovers.append(f"{name}={value} on {node} ({lifetime})")
        if leftovers:
            self.add("cluster attributes cleaned after stop", FAIL,
                     "left in the cluster after stop: " + ", ".join(leftovers))
        else:
            self.add("cluster attributes cleaned after stop", PASS, "no attribute left")


def check_agent(agent, options=None, timeout_scale=1.0, ocf_root=None, workdir=None,
                progress=None) -> CheckReport:
    """Check ``agent`` (see the module docstring); ``options`` are the instance
    parameters (``-o name=value``); ``progress(finding)`` is called as each
    check ends. Raises ``driver.AgentNotFound`` for a spec that names nothing
    runnable and ``SetupProblem`` when this machine cannot run the check.

    >>> check_agent("ocf:pacemaker:Dummy").ok      # doctest: +SKIP
    True
    """
    own = workdir is None
    base = tempfile.mkdtemp(prefix="ocfpy-check-") if own else str(workdir)
    try:
        os.chmod(base, 0o755)   # meta-data runs as nobody with cwd and dirs it must see
        return _Checker(agent, options, timeout_scale, ocf_root, base, progress).run()
    finally:
        if own:
            shutil.rmtree(base, ignore_errors=True)
