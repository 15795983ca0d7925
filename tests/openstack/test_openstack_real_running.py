"""The OpenStack API agents' monitors against one healthy real service per
agent (issue 7 acceptance): deep check, drained node, Keystone down, bad
credentials, unreachable auth URL, credentials from a file.

None of these tests harms the service, so each agent's service is started
once for the module through its agent (pid file at a fixed path) and every
test monitors it with its own parameters through its own Driver (own run
directory, so its own token cache). Each test first checks that the service
is healthy, so one test's failure is not reported by the next.

The keystone agent authenticates against its own instance (``url``), never
``os_auth_url``: where glance/cinder/manila depend on the catalog's Keystone,
its expected code is its own (see the two last tests).
"""

from __future__ import annotations

import contextlib
import os
import stat

import pytest
from openstack_real_helpers import AGENTS, DEPENDENT, instance, lab_for, make_agent

from ocfpy import codes
from ocfpy.sandbox.openstack import free_ports


@pytest.fixture(scope="module", params=AGENTS)
def running(request, openstack_lab, tmp_path_factory):
    """(lab, agent name, pid file) with the agent's service running for the module."""
    name = request.param
    lab = lab_for(openstack_lab, name)
    pid = tmp_path_factory.mktemp("running-" + name) / "service.pid"
    a = make_agent(lab, name, pid.parent / "run", pid=str(pid))
    a.start()
    lab.protected.add(a.name)
    try:
        yield lab, name, str(pid)
        a.stop()
    finally:   # unprotected: the clean-up kills what a failed stop left
        lab.protected.discard(a.name)
        with contextlib.suppress(FileNotFoundError):
            lab.service(a.name).disable_file.unlink()


class Monitors:
    """Agents on the running service: ``make(**params)``, one run directory each."""

    def __init__(self, lab, name, pid, tmp_path):
        self.lab, self.name, self.pid, self.tmp = lab, name, pid, tmp_path
        self.count = 0

    def make(self, credentials="params", **params):
        self.count += 1
        return make_agent(self.lab, self.name, self.tmp / ("run%d" % self.count),
                          credentials=credentials, pid=self.pid, **params)

    @property
    def service(self):
        return self.lab.service(instance(self.name))


@pytest.fixture
def monitors(running, openstack_lab_clean, tmp_path):
    """:class:`Monitors` on the running service, checked healthy first."""
    m = Monitors(*running, tmp_path)
    m.make(token_cache="false").monitor(expect=codes.SUCCESS, deep=True)
    return m


def test_deep_monitor_caches_its_token_in_a_private_file_and_reuses_it(monitors):
    a = monitors.make()
    a.monitor(expect=codes.SUCCESS, deep=True)                # fetches and caches a token
    run_dir = a.driver.environ("monitor")["HA_VARRUN"]
    cached = [os.path.join(run_dir, f) for f in os.listdir(run_dir) if "token" in f]
    assert len(cached) == 1, os.listdir(run_dir)
    st = os.stat(cached[0])
    assert stat.S_IMODE(st.st_mode) == 0o600
    with open(cached[0]) as fh:
        assert a.params["os_password"] not in fh.read()
    a.monitor(expect=codes.SUCCESS, deep=True)
    assert os.stat(cached[0]).st_mtime_ns == st.st_mtime_ns   # the same token, not a new one


def test_health_check_disabled_by_file_is_reported_degraded(monitors):
    a = monitors.make()
    switch = monitors.service.disable_file
    switch.write_text("drained for maintenance\n")
    try:
        res = a.monitor(expect=codes.DEGRADED)
        assert "disabled" in res.exit_reason.lower(), res.exit_reason
    finally:
        switch.unlink()
    a.monitor(expect=codes.SUCCESS)


def test_bad_credentials_deep_monitor_190_without_the_password(monitors):
    wrong = "wrong-" + os.urandom(6).hex()
    a = monitors.make(os_password=wrong, token_cache="false")
    res = a.monitor(expect=codes.DEGRADED, deep=True)
    assert res.exit_reason and wrong not in res.exit_reason


def test_credentials_from_an_openrc_file_pass_the_deep_monitor(monitors):
    a = monitors.make(credentials="file")
    assert "os_password" not in a.params
    a.monitor(expect=codes.SUCCESS, deep=True)


def test_unreachable_auth_url_deep_monitor_190_keystone_uses_its_own_url(monitors):
    closed = free_ports(1)[0]
    a = monitors.make(os_auth_url="http://127.0.0.1:%d/v3" % closed, token_cache="false")
    if monitors.name in DEPENDENT:
        res = a.monitor(expect=codes.DEGRADED, deep=True)
        assert "unreachable" in res.exit_reason.lower(), res.exit_reason
    else:
        a.monitor(expect=codes.SUCCESS, deep=True)


def test_catalog_keystone_down_deep_monitor_190_fresh_token_0_cached_one(monitors):
    """glance/cinder/manila: a cached token still passes (the service's auth
    middleware cached it too), a fresh one needs Keystone: 190, never 1 (no
    cascade restart). The keystone agent's own instance is not affected: 0."""
    a = monitors.make()                                       # token cache on (default)
    a.monitor(expect=codes.SUCCESS, deep=True)                # caches the token
    monitors.lab.stop("keystone")
    a.monitor(expect=codes.SUCCESS, deep=True)
    fresh = {"token_cache": "false"}
    if monitors.name in DEPENDENT:
        res = a.monitor(expect=codes.DEGRADED, deep=True, params=fresh)
        assert "keystone" in res.exit_reason.lower(), res.exit_reason
    else:
        a.monitor(expect=codes.SUCCESS, deep=True, params=fresh)
    a.monitor(expect=codes.SUCCESS)                           # the shallow check still passes
