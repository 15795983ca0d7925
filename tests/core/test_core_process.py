"""Process helpers against real children: start as a user with a pid file, find by
pid file AND identity, stop with TERM then KILL inside the deadline."""

import os
import pwd
import signal
import subprocess
import sys
import time
import uuid

import pytest

from core_helpers import is_alive, proc_state
from ocfpy.deadline import Deadline

process = pytest.importorskip("ocfpy.process", reason="ocfpy.process not written yet")
Identity = process.Identity

TOLERANCE = 0.5   # seconds stop() may overrun its deadline on a busy machine

# A daemon: optionally ignores SIGTERM, optionally starts a child that ignores it too.
DAEMON = r"""
import os, signal, sys, time
mode = sys.argv[1]
if "ignore" in mode:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
if "child" in mode:
    if os.fork() == 0:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(300)
        os._exit(0)
print("daemon up", flush=True)
time.sleep(300)
"""


def sig_ignored(pid: int, sig: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("SigIgn:"):
                    return bool(int(line.split()[1], 16) & (1 << (sig - 1)))
    except OSError:
        pass
    return False


def wait_until(predicate, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return False


class Daemons:
    """Starts daemons through ocfpy.process and cleans up every pid it saw, by pid."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.pids = []
        self.reaped = {}

    def start(self, mode="plain", user=None, log_path=None):
        marker = f"ocfpy-test-daemon-{uuid.uuid4().hex}"
        pidfile = self.tmp / f"{marker}.pid"
        argv = [sys.executable, "-I", "-S", "-c", DAEMON, mode, marker]
        pid = process.start_daemon(argv, pidfile=pidfile, user=user, log_path=log_path)
        self.pids.append(pid)
        if "ignore" in mode:
            assert wait_until(lambda: sig_ignored(pid, signal.SIGTERM)), "daemon never ignored TERM"
        if "child" in mode:
            assert wait_until(lambda: len(self.children(pid)) == 1), "daemon never forked"
            self.pids.extend(self.children(pid))
        return pid, pidfile, Identity(cmdline_contains=[marker])

    @staticmethod
    def children(pid):
        import psutil

        try:
            return [c.pid for c in psutil.Process(pid).children()]
        except psutil.NoSuchProcess:
            return []

    def reap(self, pid, timeout=5.0):
        """Wait for our own child and return its wait status (None when not ours)."""
        if pid in self.reaped:
            return self.reaped[pid]
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                got, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                return None
            if got == pid:
                self.reaped[pid] = status
                return status
            time.sleep(0.02)
        return None

    def cleanup(self):
        for pid in self.pids:
            if is_alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.reap(pid, timeout=2)


@pytest.fixture
def daemons(tmp_path):
    tmp_path.chmod(0o755)
    d = Daemons(tmp_path)
    yield d
    d.cleanup()


def test_start_daemon_writes_the_pid_file_and_find_returns_the_process(daemons):
    pid, pidfile, ident = daemons.start()
    assert process.read_pidfile(pidfile) == pid
    found = process.find(pidfile, ident)
    assert found is not None and found.pid == pid


def test_start_daemon_runs_in_its_own_session(daemons):
    pid, _, _ = daemons.start()
    assert os.getsid(pid) == pid


def test_start_daemon_as_a_user_runs_as_that_user(daemons):
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user nobody on this machine")
    if os.geteuid() != 0:
        pytest.skip("starting as another user needs root")
    pid, pidfile, ident = daemons.start(user="nobody")
    import psutil

    p = psutil.Process(pid)
    assert (p.uids().real, p.uids().effective, p.gids().real) == (nobody.pw_uid, nobody.pw_uid,
                                                                  nobody.pw_gid)
    assert process.find(pidfile, Identity(cmdline_contains=ident.cmdline_contains,
                                          user="nobody")) is not None


def test_start_daemon_sends_output_to_the_log(daemons, tmp_path):
    log = tmp_path / "daemon.log"
    daemons.start(log_path=str(log))
    assert wait_until(lambda: log.exists() and "daemon up" in log.read_text())


def test_stop_escalates_to_kill_when_term_is_ignored_and_stays_inside_the_deadline(daemons):
    pid, pidfile, ident = daemons.start(mode="ignore")
    deadline = Deadline.after(3.0)
    assert process.stop(pidfile, ident, deadline) is True
    assert time.monotonic() <= deadline.end + TOLERANCE
    status = daemons.reap(pid)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert not pidfile.exists()


def test_stop_with_little_time_left_still_kills_inside_the_deadline(daemons):
    pid, pidfile, ident = daemons.start(mode="ignore")
    deadline = Deadline.after(0.4)
    assert process.stop(pidfile, ident, deadline) is True
    assert time.monotonic() <= deadline.end + TOLERANCE
    assert not is_alive(pid)


def test_stop_of_a_daemon_that_honours_term_does_not_kill(daemons):
    pid, pidfile, ident = daemons.start()
    assert process.stop(pidfile, ident, Deadline.after(10)) is True
    status = daemons.reap(pid)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM
    assert not pidfile.exists()


def test_stop_kills_the_daemons_children_too(daemons):
    pid, pidfile, ident = daemons.start(mode="ignore+child")
    child = daemons.children(pid)[0]
    deadline = Deadline.after(3.0)
    assert process.stop(pidfile, ident, deadline) is True
    assert time.monotonic() <= deadline.end + TOLERANCE
    assert not is_alive(pid)
    assert wait_until(lambda: not is_alive(child), timeout=2)


def test_stale_pid_file_pointing_at_this_test_process_is_not_ours(daemons, tmp_path):
    pidfile = tmp_path / "stale.pid"
    pidfile.write_text(f"{os.getpid()}\n")
    ident = Identity(cmdline_contains=[f"ocfpy-test-daemon-{uuid.uuid4().hex}"])
    assert process.find(pidfile, ident) is None
    assert process.stop(pidfile, ident, Deadline.after(2)) is True
    assert not pidfile.exists()   # we are still here to check it: we were not signalled


def test_stale_pid_file_pointing_at_an_unrelated_sleep_is_not_signalled(tmp_path):
    sleeper = subprocess.Popen(["sleep", "300"])
    try:
        pidfile = tmp_path / "stale.pid"
        pidfile.write_text(f"{sleeper.pid}\n")
        ident = Identity(exe=sys.executable, cmdline_contains=["ocfpy-test-daemon-xyz"])
        assert process.find(pidfile, ident) is None
        assert process.stop(pidfile, ident, Deadline.after(2)) is True
        time.sleep(0.1)
        assert sleeper.poll() is None and proc_state(sleeper.pid) in ("S", "R")
    finally:
        sleeper.kill()
        sleeper.wait()


def test_identity_by_executable_rejects_another_program(tmp_path):
    sleeper = subprocess.Popen(["sleep", "300"])
    try:
        import psutil

        p = psutil.Process(sleeper.pid)
        assert Identity(exe="/usr/bin/sleep").matches(p) or Identity(exe="/bin/sleep").matches(p)
        assert Identity(exe="/usr/sbin/mysqld").matches(p) is False
        assert Identity(exe="sleep", user="nobody").matches(p) is (
            pwd.getpwuid(os.getuid()).pw_name == "nobody")
    finally:
        sleeper.kill()
        sleeper.wait()


def test_pid_file_of_a_zombie_is_stale(tmp_path):
    child = subprocess.Popen(["sleep", "300"])
    child.kill()
    assert wait_until(lambda: proc_state(child.pid) == "Z")
    try:
        pidfile = tmp_path / "z.pid"
        pidfile.write_text(str(child.pid))
        assert process.find(pidfile, Identity(exe="sleep")) is None
    finally:
        child.wait()


def test_pid_file_of_a_process_that_is_gone_is_stale(tmp_path):
    child = subprocess.Popen(["true"])
    child.wait()
    pidfile = tmp_path / "gone.pid"
    pidfile.write_text(str(child.pid))
    assert process.find(pidfile, Identity(exe="true")) is None
    assert process.stop(pidfile, Identity(exe="true"), Deadline.after(1)) is True
    assert not pidfile.exists()


@pytest.mark.parametrize("text", ["", "abc", "-5", "0", "12 34", "\x00"])
def test_garbage_pid_files_read_as_none(tmp_path, text):
    pidfile = tmp_path / "bad.pid"
    pidfile.write_text(text)
    assert process.read_pidfile(pidfile) is None


def test_missing_pid_file_reads_as_none_and_stop_is_a_success(tmp_path):
    assert process.read_pidfile(tmp_path / "none.pid") is None
    assert process.find(tmp_path / "none.pid", Identity(exe="x")) is None
    assert process.stop(tmp_path / "none.pid", Identity(exe="x"), Deadline.after(1)) is True


@pytest.mark.parametrize("name, running, zombie, reaped", [
    ("alive", True, False, False),
    ("exiting", False, True, True),
])
def test_a_child_is_alive_until_it_is_a_zombie_and_exiting_from_then_on(name, running, zombie,
                                                                         reaped):
    ask = getattr(process, name)
    child = subprocess.Popen(["sleep", "300"])
    try:
        # Popen may return while exec is still setting up the new memory
        assert wait_until(lambda: process.argv_of(child.pid) == ["sleep", "300"])
        seen = [ask(child.pid)]
        child.kill()
        assert wait_until(lambda: proc_state(child.pid) == "Z")
        seen.append(ask(child.pid))
    finally:
        child.wait()
    seen.append(ask(child.pid))                 # reaped: no /proc entry at all
    assert seen == [running, zombie, reaped]


def test_an_identity_without_exe_or_cmdline_is_refused():
    # An identity that matched any live process would let a stale pid file
    # point stop() at an unrelated process: it cannot even be built.
    with pytest.raises(ValueError):
        Identity()


def test_a_detached_child_noted_in_a_file_is_stopped_through_it_once_and_gone_on_return(
        tmp_path):
    note = str(tmp_path / "helper")
    pid = process.start_detached(note, lambda: time.sleep(60))
    try:
        assert open(note).read().split()[0] == str(pid)
        assert process.stop_detached(note) is True
        assert (os.path.exists(note), process.alive(pid)) == (False, False)
        assert process.stop_detached(note) is False       # the note is gone: nothing to signal
    finally:
        if process.alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_a_detached_child_that_ignores_term_is_killed_after_the_wait(tmp_path):
    note, ready = str(tmp_path / "helper"), tmp_path / "ignoring"

    def stubborn():
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        ready.touch()
        time.sleep(60)
    pid = process.start_detached(note, stubborn)
    try:
        assert wait_until(ready.exists)
        t0 = time.monotonic()
        assert process.stop_detached(note, wait=0.3) is True
        assert (process.alive(pid), time.monotonic() - t0 < 1.3) == (False, True)
    finally:
        if process.alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("text", ["", "12", "x y", f"{os.getpid()} 1"])
def test_a_malformed_or_stale_note_signals_nobody(tmp_path, text):
    note = tmp_path / "helper"
    note.write_text(text)
    assert process.stop_detached(str(note)) is False


def test_live_processes_finds_a_child_by_an_argument_and_leaves_a_zombie_out():
    from ocfpy.process import live_processes

    marker = f"ocfpy-test-scan-{uuid.uuid4().hex}"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", marker])
    zombie = subprocess.Popen([sys.executable, "-c", "pass", marker + "-z"])
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc_state(zombie.pid) != "Z":
            time.sleep(0.02)
        found = {pid: argv for pid, argv, _st in live_processes(marker)}
        assert (sleeper.pid in found, zombie.pid in found, found.get(sleeper.pid, [""])[-1]) == (
            True, False, marker)
    finally:
        sleeper.kill()
        sleeper.wait()
        zombie.wait()
