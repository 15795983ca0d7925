"""Daemons an agent starts, finds again and stops: pid files plus identity.

A pid file alone is not proof: after a crash the pid may belong to an
unrelated process. ``find`` therefore checks the process's identity (its
executable or command line) and ignores stale pid files. ``stop`` sends TERM,
waits inside the deadline and escalates to KILL, keeping back time for that.

Everything but ``find`` (which returns a psutil.Process) reads /proc directly:
installed agents run without site-packages (``python -IS``), so psutil is not
importable there, and it would cost ~34 ms on a monitor anyway.

Example::

    ident = Identity(cmdline_contains=["keystone.wsgi.api"])
    pid = start_daemon(["uwsgi", "--ini", ini], user="keystone", pidfile=pidf,
                       log_path="/var/log/keystone/uwsgi.log")
    proc = find(pidf, ident)              # psutil.Process or None
    stop(pidf, ident, deadline)           # True when nothing is left running
"""

from __future__ import annotations

import os
import time

from ocfpy.deadline import Deadline

__all__ = ["Identity", "owner", "argv_of", "read_pidfile", "write_pidfile", "remove_pidfile",
           "find_pid", "find", "CHILD_KEEP", "CHILD_KEEP_PREFIXES", "CRM_KEEP",
           "CRM_KEEP_PREFIXES", "DEFAULT_PATH", "child_environ", "crm_environ", "user_groups",
           "as_user_kwargs", "run_as_kwargs", "start_daemon", "ProcStat", "read_stat", "alive", "start_time",
           "exiting", "descendants", "fork_detached", "signal_if_same", "live_processes", "start_detached",
           "stop_detached",
           "terminate", "stop", "RECORD_MAGIC",
           "boot_id", "ProcessRecord"]


# No dataclasses/typing/signal (enum) here: monitors import this module (~15 ms).
SIGTERM, SIGKILL, SIGCONT = 15, 9, 18    # Linux numbers, as SIGTERM/SIGKILL/SIGCONT


class Identity:
    """What makes a process ours (immutable).

    ``exe``: the resolved executable path (or its basename) must match, or
    the basename of the first command-line argument; ``cmdline_contains``:
    each string must appear as an argument (or inside one, for paths
    embedded in options); ``user``: the process owner (real uid).
    Matching reads /proc directly: no psutil import on the monitor path.
    """

    __slots__ = ("exe", "cmdline_contains", "user")

    def __init__(self, exe: str | None = None, cmdline_contains=(), user: str | None = None):
        # an identity that matches any process would let a stale pid file
        # point stop() at an unrelated process
        if exe is None and not cmdline_contains:
            raise ValueError("an Identity needs exe or cmdline_contains")
        object.__setattr__(self, "exe", exe)
        object.__setattr__(self, "cmdline_contains", tuple(cmdline_contains))
        object.__setattr__(self, "user", user)

    def __setattr__(self, name, value):
        raise AttributeError(f"Identity is immutable: cannot set {name}")

    def __eq__(self, other):
        if not isinstance(other, Identity):
            return NotImplemented
        return (self.exe, self.cmdline_contains, self.user) == (other.exe, other.cmdline_contains, other.user)

    def __hash__(self):
        return hash((self.exe, self.cmdline_contains, self.user))

    def __repr__(self):
        return f"Identity(exe={self.exe!r}, cmdline_contains={self.cmdline_contains!r}, user={self.user!r})"

    def matches(self, proc) -> bool:
        """For a psutil.Process (kept for callers that hold one)."""
        return self.matches_pid(proc.pid)

    def matches_pid(self, pid: int) -> bool:
        """True when ``pid`` is a live (non-zombie) process with this identity."""
        base = f"/proc/{pid}"
        try:
            if not alive(pid):
                return False
            with open(f"{base}/cmdline", "rb") as fh:
                args = [a.decode("utf-8", "surrogateescape") for a in fh.read().split(b"\0")]
            if args and args[-1] == "":
                args.pop()
            if self.exe is not None and not self._exe_matches(base, args):
                return False
            for wanted in self.cmdline_contains:
                if not any(wanted == a or wanted in a for a in args):
                    return False
            if self.user is not None and _owner(base) != self.user:
                return False
        except OSError:
            return False
        return alive(pid)   # still the same process after reading it

    def _exe_matches(self, base: str, args) -> bool:
        try:
            exe = os.readlink(f"{base}/exe")
        except OSError:    # a kernel thread, or not ours to read
            exe = ""
        if exe.endswith(" (deleted)"):
            exe = exe[:-len(" (deleted)")]
        want = os.path.basename(self.exe)
        if exe == self.exe or (exe and os.path.basename(exe) == want):
            return True
        return bool(args) and os.path.basename(args[0]) == want


def _owner(base: str):
    """The user name of the process's real uid (or the uid as text)."""
    import pwd

    with open(f"{base}/status") as fh:
        for line in fh:
            if line.startswith("Uid:"):
                uid = int(line.split()[1])
                break
        else:
            return None
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def owner(pid: int):
    """The user name owning ``pid`` (its real uid; the uid as text when it
    has no name), or None when the process is gone."""
    try:
        return _owner(f"/proc/{int(pid)}")
    except (OSError, ValueError):
        return None


def argv_of(pid: int):
    """``pid``'s command line as a list (non-UTF-8 bytes kept as surrogates),
    or None when the process is gone or not readable."""
    try:
        with open(f"/proc/{int(pid)}/cmdline", "rb") as fh:
            args = [a.decode("utf-8", "surrogateescape") for a in fh.read().split(b"\0")]
    except (OSError, ValueError):
        return None
    if args and args[-1] == "":
        args.pop()
    return args


def read_pidfile(path) -> int | None:
    """The pid in ``path`` (first line), or None when absent or garbage.

    Read without following a planted symlink or blocking on a FIFO, 64 bytes
    at most: pid files often sit in a service user's directory."""
    from ocfpy.files import read_small

    try:
        text = read_small(path, 64).split(b"\n", 1)[0].strip()
    except OSError:
        return None
    return int(text) if text.isdigit() and 0 < int(text) < 2 ** 22 else None


def write_pidfile(path, pid: int) -> None:
    """Record ``pid`` atomically; the pid file's directory may belong to the
    service user, so nothing planted there is followed (ocfpy.files)."""
    from ocfpy.files import replace_file

    replace_file(path, f"{pid}\n", mode=0o644)


def remove_pidfile(path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def find_pid(pidfile, identity: Identity) -> int | None:
    """The pid recorded in ``pidfile`` if that process is alive and ours, else
    None; reads /proc only (no psutil), for monitors."""
    pid = read_pidfile(pidfile)
    if pid is None:
        return None
    return pid if identity.matches_pid(pid) else None


def find(pidfile, identity: Identity):
    """The live process recorded in ``pidfile`` if it is ours, else None.

    A stale pid file (no such process, a zombie, or an unrelated process that
    reused the pid) gives None; the file is left for ``stop`` to remove.
    """
    import psutil

    pid = find_pid(pidfile, identity)
    if pid is None:
        return None
    try:
        return psutil.Process(pid)
    except psutil.NoSuchProcess:
        return None


#: variables every child keeps: locale, time zone, search path
CHILD_KEEP = ("PATH", "LANG", "LANGUAGE", "TZ", "TMPDIR", "HOME", "USER", "LOGNAME")
CHILD_KEEP_PREFIXES = ("LC_",)
#: what Pacemaker's own tools also need (log settings, CIB location, the
#: resource they act for, and the testing toolkit's fake cluster state)
CRM_KEEP = ("OCF_ROOT", "OCF_RESOURCE_INSTANCE", "OCF_RESOURCE_TYPE", "OCF_RESOURCE_PROVIDER")
CRM_KEEP_PREFIXES = ("HA_", "PCMK_", "CIB_", "OCFPY_FAKE_")
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def child_environ(environ=None, *, keep=(), keep_prefixes=(), extra=None) -> dict:
    """A minimal environment for a child process.

    Pacemaker hands an agent every parameter as ``OCF_RESKEY_<name>``,
    passwords included; a child that inherited them would show them in
    ``/proc/PID/environ`` to its own user and pass them on (SST scripts).
    Only ``CHILD_KEEP`` (and ``keep``/``keep_prefixes``) survive; ``extra`` is
    added last. Nothing starting with ``OCF_RESKEY_`` is ever kept.

    >>> child_environ({"PATH": "/bin", "OCF_RESKEY_password": "x", "LC_ALL": "C"})
    {'PATH': '/bin', 'LC_ALL': 'C'}
    """
    env = os.environ if environ is None else environ
    names = set(CHILD_KEEP) | set(keep)
    prefixes = CHILD_KEEP_PREFIXES + tuple(keep_prefixes)
    out = {k: v for k, v in env.items()
           if (k in names or k.startswith(prefixes)) and not k.startswith("OCF_RESKEY_")}
    out.setdefault("PATH", DEFAULT_PATH)
    if extra:
        out.update(extra)
    return out


def crm_environ(environ=None) -> dict:
    """``child_environ`` for Pacemaker's command-line tools."""
    return child_environ(environ, keep=CRM_KEEP, keep_prefixes=CRM_KEEP_PREFIXES)


def user_groups(user: str):
    """``(pwd entry, every gid of the user)``: what a child run as ``user``
    gets (Popen's ``user=``/``group=``/``extra_groups=``), primary group and
    supplementary groups alike, never root's."""
    import grp
    import pwd

    entry = pwd.getpwnam(user)
    groups = [g.gr_gid for g in grp.getgrall() if user in g.gr_mem]
    return entry, sorted(set(groups + [entry.pw_gid]))


def as_user_kwargs(user) -> dict:
    """subprocess.Popen/run keyword arguments that run a child as ``user``
    with all of its groups (nothing when ``user`` is None or we are not root)."""
    if user is None or os.geteuid() != 0:
        return {}
    entry, groups = user_groups(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": groups}


def run_as_kwargs(user, env: dict | None = None) -> dict:
    """subprocess.Popen/run keyword arguments that run a child as ``user``
    with all of its groups and a clean environment: ``env`` (default
    ``child_environ()``) plus the user's HOME, USER and LOGNAME. As root
    only: otherwise (or when ``user`` is None) just ``{"env": env}``.

    Example::

        subprocess.run(["mariadbd", "--wsrep-recover"], **run_as_kwargs("mysql"))
    """
    env = child_environ() if env is None else env
    kwargs = as_user_kwargs(user)
    if kwargs:
        home = user_groups(user)[0].pw_dir
        env = dict(env, HOME=home, USER=user, LOGNAME=user)
    return dict(kwargs, env=env)


def start_daemon(argv, *, pidfile, user: str | None = None,
                 cwd: str | None = None, env: dict | None = None,
                 log_path: str | None = None, umask: int = 0o022) -> int:
    """Start ``argv`` detached (own session, stdin from /dev/null, output to
    ``log_path`` or /dev/null) as ``user``, record its pid, return it.

    The argv goes to execve directly: no shell ever sees parameter values.
    """
    import subprocess

    kwargs = run_as_kwargs(user, env)
    log_uid, log_gid = kwargs.get("user", -1), kwargs.get("group", -1)
    if log_path:
        # root opens the service's log in a directory the service user may
        # own: never through a planted symlink or hard link (ocfpy.files)
        from ocfpy.files import open_append

        out = open_append(log_path, uid=log_uid, gid=log_gid)
    else:
        out = subprocess.DEVNULL
    try:
        proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                cwd=cwd, start_new_session=True, close_fds=True,
                                umask=umask, **kwargs)
    finally:
        if log_path:
            os.close(out)
    try:
        write_pidfile(pidfile, proc.pid)
    except BaseException:
        proc.kill()       # a daemon nobody can find again must not stay behind
        proc.wait()
        raise
    # Popen would warn when garbage-collected while running: it is a daemon now
    proc.returncode = 0
    return proc.pid


class ProcStat:
    """The fields of ``/proc/PID/stat`` ocfpy uses (one parser for all)."""

    __slots__ = ("pid", "state", "ppid", "start_time")

    def __init__(self, pid: int, state: str, ppid: int, start_time: int):
        self.pid, self.state, self.ppid, self.start_time = pid, state, ppid, start_time

    def __repr__(self):
        return f"ProcStat(pid={self.pid}, state={self.state!r}, ppid={self.ppid}, start_time={self.start_time})"


def read_stat(pid: int):
    """``/proc/PID/stat`` parsed (state letter, parent pid, start time in clock
    ticks since boot), or None when the process is gone.

    The command name in parentheses may hold spaces and ")": the fields are
    read after the last ")".

    >>> read_stat(os.getpid()).ppid == os.getppid()
    True
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rpartition(b")")[2].split()
        return ProcStat(int(pid), fields[0].decode("ascii", "replace"), int(fields[1]), int(fields[19]))
    except (OSError, IndexError, ValueError):
        return None


def live_processes(contains: str | None = None) -> list:
    """(pid, argv, :class:`ProcStat`) of every live process (zombies left
    out) with ``contains`` inside one of its arguments (every process without
    it); /proc only, for scans outside the monitor path that want no psutil.

    >>> any(pid == os.getpid() for pid, _argv, _st in live_processes())
    True
    """
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        pid = int(name)
        argv = argv_of(pid)
        if argv is None or (contains is not None and not any(contains in a for a in argv)):
            continue
        st = read_stat(pid)
        if st is not None and st.state not in ("Z", "X"):
            found.append((pid, argv, st))
    return found


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (PID 1 may reap late)."""
    st = read_stat(pid)
    return st is not None and st.state not in ("Z", "X")


def exiting(pid: int) -> bool:
    """True when ``pid`` is gone, a zombie, or on its way out: a killed
    process releases its memory -- its command line reads empty -- before it
    closes its sockets and turns zombie, so for a moment it still looks alive
    but refuses every connection. (Kernel threads have no command line
    either, nor has a process for the instant exec takes to map its new
    program: ask about a process you started, after it started.)

    >>> exiting(os.getpid())
    False
    """
    if not alive(pid):
        return True
    return argv_of(pid) in (None, [])


def start_time(pid: int):
    """The process's start time (clock ticks since boot, /proc/PID/stat field
    22), or None when it is gone: with the pid, it names one process."""
    st = read_stat(pid)
    return None if st is None else st.start_time


def descendants(pid: int) -> list:
    """Pids of ``pid``'s children, grandchildren... (from /proc, no psutil)."""
    kids = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        st = read_stat(int(name))
        if st is not None:
            kids.setdefault(st.ppid, []).append(st.pid)
    found, todo = [], [pid]
    while todo:
        for child in kids.get(todo.pop(), ()):
            if child not in found:
                found.append(child)
                todo.append(child)
    return found


def fork_detached(func):
    """Run ``func()`` in a forked child of its own session, stdio on
    /dev/null, that exits when ``func`` returns; returns ``(pid, start_time)``
    so that a later call (a stop) can prove it signals that very child.

    Example::

        pid, started = fork_detached(lambda: announce_for(10))
    """
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            func()
        finally:
            os._exit(0)
    return pid, start_time(pid)


def signal_if_same(pid: int, started, sig: int = SIGTERM) -> bool:
    """Send ``sig`` to ``pid`` only while its start time is still ``started``
    (a pid reused by another process is left alone). True when sent."""
    if started is None or start_time(pid) != int(started):
        return False
    try:
        os.kill(pid, sig)
        return True
    except OSError:
        return False


def start_detached(path: str, func) -> int:
    """``fork_detached(func)``, with the child's pid and start time noted in
    ``path`` ("PID START") so that a later action can end it with
    :func:`stop_detached` (a helper left running may undo that action's work).
    Returns the pid.

    Example::

        start_detached(agent.state_path("announce"), lambda: announce_for(10))
        stop_detached(agent.state_path("announce"))     # in stop
    """
    pid, started = fork_detached(func)
    if started is not None:
        with open(path, "w") as fh:
            fh.write(f"{pid} {started}\n")
    return pid


def stop_detached(path: str, sig: int = SIGTERM, wait: float = 1.0) -> bool:
    """End the child :func:`start_detached` noted in ``path`` (:func:`terminate`:
    ``sig``, then KILL after ``wait`` seconds), remove the note, and return
    once the child is gone: a child still running after its stop answered
    could undo the stop's work. A child gone or a pid since reused is left
    alone. True when the child was still running."""
    try:
        with open(path) as fh:
            pid, started = fh.read().split()
        os.unlink(path)
    except (OSError, ValueError):
        return False
    if not (pid.isascii() and pid.isdigit() and started.isascii() and started.isdigit()):
        return False
    if start_time(int(pid)) != int(started):         # gone, or the pid is another process's now
        return False
    terminate(int(pid), Deadline.after(wait + 1.0), tree=False, sig=sig)
    return True


def _signal_all(pids, sig) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def terminate(proc, deadline: Deadline, kill_reserve: float = 0.25, tree: bool = True,
              sig: int = SIGTERM) -> bool:
    """TERM (or ``sig``) ``proc`` (a pid or a psutil.Process) and its
    descendants when ``tree``, then CONT (a stopped process would not see
    ``sig``), wait, then KILL.

    The TERM phase may use what is left of ``deadline`` except ``kill_reserve``
    of it (at least 1 s when available) so the KILL always fits. Returns True
    when no process is left. Each process is signalled only while its start
    time is the one seen first (a pid reused meanwhile is left alone). Reads
    /proc: installed agents run without site-packages, so without psutil.
    """
    pid = proc if isinstance(proc, int) else proc.pid
    seen = {p: start_time(p) for p in [pid] + (descendants(pid) if tree else [])}
    seen = {p: t for p, t in seen.items() if t is not None}

    def live():
        return [p for p, t in seen.items() if alive(p) and start_time(p) == t]

    _signal_all(live(), sig)
    # a stopped (SIGSTOP, hung in a debugger) process would keep ``sig``
    # pending until the KILL: continue it, as systemd does after SIGTERM
    _signal_all(live(), SIGCONT)
    left = deadline.remaining()
    reserve = min(left, max(1.0, left * kill_reserve))
    term_deadline = Deadline(time.monotonic() + left - reserve)
    if term_deadline.wait_for(lambda: not live(), interval=0.005, max_interval=0.5):
        return True
    _signal_all(live(), SIGKILL)
    return bool(deadline.wait_for(lambda: not live(), interval=0.02, max_interval=0.2))


def stop(pidfile, identity: Identity, deadline: Deadline, tree: bool = True,
         sig: int = SIGTERM) -> bool:
    """Stop the daemon recorded in ``pidfile`` if it is ours (``sig`` first,
    TERM by default, KILL when time runs short); remove the pid file.

    Returns True when nothing of ours is running any more. An unrelated
    process that reused the pid is never signalled.
    """
    pid = find_pid(pidfile, identity)
    if pid is None:
        remove_pidfile(pidfile)
        return True
    stopped = terminate(pid, deadline, tree=tree, sig=sig)
    if stopped:
        remove_pidfile(pidfile)
    return stopped


# -- what start launched, recorded by root ---------------------------------------------------
RECORD_MAGIC = "ocfpy-process-record 1"


def boot_id() -> str:
    """This boot's id: with a pid and a start time it names one process for good."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as fh:
            return fh.read().strip()
    except OSError:
        return ""


class ProcessRecord:
    """The identity of a process an agent started -- pid, start time (clock
    ticks since boot) and boot id, which together name one process, plus its
    owner's uid and exact command line -- kept by root in a 0600 file under
    HA_VARRUN. A pid file alone proves nothing (after a crash its pid may be
    another process's); monitor and stop follow the record, so they find what
    start launched even after the resource's parameters changed, and never
    signal a reused pid. ``extra`` holds an agent's own text fields.

    Example::

        rec = ProcessRecord.write(agent.state_path("process"), pid, argv, pidfile=pidf)
        rec = ProcessRecord.read(agent.state_path("process"))     # None: absent or not ours
        if rec is not None and rec.same_process() and rec.runs_as_recorded():
            terminate(rec.pid, deadline)
    """

    __slots__ = ("path", "pid", "start", "boot", "uid", "argv", "extra")

    def __init__(self, path, pid: int, start: int, boot: str, uid: int, argv, extra=None):
        self.path, self.pid, self.start, self.boot, self.uid = path, pid, start, boot, uid
        self.argv = list(argv)
        self.extra = dict(extra or {})

    def __getattr__(self, name):
        # an agent's own fields (ProcessRecord.write(..., pidfile=...)) read as attributes
        try:
            return object.__getattribute__(self, "extra")[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self):
        return f"ProcessRecord(pid={self.pid}, start={self.start}, uid={self.uid}, argv={self.argv!r})"

    @classmethod
    def write(cls, path: str, pid: int, argv, uid=None, **extra) -> "ProcessRecord":
        """Record ``pid`` (started just now) in ``path``; a process already gone
        is recorded with start 0, which never matches a live one."""
        from ocfpy.files import replace_file

        started = start_time(pid) or 0
        uid = os.geteuid() if uid is None else int(uid)
        lines = [RECORD_MAGIC, f"pid {pid}", f"start {started}", f"boot {boot_id()}", f"uid {uid}",
                 "argv " + _hex("\0".join(argv))]
        lines += [f"x.{k} {_hex(str(v))}" for k, v in extra.items()]
        replace_file(path, "\n".join(lines) + "\n", mode=0o600)
        return cls(path, pid, started, boot_id(), uid, argv, {k: str(v) for k, v in extra.items()})

    @classmethod
    def read(cls, path: str):
        """The record in ``path``, or None: absent, malformed, or not a plain
        file of this agent's user that nobody else can write."""
        import stat

        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except (OSError, ValueError):
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o022:
                return None
            data = os.read(fd, 1 << 20)
        except OSError:
            return None
        finally:
            os.close(fd)
        try:
            lines = data.decode("ascii").split("\n")
            if lines[0] != RECORD_MAGIC:
                return None
            fields = dict(line.split(" ", 1) for line in lines[1:] if " " in line)
            pid, start, uid = fields["pid"], fields["start"], fields["uid"]
            if not all(v.isascii() and v.isdigit() and len(v) < 20 for v in (pid, start, uid)):
                return None
            argv = _unhex(fields.get("argv", ""))
            extra = {k[2:]: _unhex(v) for k, v in fields.items() if k.startswith("x.")}
            if int(pid) <= 0:
                return None
            return cls(path, int(pid), int(start), fields.get("boot", ""), int(uid),
                       argv.split("\0") if argv else [], extra)
        except (UnicodeError, ValueError, KeyError):
            return None

    def same_process(self) -> bool:
        """The recorded process is still there: same pid, start time and boot,
        not a zombie (an exec keeps the start time: a daemon that re-executed
        itself is still the same process)."""
        st = read_stat(self.pid)
        if st is None or st.start_time != self.start or st.state in ("Z", "X"):
            return False
        return not self.boot or self.boot == boot_id()

    def runs_as_recorded(self, matches=None) -> bool:
        """It still runs as the recorded owner with the recorded command line
        (``matches(actual, recorded)`` decides; exact equality by default)."""
        actual = argv_of(self.pid)
        if actual is None or _real_uid(self.pid) != self.uid:
            return False
        return (matches or (lambda a, r: a == r))(actual, self.argv)

    def remove(self) -> None:
        try:
            os.unlink(self.path)
        except (FileNotFoundError, TypeError):
            pass


def _real_uid(pid: int):
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("Uid:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def _hex(text: str) -> str:
    return text.encode("utf-8", "surrogateescape").hex()


def _unhex(text: str) -> str:
    return bytes.fromhex(text).decode("utf-8", "surrogateescape")
