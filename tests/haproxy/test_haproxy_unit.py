"""The HAProxy agent's helpers without HAProxy: show proc / show stat
parsing, min_healthy, the master record, extra_args, HAProxy's messages, the
socket client against a fake master, and the meta-data."""

import os
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest

from ocfpy.testing.driver import Driver

from ocfpy_agents.haproxy import health, launch, master, record
from ocfpy_agents.haproxy.agent import Haproxy

PROC_26 = """\
#<PID>          <type>          <reloads>       <uptime>        <version>      
4242            master          3 [failed: 1]   0d00h10m46s     2.6.12-1+deb12u4
# workers
4301            worker          0               0d00h00m03s     2.6.12-1+deb12u4
# old workers
4250            worker          1               0d00h01m02s     2.6.12-1+deb12u4
4249            worker          2               0d00h02m02s     2.6.12-1+deb12u4
# programs

"""

STAT = '''\
# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,check_desc,
be,s1,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,5,0,,1,2,1,,0,,2,0,"Layer7 check passed, code 200",
be,s2,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN,1,1,0,1,1,5,5,,1,2,2,,0,,2,0,"Layer4 ""refused""",
be,BACKEND,0,0,0,0,10,0,0,0,0,0,,0,0,0,0,UP,1,1,0,,0,5,0,,1,2,0,,0,,1,0,,
api,a1,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP 1/3,1,1,0,0,0,5,0,,1,3,1,,0,,2,0,,
api,a2,0,0,0,0,,0,0,0,,0,,0,0,0,0,MAINT,1,1,0,0,0,5,0,,1,3,2,,0,,2,0,,
db,d1,0,0,0,0,,0,0,0,,0,,0,0,0,0,no check,1,1,0,0,0,5,0,,1,4,1,,0,,2,0,,
fe,FRONTEND,,,0,0,100,0,0,0,0,0,0,,,,,OPEN,,,,,,,,,1,1,0,,,,0,0,,

'''


# -- show proc, show stat -----------------------------------------------------------------
def test_parse_proc_of_haproxy_2_6():
    p = master.parse_proc(PROC_26)
    assert (p.master_pid, p.reloads, p.failed_reloads) == (4242, 3, 1)
    assert p.workers == [(4301, 0)] and p.old_workers == [(4250, 1), (4249, 2)]
    assert p.current_worker == 4301 and p.worker_pids == {4301}


def test_parse_proc_without_failed_counter_or_workers():
    p = master.parse_proc("#<PID> <type> <reloads>\n17 master 0 0d00h00m01s 3.0.1\n# workers\n")
    assert (p.master_pid, p.reloads, p.failed_reloads, p.workers, p.current_worker) == \
        (17, 0, 0, [], None)
    with pytest.raises(ValueError):
        master.parse_proc("Unknown command.\n")


def test_server_states_and_health():
    states = master.server_states(STAT)
    assert states == [("be", "s1", "UP"), ("be", "s2", "DOWN"), ("api", "a1", "UP 1/3"),
                      ("api", "a2", "MAINT"), ("db", "d1", "no check")]
    assert [master.is_healthy(s) for _, _, s in states] == [True, False, True, False, True]
    for status in ("DOWN 1/2", "NOLB", "DRAIN", "MAINT(via)", "MAINT (resolution)", ""):
        assert not master.is_healthy(status)
    with pytest.raises(ValueError):
        master.server_states("Unknown command\n")


def test_split_csv_quotes():
    assert master.split_csv('a,"b,c",d') == ["a", "b,c", "d"]
    assert master.split_csv('"x ""y""",') == ['x "y"', ""]


# -- min_healthy ------------------------------------------------------------------------------
def test_parse_min_healthy():
    assert health.parse_min_healthy("") == ()
    assert health.parse_min_healthy("2") == ((None, 2, False),)
    assert health.parse_min_healthy("be:1, api:50%  1") == (
        ("be", 1, False), ("api", 50, True), (None, 1, False))
    assert health.parse_min_healthy("ns:be:2") == (("ns:be", 2, False),)   # ':' in a name


@pytest.mark.parametrize("text, message", [
    ("be:x", "backend be needs a whole number or a percentage like 50%, not 'x'"),
    (":1", "':1' has no backend name before ':'"),
    ("b/e:1", "'b/e' is not a backend name"),
    ("be:1,be:2", "backend be is given twice"),
    ("1 2", "the default is given twice"),
    ("be:101%", "backend be asks for more than 100%"),
    ("-1", "the default needs a whole number"),
    ("be:١", "needs a whole number"),          # not an ASCII digit
])
def test_parse_min_healthy_refuses(text, message):
    with pytest.raises(ValueError) as err:
        health.parse_min_healthy(text)
    assert str(err.value).startswith("is malformed: ") and message in str(err.value)


def test_shortfalls():
    servers = master.server_states(STAT)
    rules = health.parse_min_healthy
    assert health.shortfalls((), servers) == []
    assert health.shortfalls(rules("1"), servers) == []
    assert health.shortfalls(rules("2"), servers) == [
        "backend be: 1 of 2 servers healthy, needs 2", "backend api: 1 of 2 servers healthy, needs 2",
        "backend db: 1 of 1 server healthy, needs 2"]
    assert health.shortfalls(rules("api:100%, db:1"), servers) == [
        "backend api: 1 of 2 servers healthy, needs 2"]
    assert health.shortfalls(rules("51%"), servers) == [
        "backend be: 1 of 2 servers healthy, needs 2", "backend api: 1 of 2 servers healthy, needs 2"]
    assert health.shortfalls(rules("galera:1"), servers) == [
        "backend galera: not in HAProxy's statistics (no such backend, or it has no server)"]
    assert health.needed(50, True, 3) == 2 and health.needed(0, True, 3) == 0


# -- the record ----------------------------------------------------------------------------------
SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)", "-S", "/tmp/x.sock,mode,600"]


@pytest.fixture
def sleeper():
    proc = subprocess.Popen(SLEEPER)
    yield proc
    proc.kill()
    proc.wait()


def test_record_names_one_process(tmp_path, sleeper):
    path = str(tmp_path / "rec")
    argv = list(SLEEPER)
    rec = record.write(path, sleeper.pid, argv)
    assert os.stat(path).st_mode & 0o777 == 0o600
    again = record.read(path)
    assert (again.pid, again.start, again.uid, again.argv) == (sleeper.pid, rec.start, os.geteuid(), argv)
    assert again.alive() and again.socket == "/tmp/x.sock" and again.pidfile is None
    # another start time (a reused pid), another owner, another command line: not ours
    for field, value in (("start", rec.start + 1), ("uid", rec.uid + 1),
                         ("argv", [sys.executable, "-c", "pass"]), ("boot", "another-boot")):
        changed = record.read(path)
        setattr(changed, field, value)
        assert not changed.alive(), field
    sleeper.kill()
    sleeper.wait()
    assert not again.alive()


def test_record_read_refuses_what_it_cannot_trust(tmp_path, sleeper):
    path = tmp_path / "rec"
    record.write(str(path), sleeper.pid, ["sleep"])
    os.chmod(path, 0o620)
    assert record.read(str(path)) is None               # others may write it
    os.chmod(path, 0o600)
    link = tmp_path / "link"
    link.symlink_to(path)
    assert record.read(str(link)) is None               # never through a symlink
    for text in ("", "garbage\n", record.MAGIC + "\npid x\nstart 1\nuid 0\n",
                 record.MAGIC + "\npid 0\nstart 1\nuid 0\n", record.MAGIC + "\npid 5\n"):
        path.write_text(text)
        os.chmod(path, 0o600)
        assert record.read(str(path)) is None, text
    assert record.read(str(tmp_path / "absent")) is None


def test_runs_argv_allows_what_haproxy_adds_on_reload():
    rec = ["/usr/sbin/haproxy", "-W", "-D", "-S", "/run/s,mode,600", "-f", "/etc/h.cfg"]
    assert record.runs_argv(rec, rec)
    assert record.runs_argv(["haproxy", "-sf", "12", "-x", "sockpair@3", *rec[1:]], rec)
    assert not record.runs_argv(["haproxy", "-W", "-D", "-S", "/run/s,mode,600"], rec)
    assert not record.runs_argv(["nginx", *rec[1:]], rec)
    assert not record.runs_argv(["haproxy", "-f", "/etc/h.cfg", "-W", "-D", "-S",
                                 "/run/s,mode,600"], rec)     # order matters
    assert not record.runs_argv(None, rec) and not record.runs_argv([], rec)


# -- extra_args, messages ----------------------------------------------------------------------
def test_split_args():
    assert launch.split_args("") == []
    assert launch.split_args("-f '/etc/my conf.d' -L node\\ 1 \"-N\"") == \
        ["-f", "/etc/my conf.d", "-L", "node 1", "-N"]
    assert launch.split_args("-f x; rm -rf /") == ["-f", "x;", "rm", "-rf", "/"]   # no shell
    for bad in ("-D", "-f x -db", "-S /tmp/s", "-p x", "-sf 1", "-x s", "-c", "-Ws"):
        with pytest.raises(ValueError, match="is the agent's to set"):
            launch.split_args(bad)
    with pytest.raises(ValueError, match="no closing quotation"):
        launch.split_args("-f 'x")


def test_first_error_and_messages():
    out = ("[NOTICE]   (1) : haproxy version is 2.6.12\n"
           "[WARNING]  (1) : config : missing timeouts for frontend 'fe'.\n"
           "[ALERT]    (1) : config : parsing [h.cfg:2] : unknown keyword 'foo' in 'global' section\n"
           "[ALERT]    (1) : config : Fatal errors found in configuration.\n")
    assert launch.first_error(out) == "config : parsing [h.cfg:2] : unknown keyword 'foo' in 'global' section"
    assert launch.messages(out, "WARNING") == ["config : missing timeouts for frontend 'fe'."]
    assert launch.first_error("[NOTICE] (1) : x\nsomething odd\n") == "something odd"
    assert launch.first_error("", 3) == "exit status 3"


def test_run_never_uses_a_shell_and_bounds_the_wait(tmp_path):
    rc, out = launch.run(["/bin/echo", "$HOME;", "`id`"], {"PATH": "/bin"}, 5)
    assert (rc, out) == (0, "$HOME; `id`\n")
    started = time.monotonic()
    rc, out = launch.run(["/bin/sleep", "30"], {}, 0.3)
    assert rc is None and time.monotonic() - started < 5


def test_instance_processes_are_those_of_this_mount_namespace(tmp_path):
    """The same master socket path in another mount namespace (a container,
    a sandbox node sharing the host's pid namespace) is another socket: its
    processes are never ours to stop."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare")
    sock = str(tmp_path / "m.sock")
    argv = [sys.executable, "-c", "import time; time.sleep(60)", "-S", sock + ",mode,600"]
    here = subprocess.Popen(argv)
    elsewhere = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "--", *argv])
    try:
        python = {os.path.basename(sys.executable)}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            found = launch.instance_processes({sock}, python)
            if here.pid in found:
                break
            time.sleep(0.05)
        time.sleep(0.2)    # unshare has exec'd the interpreter by now
        found = launch.instance_processes({sock}, python)
        assert (here.pid in found, elsewhere.pid in found) == (True, False), found
    finally:
        for proc in (here, elsewhere):
            proc.kill()
            proc.wait()


# -- the master socket client against a fake master --------------------------------------------
class FakeMaster:
    """A UNIX socket that answers each command with ``replies[command]`` once
    the client has shut its side down (as HAProxy's master does)."""

    def __init__(self, path, replies, delay=0.0):
        self.path, self.replies, self.delay = str(path), replies, delay
        self.received = []
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.bind(self.path)
        self.sock.listen()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while not data.endswith(b"\n"):
                    chunk = conn.recv(100)
                    if not chunk:
                        break
                    data += chunk
                command = data.decode().strip()
                self.received.append(command)
                time.sleep(self.delay)
                try:
                    conn.sendall(self.replies.get(command, "Unknown command.\n").encode())
                except OSError:
                    pass

    def close(self):
        self.sock.close()


def test_query_against_a_fake_master(tmp_path):
    fake = FakeMaster(tmp_path / "m.sock", {"show proc": PROC_26, "@!4301 show stat -1 4 -1": STAT})
    try:
        assert master.parse_proc(master.query(fake.path, "show proc", 2)).master_pid == 4242
        assert len(master.server_states(master.query(fake.path, "@!4301 show stat -1 4 -1", 2))) == 5
        with pytest.raises(ValueError):
            master.query(fake.path, "show proc; reload", 2)     # one command only
        assert fake.received == ["show proc", "@!4301 show stat -1 4 -1"]
    finally:
        fake.close()


def test_query_errors(tmp_path):
    with pytest.raises(master.CliError) as err:
        master.query(str(tmp_path / "absent.sock"), "show proc", 1)
    assert err.value.retry                                   # re-executing: try again
    slow = FakeMaster(tmp_path / "slow.sock", {"show proc": PROC_26}, delay=2)
    try:
        started = time.monotonic()
        with pytest.raises(master.CliError, match="no complete answer") as err:
            master.query(slow.path, "show proc", 0.3)
        assert time.monotonic() - started < 1.5
    finally:
        slow.close()


# -- the agent without HAProxy ----------------------------------------------------------------------
def test_meta_data_declares_what_the_agent_does():
    md = Haproxy.metadata()
    params = {p.name: p for p in Haproxy.parameter_list()}
    assert list(params) == ["conffile", "binary", "master_socket", "pid", "extra_args",
                            "run_dir", "min_healthy", "stop_grace"]
    assert {n for n, p in params.items() if p.reloadable} == {"min_healthy", "stop_grace"}
    assert not any(p.required or p.private for p in params.values())
    assert 'default="/etc/haproxy/haproxy.cfg"' in md and 'default="haproxy"' in md
    assert '<parameter name="min_healthy" required="0" reloadable="1">' in md
    assert 'default="()"' not in md
    assert [a.name for a in Haproxy.action_list()] == [
        "start", "stop", "monitor", "reload", "reload-agent", "validate-all", "meta-data"]


def test_probe_and_stop_of_an_unknown_instance(tmp_path):
    d = Driver(Haproxy, resource="u1", params={"conffile": str(tmp_path / "none.cfg")},
               workdir=tmp_path / "wd", inprocess=True)
    assert d.run("monitor").rc == 7
    assert d.run("monitor", interval=10).rc == 7
    assert d.run("stop").rc == 0
    assert d.run("reload-agent").rc == 0


def test_a_long_default_socket_path_is_shortened(tmp_path):
    deep = tmp_path / ("d" * 40)
    d = Driver(Haproxy, resource="r" * 60, params={}, workdir=deep, inprocess=True)
    env = d.environ("monitor")
    from ocfpy.environment import Invocation

    agent = Haproxy(Invocation("monitor", env))
    path = agent.socket_path
    assert len(path.encode()) <= master.MAX_SOCKET_PATH or "ocfpy-haproxy-" in path
    assert path.startswith(str(deep)) and path.endswith(".sock")
