"""`ocfpy check`: passes on correct agents, fails with a precise message on broken ones."""

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from ocfpy.cli import main
from ocfpy.testing.check import FAIL, check_agent

BROKEN = Path(__file__).parent / "broken_agents"
OCF = Path("/usr/lib/ocf/resource.d")


def installed(spec):
    _, provider, type_ = spec.split(":")
    return pytest.param(spec, marks=pytest.mark.skipif(
        not (OCF / provider / type_).exists(), reason=f"{spec} not installed"))


def failures(report):
    return [f.text for f in report.findings if f.status == FAIL]


@pytest.mark.parametrize("agent", [
    installed("ocf:pacemaker:Dummy"), installed("ocf:pacemaker:Stateful"),
    installed("ocf:heartbeat:Dummy"), "dummy", "stateful", str(BROKEN / "good_agent")])
def test_check_passes_on_a_correct_agent(agent):
    report = check_agent(agent)
    assert failures(report) == []


def test_check_fails_when_probe_returns_1_when_unconfigured():
    report = check_agent(BROKEN / "probe_unconfigured_returns_1", {"config": "/etc/hostname"})
    assert failures(report) == [
        "probe without parameters: probe returned 1 (ERR_GENERIC), expected 7 (NOT_RUNNING) "
        "(exit reason: config is not set): a probe of an unconfigured resource must report it not running"]


def test_check_fails_when_stop_of_stopped_resource_returns_7():
    report = check_agent(BROKEN / "stop_of_stopped_returns_7")
    assert failures(report) == [
        "stop of a stopped resource: stop returned 7 (NOT_RUNNING), expected 0 (SUCCESS) "
        "(exit reason: already stopped): stop of a stopped resource must return 0, never 7"]


def test_check_fails_when_monitor_returns_0_after_promote():
    report = check_agent(BROKEN / "monitor_0_after_promote")
    assert failures(report) == [
        f"monitor after promote (cycle {n}): monitor (interval 10s) returned 0 (SUCCESS), expected "
        "8 (RUNNING_PROMOTED): a promoted instance's monitor must return 8 (RUNNING_PROMOTED)"
        for n in (1, 2)]


def test_check_fails_when_an_action_hangs_past_its_timeout():
    report = check_agent(BROKEN / "start_hangs")
    assert [re.sub(r"after \d+\.\d+s", "after Ns", m) for m in failures(report)] == [
        "start timeout: start did not finish within its declared timeout of 1s: killed with SIGKILL after Ns"]


def test_check_fails_when_an_agent_prints_a_traceback_on_stderr():
    (message,) = failures(check_agent(BROKEN / "traceback_on_stderr"))
    assert re.fullmatch(r"probe traceback: probe printed a Python traceback on stderr "
                        r"\(FileNotFoundError: \[Errno 2\] No such file or directory: "
                        r"'/\S+/tb-ocfpy-check-[0-9a-f]{6}\.state'\) \(in 4 calls\)", message)


def test_check_fails_when_state_is_left_behind_after_stop():
    (message,) = failures(check_agent(BROKEN / "leaves_state"))
    assert re.fullmatch(r"state cleaned after stop: state left behind after stop: "
                        r"/\S+/node1/rsctmp/good-ocfpy-check-[0-9a-f]{6}\.state\.lock", message)


def test_check_requires_the_agents_required_parameters():
    report = check_agent(BROKEN / "probe_unconfigured_returns_1")
    assert failures(report) == ["required parameters: not given: config (use -o NAME=VALUE)"]


def test_check_stateful_leaves_no_promotion_score_in_the_fake():
    report = check_agent("stateful")
    (score,) = [f for f in report.findings if f.name == "cluster attributes cleaned after stop"]
    assert (score.status, score.message) == ("PASS", "no attribute left")


def test_cli_check_exits_1_and_names_the_failure():
    result = CliRunner().invoke(main, ["check", str(BROKEN / "stop_of_stopped_returns_7")])
    assert (result.exit_code, "FAIL  stop of a stopped resource" in result.output) == (1, True)


def test_cli_check_json_reports_ok_for_a_correct_agent():
    result = CliRunner().invoke(main, ["check", "dummy", "--format", "json"])
    assert (result.exit_code, json.loads(result.output)["ok"]) == (0, True)


def test_cli_check_unknown_agent_is_a_clear_error_not_a_traceback():
    result = CliRunner().invoke(main, ["check", "no-such-agent"])
    assert (result.exit_code, result.output.strip()) == (
        2, "ocfpy check: 'no-such-agent': not a path, an ocf:PROVIDER:TYPE spec or a shipped agent "
           "(see `ocfpy list`)")


def test_cli_check_rejects_an_option_without_equals_sign():
    result = CliRunner().invoke(main, ["check", "dummy", "-o", "state"])
    assert (result.exit_code, "'state' is not NAME=VALUE" in result.output) == (2, True)
