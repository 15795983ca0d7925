"""HAProxy's master CLI (the ``-S`` UNIX socket): one command per
connection, and our own parsing of ``show proc`` and ``show stat``.

The master answers a command, then waits for the next one; we send one line
and shut our side down, so it closes the connection once it has answered.
Commands for a worker go through the master with a ``@!PID`` prefix
(``@!4242 show stat -1 4 -1``), so one socket, root's only (mode 600),
serves the whole monitor.

Hot path: every monitor imports this module. Only the C ``_socket`` module
(the ``socket`` wrapper pulls in ``enum`` and ``selectors``), ``errno`` and
``time``.

Example::

    procs = parse_proc(query("/run/ocfpy-haproxy-lb.sock", "show proc", timeout=2))
    procs.master_pid, procs.reloads, procs.failed_reloads, procs.workers
    text = query(path, f"@!{procs.current_worker} show stat -1 4 -1", timeout=2)
    for backend, server, status in server_states(text): ...
"""

import errno
import time

import _socket

from ocfpy.records import Record

__all__ = ["MAX_SOCKET_PATH", "MAX_REPLY", "RETRY_ERRNOS", "CliError", "query", "Procs",
           "parse_proc", "split_csv", "server_states", "is_healthy"]


#: sun_path holds 108 bytes with the terminating NUL
MAX_SOCKET_PATH = 107
#: a monitor never needs more (show stat of ~50 000 servers)
MAX_REPLY = 32 * 1024 * 1024
#: while the master re-executes itself (a reload) its socket refuses, is
#: briefly absent, resets, or closes without an answer: worth another try
#: a moment later
RETRY_ERRNOS = frozenset({errno.ECONNREFUSED, errno.ENOENT, errno.ECONNRESET, errno.EPIPE,
                          errno.EAGAIN})


class CliError(Exception):
    """The master socket did not give a complete answer. ``retry`` is True
    when the cause is transient (the master is re-executing itself)."""

    def __init__(self, message: str, retry: bool = False):
        super().__init__(message)
        self.retry = retry


def query(path: str, command: str, timeout: float) -> str:
    """Send ``command`` on the master socket at ``path`` and return the whole
    answer; the connection is closed. ``timeout`` bounds everything (connect,
    send, every read). Raises CliError."""
    if "\n" in command or "\r" in command or ";" in command:
        raise ValueError("one command per query (no newline or ';')")
    end = time.monotonic() + max(0.001, timeout)
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    chunks, size = [], 0
    try:
        sock.settimeout(max(0.001, end - time.monotonic()))
        sock.connect(path)
        sock.sendall(command.encode("ascii") + b"\n")
        sock.shutdown(_socket.SHUT_WR)
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise _socket.timeout()
            sock.settimeout(left)
            data = sock.recv(262144)
            if not data:
                break
            size += len(data)
            if size > MAX_REPLY:
                raise CliError(f"{path}: the answer to {command!r} exceeds {MAX_REPLY} bytes")
            chunks.append(data)
    except _socket.timeout:
        raise CliError(f"{path}: no complete answer to {command!r} within {timeout:.1f}s",
                       retry=True) from None
    except OSError as exc:
        retry = exc.errno in RETRY_ERRNOS
        raise CliError(f"{path}: {exc.strerror or exc}", retry=retry) from None
    finally:
        sock.close()
    if not chunks:
        # every command answers something; nothing means the master closed
        # the connection as it re-executed itself (also HAProxy 2.6's
        # answer to "reload")
        raise CliError(f"{path}: closed without an answer to {command!r}", retry=True)
    return b"".join(chunks).decode("utf-8", "replace")


class Procs(Record):
    """``show proc``: the master's pid, its reload and failed-reload counts,
    the current workers and the old ones (still finishing their connections
    after a reload), each as ``(pid, reloads)``: ``reloads`` is how many
    reloads ago the worker was started (0 for the newest)."""

    __slots__ = ("master_pid", "reloads", "failed_reloads", "workers", "old_workers")

    @property
    def current_worker(self):
        """The pid of the newest current worker, or None."""
        if not self.workers:
            return None
        return min(self.workers, key=lambda w: (w[1], -w[0]))[0]

    @property
    def worker_pids(self) -> set:
        return {pid for pid, _ in self.workers}

    def __repr__(self):
        return (f"Procs(master={self.master_pid}, reloads={self.reloads}, "
                f"failed={self.failed_reloads}, workers={self.workers}, old={self.old_workers})")


def _number(text: str):
    return int(text) if text.isascii() and text.isdigit() else None


def parse_proc(text: str) -> Procs:
    """Parse the master's ``show proc`` (HAProxy 2.x/3.x layout)::

        #<PID>          <type>          <reloads>       <uptime>        <version>
        4242            master          1 [failed: 0]   0d00h01m02s     2.6.12
        # workers
        4301            worker          0               0d00h00m03s     2.6.12
        # old workers
        4250            worker          1               0d00h01m02s     2.6.12
        # programs

    Raises ValueError when there is no master line.
    """
    master = None
    reloads = failed = 0
    workers, old = [], []
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            words = line.lstrip("#").split()
            if words[:2] == ["old", "workers"]:
                section = old
            elif words[:1] == ["workers"]:
                section = workers
            elif words[:1] == ["programs"]:
                section = None
            continue
        fields = line.split()
        if len(fields) < 3:
            continue
        pid, kind = _number(fields[0]), fields[1]
        if pid is None:
            continue
        if kind == "master" and master is None:
            master = pid
            reloads = _number(fields[2]) or 0
            if "[failed:" in line:
                tail = line.split("[failed:", 1)[1].split("]", 1)[0].strip()
                failed = _number(tail) or 0
        elif kind == "worker" and section is not None:
            section.append((pid, _number(fields[2]) or 0))
    if master is None:
        raise ValueError("no master line in the answer to show proc")
    return Procs(master, reloads, failed, workers, old)


def split_csv(line: str) -> list:
    """One line of HAProxy's CSV: fields split on commas, a field in double
    quotes may hold commas (and "" for a quote)."""
    if '"' not in line:
        return line.split(",")
    out, field, quoted, i = [], [], False, 0
    while i < len(line):
        ch = line[i]
        if quoted:
            if ch == '"':
                if line[i + 1:i + 2] == '"':
                    field.append('"')
                    i += 1
                else:
                    quoted = False
            else:
                field.append(ch)
        elif ch == '"':
            quoted = True
        elif ch == ",":
            out.append("".join(field))
            field = []
        else:
            field.append(ch)
        i += 1
    out.append("".join(field))
    return out


def server_states(text: str) -> list:
    """``(backend, server, status)`` of every server in a ``show stat`` CSV
    answer (rows of type 2). Raises ValueError when the header is missing."""
    lines = text.splitlines()
    header = next((l for l in lines if l.startswith("# pxname,")), None)
    if header is None:
        raise ValueError("no CSV header in the answer to show stat")
    names = split_csv(header[2:])
    try:
        px, sv, st, ty = (names.index(n) for n in ("pxname", "svname", "status", "type"))
    except ValueError:
        raise ValueError("show stat lacks one of pxname, svname, status, type") from None
    last = max(px, sv, st, ty)
    out = []
    for line in lines:
        if not line or line.startswith("#"):
            continue
        fields = split_csv(line)
        if len(fields) > last and fields[ty] == "2":
            out.append((fields[px], fields[sv], fields[st]))
    return out


def is_healthy(status: str) -> bool:
    """A server that takes traffic: UP (also "UP 1/3", going down but not yet
    down) or "no check" (not health-checked: HAProxy sends it traffic).
    DOWN, NOLB, DRAIN, MAINT and their transitions are not."""
    return status.startswith("UP") or status == "no check"
