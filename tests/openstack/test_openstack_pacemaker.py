"""Keystone (clone) and glance-api (primitive) under the real one-node
Pacemaker fixture (issue 7 acceptance).

The node is its own network namespace: the agents start the lab's Keystone
(the catalog instance, so glance's middleware finds it at the same
127.0.0.1 URL) and glance-api on the node's loopback, as ``ocfpy-os``. The
configuration is the HA guide's shape (``crm_snippets/keystone.py``,
``glance.py``) built with ``ocfpy.cib``, with the lab's parameters and the
credentials in an openrc file instead of the CIB; the order constraint is
Optional, so a Keystone recovery does not restart glance-api. A kill -9 of
each service is detected by the recurring monitor and recovered; the times
are printed.
"""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest

pytestmark = [pytest.mark.real_cluster]

KEYSTONE, GLANCE = "p_keystone", "p_glance-api"
MONITOR_INTERVAL = "2s"


def build(lab):
    """The guide's keystone clone + glance-api primitive with this lab's values."""
    from ocfpy.cib.model import Clone, Config, Op, Order, Primitive

    def ops(deep):
        return [Op("start", timeout="90s"), Op("stop", timeout="30s"),
                Op("monitor", MONITOR_INTERVAL, timeout="30s", depth=10 if deep else None)]

    cfg = Config()
    cfg.add(Clone("keystone-clone", Primitive(
        KEYSTONE, "ocf:openstack:keystone",
        params=lab.agent_params("keystone", credentials="file"), ops=ops(True)),
        meta={"interleave": "true"}))
    cfg.add(Primitive(GLANCE, "ocf:openstack:glance-api",
                      params=lab.agent_params("glance-api", credentials="file"), ops=ops(True)))
    cfg.add(Order("keystone-clone", GLANCE, kind="Optional"))
    return cfg


def push(c, cfg):
    """Replace the live resources and constraints with the model's."""
    from lxml import etree

    from ocfpy.cib.render_xml import to_configuration

    conf = to_configuration(cfg)
    device = c.fence_device_xml()    # the cluster's fencing stays: without it nothing starts
    if device:
        conf.find("resources").append(etree.fromstring(device))
    for section in ("resources", "constraints"):
        c.run(["cibadmin", "--replace", "-o", section, "--xml-pipe"],
              input=etree.tostring(conf.find(section), encoding="unicode"))


def node_pids(c, lab, name):
    """Pids of service ``name`` inside the cluster's node (not the host's)."""
    netns = os.stat("/proc/%d/ns/net" % c.holder_pids[0]).st_ino
    out = []
    for pid in lab.pids(name):
        try:
            if os.stat("/proc/%d/ns/net" % pid).st_ino == netns:
                out.append(pid)
        except FileNotFoundError:
            pass
    return out


def answers(c, url):
    """HTTP status of GET ``url`` seen from inside the node, 0 when refused."""
    code = ("import sys, urllib.request, urllib.error\n"
            "try:\n    print(urllib.request.urlopen(sys.argv[1], timeout=5).status)\n"
            "except urllib.error.HTTPError as e:\n    print(e.code)\n"
            "except OSError:\n    print(0)\n")
    return int(c.run([sys.executable, "-c", code, url], check=False).stdout.strip() or 0)


def running(c, rsc, mon):
    st = c.resource_state(rsc, mon)
    return st["active"] and not st["pending"]


def kill_and_recover(c, lab, rsc, name, url):
    """SIGKILL service ``name`` in the node; (detected, recovered) seconds."""
    before = node_pids(c, lab, name)
    assert before, "%s not running in the node" % name
    t0 = time.monotonic()
    for pid in before:
        os.kill(pid, signal.SIGKILL)
    c.wait_for(lambda mon: any(f["rc"] == 7 for f in c.resource_state(rsc, mon)["failures"]),
               timeout=30, interval=0.1)
    detected = time.monotonic() - t0
    c.wait_for(lambda mon: running(c, rsc, mon) and node_pids(c, lab, name)
               and not set(node_pids(c, lab, name)) & set(before), timeout=90, interval=0.1)
    deadline = time.monotonic() + 30
    while answers(c, url) != 200:
        assert time.monotonic() < deadline, "%s not answering after recovery" % name
        time.sleep(0.1)
    return detected, time.monotonic() - t0


def test_keystone_clone_and_glance_start_are_monitored_and_recover_from_kill_9(
        real_cluster_clean, openstack_lab_clean):
    c, lab = real_cluster_clean, openstack_lab_clean
    c.install_agents(names=["keystone", "glance-api"])
    ks, gl = lab.service("keystone"), lab.service("glance-api")
    t0 = time.monotonic()
    push(c, build(lab))
    try:
        c.wait_for(lambda mon: running(c, "keystone-clone", mon) and running(c, GLANCE, mon),
                   timeout=120, interval=0.1)
        started = time.monotonic() - t0
        assert answers(c, ks.healthcheck_url) == 200
        assert answers(c, gl.healthcheck_url) == 200
        # a few deep monitors (token + authenticated call) pass without a failure
        time.sleep(5)
        for rsc in ("keystone-clone", GLANCE):
            st = c.resource_state(rsc)
            assert st["active"] and not st["failed"], st

        glance_pids = node_pids(c, lab, "glance-api")
        ks_detect, ks_recover = kill_and_recover(c, lab, "keystone-clone", "keystone",
                                                 ks.healthcheck_url)
        # Keystone's restart did not restart glance-api (Optional order, 190 not 1)
        assert node_pids(c, lab, "glance-api") == glance_pids
        assert c.resource_state(GLANCE)["failures"] == []
        gl_detect, gl_recover = kill_and_recover(c, lab, GLANCE, "glance-api", gl.healthcheck_url)
        print("\nopenstack under pacemaker: both started in %.1f s; keystone kill -9 detected "
              "in %.1f s, recovered in %.1f s; glance-api kill -9 detected in %.1f s, "
              "recovered in %.1f s (monitor interval %s)"
              % (started, ks_detect, ks_recover, gl_detect, gl_recover, MONITOR_INTERVAL))
        for rsc in ("keystone-clone", GLANCE):
            st = c.resource_state(rsc)
            assert [(f["op"], f["rc"]) for f in st["failures"]] == [("monitor", 7)], st
            assert st["active"] and st["nodes"] == ["node1"], st
    finally:
        c.reset()               # Pacemaker stops both through their agents
    deadline = time.monotonic() + 30
    while node_pids(c, lab, "keystone") or node_pids(c, lab, "glance-api"):
        assert time.monotonic() < deadline, "services still running after the CIB reset"
        time.sleep(0.1)
