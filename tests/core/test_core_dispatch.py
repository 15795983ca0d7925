"""Every return-code path of Agent.run/dispatch, and the exit-reason line."""

import xml.etree.ElementTree as ET

import pytest

from core_helpers import run_agent, run_sample
from core_sample_agents import Basic
from ocfpy import codes

ALL_ACTIONS = ("start", "stop", "monitor", "promote", "demote", "notify", "reload",
               "reload-agent", "migrate_to", "migrate_from")


def test_meta_data_prints_xml_and_returns_0():
    res = run_agent(Basic, "meta-data")
    assert res.rc == 0
    assert ET.fromstring(res.stdout.split("\n", 2)[2]).get("name") == "basic"
    assert res.stderr == ""


@pytest.mark.parametrize("action", ["usage", "help", "--help", "-h"])
def test_usage_prints_the_actions_and_returns_0(action):
    res = run_agent(Basic, action)
    assert res.rc == 0
    assert res.stdout.startswith("usage: basic {")
    assert "start" in res.stdout and "migrate_from" in res.stdout


def test_methods_lists_every_supported_action_one_per_line_and_returns_0():
    res = run_agent(Basic, "methods")
    assert res.rc == 0
    lines = res.stdout.split()
    for action in ALL_ACTIONS + ("meta-data", "validate-all", "methods", "usage"):
        assert action in lines
    assert len(lines) == len(set(lines))


@pytest.mark.parametrize("action", ALL_ACTIONS)
def test_every_declared_action_dispatches_to_its_method_and_returns_0(action):
    res = run_agent(Basic, action, env={"SAMPLE_BEHAVIOUR": "ok"})
    assert (res.rc, res.reasons) == (0, [])


@pytest.mark.parametrize("code", [0, 1, 7, 8, 9, 190, 191])
def test_the_code_an_action_returns_is_the_exit_code(code):
    res = run_agent(Basic, "monitor", env={"SAMPLE_BEHAVIOUR": "code", "SAMPLE_CODE": code})
    assert res.rc == code


def test_validate_all_is_builtin_and_returns_0():
    res = run_agent(Basic, "validate-all")
    assert (res.rc, res.reasons) == (0, [])


def test_unknown_action_returns_3_with_one_exit_reason_naming_it():
    res = run_agent(Basic, "frobnicate")
    assert res.rc == codes.ERR_UNIMPLEMENTED
    assert len(res.reasons) == 1
    assert "frobnicate" in res.reasons[0]


def test_undeclared_standard_action_returns_3():
    from core_sample_agents import NeedsConfig

    res = run_agent(NeedsConfig, "promote", params={"config": "c"})
    assert res.rc == codes.ERR_UNIMPLEMENTED
    assert len(res.reasons) == 1


def test_no_action_returns_2_with_an_exit_reason():
    res = run_agent(Basic)
    assert res.rc == codes.ERR_ARGS
    assert res.reasons == ["ocf-exit-reason:no action given"]


def test_extra_arguments_after_the_action_are_ignored():
    res = run_agent(Basic, "monitor", "extra", "--more", env={"SAMPLE_BEHAVIOUR": "code",
                                                              "SAMPLE_CODE": "7"})
    assert (res.rc, res.reasons) == (7, [])


def test_extra_arguments_after_meta_data_are_ignored():
    assert run_agent(Basic, "meta-data", "x").stdout == run_agent(Basic, "meta-data").stdout


def test_ocferror_ends_with_its_code_and_one_single_line_exit_reason():
    res = run_agent(Basic, "start", env={"SAMPLE_BEHAVIOUR": "ocferror"})
    assert res.rc == codes.ERR_PERM
    assert res.reasons == ["ocf-exit-reason:no permission on two lines"]
    assert len(res.stderr.splitlines()) == 1


def test_only_the_last_exit_reason_set_is_printed():
    res = run_agent(Basic, "start", env={"SAMPLE_BEHAVIOUR": "reason_then_ok"})
    assert res.rc == 1
    assert res.reasons == ["ocf-exit-reason:second and last"]


def test_systemexit_inside_an_action_keeps_its_code():
    res = run_agent(Basic, "start", env={"SAMPLE_BEHAVIOUR": "exit"})
    assert res.rc == 4


def test_uncaught_exception_returns_1_with_exactly_one_exit_reason_and_no_traceback():
    res = run_sample("Basic", "start", env={"SAMPLE_BEHAVIOUR": "crash"})
    assert res.rc == codes.ERR_GENERIC
    assert len(res.reasons) == 1
    assert "KeyError" in res.reasons[0] and "start" in res.reasons[0]
    assert "Traceback" not in res.stderr
    assert res.stderr.count("ocf-exit-reason:") == 1


def test_uncaught_exception_traceback_goes_to_the_debug_log_when_debug_is_on(tmp_path):
    debuglog = tmp_path / "debug.log"
    res = run_sample("Basic", "start", env={"SAMPLE_BEHAVIOUR": "crash", "HA_debug": "1",
                                             "HA_DEBUGLOG": debuglog})
    assert res.rc == 1
    text = debuglog.read_text()
    assert "Traceback (most recent call last)" in text
    assert "the-missing-key" in text
    assert "Traceback" not in res.stderr


def test_uncaught_exception_traceback_is_not_written_when_ha_debug_is_0(tmp_path):
    debuglog = tmp_path / "debug.log"
    res = run_sample("Basic", "start", env={"SAMPLE_BEHAVIOUR": "crash", "HA_debug": "0",
                                             "HA_DEBUGLOG": debuglog})
    assert res.rc == 1
    assert not debuglog.exists() or "Traceback" not in debuglog.read_text()


@pytest.mark.parametrize("case, expected", [
    ({"SAMPLE_BEHAVIOUR": "code", "SAMPLE_CODE": "7"}, 7),
    ({"SAMPLE_BEHAVIOUR": "ocferror"}, 4),
    ({"SAMPLE_BEHAVIOUR": "crash"}, 1),
])
def test_the_process_exit_code_is_the_ocf_code(case, expected):
    assert run_sample("Basic", "monitor", env=case).rc == expected


def test_unknown_action_in_a_real_process_exits_3():
    res = run_sample("Basic", "bogus")
    assert res.rc == 3
    assert len(res.reasons) == 1


def test_exit_reason_uses_the_prefix_pacemaker_passes():
    res = run_agent(Basic, "start", env={"SAMPLE_BEHAVIOUR": "ocferror",
                                         "OCF_EXIT_REASON_PREFIX": "my-prefix:"})
    assert res.stderr == "my-prefix:no permission on two lines\n"


def test_exit_reason_prefix_defaults_to_ocf_exit_reason_without_pacemaker():
    res = run_agent(Basic, "start", env={"SAMPLE_BEHAVIOUR": "ocferror",
                                         "OCF_EXIT_REASON_PREFIX": ""})
    assert res.stderr == "ocf-exit-reason:no permission on two lines\n"


def test_unknown_action_exit_reason_uses_the_prefix_pacemaker_passes():
    res = run_agent(Basic, "bogus", env={"OCF_EXIT_REASON_PREFIX": "pfx:"})
    assert [l for l in res.stderr.splitlines() if l.startswith("pfx:")] != []


def test_a_successful_action_writes_nothing_on_stderr():
    res = run_sample("Basic", "start", env={"SAMPLE_BEHAVIOUR": "ok"})
    assert (res.rc, res.stderr) == (0, "")


def test_demote_of_a_stateful_instance_that_is_not_running_answers_0_and_the_monitor_then_7(tmp_path):
    # Pacemaker treats 7 from a demote as a failed demote and demotes again:
    # the 3-node suite once saw 2794 failed demotes in five minutes.
    from ocfpy_agents.stateful import Stateful

    params = {"state": tmp_path / "s1.state"}
    assert run_agent(Stateful, "demote", params=params).rc == 0
    assert run_agent(Stateful, "monitor", params=params, meta={"interval": "10000"}).rc == 7
