"""Security-audit scenarios of the OpenStack API agents, one (or one group)
per finding, each through the code path an attacker or a mistake would use:

- 5: files root opens for the service in the service user's directories
  (log_file, pid) are never followed through a planted symlink, hard link or
  FIFO -- the agent's real start/monitor/stop with the fake service run as
  ``nobody`` in directories ``nobody`` owns;
- 10: stop stops what start started even when start_command,
  additional_parameters, user or the instance name changed since (the start
  record), and never reports a still-running copy of the service stopped;
- 11: the HTTP client (ocfpy_agents.openstack.http): name resolution inside the timeout,
  bounded line and header sizes, ASCII-only numbers, ASCII-only URLs
  refused at validation (6);
- 12: an empty ``user`` still checks the process owner;
- 3: every secret read from a file (openrc, clouds.yaml/secure.yaml, the
  cached token) is masked in the log as soon as it is read;
- 8: non-UTF-8 parameter values never end an action with a traceback.

Network: 127.0.0.1 only, ports 37000-37999. Every process started here is
stopped by pid.
"""

import io
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

import openstack_bed
from ocfpy import codes
from ocfpy.deadline import Deadline
from ocfpy.environment import Invocation
from ocfpy.process import alive
from ocfpy.testing.beds import ending_all
from ocfpy.testing.driver import Driver
from ocfpy_agents.openstack.cinder_api import CinderAPI
from ocfpy_agents.openstack.glance_api import GlanceAPI
from ocfpy_agents.openstack.keystone import Keystone
from openstack_bed import FAKE, PASSWORD, Bed, bed_factory  # noqa: F401 (a fixture)

NOBODY = 65534
ROOT_SECRET = "ROOT-ONLY-LINE do-not-copy-me\n"


# -- fixtures -------------------------------------------------------------------------------------
def port_in_range() -> int:
    """A free port in 37000-37999 on 127.0.0.1 (the tests' allowance)."""
    for _ in range(500):
        port = random.randrange(37000, 38000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 37000-37999")


@pytest.fixture(autouse=True)
def _ports_in_range(monkeypatch):
    monkeypatch.setattr(openstack_bed, "free_port", port_in_range)


@pytest.fixture
def world(tmp_path):
    """A directory every user can traverse (pytest's tmp_path is root's 0700):
    the fake service runs as nobody and must read its config there."""
    base = Path(tempfile.mkdtemp(prefix="ocfpy-ossec-", dir="/tmp"))
    os.chmod(base, 0o755)
    beds = []
    yield base, beds
    for bed in beds:
        bed.cleanup()
    shutil.rmtree(base, ignore_errors=True)


def as_nobody(*argv):
    """Run a command as nobody (the service user planting things in its own directory)."""
    subprocess.run(list(argv), check=True, user=NOBODY, group=NOBODY, extra_groups=[],
                   cwd="/", timeout=30)


def user_bed(world, agent=GlanceAPI, service_args=(), params=None, log_name="service.log"):
    """A Bed whose service runs as nobody, logging into ``logs/`` and keeping
    its pid in ``pids/``, both nobody's (like /var/log/glance, /run/glance)."""
    base, beds = world
    sub = base / f"bed{len(beds)}"
    sub.mkdir()
    os.chmod(sub, 0o755)
    logs, pids = sub / "logs", sub / "pids"
    for d in (logs, pids):
        d.mkdir()
        os.chown(d, NOBODY, NOBODY)
    log = logs / log_name
    bed = Bed(sub, agent, service_args=[a.replace("{log}", str(log)) for a in service_args],
              params={"user": "nobody", "log_file": str(log), "pid": str(pids / "service.pid"),
                      **(params or {})})
    bed.log, bed.pid_file, bed.logs, bed.pids = log, pids / "service.pid", logs, pids
    beds.append(bed)
    return bed


def root_file(world, name="root-secret"):
    """A root 0600 file (what a planted link would point root's write or read at)."""
    path = world[0] / name
    path.write_text(ROOT_SECRET)
    os.chmod(path, 0o600)
    return path


def one_reason(result):
    lines = [l for l in result.stderr.splitlines() if l.startswith("ocf-exit-reason:")]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and "unexpected" not in lines[0], result.stderr
    return lines[0]


def service_bed(bed_factory, agent=GlanceAPI, params=None, **kw):
    return bed_factory(agent, params=params, **kw)


def wait_gone(pid, timeout=10.0):
    """True once ``pid`` has exited (a zombie counts), within ``timeout`` seconds."""
    return Deadline.after(timeout).wait_for(lambda: not alive(pid), interval=0.05, max_interval=0.05)


class Spawned:
    """A process this test starts itself (killed by pid afterwards)."""

    def __init__(self, argv, **kw):
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True, **kw)
        self.pid = self.proc.pid

    def end(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.fixture
def spawned():
    with ending_all(Spawned, Spawned.end) as spawn:
        yield spawn


# == finding 5: files root opens in the service user's directories ===============================
def test_start_refuses_a_log_file_planted_as_a_symlink_to_a_root_file(world):
    bed = user_bed(world)
    secret = root_file(world)
    as_nobody("ln", "-s", str(secret), str(bed.log))
    result = bed.run("start", timeout=30)
    assert result.rc in (codes.ERR_PERM, codes.ERR_GENERIC)
    assert str(bed.log) in one_reason(result)
    assert secret.read_text() == ROOT_SECRET
    st = secret.stat()
    assert (st.st_uid, st.st_mode & 0o777) == (0, 0o600)
    assert bed.leftovers() == []


def test_start_refuses_a_log_directory_reached_through_a_planted_symlink(world):
    # log_file=/var/log/glance/a/b/api.log with "a" turned into a link to a
    # root-only directory: root would create "b" there, and the service's log in it
    target = world[0] / "root-only"
    target.mkdir(mode=0o700)
    bed = user_bed(world)
    log = bed.logs / "a" / "b" / "service.log"
    bed.driver.params["log_file"] = str(log)
    as_nobody("ln", "-s", str(target), str(bed.logs / "a"))
    result = bed.run("start", timeout=30)
    assert result.rc == codes.ERR_PERM
    assert str(log) in one_reason(result)
    assert list(target.iterdir()) == []
    assert bed.leftovers() == []


def test_failed_start_never_copies_a_root_file_through_a_log_swapped_for_a_symlink(world):
    # the service (as nobody) replaces its log with a link to a root 0600 file
    # and exits: the tail start shows in the debug log must not be that file's
    secret = root_file(world)
    bed = user_bed(world, service_args=["--plant-symlink", "{log}", str(secret),
                                        "--exit-at-start", "3"])
    result = bed.run("start", timeout=30)
    assert result.rc == codes.ERR_GENERIC
    assert "exited during start with status 3" in one_reason(result)
    assert "ROOT-ONLY-LINE" not in bed.debug_log.read_text()
    assert "ROOT-ONLY-LINE" not in bed.agent_log.read_text()
    assert secret.read_text() == ROOT_SECRET


def test_failed_start_is_not_held_up_by_a_log_swapped_for_a_fifo(world):
    bed = user_bed(world, service_args=["--plant-fifo", "{log}", "--exit-at-start", "3"])
    result = bed.run("start", timeout=20)
    assert not result.timed_out, "start blocked opening the FIFO"
    assert result.rc == codes.ERR_GENERIC
    assert "exited during start with status 3" in one_reason(result)


def test_monitor_and_stop_are_not_held_up_by_a_pid_file_swapped_for_a_fifo(world):
    bed = user_bed(world)
    assert bed.run("start", timeout=30).rc == codes.SUCCESS
    as_nobody("rm", "-f", str(bed.pid_file))
    as_nobody("mkfifo", str(bed.pid_file))
    monitor = bed.monitor(timeout=10)
    assert not monitor.timed_out, "monitor blocked opening the FIFO"
    stop = bed.run("stop", timeout=20)
    assert not stop.timed_out, "stop blocked opening the FIFO"
    # (that stop also ends the service is finding 10's: the start record)


def test_the_service_as_nobody_still_starts_logs_and_stops(world):
    # the safe paths do not get in the way of the normal case
    bed = user_bed(world)
    assert bed.run("start", timeout=30).rc == codes.SUCCESS
    pid = bed.service_pid()
    assert bed.log.stat().st_uid == NOBODY and bed.log.stat().st_nlink == 1
    assert bed.monitor().rc == codes.SUCCESS
    assert bed.run("stop").rc == codes.SUCCESS
    assert wait_gone(pid)
    assert "got signal" in bed.log.read_text()


# == finding 10: stop knows what start started ===================================================
CHANGES = {
    "start_command": lambda bed: {"start_command": bed.params["start_command"] + " --no-healthcheck"},
    "additional_parameters": lambda bed: {"additional_parameters": "--debug"},
    "user": lambda bed: {"user": "nobody"},
    "start_command-unparsable": lambda bed: {"start_command": bed.params["start_command"] + " 'x"},
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_stop_after_a_parameter_changed_since_start_still_stops_the_service(bed_factory, change):
    bed = service_bed(bed_factory)
    assert bed.run("start").rc == codes.SUCCESS
    pid = bed.service_pid()
    stop = bed.run("stop", params=CHANGES[change](bed))
    assert stop.rc == codes.SUCCESS
    assert wait_gone(pid), f"stop answered 0 but pid {pid} still runs"
    assert not bed.pid_file.exists()


def test_stop_under_another_instance_name_still_stops_the_service(bed_factory):
    # the default pid file is named after the instance: only the start record
    # (same agent, same service URL) still knows the process
    bed = service_bed(bed_factory)
    del bed.driver.params["pid"]
    assert bed.run("start").rc == codes.SUCCESS
    assert not bed.pid_file.exists()
    (pid,) = bed.leftovers()
    renamed = Driver(GlanceAPI, resource="p_renamed", params=bed.driver.params, workdir=bed.run_dir)
    stop = renamed.run("stop")
    assert stop.rc == codes.SUCCESS
    assert wait_gone(pid), f"stop answered 0 but pid {pid} still runs"


def test_a_pid_file_swapped_for_a_fifo_does_not_hide_the_recorded_service(world):
    # the pid file is unreadable now, the start record is root's: monitor and
    # stop still know the process
    bed = user_bed(world)
    assert bed.run("start", timeout=30).rc == codes.SUCCESS
    pid = bed.service_pid()
    as_nobody("rm", "-f", str(bed.pid_file))
    as_nobody("mkfifo", str(bed.pid_file))
    assert bed.monitor(timeout=10).rc == codes.SUCCESS
    assert bed.run("stop", timeout=20).rc == codes.SUCCESS
    assert wait_gone(pid), f"stop answered 0 but pid {pid} still runs"


def test_stop_of_a_second_resource_whose_start_failed_leaves_the_first_ones_service_alone(
        bed_factory):
    # the same service defined twice (default pid files): the second one's
    # process dies on the port in use (its start may even pass: the first one
    # answers the health check); its stop must not take the first one's process
    bed = service_bed(bed_factory)
    del bed.driver.params["pid"]
    assert bed.run("start").rc == codes.SUCCESS
    (pid,) = bed.leftovers()
    second = Driver(GlanceAPI, resource="p_second", params=bed.driver.params, workdir=bed.run_dir)
    second.run("start", timeout=20)
    end = time.monotonic() + 10
    while bed.leftovers() != [pid] and time.monotonic() < end:
        time.sleep(0.05)
    assert second.run("stop").rc == codes.SUCCESS
    assert alive(pid) and bed.leftovers() == [pid]
    assert bed.run("stop").rc == codes.SUCCESS
    assert wait_gone(pid)


def test_monitor_still_knows_the_recorded_process_after_start_command_changed(bed_factory):
    bed = service_bed(bed_factory)
    assert bed.run("start").rc == codes.SUCCESS
    changed = CHANGES["start_command"](bed)
    assert bed.monitor(params=changed).rc == codes.SUCCESS
    assert bed.run("stop", params=changed).rc == codes.SUCCESS
    assert bed.monitor(params=changed).rc == codes.NOT_RUNNING


def test_stop_does_not_report_an_unrecorded_copy_of_the_service_stopped(bed_factory, spawned):
    # the pid file names the service's program run as the service's user, but
    # neither a start record nor today's command line proves it is this
    # resource's: not signalled, and stop fails rather than claim "stopped"
    bed = service_bed(bed_factory)
    other = spawned([sys.executable, str(FAKE), "--port", str(port_in_range()),
                     "--config", str(bed.config)])
    bed.pid_file.write_text(f"{other.pid}\n")
    stop = bed.run("stop")
    assert stop.rc == codes.ERR_GENERIC
    assert f"pid {other.pid}" in one_reason(stop)
    assert alive(other.pid), "stop signalled a process it could not prove was its own"
    assert bed.pid_file.read_text() == f"{other.pid}\n"


def test_a_pid_file_the_service_user_can_rewrite_never_makes_stop_fail(world, spawned):
    # nobody owns the pid directory: it could write the pid of any of its own
    # processes there; that must not turn a stop into a failure (fencing)
    bed = user_bed(world)
    other = spawned([sys.executable, "-c", "import time; time.sleep(300)", "fake_openstack.py"],
                    user=NOBODY, group=NOBODY, extra_groups=[])
    as_nobody("sh", "-c", f"echo {other.pid} > {bed.pid_file}")
    stop = bed.run("stop")
    assert stop.rc == codes.SUCCESS
    assert f"pid {other.pid}" in one_reason(stop)
    assert alive(other.pid)
    assert bed.pid_file.read_text() == f"{other.pid}\n"


def test_stop_leaves_an_unrelated_process_alone_keeps_the_pid_file_and_says_so(bed_factory, spawned):
    bed = service_bed(bed_factory)
    other = spawned(["sleep", "300"])
    bed.pid_file.write_text(f"{other.pid}\n")
    stop = bed.run("stop")
    assert stop.rc == codes.SUCCESS
    assert f"pid {other.pid}" in one_reason(stop)
    assert alive(other.pid)
    assert bed.pid_file.read_text() == f"{other.pid}\n"


def test_stop_with_a_stale_record_and_a_reused_pid_removes_both_and_signals_nothing(bed_factory,
                                                                                   spawned):
    bed = service_bed(bed_factory)
    assert bed.run("start").rc == codes.SUCCESS
    pid = bed.service_pid()
    os.kill(pid, signal.SIGKILL)
    assert wait_gone(pid)
    other = spawned(["sleep", "300"])
    bed.pid_file.write_text(f"{other.pid}\n")       # as if the pid had been reused
    record = [p for p in (bed.run_dir / "run").iterdir() if p.name.endswith(".process")]
    assert len(record) == 1
    stop = bed.run("stop")
    assert stop.rc == codes.SUCCESS and alive(other.pid)
    assert not record[0].exists()


# == finding 12: an empty user still checks the owner ============================================
def test_empty_user_never_takes_another_users_process_with_the_same_command_line(bed_factory,
                                                                                 spawned):
    bed = service_bed(bed_factory, params={"user": ""})
    argv = bed.params["start_command"].split()
    # nobody's process carrying every argument of the service's command line
    other = spawned([sys.executable, "-c", "import time; time.sleep(300)", *argv[1:]],
                    user=NOBODY, group=NOBODY, extra_groups=[])
    bed.pid_file.write_text(f"{other.pid}\n")
    assert bed.run("monitor").rc == codes.NOT_RUNNING
    assert bed.monitor().rc == codes.NOT_RUNNING
    assert bed.run("stop").rc == codes.SUCCESS
    assert alive(other.pid), "stop signalled another user's process"


# == finding 11: the HTTP client ================================================================
def _serve_once(response: bytes, hold=2.0):
    """A socket on 127.0.0.1 (37000-37999) answering one connection with
    ``response`` and keeping it open ``hold`` seconds."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", port_in_range()))
    srv.listen(1)

    def answer():
        try:
            conn, _ = srv.accept()
            with conn:
                conn.recv(65536)
                try:
                    conn.sendall(response)
                except OSError:
                    pass
                time.sleep(hold)
        finally:
            srv.close()
    threading.Thread(target=answer, daemon=True).start()
    return f"http://127.0.0.1:{srv.getsockname()[1]}/x"


def test_http_name_resolution_ends_with_the_timeout(monkeypatch):
    from ocfpy_agents.openstack import http

    real = http._socket.getaddrinfo

    def slow_resolver(host, port, *args):
        flags = args[3] if len(args) > 3 else 0
        if not flags & http._socket.AI_NUMERICHOST:
            time.sleep(5)                       # a resolver waiting on a dead name server
        return real(host, port, *args)

    monkeypatch.setattr(http._socket, "getaddrinfo", slow_resolver)
    started = time.monotonic()
    with pytest.raises(http.Timeout, match="resolv"):
        http.request("GET", "http://keystone.invalid:37001/v3", timeout=1.0)
    assert time.monotonic() - started < 1.5


def test_http_ip_literal_needs_no_name_service(monkeypatch):
    from ocfpy_agents.openstack import http

    real = http._socket.getaddrinfo
    looked_up = []

    def resolver(host, port, *args):
        flags = args[3] if len(args) > 3 else 0
        if not flags & http._socket.AI_NUMERICHOST:
            looked_up.append(host)
        return real(host, port, *args)

    monkeypatch.setattr(http._socket, "getaddrinfo", resolver)
    url = _serve_once(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", hold=0)
    assert http.request("GET", url, timeout=5).body == b"ok"
    assert looked_up == []


@pytest.mark.parametrize("response, what", [
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"f" * 200000, "chunk size"),
    (b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 200000, "header"),
    (b"HTTP/1.1 200 " + b"O" * 200000, "status"),
    (b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: %s\r\n" % (i, b"v" * 1000) for i in range(80))
     + b"\r\n", "header longer"),
    (b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(500)) + b"\r\n",
     "header fields"),
], ids=["chunk-size-line", "header-line", "status-line", "header-total", "header-count"])
def test_http_caps_line_and_header_sizes(response, what):
    from ocfpy_agents.openstack import http

    with pytest.raises(http.ProtocolError, match=what):
        http.request("GET", _serve_once(response), timeout=1.5)


@pytest.mark.parametrize("response", [
    b"HTTP/1.1 2\xb2\xb2 OK\r\nContent-Length: 0\r\n\r\n",           # superscript digits
    b"HTTP/1.1 \xb9\xb2\xb3 OK\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: \xb2\r\n\r\nab",
    b"HTTP/1.1 200 OK\r\nContent-Length: 1_0\r\n\r\nab",
    b"HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nab",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1_0\r\n" + b"a" * 16 + b"\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x2\r\nab\r\n0\r\n\r\n",
    b"HTTP/1.1 20 OK\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
], ids=["status-superscripts", "status-superscripts-2", "length-superscript", "length-underscore",
        "length-plus", "chunk-underscore", "chunk-0x", "status-two-digits", "header-no-colon"])
def test_http_malformed_numbers_and_lines_are_a_protocol_error_not_a_crash(response):
    from ocfpy_agents.openstack import http

    with pytest.raises(http.ProtocolError):
        http.request("GET", _serve_once(response), timeout=2)


def test_http_still_reads_a_chunked_body_with_extensions_and_a_content_length_list():
    from ocfpy_agents.openstack import http

    url = _serve_once(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"4\r\nabcd\r\n3;ext=1\r\nefg\r\n0\r\n\r\n", hold=0)
    assert http.request("GET", url, timeout=5).body == b"abcdefg"
    url = _serve_once(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n"
                      b"\r\nok", hold=0)
    assert http.request("GET", url, timeout=5).body == b"ok"


NON_ASCII_URLS = [
    ("url", "http://127.0.0.1:37001/\u00e9"),
    ("url", "http://k\u00e9ystone:5000/"),
    ("url", "http://127.0.0.1:\u00b2/"),
    ("url", "http://127.0.0.1:37001/\udcff"),                 # a non-UTF-8 byte
    ("healthcheck_url", "http://127.0.0.1:37001/\u20ac"),
    ("os_auth_url", "http://127.0.0.1:5000/v3\udcfe"),
]


@pytest.mark.parametrize("name, value", NON_ASCII_URLS,
                         ids=[f"{n}-{ascii(v)[-8:-1]}" for n, v in NON_ASCII_URLS])
@pytest.mark.parametrize("action", ["validate-all", "start"])
def test_a_url_that_is_not_ascii_is_refused_at_validation_with_6(bed_factory, name, value, action):
    bed = service_bed(bed_factory, params={"os_username": "admin", "os_password": PASSWORD,
                                           "os_auth_url": "http://127.0.0.1:37002/v3"})
    result = bed.run(action, params={name: value})
    assert result.rc == codes.ERR_CONFIGURED
    assert f"parameter {name}" in one_reason(result)
    assert bed.leftovers() == []


def test_an_auth_url_from_a_credentials_file_that_is_not_ascii_is_2_not_a_traceback(bed_factory,
                                                                                   tmp_path):
    rc = tmp_path / "openrc"
    rc.write_text("export OS_AUTH_URL=http://k\u00e9ystone:5000/v3\nexport OS_USERNAME=admin\n"
                  f"export OS_PASSWORD={PASSWORD}\n")
    bed = service_bed(bed_factory, params={"os_credentials_file": str(rc)})
    assert bed.run("start").rc == codes.SUCCESS
    result = bed.monitor(deep=True)
    assert result.rc == codes.ERR_ARGS
    assert "must be ASCII" in one_reason(result)


# == finding 3: secrets read from files are masked at once ======================================
def _agent(bed, params, action="monitor", validate=True):
    """The agent object of one deep monitor call, in this process (to reach its log)."""
    env = bed.driver.environ(action, interval=60, check_level=10, params=params)
    agent = bed.agent_cls(Invocation(action, env), stderr=io.StringIO())
    if validate:
        agent.validate()        # a deep monitor reads the credentials files here
    return agent


def _logged(agent, bed, text):
    agent.log.warning("probe: %s", text)
    return bed.agent_log.read_text()


def test_a_password_in_the_credentials_file_is_masked_even_when_the_cib_overrides_it(bed_factory,
                                                                                     tmp_path):
    rc = tmp_path / "openrc"
    rc.write_text("export OS_USERNAME=admin\nexport OS_PASSWORD='File-Pa55-word'\n")
    bed = service_bed(bed_factory)
    agent = _agent(bed, {"os_credentials_file": str(rc), "os_password": "Cib-Pa55-word"})
    agent.credentials()
    log = _logged(agent, bed, "File-Pa55-word and Cib-Pa55-word")
    assert "File-Pa55-word" not in log and "Cib-Pa55-word" not in log


def test_a_password_read_before_a_bad_line_of_the_credentials_file_is_masked(bed_factory, tmp_path):
    from ocfpy.errors import OCFError

    rc = tmp_path / "openrc"
    rc.write_text("export OS_PASSWORD=Early-Pa55-word\nexport OS_USERNAME=$(id -un)\n")
    bed = service_bed(bed_factory)
    agent = _agent(bed, {"os_credentials_file": str(rc), "os_username": "", "os_password": ""},
                   validate=False)
    with pytest.raises(OCFError, match="shell expansion"):
        agent.validate()
    assert "Early-Pa55-word" not in _logged(agent, bed, "Early-Pa55-word")


def test_secure_yaml_and_clouds_yaml_secrets_are_masked_as_soon_as_read(bed_factory, tmp_path):
    (tmp_path / "clouds.yaml").write_text(
        "clouds:\n  monitor:\n    auth:\n      auth_url: http://127.0.0.1:37003/v3\n"
        "      username: admin\n      password: Clouds-Pa55\n"
        "  other:\n    auth:\n      password: Other-Cloud-Pa55\n")
    (tmp_path / "secure.yaml").write_text(
        "clouds:\n  monitor:\n    auth:\n      password: Secure-Pa55\n      project_name: Secure-Proj\n")
    bed = service_bed(bed_factory)
    agent = _agent(bed, {"os_cloud": "monitor", "os_username": "", "os_password": "",
                         "os_client_config_file": str(tmp_path / "clouds.yaml")})
    assert agent.credentials().password == "Secure-Pa55"
    log = _logged(agent, bed, "Clouds-Pa55 Other-Cloud-Pa55 Secure-Pa55 Secure-Proj")
    for secret in ("Clouds-Pa55", "Other-Cloud-Pa55", "Secure-Pa55", "Secure-Proj"):
        assert secret not in log


def test_a_cached_token_is_masked_when_read_even_if_it_is_not_used(tmp_path):
    from ocfpy_agents.openstack.auth import Credentials, Token, TokenClient

    base = dict(auth_url="http://127.0.0.1:37004/v3", username="admin", project_name="admin")
    first = TokenClient(Credentials(password="old-Pa55", **base), cache_dir=str(tmp_path))
    first._save(Token("gAAAA-cached-token-value", "p1", time.time() + 3600))
    hidden = []
    # the password changed: the cached token is not used, but it was read
    second = TokenClient(Credentials(password="new-Pa55", **base), cache_dir=str(tmp_path),
                         on_secret=hidden.append)
    assert second._load() is None
    assert "gAAAA-cached-token-value" in hidden


# == finding 8: non-UTF-8 values never end in a traceback =======================================
BAD = "\udcff\udcfe"           # the bytes ff fe, as Python keeps them


@pytest.mark.parametrize("name, value", [
    ("url", f"http://127.0.0.1:37005/{BAD}"),
    ("healthcheck_url", f"http://h{BAD}:37005/"),
    ("os_auth_url", f"http://127.0.0.1:37005/{BAD}"),
    ("user", f"glance{BAD}"),
    ("log_file", f"/tmp/ocfpy-ossec-{BAD}/x.log"),
    ("pid", f"/tmp/ocfpy-ossec-{BAD}.pid"),
    ("additional_parameters", f"--x={BAD}"),
    ("os_password", BAD),
    ("os_project_name", BAD),
    ("os_credentials_file", f"/tmp/{BAD}"),
    ("os_cloud", BAD),
    ("stop_signal", BAD),
    ("healthcheck_timeout", f"1{BAD}"),
], ids=lambda v: v if v.isascii() else None)
def test_non_utf8_parameter_values_never_give_a_traceback(bed_factory, name, value):
    bed = service_bed(bed_factory, params={"os_username": "admin", "os_password": PASSWORD,
                                           "os_auth_url": "http://127.0.0.1:37006/v3"})
    try:
        for action, kw in (("validate-all", {"check_level": 10}), ("start", {}),
                           ("monitor", {"interval": 30}),
                           ("monitor", {"interval": 60, "check_level": 10}), ("stop", {})):
            result = bed.run(action, params={name: value}, timeout=20, **kw)
            assert not result.timed_out, (action, result.stderr)
            assert "Traceback" not in result.stderr, (action, result.stderr)
            assert "unexpected" not in (result.exit_reason or ""), (action, result.exit_reason)
            debug = bed.debug_log.read_text() if bed.debug_log.exists() else ""
            assert "Traceback" not in debug, (action, debug[-2000:])
    finally:
        bed.run("stop")
        for path in Path("/tmp").glob("ocfpy-ossec-\udcff*"):
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink()
