"""``ocfpy sandbox``: a real Pacemaker cluster on this machine, for people.

The cluster is a :class:`ocfpy.sandbox.cluster.Cluster` whose processes are
detached, so it stays up after ``ocfpy sandbox up`` returns; its description
(pids with start times, namespaces, bridge, workdir, the demo) is kept in
``<dir>/state.json``, where ``<dir>`` is ``$OCFPY_SANDBOX_DIR`` or
``/var/tmp/ocfpy-sandbox``. Everything lives in the nodes' own namespaces:
the host's /etc/corosync and /var/lib/pacemaker are never touched, and a
sandbox coexists with test clusters.

Example (as root)::

    ocfpy sandbox up --nodes 3          # progress lines, then crm_mon -1
    ocfpy sandbox up --demo             # 3 nodes: VIP, Galera, Keystone, glance-api
    ocfpy sandbox exec node2 -- .venv/bin/python -m ocfpy.sandbox.demo token
    ocfpy sandbox up --demo basic       # the example agents dummy and stateful
    ocfpy sandbox exec node2 -- crm_mon -1
    ocfpy sandbox exec 1 -- crm configure show
    ocfpy sandbox status
    ocfpy sandbox down                  # nothing left behind
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import click

from ocfpy.sandbox.layout import sandbox_dir

CLUSTER_NAME = "ocfpy-sandbox"


def _state_file() -> Path:
    return sandbox_dir() / "state.json"


def load_state() -> dict | None:
    """The recorded sandbox, or None when there is none."""
    try:
        return json.loads(_state_file().read_text())
    except FileNotFoundError:
        return None


def _save_state(state: dict) -> None:
    path = _state_file()
    tmp = path.with_name(".state.json.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(state, fh, indent=1)
    os.replace(tmp, path)


def _forget_state() -> None:
    try:
        _state_file().unlink()
    except FileNotFoundError:
        pass
    try:
        sandbox_dir().rmdir()  # only if nothing else is in it
    except OSError:
        pass


def _attach():
    from ocfpy.sandbox.cluster import Cluster

    state = load_state()
    return (Cluster.from_state(state), state) if state else (None, None)


# ------------------------------------------------------------------ cli
@click.group()
def sandbox():
    """A real Pacemaker cluster on this machine (root, no systemd needed).

    State lives in $OCFPY_SANDBOX_DIR (default /var/tmp/ocfpy-sandbox).
    """


def _echo(msg: str) -> None:
    click.echo("[sandbox] " + msg)


def _commands() -> tuple:
    """How to call ocfpy and its Python in printed hints: relative to the
    current directory when below it (``sandbox exec`` keeps it), as the
    README writes them (.venv/bin/ocfpy)."""
    def shown(path: Path) -> str:
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return str(path)

    ocfpy_cmd = Path(sys.executable).parent / "ocfpy"
    return (shown(ocfpy_cmd) if ocfpy_cmd.exists() else "ocfpy"), shown(Path(sys.executable))


def _demo_name(state) -> str | None:
    return (state or {}).get("demo")


@sandbox.command()
@click.option("--nodes", type=click.Choice(["1", "3"]), default=None,
              help="Number of cluster nodes (default: 3 with the openstack demo, else 1).")
@click.option("--demo", type=click.Choice(["openstack", "basic"]), is_flag=False,
              flag_value="openstack", default=None,
              help="Load a demo: `openstack` (the default of a bare --demo: VIP, Galera, "
                   "Keystone and glance-api on ocfpy's agents, 3 nodes) or `basic` (the "
                   "example agents dummy and stateful).")
@click.option("--no-demo", is_flag=True, hidden=True, help="No demo (the default).")
def up(nodes: str | None, demo: str | None, no_demo: bool):
    """Start the sandbox cluster; it stays up until `ocfpy sandbox down`."""
    from ocfpy.sandbox import demo as demos
    from ocfpy.sandbox.cluster import Cluster, ClusterError, missing_requirements

    demo = None if no_demo else demo
    count = int(nodes or (3 if demo == "openstack" else 1))
    reason = missing_requirements() or (demo and demos.missing_requirements(demo, count))
    if reason:
        raise click.ClickException(reason)
    old, state = _attach()
    if old is not None:
        if old.alive():
            raise click.ClickException(
                "a sandbox of %d node(s) is already up; run `ocfpy sandbox down` first"
                % state["nodes"])
        _echo("removing the remains of a sandbox that is no longer running")
        try:
            old.stop(timeout=10)
        except ClusterError as exc:
            raise click.ClickException(str(exc))
        demos.remove_files()
        _forget_state()
    directory = sandbox_dir()
    directory.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(nodes=count, name=CLUSTER_NAME, workdir=directory / "cluster")
    summary: list = []
    try:
        cluster.start(progress=_echo)
        _save_state(dict(cluster.to_state(), demo=demo))
        if demo:
            summary = demos.run_demo(cluster, demo, progress=_echo)
    except BaseException as exc:
        _echo("start failed, removing everything: %s" % (str(exc).splitlines() or [""])[0])
        try:
            cluster.stop()
            demos.remove_files()
        finally:
            _forget_state()
        if isinstance(exc, (ClusterError, TimeoutError, RuntimeError)):
            raise click.ClickException(str(exc))
        raise
    click.echo(cluster.run(["crm_mon", "-1"], check=False).stdout.rstrip())
    for line in summary:
        _echo(line)
    ocfpy_cmd, python = _commands()
    _echo("up: %s (%s)." % (", ".join(cluster.node_names), cluster.name))
    if demo == "openstack":
        click.echo("\n".join(demos.usage(ocfpy_cmd, python)))
    else:
        _echo("Try `%s sandbox exec node1 -- crm_mon -1`; `%s sandbox down` removes it."
              % (ocfpy_cmd, ocfpy_cmd))


@sandbox.command()
def status():
    """Show the sandbox's processes, `crm_mon -1` and, with the openstack demo,
    a token through the VIP used on every node (exit 1 when it is down)."""
    cluster, state = _attach()
    if cluster is None:
        click.echo("no sandbox (state file %s absent)" % _state_file())
        sys.exit(1)
    alive = cluster.alive()
    click.echo("sandbox %s: %d node(s), %s" % (
        state["name"], state["nodes"], "running" if alive else "NOT RUNNING (run down)"))
    click.echo("  workdir: %s" % state["workdir"])
    if state.get("bridge"):
        click.echo("  bridge:  %s" % state["bridge"])
    from ocfpy.sandbox.cluster import _alive

    for p in state["procs"]:
        click.echo("  node%d %-10s pid %-7d %s" % (
            p["node"], p["role"], p["pid"], "up" if _alive(p["pid"], p["start"]) else "gone"))
    if not alive:
        sys.exit(1)
    res = cluster.run(["crm_mon", "-1"], check=False)
    click.echo((res.stdout + res.stderr).rstrip())
    if _demo_name(state) == "openstack":
        res = cluster.run([sys.executable, "-m", "ocfpy.sandbox.demo", "token"], node=1,
                          check=False, timeout=60)
        click.echo("demo check from node1: "
                   + ((res.stdout + res.stderr).strip() or "no answer"))


@sandbox.command(name="exec", context_settings={"ignore_unknown_options": True,
                                                "allow_interspersed_args": False})
@click.argument("node")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_(node: str, command: tuple):
    """Run COMMAND inside NODE (node1, node2, ... or 1, 2, ...).

    Example: ocfpy sandbox exec node1 -- crm_mon -1
    """
    cluster, _ = _attach()
    if cluster is None or not cluster.alive():
        raise click.ClickException("no running sandbox; start one with `ocfpy sandbox up`")
    command = list(command)
    if command[:1] == ["--"]:  # click keeps it with ignore_unknown_options
        command = command[1:]
    if not command:
        raise click.UsageError("no command given")
    try:
        argv = cluster.node_argv(command, node)
    except ValueError as exc:
        raise click.ClickException(str(exc))
    # entering the node's mount namespace resets the working directory to /:
    # keep the caller's, so relative paths (.venv/bin/python) work, unless it
    # is below the node's private /run or /dev
    cwd = os.getcwd()
    if not cwd.startswith(("/run/", "/dev/")) and cwd not in ("/run", "/dev"):
        argv.insert(argv.index("--"), "--wd=" + cwd)
    # stdin/stdout stay the terminal's: interactive tools (crm, bash) work
    rc = subprocess.call(argv, env=cluster._env())
    sys.exit(rc)


@sandbox.command()
def down():
    """Stop the sandbox and remove every process, mount, link and file of it."""
    from ocfpy.sandbox.cluster import ClusterError

    cluster, _ = _attach()
    if cluster is None:
        _echo("no sandbox to remove")
        return
    t0 = time.monotonic()
    _echo("stopping Pacemaker (it stops the resources) and corosync on %s"
          % ", ".join(cluster.node_names))
    try:
        cluster.stop()
    except ClusterError as exc:
        raise click.ClickException("%s (state kept in %s; run down again)" % (exc, _state_file()))
    from ocfpy.sandbox.demo import DemoLayout, remove_files

    demo_dir = DemoLayout.default().dir
    if demo_dir.exists():
        remove_files()
        _echo("removed the demo's files (%s)" % demo_dir)
    _forget_state()
    _echo("down in %.1f s; nothing left behind" % (time.monotonic() - t0))
