"""Shared helpers of the core framework tests (issue 2); conftest.py exposes the fixtures.

- ``base_env``: a minimal environment without the caller's OCF_/HA_ variables;
- ``run_agent``: one in-process call of an Agent class, as Pacemaker would make it;
- ``run_sample``: one call of a sample agent (core_sample_agents.py) in a real
  child process, for what only a real process shows (its stderr, its exit code);
- ``installed``: the example agents installed into a temporary OCF root.
"""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ocfpy.testing.fake import MemoryCrm

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
# where the installed scripts and our sample agents find ocfpy
SYS_PATH = [str(REPO), str(REPO / "agents"), str(HERE)]


def clean_environ(**extra) -> dict:
    """os.environ without anything Pacemaker, resource-agents or a CI shell may
    have left that changes how an agent behaves, plus ``extra``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OCF_", "HA_", "PCMK_", "CIB_", "PYTHON"))}
    env.update({k: str(v) for k, v in extra.items()})
    return env


@pytest.fixture
def base_env():
    return clean_environ()


class Result:
    """What one agent call produced."""

    def __init__(self, rc, stdout, stderr):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr

    @property
    def reasons(self) -> list:
        return [l for l in self.stderr.splitlines() if l.startswith("ocf-exit-reason:")]

    def __repr__(self):
        return f"Result(rc={self.rc}, stdout={self.stdout[:200]!r}, stderr={self.stderr!r})"


def run_agent(cls, action=None, *extra_args, params=None, meta=None, env=None, crm=None) -> Result:
    """Run ``cls`` in-process for ``action``; ``params`` become OCF_RESKEY_*,
    ``meta`` OCF_RESKEY_CRM_meta_*; ``env`` is added on top."""
    environ = agent_environ(params, meta, env, OCF_RESOURCE_TYPE=cls.name,
                            OCF_RA_VERSION_MAJOR="1", OCF_RA_VERSION_MINOR="1",
                            OCF_EXIT_REASON_PREFIX="ocf-exit-reason:")
    argv = ["agent"] + ([action] if action is not None else []) + list(extra_args)
    out, err = io.StringIO(), io.StringIO()
    rc = cls.run(argv, environ, crm=crm if crm is not None else MemoryCrm(), stdout=out, stderr=err)
    return Result(rc, out.getvalue(), err.getvalue())


def sample_command(cls_name: str, *args) -> list:
    code = ("import sys; sys.path[:0] = %r; from core_sample_agents import %s as A; A.main()"
            % (SYS_PATH, cls_name))
    return [sys.executable, "-IS", "-c", code, *args]


def agent_environ(params=None, meta=None, env=None, **extra) -> dict:
    """The environment of one agent call: instance r1 and ``extra``, then
    ``params`` as OCF_RESKEY_*, ``meta`` as OCF_RESKEY_CRM_meta_*, then ``env``
    (in-process calls by :func:`run_agent` too)."""
    environ = clean_environ(OCF_ROOT="/usr/lib/ocf", OCF_RESOURCE_INSTANCE="r1", **extra)
    for k, v in (params or {}).items():
        environ[f"OCF_RESKEY_{k}"] = str(v)
    for k, v in (meta or {}).items():
        environ[f"OCF_RESKEY_CRM_meta_{k}"] = str(v)
    environ.update({k: str(v) for k, v in (env or {}).items()})
    return environ


def run_sample(cls_name, *args, params=None, meta=None, env=None, stderr=subprocess.PIPE,
               timeout=30) -> Result:
    """Run a sample agent class in a child process; returns its real exit code and output."""
    proc = subprocess.run(sample_command(cls_name, *args), env=agent_environ(params, meta, env),
                          stdout=subprocess.PIPE, stderr=stderr, text=True, timeout=timeout)
    return Result(proc.returncode, proc.stdout, proc.stderr or "")


@pytest.fixture(scope="session")
def installed(tmp_path_factory):
    """The example agents installed into a temporary OCF root: {name: script path}."""
    from ocfpy.install import install

    root = tmp_path_factory.mktemp("ocfroot")
    paths = install(root, names=["dummy", "stateful"])
    return {p.name: p for p in paths}


def run_script(script, action, params=None, meta=None, env=None, timeout=30) -> Result:
    proc = subprocess.run([str(script), action], env=agent_environ(params, meta, env),
                          capture_output=True, text=True, timeout=timeout)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def proc_state(pid: int):
    """The state letter of /proc/PID/stat (None when gone). PID 1 here reaps
    orphans late, so kill -0 is not enough: a zombie ("Z") is dead."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            data = fh.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return data.rsplit(")", 1)[1].split()[0]


def is_alive(pid: int) -> bool:
    return proc_state(pid) not in (None, "Z", "X")
