"""Probe and stop safety: what an action answers when validation fails."""


from core_helpers import run_agent
from core_sample_agents import NeedsConfig
from ocfpy import codes

GOOD = {"config": "c", "binary": "true"}
PROBE = {"interval": "0"}
RECURRING = {"interval": "10000"}


def test_probe_without_required_parameter_returns_7(tmp_path):
    res = run_agent(NeedsConfig, "monitor", params={"binary": "true"}, meta=PROBE)
    assert res.rc == codes.NOT_RUNNING


def test_probe_without_interval_meta_is_a_probe_and_returns_7_without_required_parameter():
    res = run_agent(NeedsConfig, "monitor", params={"binary": "true"})
    assert res.rc == codes.NOT_RUNNING


def test_probe_with_missing_software_returns_7():
    res = run_agent(NeedsConfig, "monitor", params={"config": "c", "binary": "no-such-binary-xyz"},
                    meta=PROBE)
    assert res.rc == codes.NOT_RUNNING


def test_probe_with_malformed_value_returns_6():
    res = run_agent(NeedsConfig, "monitor", params={**GOOD, "count": "many"}, meta=PROBE)
    assert res.rc == codes.ERR_CONFIGURED
    assert "count" in res.reasons[0]


def test_stop_without_required_parameter_returns_0_and_logs_why(tmp_path):
    logfile = tmp_path / "ha.log"
    res = run_agent(NeedsConfig, "stop", params={"binary": "true"}, env={"HA_LOGFILE": logfile})
    assert res.rc == codes.SUCCESS
    assert "config" in logfile.read_text()
    assert "WARNING" in logfile.read_text()


def test_stop_with_missing_software_returns_0():
    res = run_agent(NeedsConfig, "stop", params={"config": "c", "binary": "no-such-binary-xyz"})
    assert res.rc == codes.SUCCESS


def test_stop_with_malformed_value_returns_0():
    res = run_agent(NeedsConfig, "stop", params={**GOOD, "count": "99"})
    assert res.rc == codes.SUCCESS


def test_stop_with_good_parameters_reaches_the_agent(tmp_path):
    logfile = tmp_path / "ha.log"
    res = run_agent(NeedsConfig, "stop", params=GOOD, env={"HA_LOGFILE": logfile})
    assert res.rc == 0
    assert "stop reached the agent" in logfile.read_text()


def test_start_with_malformed_value_returns_6_naming_the_parameter():
    res = run_agent(NeedsConfig, "start", params={**GOOD, "count": "abc"})
    assert res.rc == codes.ERR_CONFIGURED
    assert len(res.reasons) == 1 and "count" in res.reasons[0]


def test_start_without_required_parameter_returns_6_naming_it():
    res = run_agent(NeedsConfig, "start", params={"binary": "true"})
    assert res.rc == codes.ERR_CONFIGURED
    assert "config" in res.reasons[0]


def test_start_with_missing_software_returns_5():
    res = run_agent(NeedsConfig, "start", params={"config": "c", "binary": "no-such-binary-xyz"})
    assert res.rc == codes.ERR_INSTALLED
    assert "binary" in res.reasons[0]


def test_recurring_monitor_with_missing_software_returns_5():
    res = run_agent(NeedsConfig, "monitor", params={"config": "c", "binary": "no-such-binary-xyz"},
                    meta=RECURRING)
    assert res.rc == codes.ERR_INSTALLED


def test_recurring_monitor_without_required_parameter_returns_6():
    res = run_agent(NeedsConfig, "monitor", params={"binary": "true"}, meta=RECURRING)
    assert res.rc == codes.ERR_CONFIGURED


def test_recurring_monitor_with_good_parameters_reaches_the_agent():
    res = run_agent(NeedsConfig, "monitor", params=GOOD, meta=RECURRING)
    assert (res.rc, res.reasons) == (codes.NOT_RUNNING, [])


def test_validate_all_at_level_0_does_not_check_the_node():
    res = run_agent(NeedsConfig, "validate-all", params={"config": "c", "binary": "no-such-xyz"},
                    env={"OCF_CHECK_LEVEL": "0"})
    assert res.rc == codes.SUCCESS


def test_validate_all_at_level_10_checks_the_node():
    res = run_agent(NeedsConfig, "validate-all", params={"config": "c", "binary": "no-such-xyz"},
                    env={"OCF_CHECK_LEVEL": "10"})
    assert res.rc == codes.ERR_INSTALLED


def test_validate_all_reports_a_malformed_value_with_6():
    res = run_agent(NeedsConfig, "validate-all", params={**GOOD, "count": "0"})
    assert res.rc == codes.ERR_CONFIGURED
    assert "count" in res.reasons[0]


def test_an_agent_can_override_on_invalid():
    class Lenient(NeedsConfig):
        name = "lenient"

        def on_invalid(self, error):
            return codes.ERR_ARGS

    res = run_agent(Lenient, "start", params={"binary": "true"})
    assert res.rc == codes.ERR_ARGS
