"""Fixtures with the real OpenStack API services prepared (loaded by ocfpy's
pytest plugin).

======================== ========  ============================================
fixture                  scope     what you get
======================== ========  ============================================
``openstack_lab``        session   an :class:`~ocfpy.sandbox.openstack.OpenStackLab`
                                   with keystone, glance-api, cinder-api and
                                   (when MariaDB is installed) manila-api
                                   prepared, none running
``openstack_lab_clean``  function  the same lab, checked idle before and after
                                   the test: no agent-started service process
                                   left, no ``disable_by_file`` switch set
======================== ========  ============================================

A module may keep an instance it started through its agent running across
its tests by adding its name to ``lab.protected`` (and removing it when it
stops it): the clean-up leaves protected instances alone.

The catalog's Keystone, once a test started it with ``lab.start("keystone")``
(the other services' deep checks need it), stays up for the following tests
(``lab.start`` is a no-op then; a test may stop it, the next one restarts
it): it saves ~2.5 s per test. Tests of the keystone *agent* use the lab's
second Keystone instance, ``keystone-spare`` (own port, same database).

Preparing costs about 20-25 s once per session (database syncs on two cores,
Keystone started once to create users and endpoints); manila's database is a
standalone MariaDB server (:mod:`ocfpy.sandbox.mariadb`) kept for the
session. Services run as the system user ``ocfpy-os`` (created when absent).
When MariaDB is absent, ``lab.manila_skip_reason`` says why and manila-api
is not prepared; the fixtures skip only when the OpenStack venv is absent
(see :func:`ocfpy.sandbox.openstack.missing_requirements`).

Example::

    def test_keystone_answers(openstack_lab_clean):
        lab = openstack_lab_clean
        lab.start("keystone")
        assert lab.token()[0]

Module-level imports stay stdlib-only: every pytest run imports this module.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import time

import pytest

__all__ = ["openstack_lab", "openstack_lab_clean"]


@pytest.fixture(scope="session")
def openstack_lab():
    """The prepared lab for the whole session (see the module doc)."""
    from ocfpy.sandbox import openstack

    reason = openstack.missing_requirements(("keystone", "glance-api", "cinder-api"))
    if reason:
        pytest.skip("real OpenStack services unavailable: " + reason)
    base = tempfile.mkdtemp(prefix="ocfpy-openstack-")
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, base, True)
        services = ["keystone", "glance-api", "cinder-api"]
        db_url, manila_reason = None, None
        if os.geteuid() != 0:
            manila_reason = "manila's MariaDB server needs root"
        else:
            from ocfpy.sandbox import mariadb

            manila_reason = mariadb.missing_requirements(galera=False)
            if manila_reason is None and openstack.missing_requirements(("manila-api",)):
                manila_reason = openstack.missing_requirements(("manila-api",))
            if manila_reason is None:
                db = stack.enter_context(mariadb.standalone(
                    os.path.join(base, "mariadb"), database="manila", user="manila"))
                db_url = db.url
                services.append("manila-api")
        lab = openstack.OpenStackLab(os.path.join(base, "lab"), manila_db_url=db_url,
                                     user=openstack.SERVICE_USER if os.geteuid() == 0 else None)
        stack.callback(lab.close)
        # last word: no service process outlives the session, whoever started it
        stack.callback(lambda: (lab.protected.clear(), _clean(lab)))
        lab.manila_skip_reason = manila_reason
        lab.prepare(services, keep_keystone=True)   # most tests need it: see KEEP
        yield lab


#: lab-started services kept running from one test to the next
KEEP = ("keystone",)


def _leftovers(lab) -> dict:
    """{name: [pid]} of service processes the lab did not start itself
    (instances in ``lab.protected`` excepted)."""
    own = set(lab.started().values())
    found = {}
    for name in lab.services:
        if name in lab.protected:
            continue
        pids = [p for p in lab.pids(name) if p not in own]
        if pids:
            found[name] = pids
    return found


def _clean(lab) -> list:
    """Stop what the lab started (but the shared Keystone), remove the drain
    switches, then kill (by pid, SIGCONT first: a test may have stopped it)
    any service process an agent left behind; returns what had to be killed."""
    for name in list(lab.started()):
        if name not in KEEP:
            lab.stop(name)
    for name, svc in lab.services.items():
        if name not in lab.protected:
            with contextlib.suppress(FileNotFoundError):
                svc.disable_file.unlink()
    left = _leftovers(lab)
    for name, pids in left.items():
        for pid in pids:
            for sig in (signal.SIGCONT, signal.SIGKILL):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
    deadline = time.monotonic() + 10
    while _leftovers(lab) and time.monotonic() < deadline:
        time.sleep(0.05)
    return ["%s (pids %s)" % item for item in left.items()]


@pytest.fixture
def openstack_lab_clean(openstack_lab):
    """``openstack_lab`` with no service running and no drain switch set,
    before and after the test; a service process the test left behind makes
    the teardown fail (after killing it)."""
    _clean(openstack_lab)
    yield openstack_lab
    left = _clean(openstack_lab)
    if left:
        pytest.fail("service processes left running after the test: " + ", ".join(left),
                    pytrace=False)
