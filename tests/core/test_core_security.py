"""Security of the framework's plumbing (issue 11): files root writes in a
directory another user owns, children's environments, trace files, logging
of hostile values, instance names, and the installer's view of its own tree.

Each test reproduces one finding against the real code path."""

import io
import os
import pwd
import stat
import subprocess
import sys
import time

import pytest

from core_helpers import clean_environ, run_agent
from core_sample_agents import Basic, Secretive, Tracing
from ocfpy import files, process
from ocfpy.crm import ToolsCrm
from ocfpy.deadline import Deadline
from ocfpy.log import Log

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as root in a user's directory")


def nobody():
    return pwd.getpwnam("nobody")


@pytest.fixture
def users_dir(tmp_path):
    """A directory that an unprivileged user owns, as /var/lib/mysql or /var/log/keystone."""
    d = tmp_path / "owned"
    d.mkdir()
    if os.geteuid() == 0:
        os.chown(d, nobody().pw_uid, nobody().pw_gid)
    return d


@pytest.fixture
def roots_secret(tmp_path):
    """A root-owned 0600 file the user must never reach."""
    victim = tmp_path / "shadow"
    victim.write_text("root's secret\n")
    victim.chmod(0o600)
    return victim


# -- files root creates in a user's directory (findings 1 and 5) --------------------------------

@needs_root
def test_replace_file_through_a_planted_symlink_leaves_the_target_alone(users_dir, roots_secret):
    link = users_dir / "grastate.dat"
    link.symlink_to(roots_secret)
    files.replace_file(str(link), "safe_to_bootstrap: 1\n", uid=nobody().pw_uid, gid=nobody().pw_gid,
                       mode=0o660)
    st = os.stat(roots_secret)
    assert roots_secret.read_text() == "root's secret\n"
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (0, 0o600)
    assert not link.is_symlink() and link.read_text() == "safe_to_bootstrap: 1\n"
    assert os.stat(link).st_uid == nobody().pw_uid


@needs_root
def test_replace_file_refuses_a_directory_link_a_user_planted_anywhere_on_the_path(users_dir, tmp_path):
    real = tmp_path / "real"          # e.g. /etc
    real.mkdir()
    for planted in (users_dir / "linked", users_dir / "deeper"):
        planted.symlink_to(real)
        os.lchown(planted, nobody().pw_uid, nobody().pw_gid)
    with pytest.raises(files.UnsafeFileError):
        files.replace_file(str(users_dir / "linked" / "x"), "data")           # last component
    with pytest.raises(files.UnsafeFileError):
        files.replace_file(str(users_dir / "deeper" / "sub" / "x"), "data")   # an inner one
    assert list(real.iterdir()) == []


def test_roots_own_link_in_roots_own_directory_is_followed(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "varrun").symlink_to(tmp_path / "run")     # like /var/run -> /run
    files.replace_file(str(tmp_path / "varrun" / "p.pid"), "1\n")
    assert (tmp_path / "run" / "p.pid").read_text() == "1\n"


def test_a_pid_file_swapped_for_a_fifo_reads_as_no_pid_at_once(tmp_path):
    os.mkfifo(tmp_path / "p.pid")
    assert process.read_pidfile(str(tmp_path / "p.pid")) is None


def test_replace_file_sets_mode_through_the_descriptor_whatever_the_umask(tmp_path):
    old = os.umask(0o000)
    try:
        files.replace_file(str(tmp_path / "f"), b"x", mode=0o640)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "f").st_mode) == 0o640


@needs_root
@pytest.mark.parametrize("kind", ["symlink", "hard link", "fifo", "another user's file"])
def test_read_owned_refuses_what_the_service_user_planted_without_hanging(users_dir, roots_secret, kind):
    target = users_dir / "grastate.dat"
    if kind == "symlink":
        target.symlink_to(roots_secret)
    elif kind == "hard link":
        os.link(roots_secret, target)          # users_dir is on tmp_path's file system
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        target.write_text("x\n")
        os.chown(target, 12345, 12345)
    with pytest.raises(files.UnsafeFileError) as info:
        files.read_owned(str(target), (nobody().pw_uid, 0))
    assert info.value.filename == str(target)
    assert info.value.strerror.split()[0] in ("is", "has", "belongs"), info.value.strerror


def test_read_owned_reads_the_head_or_the_tail_and_gives_the_stat(tmp_path):
    path = tmp_path / "log"
    path.write_bytes(b"0123456789")
    assert files.read_owned(str(path), (os.geteuid(),), 4)[0] == b"0123"
    data, st = files.read_owned(str(path), (os.geteuid(),), 4, tail=True)
    assert (data, st.st_size, st.st_uid) == (b"6789", 10, os.geteuid())
    with pytest.raises(FileNotFoundError):
        files.read_owned(str(tmp_path / "absent"), (0,))


@needs_root
def test_open_append_refuses_a_symlink_to_a_root_file(users_dir, roots_secret):
    (users_dir / "uwsgi.log").symlink_to(roots_secret)
    with pytest.raises(files.UnsafeFileError):
        files.open_append(str(users_dir / "uwsgi.log"), uid=nobody().pw_uid, gid=nobody().pw_gid)
    assert roots_secret.read_text() == "root's secret\n"


@needs_root
def test_open_append_refuses_a_hard_link_to_a_root_file(tmp_path, roots_secret):
    log_dir = tmp_path / "log"      # same file system as the victim, as /var/log and /etc usually are
    log_dir.mkdir()
    os.chown(log_dir, nobody().pw_uid, nobody().pw_gid)
    os.link(roots_secret, log_dir / "uwsgi.log")
    with pytest.raises(files.UnsafeFileError):
        files.open_append(str(log_dir / "uwsgi.log"), uid=nobody().pw_uid, gid=nobody().pw_gid)


def test_open_append_refuses_a_fifo_without_hanging(tmp_path):
    os.mkfifo(tmp_path / "log")
    with pytest.raises(files.UnsafeFileError):
        files.open_append(str(tmp_path / "log"))


@needs_root
def test_open_append_creates_the_log_owned_by_the_service_user(users_dir):
    fd = files.open_append(str(users_dir / "new.log"), uid=nobody().pw_uid, gid=nobody().pw_gid)
    os.write(fd, b"hello\n")
    os.close(fd)
    st = os.stat(users_dir / "new.log")
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (nobody().pw_uid, 0o640)
    fd = files.open_append(str(users_dir / "new.log"), uid=nobody().pw_uid)   # and reopens it
    os.close(fd)


@needs_root
def test_start_daemon_does_not_follow_a_log_symlink_the_service_user_planted(users_dir, roots_secret,
                                                                               tmp_path):
    (users_dir / "service.log").symlink_to(roots_secret)
    with pytest.raises(files.UnsafeFileError):
        process.start_daemon(["/bin/true"], pidfile=str(tmp_path / "p.pid"), user="nobody",
                             log_path=str(users_dir / "service.log"))
    assert roots_secret.read_text() == "root's secret\n"


@needs_root
def test_pid_file_written_over_a_planted_symlink_replaces_the_link(users_dir, roots_secret):
    pidfile = users_dir / "service.pid"
    pidfile.symlink_to(roots_secret)
    process.write_pidfile(str(pidfile), 4242)
    assert roots_secret.read_text() == "root's secret\n"
    assert process.read_pidfile(str(pidfile)) == 4242


# -- children's environments (finding 2) --------------------------------------------------------

def test_child_environ_keeps_no_parameter():
    env = process.child_environ({"PATH": "/bin", "OCF_RESKEY_check_passwd": "s3cret", "LANG": "C",
                                 "OCF_RESKEY_CRM_meta_timeout": "20000", "HA_LOGFILE": "/x"})
    assert env == {"PATH": "/bin", "LANG": "C"}


def test_a_started_daemon_gets_no_parameter_in_its_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("OCF_RESKEY_password", "hunter2")
    out = tmp_path / "env.out"
    pid = process.start_daemon(["/usr/bin/env"], pidfile=str(tmp_path / "e.pid"), log_path=str(out))
    Deadline.after(5).wait_for(lambda: not process.alive(pid) and out.stat().st_size > 0)
    text = out.read_text()
    assert "PATH=" in text and "hunter2" not in text and "OCF_RESKEY" not in text


def test_crm_tools_get_no_parameter_in_their_environment(tmp_path):
    tool = tmp_path / "crm_node"
    tool.write_text("#!/bin/sh\nenv > \"$OCFPY_FAKE_ENV_OUT\"\necho node1\n")
    tool.chmod(0o755)
    out = tmp_path / "env.out"
    environ = clean_environ(PATH=f"{tmp_path}:/usr/bin:/bin", OCFPY_FAKE_ENV_OUT=str(out),
                            OCF_RESKEY_check_passwd="hunter2", OCF_RESOURCE_INSTANCE="galera:1")
    assert ToolsCrm(resource="galera", environ=environ).node_name() == "node1"
    text = out.read_text()
    assert "hunter2" not in text and "OCF_RESOURCE_INSTANCE=galera:1" in text


# -- trace files (finding 3) ----------------------------------------------------------------------

def test_trace_file_is_private_and_shows_no_returned_value(tmp_path):
    trace_dir = tmp_path / "trace"
    res = run_agent(Tracing, "start", params={"password": 'pa\\ss"wo\'rd', "trace_ra": "1",
                                               "trace_dir": trace_dir})
    assert res.rc == 0
    [trace] = list((trace_dir / "tracing").iterdir())
    assert stat.S_IMODE(trace.stat().st_mode) == 0o600
    assert stat.S_IMODE((trace_dir / "tracing").stat().st_mode) == 0o700
    text = trace.read_text()
    assert "-> <" in text or "-> 0" in text           # returns are recorded, as types or codes
    assert "wo'rd" not in text and "wo\\'rd" not in text and "pa\\\\ss" not in text


@pytest.mark.parametrize("secret", ['back\\slash', 'both"quo\'tes', "tab\tand\nnewline"])
def test_a_secret_is_masked_in_its_escaped_forms_too(secret):
    log = Log("t")
    log.hide(secret)
    for shown in (secret, repr(secret), repr(secret)[1:-1]):
        assert "****" in log.redact(f"value {shown} end")
        assert secret not in log.redact(f"value {shown} end")


# -- logging never raises (finding 8) -----------------------------------------------------------

def test_logging_a_value_that_was_not_utf8_writes_it_escaped(tmp_path):
    logfile = tmp_path / "ha.log"
    log = Log("t", logfile=str(logfile), debug=True, facility="daemon", to_stderr=True,
              stream=io.StringIO())
    bad = b"caf\xe9".decode("utf-8", "surrogateescape")
    log.info("value %s", bad)
    log.debug_text(f"trace {bad}")
    assert "caf\\udce9" in logfile.read_text()


def test_a_log_stream_that_fails_does_not_fail_the_action():
    class Broken(io.StringIO):
        def write(self, text):
            raise RuntimeError("closed")
    log = Log("t", to_stderr=True, stream=Broken())
    log.error("still fine %d", 1)
    log.info("bad format %d", "x")


@pytest.mark.parametrize("action", ["stop", "monitor", "start"])
def test_a_non_utf8_private_value_gives_a_code_and_one_exit_reason(tmp_path, action):
    bad = b"\xff\xfe".decode("utf-8", "surrogateescape")
    env = clean_environ(OCF_RESOURCE_INSTANCE="r1", OCF_RESKEY_password=bad, HA_LOGFILE=str(tmp_path / "l"),
                        HA_debug="1")
    out, err = io.StringIO(), io.StringIO()
    rc = Secretive.run(["agent", action], env, stdout=out, stderr=err)
    assert rc in (0, 1, 7)
    lines = err.getvalue().splitlines()
    assert "Traceback" not in err.getvalue()
    assert len([l for l in lines if l.startswith("ocf-exit-reason:")]) <= 1
    if rc != 0:
        assert len([l for l in lines if l.startswith("ocf-exit-reason:")]) == 1


# -- instance names (finding 13) ----------------------------------------------------------------

@pytest.mark.parametrize("instance", ["../../../x", "a/b", ".hidden", "-opt", "bad\nname",
                                      b"\xff".decode("utf-8", "surrogateescape")])
def test_an_invalid_instance_name_is_refused_with_2_before_any_file_is_touched(tmp_path, instance):
    res = run_agent(Basic, "start", env={"OCF_RESOURCE_INSTANCE": instance, "HA_VARRUN": tmp_path})
    assert res.rc == 2 and len(res.reasons) == 1
    assert list(tmp_path.iterdir()) == []


def test_a_250_character_instance_name_still_stops(tmp_path):
    name = "r" * 250
    res = run_agent(Basic, "stop", env={"OCF_RESOURCE_INSTANCE": name, "HA_VARRUN": tmp_path})
    assert res.rc == 0
    agent = Basic.__new__(Basic)
    from ocfpy.environment import Invocation
    agent.invocation = Invocation("stop", {"OCF_RESOURCE_INSTANCE": name, "HA_VARRUN": str(tmp_path)})
    assert len(os.path.basename(agent.state_path())) < 255


def test_clone_instances_and_ordinary_ids_are_valid():
    from ocfpy.environment import instance_problem

    for ok in ("p_galera:2", "vip", "p_glance-api", "ctl.1", "rsc_ñ"):
        assert instance_problem(ok) is None


# -- the installer and the tree root runs (finding 14) -----------------------------------------

def test_install_lists_an_interpreter_others_can_write(tmp_path):
    from ocfpy import install

    python = tmp_path / "python3"
    python.write_text("#!/bin/sh\n")
    python.chmod(0o777)
    problems = install.unsafe_paths(str(python))
    assert any(str(python) in p and "writable" in p for p in problems)


@needs_root
def test_install_refuses_a_tree_others_can_write_with_exit_3(tmp_path):
    python = tmp_path / "python3"
    python.symlink_to(sys.executable)
    os.chmod(tmp_path, 0o777)           # anyone could swap the interpreter
    try:
        proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ocfpy"), "install", "--create-root", "--ocf-root",
                               str(tmp_path / "ocf"), "--python", str(python), "dummy"],
                              capture_output=True, text=True)
    finally:
        os.chmod(tmp_path, 0o755)
    assert proc.returncode == 3, proc.stderr
    assert "refusing" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "ocf").exists()
