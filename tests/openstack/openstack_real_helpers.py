"""Shared by the real-services tests of the OpenStack agents: which lab
instance each agent drives, and a Driver wrapper with the checks every call
gets (no secret on stdout/stderr, the whole result shown when a code is wrong).
"""

from __future__ import annotations

import time

import pytest

from ocfpy import codes
from ocfpy.testing.driver import Driver
from ocfpy.sandbox.openstack import SPARE_KEYSTONE

AGENTS = ("keystone", "glance-api", "cinder-api", "manila-api")
#: the agents whose deep check authenticates against another service (Keystone)
DEPENDENT = ("glance-api", "cinder-api", "manila-api")
# keystone's first start takes 2-3 s, 10 s and more on a loaded 2-core machine
START_TIMEOUT = 90.0
OP_TIMEOUT = 30.0
DEEP = 10


def lab_for(lab, name):
    """``lab``, or a skip when agent ``name``'s service was not prepared."""
    if instance(name) not in lab.services:
        pytest.skip("%s not prepared: %s" % (name, lab.manila_skip_reason))
    return lab


def instance(name):
    """The lab instance agent ``name`` drives: the keystone agent gets the
    spare Keystone, so the catalog's one keeps serving the other services."""
    return SPARE_KEYSTONE if name == "keystone" else name


class Agent:
    """One agent's Driver on this host. ``self.name`` is the lab's instance
    name (for ``lab.pids``); ``params`` override the lab's parameters."""

    def __init__(self, lab, name, workdir, credentials="params", **params):
        self.lab, self.name = lab, instance(name)
        merged = lab.agent_params(self.name, credentials=credentials)
        merged.update(params)
        self.params = merged
        self.driver = Driver(name, resource="p_" + name.replace("-api", ""), params=merged,
                             workdir=workdir)
        self.secrets = [s.password for s in lab.services.values()] + [lab.admin_password]

    def run(self, action, expect=None, **kw):
        kw.setdefault("timeout", START_TIMEOUT if action == "start" else OP_TIMEOUT)
        res = self.driver.run(action, **kw)
        shown = "%s %s -> rc %s (%s), %.2f s\nstderr: %s" % (
            self.name, res.label, res.rc, res.exit_reason, res.duration, res.stderr[-2000:])
        for secret in self.secrets + [self.params.get("os_password", "")]:
            if secret:
                assert secret not in res.stdout + res.stderr, "secret leaked: " + shown
        if expect is not None:
            assert res.rc == expect, shown
            assert not res.timed_out, shown
        return res

    def start(self):
        return self.run("start", expect=codes.SUCCESS)

    def monitor(self, expect=None, deep=False, **kw):
        return self.run("monitor", expect=expect, interval=10,
                        check_level=DEEP if deep else None, **kw)

    def stop(self):
        res = self.run("stop", expect=codes.SUCCESS)
        assert self.lab.pids(self.name) == [], "%s still runs after stop" % self.name
        return res


def make_agent(lab, name, workdir, **kw):
    """An :class:`Agent`; Keystone (the catalog's) started first when the
    agent's deep check needs it."""
    if name in DEPENDENT:
        lab.start("keystone")
    return Agent(lab, name, workdir, **kw)


def wait_gone(lab, name, timeout=10):
    name = instance(name)
    deadline = time.monotonic() + timeout
    while lab.pids(name):
        assert time.monotonic() < deadline, "%s still alive: %s" % (name, lab.pids(name))
        time.sleep(0.05)
