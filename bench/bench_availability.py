#!/usr/bin/env python3
"""What API clients see through the VIP when a controller fails (issue 15).

Brings up the sandbox demo (the HA guide's topology on 3 nodes, fencing on),
then for each agent set -- ocfpy's (ocf:ocfpy:vip, ocf:ocfpy:galera) and the
reference agents that can run here (ocf:heartbeat:IPaddr2,
ocf:heartbeat:galera); HAProxy, clustercheck and the APIs are the same in
both -- runs a client in a namespace of its own that calls token,
image-list, volume-type and share-type through the VIP (a new call per API
every 0.2 s, whatever the others are doing), and inflicts:

  reload  HAProxy reloaded on every node with a changed haproxy.cfg
  kill    every keystone process on the node HAProxy sends the client to (SIGKILL)
  vip     the node holding the VIP powered off (Pacemaker fences it)
  writer  the node of the Galera writer (node1, not holding the VIP) powered off

Per scenario and API it prints failed calls, the longest run of failures,
the longest time without a successful answer and the time until the API
answers normally again; then, once the node is powered on and rejoined,
the same for the rejoin. It also prints the corosync timings, and the CPU
the agents' monitors cost per node per hour at the demo's intervals (each
monitor run 10 times with the CIB's parameters; CPU of the agent and its
children from wait4).

Usage (root; ~25 min on 2 cores):
    .venv/bin/python bench/bench_availability.py
    .venv/bin/python bench/bench_availability.py --agents ocfpy --scenarios reload kill
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from ocfpy.sandbox import demo
from ocfpy.sandbox.availability import (
    AGENT_SETS, CALL_TIMEOUT, ApiClient, DemoBed, figures, monitor_cost, monitor_ops,
)
from ocfpy.sandbox.client import ClientNamespace
from ocfpy.sandbox.cluster import Cluster
from ocfpy.sandbox.layout import NODES, DemoLayout, sandbox_dir

SCENARIOS = ("reload", "kill", "vip", "writer")
WARMUP, QUIET = 5.0, 10.0


def say(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def reference_missing() -> str | None:
    for agent in ("IPaddr2", "galera"):
        path = f"/usr/lib/ocf/resource.d/heartbeat/{agent}"
        if not os.access(path, os.X_OK):
            return f"{path} missing (apt-get install resource-agents)"
    return None


def wait_calls_ok(client: ApiClient, since: float, seconds: float, timeout: float) -> None:
    """Until no call has failed for ``seconds`` and every call started
    before the last ``CALL_TIMEOUT`` s is known (a call that hangs is
    recorded when it times out), calls started after ``since`` included."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        time.sleep(1)
        now = time.monotonic()
        calls = client.calls()
        last_failure = max((c.end for c in calls if not c.ok), default=since)
        if now - since > CALL_TIMEOUT + 1 and now - max(last_failure, since) > seconds \
                and any(c.ok and c.start > since for c in calls):
            return


def run_scenario(bed: DemoBed, ns: ClientNamespace, name: str, period: float,
                 out: Path) -> dict:
    """One scenario; {"fault": {api: figures}, "rejoin": {...}, "facts": {...}}."""
    bed.wait_healthy(300)
    facts: dict = {}
    writer = NODES[0]           # HAProxy's active Galera server; node2, node3 are backups
    if name in ("vip", "writer") and bed.vip_node() == writer:
        bed.move_vip(NODES[1])
    openrc = str(bed.layout.node_dir(NODES[0]) / "admin-openrc")
    client = ApiClient(ns, out / f"calls-{bed.agents}-{name}-{int(time.time())}.jsonl", openrc,
                       period).start()
    try:
        time.sleep(WARMUP)
        target = None
        if name == "kill":
            target = bed.busiest_server("keystone_public_internal_cluster")
        elif name == "vip":
            target = bed.vip_node()
        elif name == "writer":
            target = writer
        facts["target"] = target
        facts["vip_node"] = bed.vip_node()
        t_fault, wall = time.monotonic(), time.time()
        if name == "reload":
            facts["reload_s"] = [round(t, 2) for t in bed.reload_haproxy()]
            time.sleep(QUIET)
            t_rejoin = None
        elif name == "kill":
            killed = set(bed.kill_api("keystone", target))
            facts["killed_pids"] = len(killed)
            # Pacemaker notices at the next monitor (30 s) and restarts it
            deadline = time.monotonic() + 300
            while not set(bed.api_pids("keystone", target)) - killed and \
                    time.monotonic() < deadline:
                time.sleep(0.5)
            facts["restarted_after_s"] = round(time.monotonic() - t_fault, 1)
            bed.wait_healthy(300)
            bed.cleanup()
            facts["whole_again_s"] = round(time.monotonic() - t_fault, 1)
            time.sleep(QUIET)
            t_rejoin = None
        else:
            bed.power_off(target)
            deadline = time.monotonic() + 120
            while not bed.fenced(target, wall) and time.monotonic() < deadline:
                time.sleep(0.5)
            facts["fenced_after_s"] = round(time.monotonic() - t_fault, 1)
            wait_calls_ok(client, t_fault, QUIET, 180)
            facts["vip_node_after"] = bed.vip_node()
            t_rejoin = time.monotonic()
            facts["rejoin_s"] = round(bed.repair(target), 1)
            facts["whole_again_s"] = round(time.monotonic() - t_fault, 1)
            time.sleep(QUIET)
    finally:
        calls = client.stop()
    errors: dict = {}
    for c in calls:
        if not c.ok and c.end >= t_fault:
            key = f"{c.api}: {c.detail.split(':')[0]}"
            errors[key] = errors.get(key, 0) + 1
    facts["errors"] = errors
    result = {"facts": facts,
              "fault": {a: f.__dict__ for a, f in figures(calls, t_fault, t_rejoin).items()}}
    if t_rejoin is not None:
        result["rejoin"] = {a: f.__dict__ for a, f in figures(calls, t_rejoin).items()}
    return result


def show(agents: str, name: str, result: dict) -> None:
    print(f"\n== {agents}: {name}  {json.dumps(result['facts'])}")
    for window in ("fault", "rejoin"):
        for api, f in result.get(window, {}).items():
            print(f"  {window:6s} {api:12s} {f['calls']:5d} calls {f['failed']:3d} failed, "
                  f"longest failure run {f['longest_failure_run']:5.2f} s, longest without "
                  f"an answer {f['longest_without_answer']:5.2f} s, normal after "
                  f"{f['back_to_normal']:5.2f} s, slowest good {f['slowest_ok']:5.2f} s")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--agents", nargs="+", choices=list(AGENT_SETS), default=list(AGENT_SETS))
    ap.add_argument("--scenarios", nargs="+", choices=SCENARIOS, default=list(SCENARIOS),
                    help="in this order; one given twice runs twice")
    ap.add_argument("--period", type=float, default=0.2, help="seconds between calls per API")
    ap.add_argument("--monitor-runs", type=int, default=10)
    ap.add_argument("--json", help="write every figure to this file too")
    ap.add_argument("--calls-dir", default="/var/tmp/ocfpy-bench-availability",
                    help="where each scenario's calls are kept (one JSON line per call)")
    args = ap.parse_args(argv)

    reason = demo.missing_requirements("openstack", 3) or (
        reference_missing() if "reference" in args.agents else None)
    if reason:
        print(f"cannot run here: {reason}", file=sys.stderr)
        return 2
    layout = DemoLayout.default()
    cluster = Cluster(nodes=3, name="ocfpy-bench-avail",
                      workdir=sandbox_dir() / "bench-availability")
    results: dict = {"agents": {}}
    ns = None
    try:
        t0 = time.monotonic()
        cluster.start()
        demo.run_demo(cluster, "openstack", progress=say)
        say(f"demo up in {time.monotonic() - t0:.0f} s")
        bed = DemoBed(cluster, layout, say)
        timings = bed.corosync_timings()
        results["corosync"] = timings
        say(f"corosync token {timings['token']} ms, consensus {timings['consensus']} ms: "
            f"failure detection {(timings['token'] or 0) + (timings['consensus'] or 0)} ms")
        ns = ClientNamespace(cluster).start()
        out = Path(args.calls_dir)
        out.mkdir(parents=True, exist_ok=True)
        for agents in args.agents:
            if agents != bed.agents:
                say(f"switching the VIP and Galera to the {agents} agents")
                bed.cleanup()
                try:
                    took = bed.use_agents(agents)
                except Exception as exc:   # noqa: BLE001 - reported; nothing else to run on
                    say(f"the {agents} agents did not come up: {type(exc).__name__}: "
                        f"{str(exc)[:1500]}")
                    break
                say(f"{agents} agents running in {took:.0f} s")
            mine = results["agents"][agents] = {}
            bed.wait_healthy(300)
            node = bed.vip_node()
            cib = cluster.run(["cibadmin", "--query", "--scope", "configuration"]).stdout
            # every Galera instance is Promoted (promoted-max=3): Pacemaker runs
            # the Promoted monitor there, not the Unpromoted one
            ops = [op for op in monitor_ops(cib) if op[2] != "Unpromoted"]
            costs = monitor_cost(cluster, node, ops, args.monitor_runs)
            mine["monitor_cost"] = [c.__dict__ for c in costs]
            print(f"\n== {agents}: monitor CPU on {node} (the VIP's node: every resource runs there)")
            for c in costs:
                print(f"  {c.resource:14s} {c.agent:22s} every {c.interval_s:4.0f} s  "
                      f"{c.cpu_per_call_ms:7.1f} ms/call  {c.cpu_s_per_hour:6.1f} CPU s/hour  rc {c.rc}")
            print(f"  total {sum(c.cpu_s_per_hour for c in costs):.1f} CPU s per node per hour")
            for key in scenario_keys(args.scenarios):
                name = key.split("#")[0]
                say(f"{agents}: scenario {key}")
                try:
                    result = run_scenario(bed, ns, name, args.period, out)
                except Exception as exc:   # noqa: BLE001 - reported, the next scenario runs
                    say(f"{agents}: scenario {name} FAILED: {type(exc).__name__}: {exc}"[:2000])
                    result = {"facts": {"error": str(exc)[:500]}}
                mine[key] = result
                if "fault" in result:
                    show(agents, key, result)
        summary(results, args)
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1))
    finally:
        if ns is not None:
            ns.stop()
        cluster.stop()
        demo.remove_files(layout)
    return 0


def scenario_keys(names) -> list:
    """The scenarios in order, a repeated one numbered: kill, kill#2, ..."""
    seen: dict = {}
    keys = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        keys.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return keys


def summary(results: dict, args) -> None:
    det = sum(v or 0 for v in results["corosync"].values()) / 1000
    print(f"\n== summary (corosync token+consensus {det:.1f} s; limit for the VIP node's "
          f"power-off: {det + 2:.1f} s)")
    print(f"{'scenario':8s} {'agents':10s} {'failed calls (all APIs)':>24s} "
          f"{'longest failure run':>20s} {'longest without answer':>23s} {'normal after':>13s}")
    for name in scenario_keys(args.scenarios):
        for agents in args.agents:
            res = results["agents"].get(agents, {}).get(name, {}).get("fault")
            if not res:
                print(f"{name:8s} {agents:10s} (failed to run)")
                continue
            print(f"{name:8s} {agents:10s} {sum(f['failed'] for f in res.values()):24d} "
                  f"{max(f['longest_failure_run'] for f in res.values()):19.2f}s "
                  f"{max(f['longest_without_answer'] for f in res.values()):22.2f}s "
                  f"{max(f['back_to_normal'] for f in res.values()):12.2f}s")
    totals = {a: sum(c["cpu_s_per_hour"] for c in results["agents"][a].get("monitor_cost", []))
              for a in args.agents if a in results["agents"]}
    if len(totals) == 2 and totals.get("ocfpy"):
        print(f"monitor CPU per node per hour: ocfpy {totals['ocfpy']:.1f} s, reference "
              f"{totals['reference']:.1f} s (x{totals['reference'] / totals['ocfpy']:.2f})")


if __name__ == "__main__":
    sys.exit(main())
