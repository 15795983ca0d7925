#!/usr/bin/env python3
"""Start-up cost of ocfpy's example agents against the bare interpreter, resource-agents'
dummypy and Pacemaker's shell Dummy, measured in one run.

For each command the wall time of many runs (default 60) is taken, interleaved
round-robin (every command once per round, in a rotating order) so that machine
noise spreads over all of them; the table shows the median, the minimum and the
90th percentile. Goals (issue 2): each example agent's meta-data and probe
median <= 1.5 x the bare interpreter (``<python> -IS -c pass``, the interpreter
the installed agents use) and <= 0.5 x dummypy's same action.

Then ``python -X importtime`` evidence: for meta-data, probe and a recurring
monitor of each example agent, which of lxml, click, pyroute2, pymysql and
psutil got imported (none should).

Usage::

    .venv/bin/python bench/bench_agents.py [--runs 60] [--check]

``--check`` makes the exit code say whether the goals were met (0 yes, 1 no);
without it the exit code is 0 unless something could not run.
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

from ocfpy.testing import timing
from ocfpy.testing.importcost import HEAVY, heavy_in, imported_modules, script_python

GOAL_VS_BARE = 1.5
GOAL_VS_DUMMYPY = 0.5
EXAMPLES = ("dummy", "stateful")
DUMMYPY = Path("/usr/lib/ocf/resource.d/heartbeat/dummypy")
SHELL_DUMMY = Path("/usr/lib/ocf/resource.d/pacemaker/Dummy")
SYSTEM_OCF_ROOT = "/usr/lib/ocf"


# -- installing ---------------------------------------------------------------------
def install_examples(root: Path, python: str | None) -> dict:
    """Install the example agents into ``root``; {name: script path}."""
    repo = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(repo))
    from ocfpy.install import install

    paths = install(root, provider="ocfpy-bench", names=list(EXAMPLES), python=python)
    return {p.name: p for p in paths}


# -- running ------------------------------------------------------------------------
def base_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OCF_", "HA_", "PCMK_", "PYTHON"))}
    env.update(OCF_ROOT=SYSTEM_OCF_ROOT, OCF_RESOURCE_INSTANCE="bench")
    env.update(extra)
    return env


def spawn_wait(argv, env, capture=False):
    """Run ``argv`` with stdout/stderr to /dev/null (ocfpy.testing.timing's
    posix_spawn) or captured; returns (seconds, exit code, output)."""
    if capture:
        import subprocess

        t0 = time.perf_counter()
        proc = subprocess.run(argv, env=env, capture_output=True, text=True)
        return time.perf_counter() - t0, proc.returncode, proc.stdout + proc.stderr
    return (*timing.spawn_wait(argv, env), "")


class Command:
    def __init__(self, label, argv, env, expect, group, action):
        self.label = label
        self.argv = [str(a) for a in argv]
        self.env = env
        self.expect = expect
        self.group = group       # "ocfpy", "bare", "dummypy", "shell"
        self.action = action     # "meta-data", "probe" or "" (bare)
        self.times = []

    @property
    def median_ms(self):
        return statistics.median(self.times) * 1000

    @property
    def min_ms(self):
        return min(self.times) * 1000

    @property
    def p90_ms(self):
        return timing.quantile_ms(self.times, 0.9)


def build_commands(scripts: dict, state_dir: Path) -> list:
    python = script_python(next(iter(scripts.values())))
    absent = state_dir / "absent.state"     # never created: probes find nothing running
    cmds = [Command("bare interpreter (-IS -c pass)", [python, "-IS", "-c", "pass"], base_env(),
                    0, "bare", "")]
    for name in EXAMPLES:
        script = scripts[name]
        env = base_env(OCF_RESKEY_state=str(absent), OCF_RESOURCE_TYPE=name)
        cmds.append(Command(f"ocfpy {name} meta-data", [script, "meta-data"], env, 0, "ocfpy",
                            "meta-data"))
        cmds.append(Command(f"ocfpy {name} probe", [script, "monitor"], env, 7, "ocfpy", "probe"))
    for path, group, label in ((DUMMYPY, "dummypy", "resource-agents dummypy"),
                               (SHELL_DUMMY, "shell", "pacemaker shell Dummy")):
        if not path.exists():
            print(f"note: {path} not installed: {label} not measured", file=sys.stderr)
            continue
        env = base_env(OCF_RESKEY_state=str(absent), OCF_RESOURCE_TYPE=path.name)
        cmds.append(Command(f"{label} meta-data", [path, "meta-data"], env, 0, group, "meta-data"))
        cmds.append(Command(f"{label} probe", [path, "monitor"], env, 7, group, "probe"))
    return cmds


def verify(cmds) -> list:
    """Run each command once with output captured; the problems found."""
    problems = []
    for c in cmds:
        _, rc, out = spawn_wait(c.argv, c.env, capture=True)
        if rc != c.expect:
            problems.append(f"{c.label}: exit {rc}, expected {c.expect}: {out.strip()[:300]}")
    return problems


def measure(cmds, runs: int, warmup: int = 3):
    for _ in range(warmup):
        for c in cmds:
            spawn_wait(c.argv, c.env)
    n = len(cmds)
    for i in range(runs):
        for k in range(n):
            c = cmds[(i + k) % n]     # rotate the order each round
            elapsed, _, _ = spawn_wait(c.argv, c.env)
            c.times.append(elapsed)


# -- importtime ---------------------------------------------------------------------
def importtime_paths(scripts: dict, state_dir: Path) -> list:
    """(agent, path label, action, env) of the hot paths to check."""
    out = []
    for name in EXAMPLES:
        absent = state_dir / f"{name}-absent.state"
        present = state_dir / f"{name}-present.state"
        present.write_text("unpromoted\n" if name == "stateful" else "1\n")
        # no crm tools on PATH: stateful's recurring monitor sets a promotion score
        # best effort; the point is what gets imported, not the cluster
        bare_path = {"PATH": str(state_dir)}
        out.append((name, "meta-data", "meta-data", base_env(**bare_path)))
        out.append((name, "probe", "monitor", base_env(OCF_RESKEY_state=str(absent), **bare_path)))
        out.append((name, "recurring monitor", "monitor",
                    base_env(OCF_RESKEY_state=str(present), OCF_RESKEY_CRM_meta_interval="10000",
                             **bare_path)))
    return out


# -- report -------------------------------------------------------------------------
def report(cmds) -> bool:
    bare = next(c for c in cmds if c.group == "bare")
    by_key = {(c.group, c.action): c for c in cmds}
    print(f"{'command':40} {'median ms':>10} {'min ms':>8} {'p90 ms':>8} {'/bare':>7}")
    for c in cmds:
        print(f"{c.label:40} {c.median_ms:10.2f} {c.min_ms:8.2f} {c.p90_ms:8.2f} "
              f"{c.median_ms / bare.median_ms:7.2f}")
    print()
    print(f"goals: ours / bare <= {GOAL_VS_BARE}, ours / dummypy (same action) <= {GOAL_VS_DUMMYPY}")
    ok = True
    for c in cmds:
        if c.group != "ocfpy":
            continue
        vs_bare = c.median_ms / bare.median_ms
        line = f"  {c.label:28} / bare = {vs_bare:5.2f} [{'ok' if vs_bare <= GOAL_VS_BARE else 'MISSED'}]"
        ok &= vs_bare <= GOAL_VS_BARE
        ref = by_key.get(("dummypy", c.action))
        if ref is not None:
            vs_py = c.median_ms / ref.median_ms
            ok &= vs_py <= GOAL_VS_DUMMYPY
            line += f"   / dummypy = {vs_py:5.2f} [{'ok' if vs_py <= GOAL_VS_DUMMYPY else 'MISSED'}]"
        else:
            ok = False
            line += "   / dummypy = n/a (dummypy not installed) [MISSED]"
        shell = by_key.get(("shell", c.action))
        if shell is not None:
            line += f"   / shell Dummy = {c.median_ms / shell.median_ms:5.2f}"
        print(line)
    return ok


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=60, help="timed runs of each command (default 60)")
    ap.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    ap.add_argument("--python", default=None,
                    help="interpreter the agents are installed with (default: this one)")
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="ocfpy-bench-"))
    try:
        scripts = install_examples(work / "ocf", args.python)
        python = script_python(scripts["dummy"])
        print(f"agents installed in {work / 'ocf'}; interpreter {python} "
              f"({os.path.realpath(python)}); {os.cpu_count()} CPUs; "
              f"load {os.getloadavg()[0]:.2f}; {args.runs} runs each, interleaved")
        state_dir = work / "state"
        state_dir.mkdir()
        cmds = build_commands(scripts, state_dir)
        problems = verify(cmds)
        if problems:
            print("commands that do not behave as expected:", *problems, sep="\n  ")
            return 2
        measure(cmds, args.runs)
        print()
        ok = report(cmds)

        print()
        print(f"python -X importtime: heavy modules ({', '.join(HEAVY)}) imported per path")
        heavy_found = False
        for name, label, action, env in importtime_paths(scripts, state_dir):
            mods = imported_modules(python, scripts[name], action, env)
            heavy = heavy_in(mods)
            heavy_found |= bool(heavy)
            print(f"  {name:9} {label:18} modules imported: {len(mods):3}   "
                  f"heavy: {', '.join(heavy) or 'none'}")
        ok &= not heavy_found
        print()
        print("goals met" if ok else "goals NOT met")
        return (0 if ok else 1) if args.check else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
