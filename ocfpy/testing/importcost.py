"""The import-cost policy: what an agent's hot paths must not import, and
how to see what they do import.

Pacemaker runs ``monitor`` every few seconds for every resource on every
node, and ``meta-data`` whenever a tool asks; a bare interpreter starts in
about 10 ms, so one heavy import can double a call. ``HEAVY`` is the one
table of modules that must stay off the meta-data, probe and monitor paths
of every agent (ocfpy's tests and ``bench/`` both use it); ``NEEDED_BY``
lists the exceptions an agent's recurring monitor really uses.

Example::

    modules = imported_modules(python, "/usr/lib/ocf/resource.d/ocfpy/dummy", "meta-data", env)
    assert heavy_in(modules) == []
"""

import subprocess

__all__ = ["HEAVY", "NEEDED_BY", "imported_modules", "heavy_in", "script_python"]

#: top-level modules never imported on a meta-data, probe or monitor path,
#: with what each costs or why (measured with ``python -X importtime``)
HEAVY = {
    "lxml": "~15 ms; meta-data is written as text",
    "click": "~25 ms; the CLI's, not the agents'",
    "pyroute2": "120-400 ms; the VIP agent talks rtnetlink itself",
    "psutil": "~30 ms; ocfpy.process reads /proc",
    "yaml": "~15 ms; only clouds.yaml (os_cloud) and YAML specs need it",
    "pymysql": "~23 ms; only galera's recurring monitor of a running server",
    "http": "http.client ~33 ms; ocfpy's own client is 0.5 ms",
    "urllib": "urllib.request ~30 ms",
    "email": "pulled in by http.client",
    "dataclasses": "~5 ms with its inspect/typing imports",
    "typing": "~5 ms",
}

#: agent -> heavy modules its recurring monitor needs (never its probe or meta-data)
NEEDED_BY = {"galera": ("pymysql",)}


def script_python(script) -> str:
    """The interpreter named in an installed agent's shebang (its first word)."""
    with open(script) as fh:
        return fh.readline()[2:].split()[0]


def imported_modules(python: str, script, action: str, env: dict) -> dict:
    """{module: cumulative microseconds} that ``script action`` imports, from
    ``python -IS -X importtime`` (the flags installed agents run with)."""
    proc = subprocess.run([python, "-IS", "-X", "importtime", str(script), action], env=env,
                          capture_output=True, text=True, timeout=60)
    found = {}
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = line[len("import time:"):].split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        found[parts[2].strip()] = int(parts[1].strip())
    return found


def heavy_in(modules, allowed=()) -> list:
    """The top-level names in ``modules`` that the policy keeps off the hot
    paths, less ``allowed`` (e.g. ``NEEDED_BY.get(agent, ())`` for a
    recurring monitor)."""
    return sorted({m.split(".")[0] for m in modules} & (set(HEAVY) - set(allowed)))
