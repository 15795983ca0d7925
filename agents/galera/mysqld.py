"""The mariadbd of one Galera node, as the galera agent's parameters describe
it: found again (:meth:`Mysqld.find_pid`: pid file plus identity), started,
stopped, asked for its last committed position (:meth:`Mysqld.detect_position`:
grastate.dat, else ``--wsrep-recover``), and its system tables created
(:meth:`Mysqld.install_db`).

mariadbd and its helpers run as the mysql user with all its groups and an
environment of their own: never the agent's, which holds every parameter as
OCF_RESKEY_* (the check password too). Failures raise OCFError with the
action's exit code and reason.

Example::

    mysqld = Mysqld(binary="/usr/sbin/mariadbd", config="/etc/mysql/my.cnf",
                    datadir="/var/lib/mysql", user="mysql", pid="/run/mysqld/mysqld.pid",
                    socket="/run/mysqld/mysqld.sock", log_file=None,
                    pidfile="/run/ocfpy-galera-p_galera.pid", environ=os.environ, log=log)
    state, no_grastate = mysqld.detect_position(deadline)
    pid = mysqld.start("gcomm://ctl1,ctl2,ctl3", bootstrap=False, state=state)
    mysqld.stop(pid, deadline)
"""

import os

from ocfpy import codes
from ocfpy.errors import OCFError
from ocfpy_agents.galera import wsrep
from ocfpy_agents.galera.datadir import read_file, real_path, user_can_use

__all__ = ["Mysqld"]


class Mysqld:
    """mariadbd run by ``user`` on ``datadir``; ``pidfile`` is the agent's own
    record of the pid, ``pid`` mariadbd's pid file, ``environ`` the agent's
    environment (children get only what child_environ keeps of it)."""

    def __init__(self, *, binary, config, datadir, user, pid, socket, log_file, pidfile,
                 environ, log):
        self.binary, self.config, self.datadir, self.user = binary, config, datadir, user
        self.pid, self.socket, self.log_file, self.pidfile = pid, socket, log_file, pidfile
        self.environ, self.log = environ, log

    @property
    def binary_path(self) -> str:
        from ocfpy.parameters import which

        return which(self.binary) or self.binary

    def is_ours(self, pid) -> bool:
        """pid is a live mariadbd of this datadir run by ``user`` (/proc only:
        no psutil on the hot path). The --datadir argument must match exactly,
        not as a substring (/var/lib/mysql is not /var/lib/mysql2); a look-alike
        another user runs (any user may start a "mariadbd --datadir=..." and
        write its pid where the mysql user can) is not ours."""
        from ocfpy import process

        if f"--datadir={self.datadir}" not in (process.argv_of(pid) or ()):
            return False
        return any(process.Identity(exe=exe, user=self.user).matches_pid(pid)
                   for exe in {self.binary_path, os.path.realpath(self.binary_path)})

    def find_pid(self):
        """The pid of our running mariadbd, or None. mariadbd's pid file sits in
        a directory of the mysql user: read_pidfile follows no link there and
        does not block on a FIFO."""
        from ocfpy.process import read_pidfile

        for path in (self.pidfile, self.pid):
            pid = read_pidfile(path)
            if pid and self.is_ours(pid):
                return pid
        return None

    def base_argv(self) -> list:
        # --defaults-file must come first; --datadir identifies the process (see is_ours)
        return [self.binary_path, f"--defaults-file={self.config}", f"--user={self.user}",
                f"--datadir={self.datadir}"]

    def child_env(self) -> dict:
        """A minimal environment for mariadbd and its helpers: never the
        agent's own, which holds every parameter as OCF_RESKEY_* (the check
        password too) and would be readable in /proc/PID/environ."""
        from ocfpy.process import child_environ

        env = child_environ(self.environ, keep=("TMP", "TEMP"))
        # mariadbd and its helpers put temporary files in TMPDIR: Pacemaker's
        # (or a test's) private one is not writable by the mysql user
        for key in ("TMPDIR", "TMP", "TEMP"):
            path = env.get(key)
            if path and not (os.path.isdir(path) and user_can_use(self.user, path)):
                del env[key]
        return env

    def start(self, cluster_address: str, bootstrap: bool, state, additional_parameters=None) -> int:
        """Start mariadbd detached, joining ``cluster_address`` or bootstrapping
        a new cluster from it, at ``state``'s position when known; its pid."""
        import shlex

        from ocfpy import process

        argv = self.base_argv() + [f"--pid-file={self.pid}", f"--socket={self.socket}"]
        if self.log_file:
            argv.append(f"--log-error={self.log_file}")
        argv.append(f"--wsrep-cluster-address={cluster_address}")
        if bootstrap:
            argv.append("--wsrep-new-cluster")
        if state is not None and state.uuid != wsrep.ZERO_UUID and state.seqno >= 0:
            argv.append(f"--wsrep_start_position={state.uuid}:{state.seqno}")
        if additional_parameters:
            argv += shlex.split(additional_parameters)
        self.log.info("starting mariadbd (%s): %s", "bootstrap" if bootstrap else "join", " ".join(argv))
        return process.start_daemon(argv, pidfile=self.pidfile, user=self.user,
                                    cwd="/", env=self.child_env(), log_path=None)

    def stop(self, pid, deadline) -> None:
        """TERM ``pid``, then KILL when ``deadline`` runs short."""
        from ocfpy import process

        self.log.info("stopping mariadbd (pid %d)", pid)
        if not process.terminate(pid, deadline):
            raise OCFError(codes.ERR_GENERIC, f"mariadbd (pid {pid}) did not stop in time")
        process.remove_pidfile(self.pidfile)

    def detect_position(self, deadline):
        """(GraState, no_grastate): grastate.dat, completed by --wsrep-recover
        when its seqno is unknown and the datadir holds data."""
        found = read_file(self.datadir, "grastate.dat", self.user)
        if found is None:
            state, no_grastate = wsrep.GraState(), True
        else:
            state, no_grastate = wsrep.parse_grastate(found[0]), False
        if state.seqno < 0 and os.path.exists(os.path.join(self.datadir, "ibdata1")):
            uuid, seqno = self.recover_position(deadline)
            self.log.info("recovered position %s:%d", uuid, seqno)
            if uuid != wsrep.ZERO_UUID:
                state.uuid = uuid
            state.seqno = seqno
        return state, no_grastate

    def recover_position(self, deadline):
        """(uuid, seqno) from ``mariadbd --wsrep-recover``."""
        import subprocess

        from ocfpy.files import remove_in_dir
        from ocfpy.process import run_as_kwargs

        log_name = "ocfpy-wsrep-recover.log"
        real = real_path(self.datadir)
        log_path = os.path.join(real, log_name)
        remove_in_dir(log_path)        # a planted symlink itself, never its target
        argv = self.base_argv() + ["--wsrep-recover", f"--log-error={log_path}",
                                   "--skip-networking",
                                   f"--pid-file={os.path.join(real, 'ocfpy-recover.pid')}"]
        budget = max(1.0, min(120.0, deadline.remaining() - 1))
        try:
            proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, timeout=budget, cwd="/",
                                  **run_as_kwargs(self.user, self.child_env()))
        except subprocess.TimeoutExpired:
            raise OCFError(codes.ERR_GENERIC, f"mariadbd --wsrep-recover did not finish in {budget:.0f}s "
                                              f"(log: {log_path})")
        # mariadbd wrote the log as the mysql user: read it without following anything planted
        found_log = read_file(self.datadir, log_name, self.user)
        text = found_log[0] if found_log is not None else ""
        found = wsrep.parse_recovered_position(text)
        if found is None and "WSREP: disabled" in text:
            remove_in_dir(log_path)
            raise OCFError(codes.ERR_INSTALLED, f"{self.config} does not enable Galera (wsrep_on=ON "
                                                "and wsrep_provider are needed)")
        if found is None:
            raise OCFError(codes.ERR_GENERIC, "unable to detect the last committed position: "
                                              f"mariadbd --wsrep-recover exited {proc.returncode} "
                                              f"without one (log: {log_path})")
        remove_in_dir(log_path)
        return found

    def install_db(self, deadline) -> None:
        """Create the system tables with mariadb-install-db (enable_creation)."""
        import subprocess

        from ocfpy.parameters import which

        tool = None
        bin_dir = os.path.normpath(os.path.join(os.path.dirname(self.binary_path), "..", "bin"))
        for name in ("mariadb-install-db", "mysql_install_db"):
            tool = which(os.path.join(bin_dir, name)) or which(name)
            if tool:
                break
        if tool is None:
            raise OCFError(codes.ERR_INSTALLED, "enable_creation: mariadb-install-db not found")
        if any(c.isspace() or c in "*?[]" for c in self.datadir):
            # the script runs, as root, "chown $user $dir" unquoted: such a datadir
            # would hand other paths to the mysql user
            raise OCFError(codes.ERR_CONFIGURED, "enable_creation: mariadb-install-db cannot create a "
                                                 "datadir whose path holds spaces or * ? [ ]")
        argv = [tool, f"--defaults-file={self.config}", f"--user={self.user}",
                f"--datadir={self.datadir}", "--skip-test-db"]
        self.log.info("creating the system tables in %s", self.datadir)
        try:
            proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=max(1.0, deadline.remaining() - 1), cwd="/",
                                  env=self.child_env())
        except subprocess.TimeoutExpired:
            raise OCFError(codes.ERR_GENERIC, "mariadb-install-db did not finish in time")
        if proc.returncode != 0:
            self.log.error("mariadb-install-db: %s", (proc.stdout + proc.stderr)[:2000])
            raise OCFError(codes.ERR_GENERIC, f"mariadb-install-db exited {proc.returncode}")
