"""Chaos benchmark (issue 14, item 4): the failure scenarios of
tests/labs/chaos.py on one real 3-node Pacemaker cluster with fencing on,
under load, for ocf:ocfpy:galera and resource-agents' ocf:heartbeat:galera
in the same run.

Run as root:
  .venv/bin/python bench/bench_chaos.py [--runs 1] [--agents ocfpy heartbeat]
      [--scenarios partition power staggered simultaneous corosync fence_candidate]
      [--timeout 300] [--json FILE] [--keep DIR]

One cluster for the whole run (three node namespaces, stonith-enabled=true,
the sandbox's fence device), one mariadbd per node; for each agent the Galera
clone (promotable, promoted-max=3, the same operations for both agents) is
deployed on fresh data, then every scenario runs ``--runs`` times in a row,
each starting from full service (restored by a cleanup, or a fresh
deployment, when a scenario left the bed broken -- that run counts as failed).

Scenarios (see chaos.SCENARIOS): partition (a), power (b), staggered (c),
simultaneous (d), corosync (e), fence_candidate (f), transfer_cut (g). Load:
an autocommit writer through the VIP (one row per 20 ms) and an ARP prober
of the VIP every 10 ms, in a client namespace on the cluster's bridge.

Figures, in seconds from the fault: 3P -- three Promoted again (with every
crashed mariadbd replaced); VIP -- the VIP answering again (end of the longest
outage); writes -- writes succeeding again (end of the longest gap between
acknowledgements over 1 s); full -- all of them and three Synced members.
Rows lost: acknowledged ids missing on some node afterwards. A run fails when
it is not back to full service within --timeout, when a lost node was not
fenced, when the VIP answered from two nodes after fencing completed, when
two Primary Components were seen, or when an acknowledged row is missing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from labs import chaos  # noqa: E402


def _fmt(values) -> str:
    vals = [v for v in values if v is not None]
    if not vals:
        return "-"
    med = statistics.median(vals)
    if len(vals) == 1:
        return f"{med:.1f}"
    return f"{med:.1f} ({min(vals):.1f}-{max(vals):.1f})"


def table(results: list) -> str:
    head = (f"{'scenario':<16} {'agent':<21} {'ok':>5}  {'3 Promoted s':<17} {'VIP back s':<17} "
            f"{'writes back s':<17} {'full service s':<17} {'lost':>5} {'acked':>6}  transfers")
    lines = [head, "-" * len(head)]
    seen = []
    for r in results:
        if (r.scenario, r.agent) not in seen:
            seen.append((r.scenario, r.agent))
    for scenario in chaos.SCENARIOS:
        for agent in chaos.AGENTS:
            rs = [r for r in results if (r.scenario, r.agent) == (scenario, agent)]
            if not rs:
                continue
            ok = sum(r.ok for r in rs)
            lost = sum(r.rows_lost or 0 for r in rs)
            transfers = {}
            for r in rs:
                for kind in r.transfers.values():
                    transfers[kind] = transfers.get(kind, 0) + 1
            lines.append(
                f"{scenario:<16} {chaos.LABELS[agent]:<21} {ok:>2}/{len(rs):<2}  "
                f"{_fmt(r.promoted3_s for r in rs):<17} {_fmt(r.vip_s for r in rs):<17} "
                f"{_fmt(r.writes_s for r in rs):<17} {_fmt(r.full_s for r in rs):<17} "
                f"{lost:>5} {sum(r.acked for r in rs):>6}  "
                + ", ".join(f"{k} {v}" for k, v in sorted(transfers.items())))
    return "\n".join(lines)


def source_state() -> str:
    """HEAD and the galera agent's file as it is now (the agents installed into
    the cluster run the checkout's code: an edit during the run would show)."""
    import hashlib
    import subprocess

    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--",
                            "agents/galera"], capture_output=True, text=True).stdout.strip()
    digest = hashlib.sha256((REPO / "agents/galera/agent.py").read_bytes()).hexdigest()[:12]
    return f"HEAD {head}, agents/galera/agent.py sha256 {digest}" + (
        " (uncommitted changes in agents/galera)" if dirty else "")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--agents", nargs="+", default=["ocfpy", "heartbeat"],
                    choices=sorted(chaos.AGENTS))
    ap.add_argument("--scenarios", nargs="+", default=list(chaos.SCENARIOS),
                    choices=list(chaos.SCENARIOS))
    ap.add_argument("--timeout", type=float, default=300,
                    help="bound on one recovery, fault to full service (s)")
    ap.add_argument("--json", help="write every run's result to this file")
    ap.add_argument("--keep", help="copy every run's events and timelines into this directory")
    args = ap.parse_args(argv)
    for agent in args.agents:
        reason = chaos.unavailable(agent)
        if reason:
            print(f"cannot run: {reason}", file=sys.stderr)
            return 2

    def log(msg):
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)

    t_start = time.monotonic()
    state_before = source_state()
    log(f"source: {state_before}")
    results, cold = [], {}
    bed = chaos.Bed(agent=args.agents[0], log=log, keep=args.keep)
    try:
        bed.start()
        for i, agent in enumerate(args.agents):
            if i:
                cold[agent] = bed.redeploy(agent)
            log(f"== {chaos.LABELS[agent]} on {bed.c.name}: {args.runs} run(s) of "
                f"{', '.join(args.scenarios)}")
            for run in range(1, args.runs + 1):
                for scenario in args.scenarios:
                    try:
                        r = chaos.run_scenario(bed, scenario, timeout=args.timeout)
                    except Exception as exc:  # noqa: BLE001 - a broken run is a result too
                        r = chaos.Result(scenario, agent, problems=[f"error: {exc!r}"])
                        log(r.line())
                    r.notes.append(f"run {run}")
                    results.append(r)
                    if args.json:
                        Path(args.json).write_text(json.dumps(
                            [x.to_dict() for x in results], indent=1, default=str))
    finally:
        try:
            bed.close()
        except Exception as exc:  # noqa: BLE001
            log(f"teardown: {exc}")
    print()
    print(f"chaos benchmark: {args.runs} run(s) per scenario and agent, one cluster, "
          f"{(time.monotonic() - t_start) / 60:.1f} min; {state_before}")
    state_after = source_state()
    if state_after != state_before:
        print(f"WARNING: the galera agent changed during the run: now {state_after}")
    print(table(results))
    failed = [r for r in results if not r.ok]
    for r in failed:
        print(f"FAILED {r.scenario} {chaos.LABELS[r.agent]} ({', '.join(r.notes[-1:])}): "
              + "; ".join(r.problems))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
