"""Running the haproxy program: the configuration check (``haproxy -c``),
the master's launch (``haproxy -W -D``), ``extra_args`` and HAProxy's
messages; and finding every process of one instance (its master socket on
the command line) for stop.

Not on the monitor path: this module imports ``subprocess`` (~30 ms) and,
for ``extra_args``, ``shlex``. Children get argv lists (never a shell) and a
minimal environment (ocfpy.process.child_environ: no OCF_RESKEY_*).

Example::

    rc, out = run([binary, "-c", "-f", conffile], env, timeout=10)
    first_error(out)      # "config : parsing [h.cfg:2] : unknown keyword 'foo' in 'global' section"
"""

import os

__all__ = ["MANAGED_OPTIONS", "split_args", "run", "messages", "first_error", "instance_processes"]


#: command-line options the agent sets itself (master-worker mode, daemon,
#: master socket, pid file) or that would make HAProxy do something else
MANAGED_OPTIONS = frozenset({"-W", "-Ws", "-D", "-db", "-S", "-p", "-sf", "-st", "-x", "-c",
                             "-v", "-vv", "-h"})


def split_args(text: str) -> list:
    """``extra_args`` as a list, split like a POSIX shell would (quotes,
    backslashes) but never run by one. Raises ValueError for a malformed
    value or an option the agent manages."""
    import shlex

    try:
        args = shlex.split(text or "", comments=False, posix=True)
    except ValueError as exc:      # "No closing quotation", "No escaped character"
        raise ValueError(f"cannot be split into arguments: {str(exc).lower()}") from None
    for arg in args:
        if "\0" in arg:
            raise ValueError("must not contain NUL")
        if arg in MANAGED_OPTIONS:
            raise ValueError(f"{arg} is the agent's to set (master-worker mode, daemon, "
                             "master socket, pid file)")
    return args


def _output_file() -> int:
    """An unnamed file for a child's output: nothing to clean up, and no pipe
    that a daemon could keep open after its launcher exited."""
    for directory in (os.environ.get("TMPDIR") or "/tmp", "/tmp", "/dev/shm"):
        try:
            return os.open(directory, os.O_TMPFILE | os.O_RDWR, 0o600)
        except OSError:
            continue
    import tempfile

    handle = tempfile.TemporaryFile()
    return os.dup(handle.fileno())


def run(argv, env: dict, timeout: float):
    """Run ``argv`` (stdin from /dev/null, stdout and stderr together, cwd /,
    its own session) and wait at most ``timeout`` seconds for it to exit.

    Returns ``(returncode, output)``; ``returncode`` is None when it did not
    exit in time (it is then killed, by its pid). Raises OSError when it
    cannot be executed.
    """
    import subprocess

    out = _output_file()
    try:
        proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, env=env, cwd="/",
                                start_new_session=True, close_fds=True)
        try:
            rc = proc.wait(timeout=max(0.05, timeout))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            rc = None
        os.lseek(out, 0, os.SEEK_SET)
        chunks = []
        while True:
            data = os.read(out, 65536)
            if not data or sum(map(len, chunks)) > 1 << 20:
                break
            chunks.append(data)
    finally:
        os.close(out)
    return rc, b"".join(chunks).decode("utf-8", "replace")


def _message(line: str) -> str:
    """``[ALERT]    (1234) : config : text`` -> ``config : text``."""
    text = line.strip()
    if text.startswith("["):
        text = text.split("]", 1)[1].strip()
        if text.startswith("(") and ")" in text:
            text = text.split(")", 1)[1].strip()
        if text.startswith(":"):
            text = text[1:].strip()
    return text


def messages(output: str, level: str) -> list:
    """HAProxy's messages of ``level`` ("ALERT", "WARNING", "NOTICE"), without
    the level and pid prefix."""
    tag = f"[{level}]"
    return [_message(l) for l in output.splitlines() if l.lstrip().startswith(tag)]


def first_error(output: str, rc=None) -> str:
    """The one line that says what went wrong: HAProxy's first ALERT, else
    its last line that is not a NOTICE, else the exit status."""
    alerts = messages(output, "ALERT")
    if alerts:
        return alerts[0]
    lines = [l.strip() for l in output.splitlines()
             if l.strip() and not l.lstrip().startswith("[NOTICE]")]
    if lines:
        return _message(lines[-1])
    return f"exit status {rc}" if rc is not None else "no message"


def instance_processes(socket_paths, programs) -> dict:
    """``{pid: start_time}`` of the live processes running one of
    ``programs`` (basenames of the executable or argv[0]) with ``-S PATH[,options]`` for
    one of ``socket_paths`` on their command line: the master and workers
    of one instance, whoever their parent is now (workers left by a killed
    master included). The master socket path is unique per resource.

    Only processes in this process's mount namespace count: there the path
    names the same socket. A process elsewhere (a container, a node of a
    cluster in namespaces sharing one pid namespace) with the same path on
    its command line is another instance, never ours to stop."""
    from ocfpy.process import read_stat

    from ocfpy_agents.haproxy.record import exe_name, read_cmdline

    wanted = {p for p in socket_paths if p}
    programs = set(programs)
    found = {}
    if not wanted:
        return found
    me = os.getpid()
    mine = _mount_namespace(me)
    for name in os.listdir("/proc"):
        if not (name.isdigit() and int(name) != me):
            continue
        pid = int(name)
        args = read_cmdline(pid)
        if not args:
            continue
        names = {os.path.basename(args[0]), exe_name(pid)}
        if not names & programs:
            continue
        binds = {args[i + 1].split(",", 1)[0] for i, a in enumerate(args[:-1]) if a == "-S"}
        if not binds & wanted or _mount_namespace(pid) != mine:
            continue
        st = read_stat(pid)
        if st is not None and st.state not in ("Z", "X"):
            found[pid] = st.start_time
    return found


def _mount_namespace(pid: int):
    """The inode of ``pid``'s mount namespace (None when unreadable)."""
    try:
        return os.stat(f"/proc/{pid}/ns/mnt").st_ino
    except OSError:
        return None
