#!/usr/bin/env python3
"""The HAProxy agent's monitor against its peers, measured in one run on a
running HAProxy.

Peers: resource-agents ships no ``ocf:heartbeat:haproxy`` (checked at run
time: the table says so when it is absent); the systemd-less way to run
HAProxy under Pacemaker without an agent of its own is
``ocf:heartbeat:anything`` (a shell agent: pid file and ``kill -0``, no look
at HAProxy itself), measured here on the very master ours started (its
``pidfile`` is our pid file). The floor is the bare interpreter start
(``<python> -IS -c pass``, what every installed ocfpy agent pays first).
Debian's LSB script (``/etc/init.d/haproxy status``) is not measured: it
only knows /run/haproxy.pid, which the bench would have to take from the
system's own HAProxy.

Rows: ours (recurring monitor: record + /proc identity, ``show proc`` on the
master socket), ours with ``min_healthy`` (plus ``show stat`` of the
current worker), anything's monitor, the bare interpreter; wall time of many
runs (default 100), interleaved round-robin in a rotating order so that
machine noise spreads over all; median, minimum and 90th percentile. Then
single runs of start, reload and stop, and ``python -X importtime``
evidence that the monitor imports nothing heavy and no subprocess.

Backends are two HTTP servers (threads of this process) and HAProxy listens
on 127.0.0.1, ports in 36000-36999; everything is stopped at the end.

Usage::

    .venv/bin/python bench/bench_haproxy.py [--runs 100]
"""

from __future__ import annotations

import argparse
import http.server
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ocfpy.testing.ports import free_port  # noqa: E402
from ocfpy.testing.timing import quantile_ms, spawn_wait  # noqa: E402

ANYTHING = Path("/usr/lib/ocf/resource.d/heartbeat/anything")
HEARTBEAT_HAPROXY = Path("/usr/lib/ocf/resource.d/heartbeat/haproxy")
RESOURCE = "benchlb"
PORTS = (36000, 37000)     # the backends' and the frontend's ports: low, high (exclusive)


# -- the world ------------------------------------------------------------------------------
class _Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")

    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass        # a health check that hangs up early is no news


def http_backend(port: int):
    server = _Server(("127.0.0.1", port), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def write_config(path: Path, front: int, servers) -> None:
    lines = ["global", "    maxconn 100", "defaults", "    mode http", "    timeout connect 2s",
             "    timeout client 30s", "    timeout server 30s",
             "frontend fe", f"    bind 127.0.0.1:{front}", "    default_backend be",
             "backend be", "    option httpchk GET /"]
    lines += [f"    server s{i} 127.0.0.1:{p} check inter 1s" for i, p in enumerate(servers, 1)]
    path.write_text("\n".join(lines) + "\n")


# -- running ---------------------------------------------------------------------------------
class Command:
    def __init__(self, label, argv, env, expect=0):
        self.label, self.argv, self.env, self.expect = label, [str(a) for a in argv], env, expect
        self.times = []

    def ms(self, q=None) -> float:
        ordered = sorted(self.times)
        if q is None:
            return statistics.median(ordered) * 1000
        return quantile_ms(ordered, q)


def agent_env(work: Path, **params) -> dict:
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "OCF_ROOT": "/usr/lib/ocf", "OCF_RESOURCE_INSTANCE": RESOURCE,
           "OCF_RA_VERSION_MAJOR": "1", "OCF_RA_VERSION_MINOR": "1",
           "HA_VARRUN": str(work / "run") + "/", "HA_RSCTMP": str(work / "rsctmp") + "/",
           "HA_LOGFACILITY": "none", "HA_debug": "0",
           "OCF_RESKEY_CRM_meta_timeout": "20000"}
    env.update({f"OCF_RESKEY_{k}": str(v) for k, v in params.items()})
    return env


def once(label, argv, env) -> float:
    t0 = time.perf_counter()
    p = subprocess.run([str(a) for a in argv], env=env, capture_output=True, text=True, timeout=60)
    took = (time.perf_counter() - t0) * 1000
    if p.returncode != 0:
        raise RuntimeError(f"{label}: exit {p.returncode}: {p.stderr.strip()[-400:]}")
    return took


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=100, help="timed runs of each command (default 100)")
    args = ap.parse_args(argv)
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not os.access(haproxy, os.X_OK):
        print("haproxy is not installed: nothing to measure (apt-get install haproxy)")
        return 2
    from ocfpy.install import install
    from ocfpy.testing.importcost import HEAVY, heavy_in, imported_modules, script_python

    work = Path(tempfile.mkdtemp(prefix="ohxb-", dir="/tmp"))
    for sub in ("run", "rsctmp"):
        (work / sub).mkdir()
    taken = set()
    servers = [http_backend(free_port(*PORTS, taken=taken)) for _ in range(2)]
    conffile = work / "haproxy.cfg"
    write_config(conffile, free_port(*PORTS, taken=taken), [s.server_address[1] for s in servers])
    (script,) = install(work / "ocf", provider="ocfpy-bench", names=["haproxy"])
    python = script_python(script)
    version = subprocess.run([haproxy, "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    print(f"{version}; agent installed in {work / 'ocf'}; interpreter {python}; "
          f"{os.cpu_count()} CPUs; load {os.getloadavg()[0]:.2f}; {args.runs} runs each, interleaved")
    base = agent_env(work, conffile=conffile)
    started = False
    try:
        t_start = once("start", [script, "start"], base)
        started = True
        pidfile = work / "run" / f"ocfpy-haproxy-{RESOURCE}.pid"
        recurring = dict(base, OCF_RESKEY_CRM_meta_interval="10000")
        cmds = [Command("bare interpreter (-IS -c pass)", [python, "-IS", "-c", "pass"], {}),
                Command("ocfpy haproxy monitor", [script, "monitor"], recurring),
                Command("ocfpy haproxy monitor, min_healthy", [script, "monitor"],
                        dict(recurring, OCF_RESKEY_min_healthy="be:1"))]
        if HEARTBEAT_HAPROXY.exists():
            cmds.append(Command("heartbeat haproxy monitor", [HEARTBEAT_HAPROXY, "monitor"],
                                dict(recurring, OCF_RESKEY_conffile=str(conffile))))
        notes = [f"{HEARTBEAT_HAPROXY}: "
                 + ("measured" if HEARTBEAT_HAPROXY.exists() else
                    "not shipped by this resource-agents: no ocf:heartbeat:haproxy to compare")]
        if ANYTHING.exists():
            anything_env = dict(recurring, OCF_RESOURCE_TYPE="anything", OCF_RESKEY_binfile=haproxy,
                                OCF_RESKEY_pidfile=str(pidfile))
            cmds.append(Command("heartbeat anything monitor (kill -0)", [ANYTHING, "monitor"],
                                anything_env))
        else:
            notes.append(f"{ANYTHING}: not installed, not measured")
        for c in cmds:
            _, rc = spawn_wait(c.argv, c.env)
            if rc != c.expect:
                print(f"{c.label}: exit {rc}, expected {c.expect}")
                return 2
        for _ in range(3):
            for c in cmds:
                spawn_wait(c.argv, c.env)
        for i in range(args.runs):
            for k in range(len(cmds)):
                c = cmds[(i + k) % len(cmds)]
                c.times.append(spawn_wait(c.argv, c.env)[0])

        bare = cmds[0].ms()
        print()
        print(f"{'monitor of a running HAProxy':40} {'median ms':>10} {'min ms':>8} "
              f"{'p90 ms':>8} {'/bare':>7}")
        for c in cmds:
            print(f"{c.label:40} {c.ms():10.2f} {c.ms(0):8.2f} {c.ms(0.9):8.2f} "
                  f"{c.ms() / bare:7.2f}")
        print()
        for note in notes:
            print("note:", note)
        ours = cmds[1].ms()
        for c in cmds[3:]:
            print(f"ratio: ocfpy monitor / {c.label} = {ours / c.ms():.2f} "
                  f"(with min_healthy: {cmds[2].ms() / c.ms():.2f})")
        print(f"ratio: ocfpy monitor / bare interpreter = {ours / bare:.2f} "
              f"(with min_healthy: {cmds[2].ms() / bare:.2f})")

        t_reload = once("reload", [script, "reload"], base)
        t_stop = once("stop", [script, "stop"], base)
        started = False
        print()
        print(f"single runs (ms): start {t_start:.0f} (haproxy -c, launch, first worker), "
              f"reload {t_reload:.0f} (haproxy -c, new worker up), stop {t_stop:.0f}")

        once("start", [script, "start"], base)
        started = True
        print()
        print(f"python -X importtime of the monitor: heavy modules ({', '.join(HEAVY)}), subprocess")
        for label, env in (("monitor", recurring),
                           ("monitor, min_healthy", dict(recurring, OCF_RESKEY_min_healthy="be:1")),
                           ("probe (stopped)", None)):
            if env is None:
                once("stop", [script, "stop"], base)
                started = False
                env = base
            mods = imported_modules(python, script, "monitor", env)
            heavy = heavy_in(mods) + (["subprocess"] if "subprocess" in mods else [])
            print(f"  {label:22} modules imported: {len(mods):3}   heavy: {', '.join(heavy) or 'none'}")
        return 0
    finally:
        if started:
            subprocess.run([str(script), "stop"], env=base, capture_output=True, timeout=60)
        for s in servers:
            s.shutdown()
            s.server_close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
