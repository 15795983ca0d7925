"""ocf:ocfpy:haproxy — HAProxy in master-worker mode, without systemd.

Reads like its meta-data: parameters and actions first, short actions below.
The hot path (monitor, probe, meta-data) imports ocfpy's core plus
``ocfpy_agents.haproxy.record`` (/proc and one state file) and
``ocfpy_agents.haproxy.master`` (one UNIX socket through the C ``_socket``
module); no subprocess. start, stop, reload and validate-all add
``ocfpy_agents.haproxy.launch``.
"""

import os

from ocfpy import codes
from ocfpy.agent import Action, Agent
from ocfpy.parameters import Duration, Path, String

from ocfpy_agents.haproxy import master, record
from ocfpy_agents.haproxy.health import MinHealthy

__all__ = ["SOCKET_PATIENCE", "Haproxy", "main"]


SIGUSR1, SIGTERM, SIGKILL, SIGCONT = 10, 15, 9, 18   # Linux numbers (no signal/enum import)
#: how long a monitor or reload keeps asking a master that is re-executing itself
SOCKET_PATIENCE = 5.0


class Haproxy(Agent):
    name = "haproxy"
    provider = "ocfpy"
    shortdesc = "HAProxy in master-worker mode: seamless reloads, monitor through the master socket"
    longdesc = """Runs HAProxy in master-worker mode without systemd:
"haproxy -W -D -S MASTER_SOCKET,mode,600 -f CONFFILE -p PID [EXTRA_ARGS]". The
master daemonizes itself (HAProxy's own -D: start sees its startup errors and
exit status at once) and stays root; workers drop privileges as the
configuration's user/group say. Parameter values never pass through a shell
and HAProxy gets a minimal environment (no OCF_RESKEY_* variable).

Identity: start records the master's pid, start time, boot id, owner and
exact command line (root's 0600 file under HA_VARRUN). monitor and stop
follow that process only, so a pid file whose pid was reused is never
trusted, and a stop after a parameter change still stops what was started.

validate-all and start run HAProxy's own configuration check (haproxy -c
with the same -f and extra_args): a configuration HAProxy rejects gives 6
(ERR_CONFIGURED) with HAProxy's first error line as the exit reason. At
OCF_CHECK_LEVEL 0 validate-all skips the check when haproxy or the file is
absent here; at 10 their absence is an error (5).

monitor asks the master socket "show proc": the recorded master must answer
and have a current worker (7 when the master is gone; 1 when it runs but does
not answer or has no worker). With min_healthy, it also asks the current
worker "show stat" (through the master: "@!PID show stat") and answers 190
(degraded: Pacemaker records it and does not restart HAProxy, which would not
bring servers back) when a backend has fewer healthy servers (UP or not
checked) than asked. No subprocess runs on a monitor.

reload (OCF: reload the service's configuration, e.g. after editing
CONFFILE) checks the file first (6 when HAProxy rejects it: the running
HAProxy keeps its configuration), then sends "reload" on the master socket:
the master re-executes itself and starts a new worker, which takes over the
listening sockets (no refused connection); old workers stop listening and
finish their established connections, bounded by HAProxy's own
"hard-stop-after" (set it in the global section, or old workers holding
long-lived connections accumulate). reload waits for the new worker and
fails (1) when HAProxy reports the reload failed (e.g. a listener that cannot
bind); HAProxy then keeps running the previous configuration.
reload-agent applies changes of the reloadable parameters (min_healthy,
stop_grace): they are read by each call, nothing is restarted.

stop: a soft stop first (SIGUSR1: HAProxy closes its listeners at once and
lets established connections finish) for up to stop_grace, then a hard stop
(SIGTERM to the master and its workers), then SIGKILL before the stop
timeout. Workers of a master that died are found by their command line (the
master socket path is unique per resource) and stopped too. The pid file,
the record and the master socket are removed.

probe: 7 when HAProxy does not run here, including when it is not installed
(binary not found) or CONFFILE is absent."""

    conffile = Path("conffile", default="/etc/haproxy/haproxy.cfg",
                    shortdesc="HAProxy configuration file (or directory)",
                    longdesc="Given to haproxy -f. A directory loads its *.cfg files "
                             "(HAProxy's rule); more files or directories can be added with "
                             "extra_args=\"-f /etc/haproxy/conf.d\". Changing it restarts "
                             "HAProxy; editing the file needs a reload.")
    binary = Path("binary", kind="executable", default="haproxy",
                  shortdesc="The haproxy program",
                  longdesc="A path, or a name looked up on PATH. Not found: probe 7, "
                           "stop 0, start 5 (not installed).")
    master_socket = Path("master_socket", unique_group="master_socket",
                         shortdesc="HAProxy's master CLI socket (-S), mode 600",
                         longdesc="The UNIX socket HAProxy's master listens on, root's only "
                                  "(mode 600); monitor and reload talk to it. At most 107 "
                                  "bytes, no comma or whitespace. Default: "
                                  "ocfpy-haproxy-RESOURCE.sock in Pacemaker's run directory "
                                  "(HA_VARRUN, /run).")
    pid = Path("pid", unique_group="pid",
               shortdesc="Pid file HAProxy writes (-p): the master's pid",
               longdesc="For other tools: the agent follows its own record of the master "
                        "(pid, start time, command line, owner), and trusts the pid file "
                        "only without a record, when its process runs haproxy with this "
                        "resource's master socket and conffile as the agent's user. Default: "
                        "ocfpy-haproxy-RESOURCE.pid in Pacemaker's run directory "
                        "(HA_VARRUN, /run).")
    extra_args = String("extra_args", default="",
                        shortdesc="More haproxy command-line arguments",
                        longdesc="Split like a POSIX shell would (quotes, backslashes) but "
                                 "never run by one, added after the agent's own arguments to "
                                 "both the start and the configuration check, e.g. "
                                 "\"-f /etc/haproxy/conf.d -L node1\". The options the agent "
                                 "sets itself are refused (-W -Ws -D -db -S -p -sf -st -x -c "
                                 "-v -vv -h).")
    run_dir = Path("run_dir",
                   shortdesc="A directory start creates when missing (root, mode 755)",
                   longdesc="For the sockets and files the configuration puts in a directory "
                            "that a systemd unit or an init script would otherwise create, "
                            "e.g. /run/haproxy for Debian's default configuration (its stats "
                            "socket). Never removed. Default: none.")
    min_healthy = MinHealthy("min_healthy", default=(), reloadable=True,
                             shortdesc="Healthy servers each backend needs (else monitor 190)",
                             longdesc="Items separated by commas or spaces: BACKEND:N for one "
                                      "backend, a bare N for every other backend that has "
                                      "servers; N may be a percentage (50%, rounded up). E.g. "
                                      "\"1\", \"galera:1,keystone:2\", \"1, api:50%\". A backend "
                                      "below its minimum makes the monitor answer 190 "
                                      "(degraded) with the backends in the reason; a named "
                                      "backend absent from HAProxy's statistics too. Healthy "
                                      "means UP (also \"UP 1/3\") or \"no check\". Empty (the "
                                      "default): no server check.")
    stop_grace = Duration("stop_grace", default=5.0, reloadable=True,
                          shortdesc="How long stop lets established connections finish",
                          longdesc="After a soft stop (SIGUSR1: listeners closed at once), "
                                   "established connections may finish for this long; then "
                                   "a hard stop (SIGTERM), then SIGKILL before the stop "
                                   "timeout. Capped by the stop timeout (a quarter of it, at "
                                   "least 2 s, stays for TERM and KILL). 0: hard stop at once. "
                                   "HAProxy's hard-stop-after, when sooner, ends them first.")

    actions = (
        Action("start", timeout=20),
        Action("stop", timeout=20),
        Action("monitor", timeout=20, interval=10, depth=0),
        Action("reload", timeout=20),
        Action("reload-agent", timeout=10),
        Action("validate-all", timeout=20),
        Action("meta-data", timeout=5),
    )

    # -- derived values ---------------------------------------------------------------------
    @property
    def socket_path(self) -> str:
        if self.master_socket:
            return self.master_socket
        path = self.state_path("sock")
        if len(path.encode("utf-8", "surrogateescape")) <= master.MAX_SOCKET_PATH:
            return path
        import hashlib

        digest = hashlib.sha256((self.invocation.instance or "default").encode("utf-8")).hexdigest()
        return os.path.join(os.path.dirname(path), f"ocfpy-haproxy-{digest[:16]}.sock")

    @property
    def pid_file(self) -> str:
        return self.pid or self.state_path("pid")

    @property
    def record_path(self) -> str:
        return self.state_path("master")

    def binary_path(self):
        from ocfpy.parameters import which

        return which(self.binary, self.invocation.environ.get("PATH"))

    def programs(self, rec=None) -> set:
        """Names the haproxy program may have in /proc."""
        names = {"haproxy", os.path.basename(self.binary)}
        if rec is not None and rec.argv:
            names.add(os.path.basename(rec.argv[0]))
        return names

    def child_env(self) -> dict:
        from ocfpy.process import child_environ

        return child_environ(self.invocation.environ)

    def extra_argv(self) -> list:
        from ocfpy_agents.haproxy.launch import split_args

        try:
            return split_args(self.extra_args)
        except ValueError as exc:
            self.fail(codes.ERR_CONFIGURED, f"parameter extra_args: {exc}")

    def identity(self):
        """Today's parameters as a process identity (for a master without a
        record: the pid file's process must run haproxy with this instance's
        master socket and configuration, as this agent's user)."""
        import pwd

        from ocfpy.process import Identity

        try:
            user = pwd.getpwuid(os.geteuid()).pw_name
        except KeyError:
            user = str(os.geteuid())
        return Identity(exe=self.binary_path() or self.binary,
                        cmdline_contains=(f"{self.socket_path},mode,600", self.conffile), user=user)

    # -- checks -------------------------------------------------------------------------------
    def validate_config(self):
        sock = self.socket_path
        what = "parameter master_socket" if self.master_socket else "the default master socket"
        if len(sock.encode("utf-8", "surrogateescape")) > master.MAX_SOCKET_PATH:
            self.fail(codes.ERR_CONFIGURED, f"{what} {sock} is longer than "
                                            f"{master.MAX_SOCKET_PATH} bytes (a UNIX socket's limit)")
        if "," in sock or any(ch.isspace() for ch in sock):
            self.fail(codes.ERR_CONFIGURED, f"{what} {sock!r} must not contain a comma or whitespace")
        if self.action in ("start", "reload", "validate-all"):
            self.extra_argv()

    def validate_node(self):
        # monitor, stop and reload-agent work from the record: a package upgrade
        # that briefly removes the binary must not fail a running HAProxy
        if self.action not in ("start", "reload", "validate-all"):
            return
        if self.binary_path() is None:
            self.fail(codes.ERR_INSTALLED, f"HAProxy is not installed: program {self.binary} "
                                           "not found or not executable")
        if not os.path.exists(self.conffile):
            self.fail(codes.ERR_INSTALLED, f"configuration {self.conffile} does not exist")
        if self.run_dir and os.path.lexists(self.run_dir) and not os.path.isdir(self.run_dir):
            self.fail(codes.ERR_ARGS, f"parameter run_dir: {self.run_dir} is not a directory")

    def check_configuration(self, extra) -> None:
        """HAProxy's own check (haproxy -c): 6 with its first error line."""
        from ocfpy_agents.haproxy import launch

        argv = [self.binary_path() or self.binary, "-c", "-f", self.conffile, *extra]
        try:
            rc, output = launch.run(argv, self.child_env(), self.deadline.remaining())
        except OSError as exc:
            self.fail(codes.ERR_INSTALLED, f"cannot run {argv[0]}: {exc.strerror or exc}")
        if rc is None:
            self.fail(codes.ERR_GENERIC, f"haproxy -c did not finish within the {self.action} timeout")
        for warning in launch.messages(output, "WARNING")[:5]:
            self.log.warning("haproxy -c: %s", warning)
        if rc != 0:
            self.fail(codes.ERR_CONFIGURED,
                      f"HAProxy rejects {self.conffile}: {launch.first_error(output, rc)}")

    # -- finding the master ------------------------------------------------------------------
    def find_master(self):
        """``(pid, master socket path)`` of this instance's running master, or None."""
        rec = record.read(self.record_path)
        if rec is not None and rec.same_process():
            # a master re-executing itself (a reload) shows no command line for
            # an instant: look again before calling it another program
            for pause in (0.0, 0.05, 0.1, 0.2):
                self.deadline.sleep(pause)
                if rec.alive():
                    return rec.pid, rec.socket or self.socket_path
                if not rec.same_process():
                    break
        from ocfpy.process import read_pidfile

        pid = read_pidfile(self.pid_file)
        if pid is not None and self.identity().matches_pid(pid):
            return pid, self.socket_path
        return None

    def ask(self, sock: str, command: str, patience: float = SOCKET_PATIENCE) -> str:
        """``command``'s answer; transient failures (a master re-executing
        itself) are retried for ``patience`` seconds within the deadline.
        Raises master.CliError."""
        deadline = self.deadline.cap(patience)
        delay = 0.02
        while True:
            try:
                return master.query(sock, command, timeout=max(0.05, min(5.0, deadline.remaining())))
            except master.CliError as exc:
                if not exc.retry or deadline.expired:
                    raise
            deadline.sleep(delay)
            delay = min(0.25, delay * 2)

    def procs(self, pid: int, sock: str):
        """The master's ``show proc``, checked: the answer comes from our
        master (pid) and lists a current worker. Ends the action with 1 (or 7
        when the master died meanwhile)."""
        from ocfpy.process import alive

        try:
            procs = master.parse_proc(self.ask(sock, "show proc"))
        except (master.CliError, ValueError) as exc:
            if not alive(pid):
                self.fail(codes.NOT_RUNNING, f"HAProxy master (pid {pid}) exited")
            self.fail(codes.ERR_GENERIC, f"HAProxy master (pid {pid}) runs but its socket "
                                         f"does not answer: {exc}")
        if procs.master_pid != pid:
            self.fail(codes.ERR_GENERIC, f"{sock} is the socket of another HAProxy master "
                                         f"(pid {procs.master_pid}), not of ours (pid {pid})")
        if not procs.workers:
            self.fail(codes.ERR_GENERIC, f"HAProxy master (pid {pid}) has no worker")
        return procs

    # -- actions ------------------------------------------------------------------------------
    def monitor(self):
        found = self.find_master()
        if found is None:
            return codes.NOT_RUNNING
        pid, sock = found
        procs = self.procs(pid, sock)
        if self.min_healthy:
            return self.check_servers(sock, procs)
        return codes.SUCCESS

    def check_servers(self, sock: str, procs) -> int:
        from ocfpy_agents.haproxy.health import shortfalls

        for attempt in (1, 2):
            worker = procs.current_worker
            try:
                servers = master.server_states(self.ask(sock, f"@!{worker} show stat -1 4 -1"))
                break
            except (master.CliError, ValueError) as exc:
                if attempt == 2:
                    self.fail(codes.ERR_GENERIC, f"HAProxy worker (pid {worker}) gives no "
                                                 f"statistics: {exc}")
            # a reload may have replaced the worker meanwhile: ask the master again
            procs = self.procs(procs.master_pid, sock)
        problems = shortfalls(self.min_healthy, servers)
        if not problems:
            return codes.SUCCESS
        self.set_exit_reason("; ".join(problems))
        self.log.warning("degraded: %s", "; ".join(problems))
        return codes.DEGRADED

    def start(self):
        from ocfpy_agents.haproxy import launch

        extra = self.extra_argv()
        self.check_configuration(extra)
        found = self.find_master()
        if found is not None:
            self.log.info("already running (master pid %d)", found[0])
            self.wait_ready(*found)
            return codes.SUCCESS
        self.stop_processes(soft=False)      # workers a killed master left, stale files
        if self.run_dir and not os.path.isdir(self.run_dir):
            try:
                os.makedirs(self.run_dir, mode=0o755)
            except OSError as exc:
                self.fail(codes.ERR_PERM, f"cannot create run_dir {self.run_dir}: "
                                          f"{exc.strerror or exc}")
        binary = self.binary_path()
        argv = [binary, "-W", "-D", "-S", f"{self.socket_path},mode,600", "-f", self.conffile,
                "-p", self.pid_file, *extra]
        try:
            rc, output = launch.run(argv, self.child_env(), self.deadline.remaining())
        except OSError as exc:
            self.fail(codes.ERR_INSTALLED, f"cannot run {binary}: {exc.strerror or exc}")
        if rc != 0:
            self.stop_processes(soft=False)
            if rc is None:
                self.fail(codes.ERR_GENERIC, "haproxy did not daemonize within the start timeout")
            self.fail(codes.ERR_GENERIC, f"haproxy exited {rc}: {launch.first_error(output, rc)}")
        for warning in launch.messages(output, "WARNING")[:5]:
            self.log.warning("haproxy: %s", warning)
        from ocfpy.process import read_pidfile

        pid = self.deadline.wait_for(lambda: read_pidfile(self.pid_file), interval=0.02)
        if not pid:
            self.stop_processes(soft=False)
            self.fail(codes.ERR_GENERIC, f"haproxy started but wrote no pid to {self.pid_file}")
        # a loaded machine may show the master's command line a moment late
        # (and briefly empty while it re-executes itself): look again for a while
        from ocfpy.deadline import Deadline

        settle = Deadline.after(min(3.0, max(0.1, self.deadline.remaining() / 4)))
        if not settle.wait_for(lambda: self.identity().matches_pid(pid), interval=0.05):
            self.stop_processes(soft=False)
            self.fail(codes.ERR_GENERIC, f"the pid in {self.pid_file} ({pid}) is not the "
                                         "HAProxy master just started")
        try:
            record.write(self.record_path, pid, argv)
        except OSError as exc:
            self.stop_processes(soft=False)
            self.fail(codes.ERR_PERM, f"cannot record the master in {self.record_path}: "
                                      f"{exc.strerror or exc}")
        self.wait_ready(pid, self.socket_path)
        self.log.info("started HAProxy (master pid %d, socket %s)", pid, self.socket_path)
        return codes.SUCCESS

    def wait_ready(self, pid: int, sock: str) -> None:
        """Until the master answers on its socket with a worker."""
        from ocfpy.process import alive

        last = ["no answer yet"]

        def ready():
            if not alive(pid):
                return "dead"
            try:
                procs = master.parse_proc(master.query(sock, "show proc", timeout=1.0))
            except (master.CliError, ValueError) as exc:
                last[0] = str(exc)
                return None
            if procs.master_pid != pid:
                last[0] = f"{sock} answers for another master (pid {procs.master_pid})"
                return None
            if not procs.workers:
                last[0] = "no worker yet"
                return None
            return procs

        outcome = self.deadline.wait_for(ready, interval=0.02, max_interval=0.25)
        if outcome == "dead":
            self.stop_processes(soft=False)
            self.fail(codes.ERR_GENERIC, f"HAProxy master (pid {pid}) exited during start")
        if not outcome:
            self.fail(codes.ERR_GENERIC, f"HAProxy master (pid {pid}) not ready before the "
                                         f"{self.action} timeout: {last[0]}")

    def reload(self):
        extra = self.extra_argv()
        self.check_configuration(extra)
        found = self.find_master()
        if found is None:
            self.set_exit_reason("HAProxy is not running: nothing to reload")
            return codes.NOT_RUNNING
        pid, sock = found
        before = self.procs(pid, sock)
        try:
            reply = master.query(sock, "reload", timeout=max(0.1, min(5.0, self.deadline.remaining())))
        except master.CliError as exc:
            if not exc.retry:       # HAProxy 2.6 closes the connection without a word
                self.fail(codes.ERR_GENERIC, f"cannot ask HAProxy to reload: {exc}")
            reply = ""
        if "Success=0" in reply:    # HAProxy >= 2.7 says how the reload went
            from ocfpy_agents.haproxy.launch import first_error

            self.fail(codes.ERR_GENERIC, f"HAProxy did not reload: {first_error(reply)}")
        outcome = self.deadline.wait_for(lambda: self.reloaded(pid, sock, before),
                                         interval=0.02, max_interval=0.25)
        if outcome == "dead":
            self.fail(codes.ERR_GENERIC, f"HAProxy master (pid {pid}) exited during the reload")
        if outcome == "failed":
            self.fail(codes.ERR_GENERIC, "HAProxy could not load the new configuration (it passed "
                                         "haproxy -c: e.g. a listener cannot bind; HAProxy's log "
                                         "says why) and keeps running the previous one")
        if not outcome:
            self.fail(codes.ERR_GENERIC, f"no new HAProxy worker before the reload timeout "
                                         f"(master pid {pid})")
        old = [p for p, _ in outcome.old_workers]
        self.log.info("reloaded: new worker %s%s", outcome.current_worker,
                      f"; old workers {old} finish their connections" if old else "")
        return codes.SUCCESS

    def reloaded(self, pid: int, sock: str, before):
        """The reload's outcome so far: the new ``show proc`` once a new worker
        runs, "failed", "dead", or None (not yet)."""
        from ocfpy.process import alive

        if not alive(pid):
            return "dead"
        try:
            procs = master.parse_proc(master.query(sock, "show proc", timeout=1.0))
        except (master.CliError, ValueError):
            return None         # re-executing
        if procs.master_pid != pid:
            return None
        if procs.failed_reloads > before.failed_reloads:
            return "failed"
        if procs.reloads > before.reloads and procs.worker_pids - before.worker_pids:
            return procs
        return None

    def reload_agent(self):
        # min_healthy and stop_grace are read by every call: nothing to restart
        self.log.info("agent parameters reloaded (min_healthy %s, stop_grace %gs)",
                      self.invocation.params.get("min_healthy") or "unset", self.stop_grace)
        return codes.SUCCESS

    def validate_all(self):
        if self.binary_path() is None or not os.path.exists(self.conffile):
            # level 0 (parameters only): nothing more to check on this node
            self.log.info("validate-all: HAProxy's configuration check skipped (haproxy or %s "
                          "absent on this node)", self.conffile)
            return codes.SUCCESS
        self.check_configuration(self.extra_argv())
        return codes.SUCCESS

    def stop(self):
        self.stop_processes(soft=True)
        return codes.SUCCESS

    def stop_unvalidated(self, error):
        # a malformed parameter must not leave the recorded HAProxy running
        self.stop_processes(soft=True)

    # -- stopping -----------------------------------------------------------------------------
    def stop_processes(self, soft: bool) -> None:
        """Stop every process of this instance: the recorded master (or the
        pid file's, when it is ours), and any process running haproxy with
        this instance's master socket on its command line (workers of a
        killed master); then remove the record, pid files and sockets.
        Raises OCFError(1) when something still runs after SIGKILL."""
        from ocfpy.process import start_time

        from ocfpy_agents.haproxy import launch

        rec = record.read(self.record_path)
        sockets = {self.socket_path}
        pidfiles = {self.pid_file}
        if rec is not None:
            sockets.add(rec.socket)
            pidfiles.add(rec.pidfile)
        found = self.find_master()
        targets = launch.instance_processes(sockets, self.programs(rec))
        if found is not None:
            started = start_time(found[0])
            if started is not None:
                targets[found[0]] = started
        if targets:
            soft_pid = found[0] if soft and found is not None else None
            left = self.end_processes(targets, soft_pid)
            if left:
                self.fail(codes.ERR_GENERIC, f"HAProxy processes {sorted(left)} still run after "
                                             "SIGKILL")
            self.log.info("stopped HAProxy (pids %s)", " ".join(map(str, sorted(targets))))
        record.remove(self.record_path)
        for path in pidfiles - {None}:
            record.remove(path)
        for path in sockets - {None}:
            _remove_socket(path)

    def end_processes(self, targets: dict, soft_pid) -> dict:
        """Soft stop (SIGUSR1 to the master ``soft_pid``) for up to
        stop_grace, then SIGTERM, SIGCONT, and SIGKILL before the deadline.
        Every pid is signalled only while its start time is the one seen."""
        from ocfpy.deadline import Deadline
        from ocfpy.process import alive, signal_if_same, start_time

        def live():
            return {p: t for p, t in targets.items() if alive(p) and start_time(p) == t}

        def send(sig):
            for p, t in live().items():
                signal_if_same(p, t, sig)

        left_time = self.deadline.remaining()
        reserve = min(left_time, max(2.0, left_time * 0.25))
        if soft_pid is not None and self.stop_grace > 0:
            grace = min(self.stop_grace, max(0.0, left_time - reserve))
            signal_if_same(soft_pid, targets[soft_pid], SIGUSR1)
            if self.deadline.cap(grace).wait_for(lambda: not live(), interval=0.02, max_interval=0.2):
                return {}
            self.log.info("soft stop: connections still open after %gs; hard stop", grace)
        send(SIGTERM)
        send(SIGCONT)         # a stopped process would keep TERM pending
        left_time = self.deadline.remaining()
        term = Deadline.after(max(0.0, left_time - min(left_time, max(1.0, left_time * 0.25))))
        if term.wait_for(lambda: not live(), interval=0.02, max_interval=0.2):
            return {}
        send(SIGKILL)
        self.deadline.wait_for(lambda: not live(), interval=0.02, max_interval=0.2)
        return live()


def _remove_socket(path: str) -> None:
    """Remove ``path`` when it is a socket (HAProxy leaves its master socket)."""
    import stat

    try:
        if stat.S_ISSOCK(os.lstat(path).st_mode):
            os.unlink(path)
    except OSError:
        pass


main = Haproxy.main

if __name__ == "__main__":
    main()
