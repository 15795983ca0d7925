#!/usr/bin/env python3
"""The full hostile-input matrix of issue 11: every shipped agent x every action
x every value class of every parameter, plus bad operation timeouts and bad
instance names, each run in its own namespaces (see tests/security/hostile.py
for what one run is and what it checks).

Prints the totals -- runs, invalid codes, missing exit reasons, multiple exit
reasons, tracebacks, leaks, leftovers, stop/probe failures on valid config,
harness errors -- then the failures grouped by cause, and with --list every
failing run (agent, action, parameter, value class, step, rc, detail, stderr
head). All totals should be 0.

Usage (root; ~13,000 runs, 10-30 min on 2 cores)::

    .venv/bin/python bench/bench_hostile.py [--jobs 3] [--agents vip,galera]
        [--sample N --seed S] [--actions stop,probe] [--list] [--stream] [--json out.json]

The exit code is 0 when every total is 0, 1 otherwise, 2 when the runs
cannot happen here (not root, no unshare).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "security"))

import hostile  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--agents", default="", help="comma-separated agent names (default: all)")
    ap.add_argument("--sample", type=int, default=None,
                    help="run N cases (seeded, every agent x action covered) instead of all")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--jobs", type=int, default=max(2, min(4, (os.cpu_count() or 2) + 1)),
                    help="runs at once (default: CPUs + 1, 2..4)")
    ap.add_argument("--actions", default="", help="comma-separated matrix actions (probe, monitor, "
                                                  "start, ...; default: all)")
    ap.add_argument("--list", action="store_true", help="print every failing run")
    ap.add_argument("--groups", type=int, default=80, help="cause groups shown (default 80)")
    ap.add_argument("--json", help="write every failure (and the totals) to this file")
    ap.add_argument("--quiet", action="store_true", help="no progress lines")
    ap.add_argument("--stream", action="store_true",
                    help="print each failure to stderr as soon as its run ends")
    args = ap.parse_args(argv)

    reason = hostile.unavailable()
    if reason:
        print(f"bench_hostile: cannot run: {reason}", file=sys.stderr)
        return 2
    agents = [a for a in args.agents.split(",") if a] or None
    with hostile.Harness(agents=agents) as harness:
        cases = harness.cases()
        if args.actions:
            wanted = set(args.actions.split(","))
            cases = [c for c in cases if c.action in wanted]
        cases = hostile.sample_cases(cases, args.sample, args.seed)
        print(f"{len(cases)} runs of {', '.join(sorted(harness.models))} on {args.jobs} workers "
              f"(scratch {harness.scratch})", file=sys.stderr)
        started = time.monotonic()
        step = max(1, len(cases) // 40)

        def progress(done, total, result):
            if args.stream:
                for f in result.failures:
                    print("  FAIL " + f.line(), file=sys.stderr, flush=True)
            if args.quiet:
                return
            if done % step == 0 or done == total:
                elapsed = time.monotonic() - started
                eta = elapsed / done * (total - done)
                print(f"  {done}/{total} runs, {elapsed:.0f}s, ~{eta:.0f}s left", file=sys.stderr)

        totals = harness.run_many(cases, jobs=args.jobs, progress=progress)
        wall = time.monotonic() - started
    print(f"wall time: {wall:.1f}s ({wall / max(1, totals.runs):.2f}s per run on {args.jobs} workers)")
    print(totals.report(limit=args.groups))
    if args.list and totals.failures:
        print("\nfailing runs:")
        for f in sorted(totals.failures, key=lambda f: (f.case, f.category)):
            print("  " + f.line())
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"runs": totals.runs, "totals": dict(totals.counts), "wall": wall,
                       "failures": [{"category": f.category, "agent": f.case.agent,
                                     "action": f.case.action, "target": f.case.target,
                                     "class": f.case.vclass, "step": f.step, "rc": f.rc,
                                     "detail": f.detail, "stderr": f.stderr[-1000:]}
                                    for f in totals.failures]}, fh, indent=1)
    return 0 if totals.ok else 1


if __name__ == "__main__":
    sys.exit(main())
