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

MAGIC = "ocfpy-haproxy-master 1"
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


def boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id") as fh:
            return fh.read().strip()
    except OSError:
        return ""


def read_cmdline(pid: int):
    """The process's arguments, or None when it is gone (or not readable)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    args = [a.decode("utf-8", "surrogateescape") for a in data.split(b"\0")]
    if args and args[-1] == "":
        args.pop()
    return args


def real_uid(pid: int):
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("Uid:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


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


class Record:
    """One launched master (see the module docstring)."""

    __slots__ = ("path", "pid", "start", "boot", "uid", "argv")

    def __init__(self, path, pid, start, boot, uid, argv):
        self.path, self.pid, self.start, self.boot, self.uid, self.argv = path, pid, start, boot, uid, argv

    def same_process(self) -> bool:
        """Is the recorded process still there: the same pid, start time and
        boot, not a zombie? (An exec keeps the start time: a master that
        re-executed itself for a reload is still the same process.)"""
        from ocfpy.process import read_stat

        st = read_stat(self.pid)
        if st is None or st.start_time != self.start or st.state in ("Z", "X"):
            return False
        return not self.boot or self.boot == boot_id()

    def runs_as_recorded(self) -> bool:
        """Does it run the recorded command line as the recorded owner?
        (Briefly not while the master re-executes itself: its command line
        is then being replaced.)"""
        return real_uid(self.pid) == self.uid and runs_argv(read_cmdline(self.pid), self.argv)

    def alive(self) -> bool:
        """The recorded master, running: the same process (pid, start time,
        boot), the same owner and the command line start used."""
        return self.same_process() and self.runs_as_recorded() and self.same_process()

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

    def __repr__(self):
        return f"Record(pid={self.pid}, start={self.start}, uid={self.uid}, argv={self.argv!r})"


def write(path: str, pid: int, argv) -> Record:
    """Record ``pid`` (a master start launched just now) with its command line."""
    from ocfpy.files import replace_file
    from ocfpy.process import start_time

    started = start_time(pid) or 0      # 0 never matches: the master is gone already
    uid = os.geteuid()
    text = "\n".join([MAGIC, f"pid {pid}", f"start {started}", f"boot {boot_id()}", f"uid {uid}",
                      "argv " + "\0".join(argv).encode("utf-8", "surrogateescape").hex()])
    replace_file(path, text + "\n", mode=0o600)
    return Record(path, pid, started, boot_id(), uid, list(argv))


def read(path: str):
    """The Record in ``path``, or None: absent, malformed, or not a plain file
    of ours that only we can write."""
    try:
        fd = os.open(path, _READ_FLAGS)
    except (OSError, ValueError):
        return None
    try:
        st = os.fstat(fd)
        if (st.st_mode & 0o170000) != 0o100000 or st.st_uid != os.geteuid() or st.st_mode & 0o022:
            return None
        data = os.read(fd, 1 << 20)
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        lines = data.decode("ascii").split("\n")
        if lines[0] != MAGIC:
            return None
        fields = dict(line.split(" ", 1) for line in lines[1:] if " " in line)
        pid, start, uid = (fields[k] for k in ("pid", "start", "uid"))
        if not all(v.isascii() and v.isdigit() for v in (pid, start, uid)) or int(pid) <= 0:
            return None
        argv = bytes.fromhex(fields.get("argv", "")).decode("utf-8", "surrogateescape")
        return Record(path, int(pid), int(start), fields.get("boot", ""), int(uid),
                      argv.split("\0") if argv else [])
    except (UnicodeError, ValueError, KeyError):
        return None


def remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
