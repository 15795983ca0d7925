"""The four OpenStack API agents against the real services (issue 7 acceptance):
lifecycle, failures that need their own service instance, bad input.

Keystone, glance-api, cinder-api and manila-api from PyPI run under uWSGI on
127.0.0.1 as the unprivileged user ``ocfpy-os``, prepared by the
``openstack_lab`` fixture (:mod:`ocfpy.sandbox.openstack`) and started,
monitored and stopped by the agents through the testing Driver (each agent
run as its own process, with Pacemaker's environment). The catalog's
Keystone runs independently of the agent under test (started by the lab,
kept up between tests) whenever a glance/cinder/manila deep monitor needs
it; the keystone agent drives the lab's second instance (``keystone-spare``).
Checks that only monitor a healthy service share one instance per agent:
test_openstack_real_running.py.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import signal

import pytest
from openstack_real_helpers import (AGENTS, DEEP, OP_TIMEOUT, Agent, instance, lab_for,
                                    make_agent, wait_gone)

from ocfpy import codes
from ocfpy.testing.check import check_agent
from ocfpy.testing.driver import Driver

HUNG_HEALTHCHECK_TIMEOUT = "3s"


@pytest.fixture(params=AGENTS)
def agent(request, openstack_lab_clean):
    """(lab, agent name) for each of the four agents."""
    return lab_for(openstack_lab_clean, request.param), request.param


# ------------------------------------------------------------------ check
def test_ocfpy_check_passes_against_the_real_service(agent):
    lab, name = agent
    report = check_agent(name, options=lab.agent_params(instance(name)))
    assert report.ok, report.text()
    assert lab.pids(instance(name)) == []


# -------------------------------------------------------------- lifecycle
def test_start_monitor_stop_run_the_service_as_its_user(agent, tmp_path):
    lab, name = agent
    a = make_agent(lab, name, tmp_path / "run")
    a.run("monitor", expect=codes.NOT_RUNNING)               # probe before start
    a.start()
    pids = lab.pids(a.name)
    assert len(pids) == 1, pids
    owner = pwd.getpwuid(os.stat("/proc/%d" % pids[0]).st_uid).pw_name
    assert owner == lab.user
    with open("/proc/%d/environ" % pids[0], "rb") as fh:     # no OCF_RESKEY_os_password
        environ = fh.read().decode(errors="replace")
    assert "OCF_" not in environ and a.params["os_password"] not in environ
    a.monitor(expect=codes.SUCCESS)
    a.monitor(expect=codes.SUCCESS, deep=True)               # a token, one authenticated call
    a.run("monitor", expect=codes.SUCCESS)                   # probe of the running service
    a.run("start", expect=codes.SUCCESS)                     # idempotent
    assert lab.pids(a.name) == pids
    a.stop()
    a.run("monitor", expect=codes.NOT_RUNNING)


def test_kill_9_of_the_service_makes_monitor_return_7(agent, tmp_path):
    lab, name = agent
    a = make_agent(lab, name, tmp_path / "run")
    a.start()
    for pid in lab.pids(a.name):
        os.kill(pid, signal.SIGKILL)
    wait_gone(lab, name)
    a.monitor(expect=codes.NOT_RUNNING)
    a.stop()


def test_hung_service_makes_monitor_return_1_within_its_timeout(agent, tmp_path):
    lab, name = agent
    a = make_agent(lab, name, tmp_path / "run", healthcheck_timeout=HUNG_HEALTHCHECK_TIMEOUT)
    a.start()
    pids = lab.pids(a.name)
    for pid in pids:                                          # the whole tree
        os.kill(pid, signal.SIGSTOP)
    try:
        res = a.monitor(expect=codes.ERR_GENERIC, timeout=20)
        assert res.exit_reason, res.stderr
        assert res.duration < 20
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
    a.monitor(expect=codes.SUCCESS)                           # answers again once resumed
    a.stop()


def test_stop_of_a_hung_service_returns_0_within_its_timeout(openstack_lab_clean, tmp_path):
    """What Pacemaker does after monitor 1: stop the SIGSTOPped process."""
    lab = openstack_lab_clean
    a = make_agent(lab, "cinder-api", tmp_path / "run")
    a.start()
    pids = lab.pids(a.name)
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        res = a.run("stop", expect=codes.SUCCESS, timeout=20)
        assert res.duration < 20
        assert lab.pids(a.name) == []
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


# -------------------------------------------------------------- bad input
def test_missing_config_file_start_5_probe_7_stop_0(agent, tmp_path):
    lab, name = agent
    missing = str(tmp_path / "absent" / "service.conf")
    a = Agent(lab, name, tmp_path / "run", config=missing)
    res = a.run("start", expect=codes.ERR_INSTALLED)
    assert missing in res.exit_reason
    a.run("validate-all", expect=codes.ERR_INSTALLED, check_level=DEEP)   # OCF 1.1: 10 = this node
    a.run("monitor", expect=codes.NOT_RUNNING)
    a.run("stop", expect=codes.SUCCESS)
    assert lab.pids(a.name) == []


def test_user_that_does_not_exist_start_2_probe_7_stop_0(agent, tmp_path):
    lab, name = agent
    a = Agent(lab, name, tmp_path / "run", user="ocfpy-no-such-user")
    res = a.run("start", expect=codes.ERR_ARGS)
    assert "ocfpy-no-such-user" in res.exit_reason
    a.run("monitor", expect=codes.NOT_RUNNING)
    a.run("stop", expect=codes.SUCCESS)
    assert lab.pids(a.name) == []


def test_probe_on_a_node_without_the_service_returns_7(agent, tmp_path):
    """The HA guide's parameters on a node where nothing is installed or configured."""
    lab, name = agent
    guide = {"os_username": "admin", "os_password": "secretsecret", "os_tenant_name": "admin",
             "os_auth_url": "http://127.0.0.1:5000/v2.0/"}   # the guide says its VIP
    d = Driver(name, resource="p_" + name, params=guide, workdir=tmp_path / "run")
    for action, rc in (("monitor", codes.NOT_RUNNING), ("stop", codes.SUCCESS),
                       ("monitor", codes.NOT_RUNNING)):
        res = d.run(action, timeout=OP_TIMEOUT)
        assert res.rc == rc, (action, res.rc, res.stderr)
        assert "secretsecret" not in res.stdout + res.stderr
