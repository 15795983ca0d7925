"""Benchmark of ocf:ocfpy:vip against ocf:heartbeat:IPaddr2 and keepalived VRRP.

Run as root:  .venv/bin/python bench/bench_vip.py [--runs 20] [--failovers 3]

On one namespace bed (tests/vip/vip_bed.py: servers a, b, client c on a
bridge; TEST-NET addresses; removed at the end) it measures, in one run:
1. import costs (python -X importtime): the vip monitor path, pyroute2;
2. wall-time medians of monitor, probe, start and stop for vip and IPaddr2 on
   the same kind of address (IPv4 /24 on eth0, nic given), and of an address
   add/delete done with pyroute2 (what "start on pyroute2" would cost);
3. the outage the client sees (ICMP probe every 10 ms) when the address
   moves a -> b: vip and IPaddr2 by hand (stop on a, then start on b), and
   keepalived VRRP (advert_int 1) when a's keepalived gets SIGTERM or SIGKILL.
   "takeover" is when the client's neighbour entry first shows b's MAC.
"""

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "vip")]

from vip_bed import IPADDR2, Bed, unavailable  # noqa: E402

VIP = "192.0.2.50"
PARAMS = {"ip": VIP, "nic": "eth0", "cidr_netmask": "24"}
RECURRING = {"OCF_RESKEY_CRM_meta_interval": "10000"}


def timed(func) -> float:
    t0 = time.perf_counter()
    func()
    return (time.perf_counter() - t0) * 1000


def must(proc, what):
    if proc.returncode != 0:
        raise RuntimeError(f"{what}: rc {proc.returncode}: {proc.stderr.strip()}")
    return proc


def run(bed, *args, **kw):
    """An agent call with its output in files (see Bed.agent pipes=False)."""
    return bed.agent(*args, pipes=False, **kw)


def median(values):
    return statistics.median(values) if values else float("nan")


# -------------------------------------------------------------- 1. imports
def import_costs(bed) -> dict:
    """Cumulative import times (ms) of the monitor path and of pyroute2."""
    must(run(bed, "a", "start", **PARAMS), "vip start")
    env = bed.agent_env(RECURRING, **PARAMS)

    def importtime(argv, module, ns=True):
        best = None
        for _ in range(5):
            cmd = (["ip", "netns", "exec", bed.ns("a")] if ns else []) + argv
            err = subprocess.run(cmd, env=env, capture_output=True, text=True).stderr
            for line in err.splitlines():
                m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|\s*(\S+)$", line)
                if m and m.group(2) == module:
                    us = int(m.group(1))
                    best = us if best is None else min(best, us)
        return (best or 0) / 1000

    out = {
        "vip module incl. ocfpy core (monitor path)": importtime(
            [sys.executable, "-IS", "-X", "importtime", str(bed.agent_path), "monitor"], "vip"),
        "ocfpy_agents.vip.addr + rtnl": importtime(
            [sys.executable, "-IS", "-X", "importtime", "-c",
             f"import sys; sys.path.insert(0, {str(REPO)!r}); import ocfpy_agents.vip.addr"], "ocfpy_agents.vip.addr"),
        "pyroute2": importtime([sys.executable, "-X", "importtime", "-c", "import pyroute2"], "pyroute2"),
        "socket (avoided)": importtime([sys.executable, "-IS", "-X", "importtime", "-c", "import socket"],
                                       "socket"),
    }
    must(run(bed, "a", "stop", **PARAMS), "vip stop")
    return out


# ----------------------------------------------------------- 2. actions
PYROUTE2_CYCLE = """
import sys
from pyroute2 import IPRoute
with IPRoute() as ipr:
    idx = ipr.link_lookup(ifname="eth0")[0]
    ipr.addr(sys.argv[1], index=idx, address=%r, prefixlen=24)
""" % VIP


def action_times(bed, runs) -> dict:
    res = {k: [] for k in ("vip monitor", "vip probe (not running)", "IPaddr2 monitor",
                           "IPaddr2 probe (not running)", "vip start", "vip stop",
                           "IPaddr2 start", "IPaddr2 stop", "pyroute2 add (python + import)",
                           "pyroute2 del (python + import)", "python -IS -c pass")}
    ns = ["ip", "netns", "exec", bed.ns("a")]
    for _ in range(runs):
        for name, program in (("vip", None), ("IPaddr2", IPADDR2)):
            res[f"{name} probe (not running)"].append(timed(
                lambda: run(bed, "a", "monitor", program=program, **PARAMS)))
            res[f"{name} start"].append(timed(
                lambda: must(run(bed, "a", "start", program=program, **PARAMS), f"{name} start")))
            res[f"{name} monitor"].append(timed(
                lambda: must(run(bed, "a", "monitor", program=program, env=RECURRING, **PARAMS),
                             f"{name} monitor")))
            res[f"{name} stop"].append(timed(
                lambda: must(run(bed, "a", "stop", program=program, **PARAMS), f"{name} stop")))
        res["pyroute2 add (python + import)"].append(timed(lambda: must(subprocess.run(
            ns + [sys.executable, "-c", PYROUTE2_CYCLE, "add"], capture_output=True, text=True), "pyroute2")))
        res["pyroute2 del (python + import)"].append(timed(lambda: must(subprocess.run(
            ns + [sys.executable, "-c", PYROUTE2_CYCLE, "del"], capture_output=True, text=True), "pyroute2")))
        res["python -IS -c pass"].append(timed(lambda: subprocess.run(ns + [sys.executable, "-IS", "-c", "pass"])))
    return {k: median(v) for k, v in res.items()}


# ----------------------------------------------------------- 3. failover
def watch_takeover(bed, mac_b, t0, limit):
    """ms from t0 until the client's neighbour entry shows b's MAC (None if never)."""
    end = t0 + limit
    while time.monotonic() < end:
        if bed.neigh("c", VIP) == mac_b:
            return (time.monotonic() - t0) * 1000
        time.sleep(0.005)
    return None


def prime(bed, mac):
    """Make the client resolve the VIP to ``mac``."""
    for _ in range(200):
        bed.sh("c", "ping", "-c", "1", "-W", "1", VIP, check=False)
        if bed.neigh("c", VIP) == mac:
            return
        time.sleep(0.05)
    raise RuntimeError(f"client never resolved {VIP} to {mac}")


def agent_failover(bed, program):
    mac_a, mac_b = bed.mac("a"), bed.mac("b")
    must(run(bed, "a", "start", program=program, **PARAMS), "start a")
    prime(bed, mac_a)
    probe = bed.probe("c", VIP, duration=3.0)
    try:
        time.sleep(0.8)
        t0 = time.monotonic()
        must(run(bed, "a", "stop", program=program, **PARAMS), "stop a")
        must(run(bed, "b", "start", program=program, **PARAMS), "start b")
        takeover = watch_takeover(bed, mac_b, t0, 2.0)
    finally:
        result = bed.probe_result(probe)
    must(run(bed, "b", "stop", program=program, **PARAMS), "stop b")
    bed.sh("c", "ip", "neigh", "flush", "dev", "eth0", check=False)
    return result["outage_ms"], takeover


KEEPALIVED_CONF = """global_defs {{
    router_id {node}
    enable_script_security
}}
vrrp_instance VI_1 {{
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority {prio}
    advert_int 1
    virtual_ipaddress {{
        {vip}/24 dev eth0
    }}
}}
"""


def keepalived_failover(bed, sig):
    """a (priority 150) and b (100) run keepalived; ``sig`` hits a's daemon."""
    mac_a, mac_b = bed.mac("a"), bed.mac("b")
    procs = {}
    try:
        for node, prio in (("a", 150), ("b", 100)):
            d = bed.tmp / f"ka-{node}"
            d.mkdir(exist_ok=True)
            (d / "keepalived.conf").write_text(KEEPALIVED_CONF.format(node=node, prio=prio, vip=VIP))
            log = open(d / "log", "w")
            procs[node] = subprocess.Popen(
                ["ip", "netns", "exec", bed.ns(node), "keepalived", "--dont-fork", "--log-console",
                 "--vrrp", "-f", str(d / "keepalived.conf"), "-p", str(d / "ka.pid"),
                 "-r", str(d / "vrrp.pid"), "-c", str(d / "check.pid")],
                stdout=log, stderr=subprocess.STDOUT)
            log.close()
        end = time.monotonic() + 15
        while not bed.has_ip("a", VIP):
            if time.monotonic() > end:
                raise RuntimeError("keepalived never made a master")
            time.sleep(0.1)
        prime(bed, mac_a)
        probe = bed.probe("c", VIP, duration=6.0 if sig == signal.SIGKILL else 3.0)
        try:
            time.sleep(0.8)
            t0 = time.monotonic()
            # keepalived forks a VRRP child; signal the whole family by pid, the
            # children first: a child whose parent died first gets SIGTERM from
            # its parent-death signal and would leave gracefully
            for pid in _children(procs["a"].pid)[::-1] + [procs["a"].pid]:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            takeover = watch_takeover(bed, mac_b, t0, 5.5)
        finally:
            result = bed.probe_result(probe)
        left_on_a = bed.has_ip("a", VIP)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for node in ("a", "b"):
            bed.sh(node, "ip", "addr", "del", f"{VIP}/24", "dev", "eth0", check=False)
        bed.sh("c", "ip", "neigh", "flush", "dev", "eth0", check=False)
    return result["outage_ms"], takeover, left_on_a


def _children(pid):
    """Descendants of ``pid`` (ip netns exec execs keepalived, which forks its VRRP child)."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            with open(f"/proc/{parent}/task/{parent}/children") as fh:
                kids = [int(x) for x in fh.read().split()]
        except OSError:
            kids = []
        found += kids
        todo += kids
    return found


def failovers(bed, runs) -> list:
    rows = []
    for label, func in (("vip: stop a, start b", lambda: agent_failover(bed, None) + (False,)),
                        ("IPaddr2: stop a, start b", lambda: agent_failover(bed, IPADDR2) + (False,))):
        data = [func() for _ in range(runs)]
        rows.append((label, median([d[0] for d in data]),
                     median([d[1] for d in data if d[1] is not None]), any(d[2] for d in data)))
    if subprocess.run(["sh", "-c", "command -v keepalived"], capture_output=True).returncode == 0:
        for label, sig in (("keepalived: SIGTERM master", signal.SIGTERM),
                           ("keepalived: SIGKILL master", signal.SIGKILL)):
            data = [keepalived_failover(bed, sig) for _ in range(runs)]
            rows.append((label, median([d[0] for d in data]),
                         median([d[1] for d in data if d[1] is not None]), any(d[2] for d in data)))
    else:
        rows.append(("keepalived: not installed (apt-get install keepalived)", float("nan"),
                     float("nan"), False))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="samples per action timing")
    parser.add_argument("--failovers", type=int, default=3, help="samples per failover kind")
    args = parser.parse_args()
    reason = unavailable()
    if reason:
        sys.exit(f"bench_vip: {reason}")
    with Bed() as bed:
        print(f"bed {bed.tag}: {os.cpu_count()} CPUs, kernel {os.uname().release}, "
              f"python {sys.version.split()[0]}")
        print("\n## Import cost (python -X importtime, cumulative, best of 5)")
        for name, ms in import_costs(bed).items():
            print(f"  {name:<48} {ms:8.1f} ms")
        print(f"\n## Action wall time (median of {args.runs}, inside a namespace, IPv4 /24 on eth0)")
        t = action_times(bed, args.runs)
        for name, ms in t.items():
            print(f"  {name:<48} {ms:8.1f} ms")
        print("\n  ratios vip / IPaddr2:  monitor {:.2f}x (goal <= 0.7x)  probe {:.2f}x  "
              "start {:.2f}x  stop {:.2f}x".format(
                  t["vip monitor"] / t["IPaddr2 monitor"],
                  t["vip probe (not running)"] / t["IPaddr2 probe (not running)"],
                  t["vip start"] / t["IPaddr2 start"], t["vip stop"] / t["IPaddr2 stop"]))
        print(f"\n## Failover a -> b seen by the client (ICMP every 10 ms; median of {args.failovers})")
        print(f"  {'how the address moved':<40} {'outage':>10} {'takeover':>10}  note")
        for label, outage, takeover, left in failovers(bed, args.failovers):
            note = "address stays on a (both answer)" if left else ""
            print(f"  {label:<40} {outage:8.1f}ms {takeover:8.1f}ms  {note}")
        print("\n  outage: longest run of unanswered probes (ms); takeover: from the stop/signal"
              "\n  until the client's neighbour entry holds b's MAC")


if __name__ == "__main__":
    main()
