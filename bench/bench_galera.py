"""Benchmark: cold start of a 3-node MariaDB Galera to three Synced nodes,
ocf:ocfpy:galera against resource-agents' ocf:heartbeat:galera.

Run as root:  .venv/bin/python bench/bench_galera.py [--runs 3] [--scenario restart crash]
                 [--mode parallel serial] [--agents ocfpy heartbeat]

Both agents are driven by the same fake-cluster scheduler
(ocfpy.testing.scheduler.CloneScheduler over a FakeCluster; promotable clone,
promoted-max=3): probe and start every node, then ``settle()`` (promote,
monitor, recover failed instances, again until nothing changes). With
``--mode parallel`` (default) each phase runs on all its nodes at once, as
Pacemaker's executor does (the joiners' promotes overlap); ``--mode serial``
runs one action at a time. heartbeat/galera's crm_attribute/crm_node/crm_mon/
cibadmin calls are served by the fake tools; "is an instance Promoted" comes
from the fake crm_mon, which shows the roles the scheduler recorded.

Three mariadbd run on 127.0.0.1 with free ports (ocfpy.sandbox.mariadb),
each with its own my.cnf, datadir, socket, pid file and error log, given to
the agents as per-node instance attributes (Driver node_params).
heartbeat/galera's status queries do not pass the socket, so its
``client_binary`` is ``mariadb --socket=<this node's socket>``; both agents
run ``/usr/sbin/mariadbd``.

Scenarios (every run starts from a copy of the same data directories):
- restart: the cluster was shut down cleanly, node1 last (grastate.dat has
  seqnos, safe_to_bootstrap: 1 on node1);
- crash: all three were killed with SIGKILL (seqno -1 everywhere: the agents
  must run ``--wsrep-recover``; pc.recovery=FALSE).

The figure is the wall time from the first probe until every node is
Promoted and answers wsrep_local_state=4 (Synced). How each joiner got its
state (IST, SST, none) is read from its error log.
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ocfpy.sandbox import mariadb  # noqa: E402
from ocfpy.testing.driver import Driver  # noqa: E402
from ocfpy.testing.fake import FakeCluster  # noqa: E402
from ocfpy.testing.scheduler import PROMOTED, CloneScheduler  # noqa: E402

HEARTBEAT = "/usr/lib/ocf/resource.d/heartbeat/galera"
OURS = "galera"               # the shipped ocfpy agent (run as a subprocess)
AGENTS = {"ocfpy": OURS, "heartbeat": "ocf:heartbeat:galera"}
LABELS = {"ocfpy": "ocf:ocfpy:galera", "heartbeat": "ocf:heartbeat:galera"}
MARIADBD = "/usr/sbin/mariadbd"
CLIENT = shutil.which("mariadb") or shutil.which("mysql") or "/usr/bin/mariadb"
RESOURCE = "galera"
ROWS = 200
SETTLE_ROUNDS = 10
TIMEOUTS = {"start": 120, "stop": 120, "promote": 300, "demote": 120, "monitor": 30}


def unavailable() -> str | None:
    """Why the benchmark cannot run here, or None."""
    reason = mariadb.missing_requirements(galera=True)
    if reason:
        return reason
    if not os.access(HEARTBEAT, os.X_OK):
        return f"{HEARTBEAT} missing (apt-get install resource-agents)"
    return None


# ------------------------------------------------------------ data templates
def make_template(base: Path, scenario: str) -> Path:
    """Form a 3-node cluster by hand, write ROWS rows, then leave it the way
    ``scenario`` says (clean shutdown with node1 last, or SIGKILL of all).
    Returns the directory holding node1/data .. node3/data."""
    cfgs = mariadb.galera_configs(base, 3)
    mariadb.install_db(cfgs[0])
    servers = [mariadb.MariaDB(c, MARIADBD) for c in cfgs]
    try:
        servers[0].start(bootstrap=True)
        servers[0].wait_synced(60)
        for server in servers[1:]:
            server.start()
            server.wait_synced(120)
        mariadb.sql(cfgs[0], "CREATE DATABASE bench")
        mariadb.sql(cfgs[0], "CREATE TABLE bench.t (id INT PRIMARY KEY AUTO_INCREMENT, "
                             "node VARCHAR(8))")
        for i in range(ROWS):
            cfg = cfgs[i % 3]
            mariadb.sql(cfg, "INSERT INTO bench.t (node) VALUES (%s)", (cfg.name,))
        # every node has applied every row before the crash/shutdown
        for cfg in cfgs:
            wait_rows(cfg, ROWS, 30)
    finally:
        if scenario == "crash":
            for server in servers:
                server.kill()
        for server in reversed(servers):   # node1 is the last one down
            server.stop()
    return base


def wait_rows(cfg, rows, timeout) -> None:
    end = time.monotonic() + timeout
    while True:
        count = mariadb.sql(cfg, "SELECT COUNT(*) FROM bench.t")[0][0]
        if count >= rows or time.monotonic() > end:
            return
        time.sleep(0.1)


def wait_synced(cfg, timeout) -> None:
    """Until the node (started by the agent) is Primary and Synced."""
    end = time.monotonic() + timeout
    state = {}
    while time.monotonic() < end:
        try:
            state = mariadb.status(cfg, timeout=2)
        except Exception:  # noqa: BLE001 - not answering yet
            state = {}
        if state.get("wsrep_cluster_status") == "Primary" and state.get("wsrep_local_state") == "4":
            return
        time.sleep(0.05)
    raise TimeoutError(f"{cfg.name} not Synced within {timeout} s: "
                       f"{state.get('wsrep_local_state_comment')}")


def copy_data(template: Path, cfgs) -> None:
    for cfg in cfgs:
        shutil.rmtree(cfg.datadir)
        subprocess.run(["cp", "-a", str(template / cfg.name / "data"), str(cfg.datadir)],
                       check=True)


# ------------------------------------------------------------------ one run
def agent_params(kind, cfgs):
    """(common params, {node: per-node params}) for one agent."""
    host_map = ";".join(f"{c.name}:{c.gcomm_entry}" for c in cfgs)
    common = {"wsrep_cluster_address": cfgs[0].gcomm_address, "cluster_host_map": host_map,
              "binary": MARIADBD}
    per_node = {c.name: c.agent_params() for c in cfgs}
    if kind == "heartbeat":
        for c in cfgs:
            per_node[c.name]["client_binary"] = f"{CLIENT} --socket={c.socket}"
    return common, per_node


def stop_leftovers(cfgs) -> None:
    """Safety net: a mariadbd still running from this run's pid files goes
    (by pid, and only if its command line names this run's files)."""
    for cfg in cfgs:
        try:
            pid = int(cfg.pid.read_text().split()[0])
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                argv = fh.read().decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        if str(cfg.dir) not in argv:
            continue
        for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 5)):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                break
            if gone(pid, wait):
                break


def gone(pid, timeout) -> bool:
    """True once pid has exited (a zombie counts: its parent reaps it)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().rpartition(")")[2].split()[0] in ("Z", "X"):
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


def cold_start(kind, template: Path, base: Path, parallel: bool) -> dict:
    """One cold start of agent ``kind`` from a copy of ``template``."""
    cfgs = mariadb.galera_configs(base / "db", 3)
    copy_data(template, cfgs)
    cluster = FakeCluster.create(base / "fake", 3)
    common, per_node = agent_params(kind, cfgs)
    driver = Driver(AGENTS[kind], cluster=cluster, resource=RESOURCE, params=common,
                    node_params=per_node, workdir=base / "work")
    # strict=False: a failed action is recorded and recovered, as Pacemaker would
    sched = CloneScheduler(driver, cluster, promotable=True, promoted_max=3, strict=False,
                           parallel=parallel, timeouts=TIMEOUTS)
    offsets = {c.name: mariadb.MariaDB(c).log_offset() for c in cfgs}
    result = {"agent": kind, "ok": False}
    t0 = time.monotonic()
    try:
        sched.start_all()
        result["started_s"] = time.monotonic() - t0
        sched.settle(SETTLE_ROUNDS)
        if not all_promoted(sched):
            raise RuntimeError(f"not all promoted after settling: {sched.roles()}")
        for cfg in cfgs:
            wait_synced(cfg, 60)
        result["seconds"] = time.monotonic() - t0
        statuses = [mariadb.status(c) for c in cfgs]
        result["cluster_size"] = {s.get("wsrep_cluster_size") for s in statuses}
        result["rows"] = [mariadb.sql(c, "SELECT COUNT(*) FROM bench.t")[0][0] for c in cfgs]
        result["ok"] = result["cluster_size"] == {"3"} and result["rows"] == [ROWS] * 3
    except Exception as exc:  # noqa: BLE001 - a failed run is reported, not fatal
        result["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
    finally:
        result["bootstrap"] = bootstrap_node(cfgs, offsets)
        result["transfers"] = {c.name: mariadb.ist_or_sst(mariadb.log_text(c, offsets[c.name]))
                               for c in cfgs}
        result["calls"] = len(sched.ops)
        result["timeline"] = [(r.node, r.label, r.rc, r.duration) for r in driver.results]
        result["failed_calls"] = [(o.node, o.action, o.rc, o.exit_reason) for o in sched.ops
                                  if o.rc not in (0, 7, 8)]
        try:
            sched.parallel = True
            sched.stop_all()
        except Exception as exc:  # noqa: BLE001
            result.setdefault("error", f"stop_all: {exc}")
        stop_leftovers(cfgs)
    return result


def bootstrap_node(cfgs, offsets):
    """The node whose log of this run says it bootstrapped a new group."""
    found = [c.name for c in cfgs
             if "bootstrapping new group" in mariadb.log_text(c, offsets[c.name])]
    return ",".join(found) or None


def all_promoted(sched) -> bool:
    return all(role == PROMOTED for role in sched.roles().values())


# ------------------------------------------------------------------ report
def summarize(results) -> dict:
    ok = [r["seconds"] for r in results if r["ok"]]
    return {"n": len(results), "ok": len(ok),
            "median": statistics.median(ok) if ok else float("nan"),
            "min": min(ok) if ok else float("nan"), "max": max(ok) if ok else float("nan")}


def transfers_text(results) -> str:
    kinds = {}
    for r in results:
        for node, how in sorted(r["transfers"].items()):
            if node != r.get("bootstrap"):
                kinds[how or "none"] = kinds.get(how or "none", 0) + 1
    return ", ".join(f"{k} x{v}" for k, v in sorted(kinds.items())) or "-"


def report(all_results, kinds) -> None:
    print()
    print("cold start to 3 Synced under the fake-cluster scheduler, seconds")
    print(f"{'scenario':<9} {'mode':<9} {'agent':<22} {'ok':>5} {'median':>7} {'min':>7} {'max':>7}"
          f"  {'joiners got':<17} {'failed calls':>12}  bootstrap")
    for (scenario, mode), per_agent in all_results.items():
        medians = {}
        for kind in kinds:
            results = per_agent.get(kind, [])
            s = summarize(results)
            medians[kind] = s["median"]
            boots = ",".join(sorted({str(r.get("bootstrap")) for r in results}))
            failed = sum(len(r["failed_calls"]) for r in results)
            print(f"{scenario:<9} {mode:<9} {LABELS[kind]:<22} {s['ok']:>2}/{s['n']:<2}"
                  f" {s['median']:>7.1f} {s['min']:>7.1f} {s['max']:>7.1f}"
                  f"  {transfers_text(results):<17} {failed:>12}  {boots}")
        if len(kinds) == 2 and medians["ocfpy"] > 0:   # nan compares False
            print(f"{'':<19} ratio heartbeat/ocfpy (medians): "
                  f"{medians['heartbeat'] / medians['ocfpy']:.2f}x")
    for (scenario, mode), per_agent in all_results.items():
        for kind, results in per_agent.items():
            for r in results:
                if not r["ok"] or r["failed_calls"]:
                    print(f"  {scenario}/{mode} {LABELS[kind]}: {r.get('error', 'ok')};"
                          f" failed calls {r['failed_calls']}; rows {r.get('rows')}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3,
                        help="cold starts per agent, scenario and mode (default 3)")
    parser.add_argument("--scenario", nargs="+", default=["restart", "crash"],
                        choices=["restart", "crash"])
    parser.add_argument("--mode", nargs="+", default=["parallel"], choices=["parallel", "serial"])
    parser.add_argument("--agents", nargs="+", default=["ocfpy", "heartbeat"],
                        choices=["ocfpy", "heartbeat"])
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--verbose", action="store_true",
                        help="print every agent call of every run with its duration")
    args = parser.parse_args()
    reason = unavailable()
    if reason:
        print(f"bench_galera: cannot run: {reason}", file=sys.stderr)
        return 2
    work = mariadb.make_base_dir("ocfpy-bench-galera-")
    print(f"work directory {work}; agents {', '.join(LABELS[k] for k in args.agents)}")
    all_results = {}
    try:
        for scenario in args.scenario:
            t = time.monotonic()
            template = make_template(work / f"template-{scenario}", scenario)
            print(f"{scenario}: template cluster built in {time.monotonic() - t:.1f} s", flush=True)
            for mode in args.mode:
                per_agent = all_results[(scenario, mode)] = {k: [] for k in args.agents}
                for run in range(args.runs):
                    # alternate which agent goes first, so drift hits both alike
                    order = args.agents if run % 2 == 0 else list(reversed(args.agents))
                    for kind in order:
                        base = work / f"{scenario}-{mode}-{kind}-{run}"
                        r = cold_start(kind, template, base, parallel=mode == "parallel")
                        per_agent[kind].append(r)
                        print(f"  {scenario}/{mode} run {run + 1} {LABELS[kind]:<22} "
                              + (f"{r['seconds']:6.1f} s (start phase {r['started_s']:.1f} s)"
                                 if r["ok"] else "FAILED  ")
                              + f"  bootstrap {r['bootstrap']}, joiners {r['transfers']},"
                              f" {r['calls']} agent calls, {len(r['failed_calls'])} failed"
                              + (f"  {r['error']}" if "error" in r else ""), flush=True)
                        if args.verbose:
                            for node, label, rc, seconds in r["timeline"]:
                                print(f"      {node} {label:<28} rc {rc:<3} {seconds:6.2f} s")
                        if not args.keep:
                            shutil.rmtree(base, ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report(all_results, args.agents)
    return 0


if __name__ == "__main__":
    sys.exit(main())
