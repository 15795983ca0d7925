"""ocf:ocfpy:haproxy against the real HAProxy (Debian's 2.6): the agent runs
as Pacemaker's executor runs it (a child process per action, Pacemaker's
environment, the declared timeouts), backends are small Python servers on
127.0.0.1, ports in 36000-36999."""

import os
import socket
import subprocess
import threading
import time

import pytest

from haproxy_bed import HAPROXY, config_text, free_port, get, show_proc
from ocfpy.process import read_stat

TIMEOUT = 20.0


def ok(result, rc=0):
    assert result.rc == rc, (result.rc, result.exit_reason, result.stderr[-2000:])
    return result


def alive(pid) -> bool:
    st = read_stat(pid)
    return st is not None and st.state not in ("Z", "X")


# -- the life cycle -----------------------------------------------------------------------
def test_start_monitor_stop_as_pacemaker_would(bed):
    b1, b2 = bed.backend("one"), bed.backend("two")
    bed.write_config(servers=[b1.port, b2.port])
    d = bed.driver()
    ok(d.run("monitor"), 7)                                   # probe before start
    ok(d.run("validate-all"))
    ok(d.run("start"))
    pid = bed.master_pid()
    assert alive(pid) and set(bed.processes()) >= {pid} and len(bed.processes()) == 2
    assert os.stat(bed.socket).st_mode & 0o777 == 0o600
    assert get(bed.http_port).startswith(b"ok ")
    ok(d.run("monitor", interval=10))
    ok(d.run("monitor"))                                      # a probe finds it running
    ok(d.run("start"))                                        # idempotent: the same master
    assert bed.master_pid() == pid and len(bed.processes()) == 2
    ok(d.run("stop"))
    assert bed.wait_gone(0.1) and not alive(pid)
    assert sorted(os.listdir(bed.run_dir)) == []              # pid file, record, socket gone
    ok(d.run("monitor"), 7)
    ok(d.run("stop"))                                         # stop of a stopped resource
    with pytest.raises(OSError):
        get(bed.http_port, timeout=0.5)


def test_the_master_daemonizes_in_its_own_session_with_a_minimal_environment(bed):
    bed.write_config(servers=[bed.backend().port])
    d = bed.driver(extra_args="-L 'node one'")
    ok(d.run("start", params={"secret_looking": "s3cr3t"}))
    pid = bed.master_pid()
    st = read_stat(pid)
    with open(f"/proc/{pid}/stat") as fh:
        session = int(fh.read().rpartition(")")[2].split()[3])
    assert session == pid and st.ppid != os.getpid()          # setsid'd, not our child
    with open(f"/proc/{pid}/environ", "rb") as fh:
        env = fh.read().decode().split("\0")
    assert not [e for e in env if e.startswith("OCF_")]
    with open(f"/proc/{pid}/cmdline", "rb") as fh:
        argv = fh.read().decode().split("\0")[:-1]
    assert argv[1:5] == ["-W", "-D", "-S", f"{bed.socket},mode,600"]
    assert argv[-2:] == ["-L", "node one"]                     # split, never by a shell
    ok(d.run("stop"))


def test_a_debian_like_configuration_daemon_chroot_user(bed):
    # "daemon", "chroot" and "user"/"group" in the global section, as Debian
    # ships it: the master stays root and answers, the workers drop privileges
    import pwd

    chroot = bed.dir / "chroot"
    chroot.mkdir()
    bed.write_config(servers=[bed.backend().port],
                     extra_global=f"    daemon\n    chroot {chroot}\n    user nobody\n    group nogroup")
    d = bed.driver()
    ok(d.run("start"))
    pid = bed.master_pid()
    workers = [p for p in bed.processes() if p != pid]
    owner = {p: pwd.getpwuid(os.stat(f"/proc/{p}").st_uid).pw_name for p in [pid, *workers]}
    assert owner == {pid: "root", **{w: "nobody" for w in workers}} and workers
    assert os.readlink(f"/proc/{workers[0]}/root") == str(chroot)
    assert get(bed.http_port).startswith(b"ok ")
    ok(d.run("monitor", interval=10))
    ok(d.run("reload"))
    ok(d.run("monitor", interval=10))
    ok(d.run("stop"))
    assert bed.wait_gone(0.1)


# -- validate-all and the configuration check --------------------------------------------
def test_a_configuration_haproxy_rejects_gives_6_with_haproxys_message(bed):
    bed.write_config("global\n    maxconn 10\n    frobnicate yes\n")
    d = bed.driver()
    for action in ("validate-all", "start"):
        r = ok(d.run(action), 6)
        assert r.exit_reason.startswith(f"HAProxy rejects {bed.conffile}: config : parsing "
                                        f"[{bed.conffile}:3] : unknown keyword 'frobnicate' "
                                        "in 'global' section"), r.exit_reason
        assert len([l for l in r.stderr.splitlines() if l.startswith("ocf-exit-reason:")]) == 1
    assert bed.processes() == []
    ok(d.run("monitor"), 7)                                   # nothing runs: a probe says so


def test_validate_all_levels(bed):
    bed.write_config(servers=[bed.backend().port])
    absent = bed.driver(conffile=str(bed.dir / "absent.cfg"))
    ok(absent.run("validate-all"))                            # level 0: parameters only
    r = ok(absent.run("validate-all", check_level=10), 5)
    assert "absent.cfg does not exist" in r.exit_reason
    ok(bed.driver().run("validate-all", check_level=10))
    r = ok(bed.driver(extra_args="-f 'unclosed").run("validate-all"), 6)
    assert r.exit_reason.startswith("parameter extra_args: cannot be split"), r.exit_reason
    r = ok(bed.driver(extra_args="-db").run("validate-all"), 6)
    assert "-db is the agent's to set" in r.exit_reason
    r = ok(bed.driver(min_healthy="be:lots").run("validate-all"), 6)
    assert r.exit_reason == ("parameter min_healthy: 'be:lots' is malformed: backend be needs "
                             "a whole number or a percentage like 50%, not 'lots'")
    long_socket = "/tmp/" + "s" * 120
    r = ok(bed.driver(master_socket=long_socket).run("validate-all"), 6)
    assert "longer than 107 bytes" in r.exit_reason


def test_extra_args_take_part_in_the_check(bed):
    bed.write_config(servers=[bed.backend().port])
    more = bed.dir / "more.cfg"
    more.write_text("backend extra\n    mode http\n    bogus-keyword\n")
    r = ok(bed.driver(extra_args=f"-f {more}").run("validate-all"), 6)
    assert "bogus-keyword" in r.exit_reason


# -- not installed, not running -----------------------------------------------------------
def test_not_installed_probe_7_stop_0_start_5(bed):
    bed.write_config(servers=[bed.backend().port])
    d = bed.driver(binary="/nonexistent")
    ok(d.run("monitor"), 7)
    ok(d.run("stop"))
    r = ok(d.run("start"), 5)
    assert r.exit_reason == "HAProxy is not installed: program /nonexistent not found or not executable"
    ok(d.run("validate-all"))                                 # level 0
    ok(d.run("validate-all", check_level=10), 5)
    ok(bed.driver(binary="no-such-haproxy").run("monitor"), 7)   # a name looked up on PATH


def test_kill_9_of_the_master_gives_monitor_7_then_recovery(bed):
    bed.write_config(servers=[bed.backend().port])
    d = bed.driver()
    ok(d.run("start"))
    pid = bed.master_pid()
    os.kill(pid, 9)
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    r = ok(d.run("monitor", interval=10), 7)
    assert r.exit_reason is None or "exited" in r.exit_reason
    ok(d.run("stop"))                                         # Pacemaker's recovery
    assert bed.wait_gone(0.1)
    ok(d.run("start"))
    assert bed.master_pid() != pid
    ok(d.run("monitor", interval=10))
    assert get(bed.http_port).startswith(b"ok ")


def test_stop_ends_the_workers_a_killed_master_left(bed):
    # SIGKILL to the master and SIGSTOP to its worker: the worker cannot notice
    # that its master died, and still listens with our master socket on its
    # command line; stop finds it by that, continues and ends it
    bed.write_config(servers=[bed.backend().port])
    d = bed.driver()
    ok(d.run("start"))
    pid = bed.master_pid()
    (worker,) = [p for p in bed.processes() if p != pid]
    os.kill(worker, 19)
    os.kill(pid, 9)
    ok(d.run("monitor", interval=10), 7)
    ok(d.run("stop"))
    assert bed.wait_gone(0.1) and not alive(worker)


def test_a_pid_file_naming_another_process_is_not_trusted(bed):
    bed.write_config(servers=[bed.backend().port])
    bed.run_dir.mkdir(parents=True, exist_ok=True)
    other = subprocess.Popen(["sleep", "60"])
    try:
        bed.pid_file.write_text(f"{other.pid}\n")
        d = bed.driver()
        ok(d.run("monitor"), 7)
        ok(d.run("stop"))
        assert alive(other.pid)
        ok(d.run("start"))                                    # and start does not mind it
        assert bed.master_pid() != other.pid
        ok(d.run("stop"))
        assert alive(other.pid)
    finally:
        other.kill()
        other.wait()


def test_a_changed_conffile_still_stops_what_start_started(bed):
    bed.write_config(servers=[bed.backend().port])
    ok(bed.driver().run("start"))
    pid = bed.master_pid()
    other = bed.dir / "other.cfg"
    other.write_text(bed.conffile.read_text())
    changed = bed.driver(conffile=str(other))
    ok(changed.run("monitor"))           # the record names the process, not today's parameters
    ok(changed.run("stop"))
    assert not alive(pid) and bed.wait_gone(0.1)


# -- min_healthy ----------------------------------------------------------------------------
def wait_status(sock, want, timeout=5.0):
    """Until show stat (through the master) shows ``want`` {server: status-prefix}."""
    from ocfpy_agents.haproxy import master

    end = time.monotonic() + timeout
    while True:
        procs = master.parse_proc(master.query(str(sock), "show proc", 2))
        states = {s: st for _, s, st in master.server_states(
            master.query(str(sock), f"@!{procs.current_worker} show stat -1 4 -1", 2))}
        if all(states.get(s, "").startswith(v) for s, v in want.items()):
            return states
        if time.monotonic() > end:
            raise AssertionError(f"servers {states}, wanted {want}")
        time.sleep(0.05)


def test_min_healthy_below_gives_190_not_a_restart(bed):
    up = bed.backend("up")
    down_port = free_port()                                   # nobody listens there
    bed.write_config(servers=[up.port, down_port])
    d = bed.driver(min_healthy="be:2")
    ok(d.run("start"))
    pid = bed.master_pid()
    wait_status(bed.socket, {"s1": "UP", "s2": "DOWN"})
    r = ok(d.run("monitor", interval=10), 190)
    assert r.exit_reason == "backend be: 1 of 2 servers healthy, needs 2"
    for value in ("be:1", "1", "50%", "be:50%", "", "1, be:1"):
        ok(d.run("monitor", interval=10, params={"min_healthy": value}))
    ok(d.run("monitor", interval=10, params={"min_healthy": "51%"}), 190)
    r = ok(d.run("monitor", interval=10, params={"min_healthy": "be:1 nosuch:1"}), 190)
    assert r.exit_reason.startswith("backend nosuch: not in HAProxy's statistics")
    # reload-agent: the new value is simply used from now on
    ok(d.run("reload-agent", params={"min_healthy": "be:1"}))
    ok(d.run("monitor", interval=10, params={"min_healthy": "be:1"}))
    # the second server comes up: healthy again, without any restart
    second = bed.backend("second")
    bed.write_config(servers=[up.port, second.port])
    ok(d.run("reload"))
    wait_status(bed.socket, {"s1": "UP", "s2": "UP"})
    ok(d.run("monitor", interval=10))
    assert bed.master_pid() == pid


# -- reload ---------------------------------------------------------------------------------
class Hammer(threading.Thread):
    """HTTP requests through the proxy, a new connection each, until stopped."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.done = threading.Event()
        self.ok = 0
        self.failures = []

    def run(self):
        while not self.done.is_set():
            try:
                if get(self.port, timeout=5).startswith(b"ok "):
                    self.ok += 1
                else:
                    self.failures.append("wrong body")
            except OSError as exc:
                self.failures.append(repr(exc))

    def stop(self):
        self.done.set()
        self.join(10)


def test_reload_drops_no_request_and_keeps_an_established_connection(bed):
    b1, b2 = bed.backend("one"), bed.backend("two")
    echo = bed.echo()
    tcp_port = free_port()
    bed.write_config(servers=[b1.port, b2.port], tcp_port=tcp_port, echo_port=echo.port)
    d = bed.driver()
    ok(d.run("start"))
    master_pid = bed.master_pid()
    held = socket.create_connection(("127.0.0.1", tcp_port), timeout=5)
    held.sendall(b"before\n")
    assert held.recv(100) == b"before\n"
    (first_worker,) = [p for p in bed.processes() if p != master_pid]
    hammer = Hammer(bed.http_port)
    hammer.start()
    try:
        time.sleep(0.3)
        for _ in range(3):
            r = ok(d.run("reload"))
            assert r.duration < 5
            time.sleep(0.3)
            ok(d.run("monitor", interval=10))
    finally:
        hammer.stop()
    print(f"\nhaproxy: {hammer.ok} requests across 3 reloads, {len(hammer.failures)} failed")
    assert hammer.failures == [] and hammer.ok > 20, (hammer.ok, hammer.failures[:5])
    # the connection established before the reloads is still served, by the first worker
    held.sendall(b"after\n")
    assert held.recv(100) == b"after\n"
    assert alive(first_worker)
    text = show_proc(bed.socket)
    assert "# old workers" in text and str(first_worker) in text.split("# old workers")[1]
    assert bed.master_pid() == master_pid and alive(master_pid)
    held.close()                          # its last connection gone, the old worker exits
    deadline = time.monotonic() + 5
    while alive(first_worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(first_worker)
    ok(d.run("stop"))


def test_monitors_during_reloads_all_say_running(bed):
    # an admin reloads through the master socket while Pacemaker monitors:
    # the master re-executing itself is never mistaken for a failure
    from ocfpy_agents.haproxy import master

    bed.write_config(servers=[bed.backend().port, bed.backend().port])
    d = bed.driver(min_healthy="be:1")
    ok(d.run("start"))
    wait_status(bed.socket, {"s1": "UP", "s2": "UP"})
    codes, done = [], threading.Event()

    def monitors():
        while not done.is_set():
            r = d.run("monitor", interval=10)
            codes.append((r.rc, r.exit_reason))

    t = threading.Thread(target=monitors, daemon=True)
    t.start()
    try:
        # reload until at least 5 monitors ran across the reloads (a count, not
        # a time: a loaded machine runs fewer monitors per second)
        reloads = 0
        while reloads < 12 or (len(codes) < 5 and reloads < 200):
            try:
                master.query(str(bed.socket), "reload", 2)
            except master.CliError:
                pass
            reloads += 1
            time.sleep(0.25)
    finally:
        done.set()
        t.join(30)
    assert len(codes) >= 5 and [c for c in codes if c[0] != 0] == [], codes
    print(f"\nhaproxy: {len(codes)} monitors across {reloads} reloads, all 0")


def test_reload_of_a_configuration_haproxy_rejects_keeps_the_running_one(bed):
    bed.write_config(servers=[bed.backend().port])
    d = bed.driver()
    ok(d.run("start"))
    before = show_proc(bed.socket)
    good = bed.conffile.read_text()
    bed.conffile.write_text(good.replace("maxconn 200", "maxconn 200\n    no-such-directive"))
    r = ok(d.run("reload"), 6)
    assert "unknown keyword 'no-such-directive'" in r.exit_reason
    assert show_proc(bed.socket).split("\n# workers")[1].split()[0] == \
        before.split("\n# workers")[1].split()[0]                # the same worker, untouched
    ok(d.run("monitor", interval=10))
    assert get(bed.http_port).startswith(b"ok ")


def test_reload_that_haproxy_cannot_apply_fails_and_keeps_serving(bed):
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", free_port()))
    blocker.listen()
    try:
        bed.write_config(servers=[bed.backend().port])
        d = bed.driver()
        ok(d.run("start"))
        text = bed.conffile.read_text()
        # valid for haproxy -c, but the port is taken: the new worker cannot start
        bed.conffile.write_text(text + f"frontend taken\n    mode http\n    bind 127.0.0.1:"
                                       f"{blocker.getsockname()[1]}\n    default_backend be\n")
        r = ok(d.run("reload"), 1)
        assert "keeps running the previous one" in r.exit_reason
        ok(d.run("monitor", interval=10))
        assert get(bed.http_port).startswith(b"ok ")
        bed.conffile.write_text(text)
        ok(d.run("reload"))
        ok(d.run("monitor", interval=10))
    finally:
        blocker.close()


def test_reload_when_not_running_says_7(bed):
    bed.write_config(servers=[bed.backend().port])
    r = ok(bed.driver().run("reload"), 7)
    assert r.exit_reason == "HAProxy is not running: nothing to reload"


def test_run_dir_is_created_for_the_configurations_sockets(bed):
    run_dir = bed.dir / "rd"
    bed.write_config(servers=[bed.backend().port],
                     extra_global=f"    stats socket {run_dir}/admin.sock mode 600 level admin")
    r = ok(bed.driver().run("start"), 1)                       # what Debian's config meets
    assert "admin.sock" in r.exit_reason and bed.processes() == []
    d = bed.driver(run_dir=str(run_dir))
    ok(d.run("start"))
    assert (run_dir / "admin.sock").is_socket() and os.stat(run_dir).st_mode & 0o777 == 0o755
    ok(d.run("monitor", interval=10))
    ok(d.run("stop"))
    assert run_dir.is_dir()
    (bed.dir / "plain").write_text("")
    r = ok(bed.driver(run_dir=str(bed.dir / "plain")).run("start"), 2)
    assert r.exit_reason.endswith("is not a directory")


# -- stop -----------------------------------------------------------------------------------
@pytest.mark.parametrize("grace, least, most", [("1s", 0.9, 4.0), ("0", 0.0, 1.0)])
def test_stop_lets_connections_finish_for_stop_grace_then_ends_them(bed, grace, least, most):
    echo = bed.echo()
    tcp_port = free_port()
    bed.write_config(servers=[bed.backend().port], tcp_port=tcp_port, echo_port=echo.port)
    d = bed.driver(stop_grace=grace)
    ok(d.run("start"))
    held = socket.create_connection(("127.0.0.1", tcp_port), timeout=5)
    held.sendall(b"x\n")
    assert held.recv(10) == b"x\n"
    r = ok(d.run("stop"))
    assert least <= r.duration <= most, r.duration
    assert bed.wait_gone(0.1)
    held.settimeout(2)
    assert held.recv(10) == b""                               # closed by the hard stop
    held.close()


def test_soft_stop_closes_the_listeners_first(bed):
    # during the grace period new connections are refused at once (the VIP's
    # next node takes them) while the established one is still served
    echo = bed.echo()
    tcp_port = free_port()
    bed.write_config(servers=[bed.backend().port], tcp_port=tcp_port, echo_port=echo.port)
    d = bed.driver(stop_grace="3s")
    ok(d.run("start"))
    held = socket.create_connection(("127.0.0.1", tcp_port), timeout=5)
    stopping = threading.Thread(target=d.run, args=("stop",), daemon=True)
    stopping.start()
    time.sleep(0.5)
    with pytest.raises(OSError):
        get(bed.http_port, timeout=0.5)
    held.sendall(b"still\n")
    assert held.recv(10) == b"still\n"
    stopping.join(15)
    assert d.results[-1].rc == 0 and bed.wait_gone(0.1)
    held.close()


# -- conformance, installation, tools --------------------------------------------------------
def test_ocfpy_check_passes(bed):
    from ocfpy.testing.check import FAIL, check_agent

    bed.write_config(servers=[bed.backend().port])
    report = check_agent("haproxy", {"conffile": str(bed.conffile)})
    assert [f.text for f in report.findings if f.status == FAIL] == []
    assert bed.processes() == []


def test_ocfpy_check_cli_with_min_healthy(bed):
    from click.testing import CliRunner

    from ocfpy.cli import main

    bed.write_config(servers=[bed.backend().port])
    result = CliRunner().invoke(main, ["check", "haproxy", "-o", f"conffile={bed.conffile}",
                                       "-o", "min_healthy=be:1", "-v"])
    assert result.exit_code == 0, result.output
    assert "reload-agent" in result.output


def test_haproxy_is_the_one_tested():
    assert HAPROXY is not None and os.access(HAPROXY, os.X_OK)
    version = subprocess.run([HAPROXY, "-v"], capture_output=True, text=True).stdout
    assert version.startswith("HAProxy version ")
