#!/usr/bin/env python3
"""Deep-monitor cost of the OpenStack API agents: cached token against a fresh
token per call, measured in one run against the real services.

A lab (:mod:`ocfpy.sandbox.openstack`: Keystone, glance-api, cinder-api from
PyPI under uWSGI on 127.0.0.1) is prepared, the agents are installed as
Pacemaker runs them (``ocfpy install`` into a private OCF root) and each
service is started through its agent. Then, for each agent, three commands
run interleaved round-robin (rotating order, after warm-up):

- ``shallow``: the recurring monitor at OCF_CHECK_LEVEL 0 (process + health
  check), the floor;
- ``deep, cached token``: OCF_CHECK_LEVEL 10 with ``token_cache=true`` (the
  default): the token comes from the agent's 0600 cache file;
- ``deep, fresh token``: OCF_CHECK_LEVEL 10 with ``token_cache=false``: a
  ``POST /v3/auth/tokens`` on every call.

Per call: wall time, the agent process's CPU time (user+sys from
``os.wait4``) and the services' CPU time (Keystone + the service itself,
from /proc/PID/stat before and after; 10 ms ticks, so only its mean over
all runs is shown). Printed: median/min/max per command and the ratios
fresh/cached. The keystone agent drives the lab's second Keystone
(``keystone-spare``) while the catalog's Keystone serves the others.

Usage::

    .venv/bin/python bench/bench_openstack.py [--runs 30] [--agents keystone,glance-api,cinder-api]

Needs root and the OpenStack venv (``$OCFPY_OPENSTACK_VENV`` or
``.venv-openstack``; see ocfpy/testing/openstack.py). Exit code 0 unless
something could not run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

AGENTS = ("keystone", "glance-api", "cinder-api")
PROVIDER = "openstack-bench"
VARIANTS = (("shallow", None, {}),
            ("deep, cached token", 10, {"token_cache": "true"}),
            ("deep, fresh token", 10, {"token_cache": "false"}))
TICK = os.sysconf("SC_CLK_TCK")


def instance(agent: str) -> str:
    from ocfpy.sandbox.openstack import SPARE_KEYSTONE

    return SPARE_KEYSTONE if agent == "keystone" else agent


def cpu_seconds(pids) -> float:
    """utime + stime of ``pids`` (seconds, tick resolution); gone pids count 0."""
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid, "rb") as fh:
                rest = fh.read().decode().rsplit(")", 1)[1].split()
            total += int(rest[11]) + int(rest[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / TICK


class Command:
    def __init__(self, agent, label, argv, env, server_pids):
        self.agent, self.label = agent, label
        self.argv, self.env = argv, env
        self.server_pids = server_pids
        self.wall, self.cpu, self.server = [], [], 0.0

    def once(self, record=True) -> int:
        before = cpu_seconds(self.server_pids)
        actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                   (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                   (os.POSIX_SPAWN_DUP2, 1, 2)]
        t0 = time.perf_counter()
        pid = os.posix_spawn(self.argv[0], self.argv, self.env, file_actions=actions)
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - t0
        if record:
            self.wall.append(wall)
            self.cpu.append(usage.ru_utime + usage.ru_stime)
            self.server += cpu_seconds(self.server_pids) - before
        return os.waitstatus_to_exitcode(status)


def stats_ms(values) -> str:
    return "%8.1f %8.1f %8.1f" % (statistics.median(values) * 1000, min(values) * 1000,
                                  max(values) * 1000)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=30, help="timed runs of each command (default 30)")
    ap.add_argument("--agents", default=",".join(AGENTS),
                    help="comma-separated agents (default %s)" % ",".join(AGENTS))
    args = ap.parse_args(argv)
    agents = [a for a in args.agents.split(",") if a]

    from ocfpy.install import install
    from ocfpy.testing.driver import Driver
    from ocfpy.sandbox.openstack import OpenStackLab, missing_requirements

    reason = missing_requirements(["keystone"] + [a for a in agents if a != "keystone"])
    if reason or os.geteuid() != 0:
        print("cannot run:", reason or "needs root (services run as their own user)")
        return 2
    work = Path(tempfile.mkdtemp(prefix="ocfpy-bench-openstack-"))
    os.chmod(work, 0o755)
    lab = OpenStackLab(work / "lab")
    drivers = []
    try:
        t0 = time.monotonic()
        lab.prepare([a for a in agents if a != "keystone"], keep_keystone=True)
        print("lab prepared in %.1f s (%s); %d CPUs; load %.2f; %d runs each, interleaved"
              % (time.monotonic() - t0, work, os.cpu_count(), os.getloadavg()[0], args.runs))
        scripts = {p.name: p for p in install(work / "ocf", provider=PROVIDER, names=agents)}
        catalog_keystone = lab.started()["keystone"]
        cmds = []
        for agent in agents:
            name = instance(agent)
            d = Driver(str(scripts[agent]), resource="bench_" + agent.replace("-", "_"),
                       params=lab.agent_params(name), ocf_root=work / "ocf",
                       workdir=work / "run" / agent)
            res = d.run("start", timeout=120)
            if res.rc != 0:
                print("%s start failed (rc %d): %s" % (agent, res.rc, res.stderr[-800:]))
                return 2
            drivers.append(d)
            server = lab.pids(name) + ([catalog_keystone] if agent != "keystone" else [])
            for label, level, extra in VARIANTS:
                env = d.environ("monitor", interval=10, timeout=30, params=extra,
                                check_level=level)
                cmds.append(Command(agent, label, [*d.spec.argv, "monitor"], env, server))
        for c in cmds:                       # warm-up; the cached variant fills its cache
            for _ in range(3):
                rc = c.once(record=False)
                if rc != 0:
                    print("%s %s: monitor returned %d" % (c.agent, c.label, rc))
                    return 2
        n = len(cmds)
        for i in range(args.runs):
            for k in range(n):
                cmds[(i + k) % n].once()

        print()
        print("%-11s %-20s %26s %26s %12s" % ("agent", "monitor", "wall ms (med/min/max)",
                                              "agent CPU ms (med/min/max)", "server CPU ms"))
        for c in cmds:
            print("%-11s %-20s %26s %26s %12.1f" % (c.agent, c.label, stats_ms(c.wall),
                                                    stats_ms(c.cpu),
                                                    c.server / len(c.wall) * 1000))
        print()
        print("ratios, fresh token / cached token (medians):")
        for agent in agents:
            by = {c.label: c for c in cmds if c.agent == agent}
            cached, fresh = by["deep, cached token"], by["deep, fresh token"]
            print("  %-11s wall %5.2f   agent CPU %5.2f   server CPU %5.2f" % (
                agent, statistics.median(fresh.wall) / statistics.median(cached.wall),
                statistics.median(fresh.cpu) / statistics.median(cached.cpu),
                (fresh.server / max(cached.server, 1e-9))))
        return 0
    finally:
        for d in drivers:
            d.run("stop", timeout=60)
        lab.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
