"""Logging as Pacemaker expects it: files, syslog, stderr, HA_debug, secrets, tracing."""

import os
import pty
import re
import select
import subprocess

import pytest

from core_helpers import clean_environ, run_agent, run_sample, sample_command
from core_sample_agents import Basic, Secretive, Tracing
from ocfpy.log import MASK, Log


def test_ha_debug_0_means_debug_off(tmp_path):
    debuglog = tmp_path / "debug.log"
    run_agent(Basic, "start", env={"HA_debug": "0", "HA_DEBUGLOG": debuglog})
    assert not debuglog.exists() or "a debug line" not in debuglog.read_text()


def test_ha_debug_1_means_debug_on(tmp_path):
    debuglog = tmp_path / "debug.log"
    run_agent(Basic, "start", env={"HA_debug": "1", "HA_DEBUGLOG": debuglog})
    assert "DEBUG: a debug line from start" in debuglog.read_text()


def test_ha_debug_unset_means_debug_off(tmp_path):
    debuglog = tmp_path / "debug.log"
    run_agent(Basic, "start", env={"HA_DEBUGLOG": debuglog})
    assert not debuglog.exists() or "a debug line" not in debuglog.read_text()


@pytest.mark.parametrize("value, enabled", [("0", False), ("1", True), ("", False), (" 1 ", True)])
def test_ha_debug_is_read_as_the_string_0_or_1(value, enabled):
    assert Log.from_environ("a", "i", {"HA_debug": value}).debug_enabled is enabled


def test_ha_logfile_gets_info_but_not_debug_when_debug_is_off(tmp_path):
    logfile = tmp_path / "ha.log"
    run_agent(Basic, "start", env={"HA_LOGFILE": logfile, "HA_debug": "0"})
    text = logfile.read_text()
    assert "INFO: running start as ok" in text
    assert "a debug line" not in text


def test_debug_lines_go_to_the_logfile_when_there_is_no_debuglog(tmp_path):
    logfile = tmp_path / "ha.log"
    run_agent(Basic, "start", env={"HA_LOGFILE": logfile, "HA_debug": "1"})
    assert "DEBUG: a debug line from start" in logfile.read_text()


def test_debuglog_gets_every_level_when_debug_is_on(tmp_path):
    logfile, debuglog = tmp_path / "ha.log", tmp_path / "debug.log"
    run_agent(Basic, "start", env={"HA_LOGFILE": logfile, "HA_DEBUGLOG": debuglog, "HA_debug": "1"})
    assert "INFO: running start" in debuglog.read_text()
    assert "DEBUG:" in debuglog.read_text()
    assert "DEBUG:" not in logfile.read_text()


def test_log_lines_carry_the_tag_agent_instance_pid(tmp_path):
    logfile = tmp_path / "ha.log"
    run_agent(Basic, "start", env={"HA_LOGFILE": logfile, "OCF_RESOURCE_INSTANCE": "web:2"})
    assert f"basic(web:2)[{os.getpid()}]: INFO: running start" in logfile.read_text()


def test_an_unwritable_logfile_does_not_fail_the_action(tmp_path):
    res = run_agent(Basic, "start", env={"HA_LOGFILE": tmp_path / "no" / "such" / "dir" / "log"})
    assert res.rc == 0


@pytest.mark.parametrize("value", ["none", "None", "NONE"])
def test_ha_logfacility_none_turns_syslog_off(mocker, value):
    openlog = mocker.patch("syslog.openlog")
    sys_log = mocker.patch("syslog.syslog")
    log = Log.from_environ("a", "i", {"HA_LOGFACILITY": value})
    log.error("something")
    assert log.facility is None
    assert (openlog.call_count, sys_log.call_count) == (0, 0)


def test_ha_logfacility_sends_to_syslog_with_that_facility(mocker):
    import syslog

    openlog = mocker.patch("syslog.openlog")
    sys_log = mocker.patch("syslog.syslog")
    log = Log.from_environ("agent", "inst", {"HA_LOGFACILITY": "local3"}, pid=42)
    log.warning("disk %s", "full")
    openlog.assert_called_once_with("agent(inst)[42]", 0, syslog.LOG_LOCAL3)
    sys_log.assert_called_once_with(syslog.LOG_WARNING, "WARNING: disk full")


def test_pcmk_logfacility_is_used_when_ha_logfacility_is_unset(mocker):
    mocker.patch("syslog.openlog")
    mocker.patch("syslog.syslog")
    assert Log.from_environ("a", "i", {"PCMK_logfacility": "daemon"}).facility == "daemon"


def test_no_syslog_without_a_facility(mocker):
    sys_log = mocker.patch("syslog.syslog")
    Log.from_environ("a", "i", {}).error("x")
    assert sys_log.call_count == 0


def test_log_messages_do_not_reach_a_non_interactive_stderr():
    res = run_sample("Basic", "start", env={"SAMPLE_BEHAVIOUR": "ocferror"})
    assert res.stderr == "ocf-exit-reason:no permission on two lines\n"


def _read_pty(fd, proc, timeout=20.0) -> str:
    chunks = []
    while True:
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            break
        try:
            data = os.read(fd, 4096)
        except OSError:   # EIO: the child closed its side
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks).decode(errors="replace")


def test_log_messages_go_to_stderr_when_it_is_a_terminal():
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(sample_command("Basic", "start"), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=slave,
                                env=clean_environ(OCF_RESOURCE_INSTANCE="r1",
                                                  SAMPLE_BEHAVIOUR="ocferror"))
        os.close(slave)
        slave = None
        text = _read_pty(master, proc)
        rc = proc.wait(timeout=20)
        proc.stdout.close()
    finally:
        os.close(master)
        if slave is not None:
            os.close(slave)
    assert rc == 4
    assert re.search(r"basic\(r1\)\[\d+\]: INFO: running start as ocferror", text)
    assert "ocf-exit-reason:no permission on two lines" in text


def test_private_value_is_masked_in_log_files(tmp_path):
    logfile, debuglog = tmp_path / "ha.log", tmp_path / "debug.log"
    run_agent(Secretive, "start", params={"password": "s3cr3t-pw"},
              env={"HA_LOGFILE": logfile, "HA_DEBUGLOG": debuglog, "HA_debug": "1"})
    for text in (logfile.read_text(), debuglog.read_text()):
        assert "s3cr3t-pw" not in text
        assert f"password {MASK}" in text


def test_private_value_is_masked_in_the_exit_reason():
    res = run_agent(Secretive, "start", params={"password": "s3cr3t-pw"})
    assert res.rc == 1
    assert res.reasons == [f"ocf-exit-reason:login refused for password {MASK}"]


def test_private_value_is_masked_in_the_exit_reason_and_traceback_of_a_crash(tmp_path):
    debuglog = tmp_path / "debug.log"
    res = run_sample("Secretive", "monitor", params={"password": "s3cr3t-pw"},
                     meta={"interval": "10000"}, env={"HA_debug": "1", "HA_DEBUGLOG": debuglog})
    assert res.rc == 1
    assert "s3cr3t-pw" not in res.stderr
    assert "RuntimeError" in res.reasons[0]
    assert "Traceback" in debuglog.read_text()
    assert "s3cr3t-pw" not in debuglog.read_text()


def test_malformed_private_value_is_not_repeated_in_the_exit_reason():
    res = run_agent(Secretive, "start", params={"password": "pw", "pin": "12x34-secret"})
    assert res.rc == 6
    assert "pin" in res.reasons[0]
    assert "12x34-secret" not in res.stderr


def test_trace_ra_writes_a_trace_of_the_agent_to_the_trace_file(tmp_path):
    trace = tmp_path / "trace.out"
    res = run_agent(Tracing, "start", params={"password": "tr4ce-secret"},
                    env={"OCF_TRACE_RA": "1", "OCF_TRACE_FILE": trace})
    assert res.rc == 0
    text = trace.read_text()
    assert "total += i" in text
    assert "tr4ce-secret" not in text


def test_trace_ra_parameter_turns_tracing_on(tmp_path):
    res = run_agent(Tracing, "monitor", params={"trace_ra": "1", "trace_dir": tmp_path},
                    meta={"interval": "1000"})
    assert res.rc == 0
    files = list((tmp_path / "tracing").glob("r1.monitor.*"))
    assert len(files) == 1 and "os.path.exists" in files[0].read_text()


def test_without_trace_ra_nothing_is_traced(tmp_path):
    trace = tmp_path / "trace.out"
    run_agent(Tracing, "start", env={"OCF_TRACE_FILE": trace})
    assert not trace.exists()
