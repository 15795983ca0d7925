"""Hostile input against every shipped agent (issue 11), in namespaces.

A seeded sample of the matrix of tests/security/hostile.py -- every agent x
every action (start, stop, probe, recurring monitor, promote/demote/notify and
reload/migrate where declared, validate-all, meta-data) x value classes of
every parameter (missing, empty, 100k characters, non-UTF-8 bytes, option-like,
shell metacharacters, newline, path traversal, non-ASCII digits), bad
operation timeouts and bad instance names. Each run executes the installed
agent in its own mount/net/pid/ipc namespaces on an overlay of the whole
root, with fake crm tools, a fake mariadbd and a fake OpenStack service that
record their command lines and environments.

Every total must be 0: invalid codes, missing or multiple exit reasons,
tracebacks, leaks (a secret in a child's environment or command line, a log,
a trace file, any file written, the agent's output), leftovers (anything
written outside the agent's own directories, a process left after a stop that
answered 0), stop/probe failures on a configuration validate-all accepts.

The full matrix (~13,000 runs) is bench/bench_hostile.py. Environment knobs:
OCFSEC_HOSTILE_SAMPLE (default 400 runs), OCFSEC_HOSTILE_SEED (11),
OCFSEC_HOSTILE_JOBS (3 workers).
"""

import os
import textwrap

import pytest

import hostile

pytestmark = pytest.mark.netns

SAMPLE = int(os.environ.get("OCFSEC_HOSTILE_SAMPLE", "400"))
SEED = int(os.environ.get("OCFSEC_HOSTILE_SEED", "11"))
JOBS = int(os.environ.get("OCFSEC_HOSTILE_JOBS", "3"))


def test_hostile_input_sample(hostile_harness):
    cases = hostile.sample_cases(hostile_harness.cases(), SAMPLE, SEED)
    # every agent and every one of its actions is in the sample
    assert {(c.agent, c.action) for c in cases} == {
        (a, act) for a, m in hostile_harness.models.items() for act in m.actions}
    totals = hostile_harness.run_many(cases, jobs=JOBS)
    print(f"\n{totals.report()}")
    assert totals.runs == len(cases)
    if not totals.ok:
        lines = [f.line() for f in sorted(totals.failures, key=lambda f: (f.case, f.category))]
        pytest.fail(f"hostile-input runs (seed {SEED}) failed:\n{totals.report(limit=40)}\n\n"
                    f"failing runs ({len(lines)}):\n" + "\n".join(lines[:150]), pytrace=False)


# A deliberately bad "agent": each action commits one of the faults the
# harness must see, so a harness that silently stopped looking fails here.
EVIL_AGENT = textwrap.dedent('''\
    import os, subprocess, sys, time
    action = sys.argv[1] if len(sys.argv) > 1 else ""
    marker = {marker!r}
    if action == "start":
        open("/tmp/PWNED-canary", "w").close()              # write outside its directories
        subprocess.Popen(["sleep", "3"], env={{"PATH": "/usr/bin:/bin", "LEAK": marker}},
                         start_new_session=True)             # a secret in a child's environment
        time.sleep(0.3)
        sys.stderr.write("Traceback (most recent call last):\\n  boom\\n")
        sys.exit(1)                                          # a failure without an exit reason
    if action == "stop":
        subprocess.Popen(["sleep", "30"], start_new_session=True)   # left running
        sys.stderr.write("ocf-exit-reason:one\\nocf-exit-reason:two\\n")
        sys.exit(0)
    if action == "monitor":
        with open(os.environ["HA_LOGFILE"], "a") as fh:       # a secret in the log
            fh.write(marker + "\\n")
        sys.stderr.write("ocf-exit-reason:cannot reach " + marker + "\\n")
        sys.exit(1)                                          # a probe answering 1
    if action == "meta-data":
        sys.exit(3)                                          # invalid for meta-data
    sys.exit(0)
''')


def test_harness_detects_every_category(hostile_harness):
    script = os.path.join(hostile_harness.scratch, "evil-agent")
    with open(script, "w") as fh:
        fh.write(f"#!{hostile_harness.python} -IS\n"
                 + EVIL_AGENT.format(marker=hostile.MARKER))
    os.chmod(script, 0o755)
    seen = {}
    for action in ("start", "probe", "meta-data"):
        result = hostile_harness.run(hostile.Case("dummy", action, "-", "baseline"), script=script)
        seen[action] = {(f.category, f.step) for f in result.failures}
        details = "\n".join(f.line() for f in result.failures)
        assert not any(f.category == "harness_errors" for f in result.failures), details
    assert seen["start"] >= {("leftovers", "-"), ("leaks", "start"), ("tracebacks", "start"),
                             ("missing_exit_reasons", "start"),
                             ("multiple_exit_reasons", "stop-after-start"),
                             ("leftovers", "stop-after-start")}, seen["start"]
    assert seen["probe"] >= {("stop_probe_failures_on_valid_config", "probe"),
                             ("leaks", "probe"), ("leaks", "-")}, seen["probe"]
    assert ("invalid_codes", "meta-data") in seen["meta-data"], seen["meta-data"]
    # nothing of it reached the host
    assert not os.path.exists("/tmp/PWNED-canary")


def test_runs_are_deterministic(hostile_harness):
    cases = hostile_harness.cases()
    assert hostile.sample_cases(cases, 150, 7) == hostile.sample_cases(cases, 150, 7)
    assert hostile.sample_cases(cases, 150, 7) != hostile.sample_cases(cases, 150, 8)
    case = next(c for c in cases if c.agent == "galera" and c.action == "stop"
                and c.target == "check_passwd" and c.vclass == "nonutf8")
    assert hostile_harness.job(case) == hostile_harness.job(case)
    env = hostile_harness.job(case)["steps"][-1]["env"]
    value = env["OCF_RESKEY_check_passwd"].encode("latin-1")
    assert value.startswith(hostile.MARKER.encode()) and b"\xff" in value


def test_every_agent_has_a_declared_baseline(hostile_harness):
    """A new agent, or a renamed parameter, needs its baseline in hostile.py:
    without one every run of that agent would only test refusals."""
    for name, model in hostile_harness.models.items():
        params = hostile.baseline_params(model, hostile_harness.python)
        assert set(params) <= set(model.params), (name, set(params) - set(model.params))
