"""What start launched: the HAProxy master's identity, recorded by root.

A pid file proves nothing on its own (after a crash its pid may belong to
another process). The record holds the master's pid, its start time (clock
ticks since boot, /proc/PID/stat field 22) and the boot id -- together they
name one process -- plus the owner's uid and the exact command line start
used. A process is the recorded master only when all of them agree, so stop
and monitor follow the process start launched even after the resource's
parameters changed, and never a reused pid.

The record is a 0600 file of the agent's user under HA_VARRUN, written
atomically (ocfpy.files); one that is not a plain file of ours, that others
may write, or that does not parse, is ignored.

Hot path: every monitor reads the record and /proc; ``os`` only.
"""

import os

from ocfpy.process import RECORD_MAGIC as MAGIC, ProcessRecord
from ocfpy.process import argv_of as read_cmdline

__all__ = ["Record", "MAGIC", "write", "read", "remove", "runs_argv", "exe_name", "read_cmdline"]


def exe_name(pid: int) -> str:
    """Basename of the process's executable ("" when unreadable)."""
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""
    if exe.endswith(" (deleted)"):        # the binary was upgraded under it
        exe = exe[:-len(" (deleted)")]
    return os.path.basename(exe)


def runs_argv(actual, recorded) -> bool:
    """True when ``actual`` is the command line ``recorded``: the same
    program name, and the recorded arguments in order. HAProxy's master may
    add its own (``-sf PIDS -x sockpair@N``) when it re-executes itself for a
    reload, so extra arguments are allowed between them."""
    if not actual or not recorded:
        return False
    if os.path.basename(actual[0]) != os.path.basename(recorded[0]):
        return False
    rest = iter(actual[1:])
    return all(any(a == want for a in rest) for want in recorded[1:])


class Record(ProcessRecord):
    """The framework's process record, read the way an HAProxy master runs."""

    __slots__ = ()

    def alive(self) -> bool:
        """The recorded master, running: the same process (pid, start time,
        boot), the same owner and the command line start used (HAProxy adds
        its own arguments when it re-executes itself for a reload)."""
        return self.same_process() and self.runs_as_recorded(runs_argv) and self.same_process()

    def option(self, flag: str):
        """The value after ``flag`` in the recorded command line, or None."""
        for i, arg in enumerate(self.argv[:-1]):
            if arg == flag:
                return self.argv[i + 1]
        return None

    @property
    def socket(self):
        """The master socket the recorded command line binds (the -S path)."""
        value = self.option("-S")
        return value.split(",", 1)[0] if value else None

    @property
    def pidfile(self):
        return self.option("-p")


def write(path: str, pid: int, argv) -> Record:
    """Record ``pid`` (a master start launched just now) with its command line."""
    return Record.write(path, pid, argv)


def read(path: str):
    """The Record in ``path``, or None (see ocfpy.process.ProcessRecord.read)."""
    return Record.read(path)


def remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
