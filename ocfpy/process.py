"""Daemons an agent starts, finds again and stops: pid files plus identity.

A pid file alone is not proof: after a crash the pid may belong to an
unrelated process. ``find`` therefore checks the process's identity (its
executable or command line) and ignores stale pid files. ``stop`` sends TERM,
waits inside the deadline and escalates to KILL, keeping back time for that.

psutil is imported inside the functions that need it (34 ms to import here),
so agents that only read a state file never pay for it.

Example::

    ident = Identity(cmdline_contains=["keystone.wsgi.api"])
    pid = start_daemon(["uwsgi", "--ini", ini], user="keystone", pidfile=pidf,
                       log_path="/var/log/keystone/uwsgi.log")
    proc = find(pidf, ident)              # psutil.Process or None
    stop(pidf, ident, deadline)           # True when nothing is left running
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field
from typing import Optional, Sequence

from ocfpy.deadline import Deadline


@dataclass(frozen=True)
class Identity:
    """What makes a process ours.

    ``exe``: the resolved executable path (or its basename) must match;
    ``cmdline_contains``: each string must appear as an argument (or inside
    one, for paths embedded in options); ``user``: the process owner.
    """

    exe: Optional[str] = None
    cmdline_contains: Sequence[str] = field(default_factory=tuple)
    user: Optional[str] = None

    def __post_init__(self):
        # an identity that matches any process would let a stale pid file
        # point stop() at an unrelated process
        if self.exe is None and not self.cmdline_contains:
            raise ValueError("an Identity needs exe or cmdline_contains")

    def matches(self, proc) -> bool:
        import psutil

        try:
            with proc.oneshot():
                if proc.status() == psutil.STATUS_ZOMBIE:
                    return False
                if self.exe is not None:
                    exe = proc.exe() or ""
                    if exe != self.exe and os.path.basename(exe) != os.path.basename(self.exe):
                        cmd0 = (proc.cmdline() or [""])[0]
                        if os.path.basename(cmd0) != os.path.basename(self.exe):
                            return False
                if self.cmdline_contains:
                    args = proc.cmdline()
                    for wanted in self.cmdline_contains:
                        if not any(wanted == a or wanted in a for a in args):
                            return False
                if self.user is not None and proc.username() != self.user:
                    return False
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            return False
        return True


def read_pidfile(path) -> Optional[int]:
    """The pid in ``path`` (first line), or None when absent or garbage."""
    try:
        with open(path) as fh:
            text = fh.readline().strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() and int(text) > 0 else None


def write_pidfile(path, pid: int) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as fh:
        fh.write(f"{pid}\n")
    os.replace(tmp, path)


def remove_pidfile(path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def find(pidfile, identity: Identity):
    """The live process recorded in ``pidfile`` if it is ours, else None.

    A stale pid file (no such process, a zombie, or an unrelated process that
    reused the pid) gives None; the file is left for ``stop`` to remove.
    """
    import psutil

    pid = read_pidfile(pidfile)
    if pid is None:
        return None
    try:
        proc = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return None
    return proc if identity.matches(proc) else None


def _demote(user):
    """Popen(user=...) drops uid/gid but keeps root's supplementary groups on
    Python < 3.9's missing extra_groups; give the user's own groups."""
    import grp
    import pwd

    entry = pwd.getpwnam(user)
    groups = [g.gr_gid for g in grp.getgrall() if user in g.gr_mem]
    return entry, sorted(set(groups + [entry.pw_gid]))


def start_daemon(argv: Sequence[str], *, pidfile, user: Optional[str] = None,
                 cwd: Optional[str] = None, env: Optional[dict] = None,
                 log_path: Optional[str] = None, umask: int = 0o022) -> int:
    """Start ``argv`` detached (own session, stdin from /dev/null, output to
    ``log_path`` or /dev/null) as ``user``, record its pid, return it.

    The argv goes to execve directly: no shell ever sees parameter values.
    """
    import subprocess

    kwargs = {}
    if user is not None and os.geteuid() == 0:
        entry, groups = _demote(user)
        kwargs.update(user=entry.pw_uid, group=entry.pw_gid, extra_groups=groups)
        env = dict(os.environ if env is None else env, HOME=entry.pw_dir, USER=user, LOGNAME=user)
    out = open(log_path, "ab") if log_path else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                cwd=cwd, env=env, start_new_session=True, close_fds=True,
                                umask=umask, **kwargs)
    finally:
        if log_path:
            out.close()
    write_pidfile(pidfile, proc.pid)
    # Popen would warn when garbage-collected while running: it is a daemon now
    proc.returncode = 0
    return proc.pid


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (PID 1 may reap late)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _signal_all(procs, sig) -> None:
    import psutil

    for p in procs:
        try:
            p.send_signal(sig)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass


def terminate(proc, deadline: Deadline, kill_reserve: float = 0.25, tree: bool = True) -> bool:
    """TERM ``proc`` (and its children when ``tree``), wait, then KILL.

    The TERM phase may use what is left of ``deadline`` except ``kill_reserve``
    of it (at least 1 s when available) so the KILL always fits. Returns True
    when no process is left.
    """
    import psutil

    try:
        procs = [proc] + (proc.children(recursive=True) if tree else [])
    except psutil.NoSuchProcess:
        return True
    _signal_all(procs, signal.SIGTERM)
    left = deadline.remaining()
    reserve = min(left, max(1.0, left * kill_reserve))
    term_deadline = Deadline(time.monotonic() + left - reserve)
    if term_deadline.wait_for(lambda: not any(alive(p.pid) for p in procs), interval=0.05, max_interval=0.5):
        return True
    _signal_all([p for p in procs if alive(p.pid)], signal.SIGKILL)
    return bool(deadline.wait_for(lambda: not any(alive(p.pid) for p in procs), interval=0.02, max_interval=0.2))


def stop(pidfile, identity: Identity, deadline: Deadline, tree: bool = True) -> bool:
    """Stop the daemon recorded in ``pidfile`` if it is ours; remove the pid file.

    Returns True when nothing of ours is running any more. An unrelated
    process that reused the pid is never signalled.
    """
    proc = find(pidfile, identity)
    if proc is None:
        remove_pidfile(pidfile)
        return True
    stopped = terminate(proc, deadline, tree=tree)
    if stopped:
        remove_pidfile(pidfile)
    return stopped
