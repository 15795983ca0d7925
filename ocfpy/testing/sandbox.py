"""``ocfpy sandbox``: a real Pacemaker cluster on this machine, for people.

The cluster is a :class:`ocfpy.testing.cluster.Cluster` whose processes are
detached, so it stays up after ``ocfpy sandbox up`` returns; its description
(pids with start times, namespaces, bridge, workdir) is kept in
``<dir>/state.json``, where ``<dir>`` is ``$OCFPY_SANDBOX_DIR`` or
``/var/tmp/ocfpy-sandbox``. Everything lives in the nodes' own namespaces:
the host's /etc/corosync and /var/lib/pacemaker are never touched, and a
sandbox coexists with test clusters.

Example (as root)::

    ocfpy sandbox up --nodes 3          # progress lines, then crm_mon -1
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

DEFAULT_DIR = "/var/tmp/ocfpy-sandbox"
CLUSTER_NAME = "ocfpy-sandbox"


def sandbox_dir() -> Path:
    """Where the sandbox keeps its state file and its nodes' files."""
    return Path(os.environ.get("OCFPY_SANDBOX_DIR") or DEFAULT_DIR)


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
    from ocfpy.testing.cluster import Cluster

    state = load_state()
    return (Cluster.from_state(state), state) if state else (None, None)


# ----------------------------------------------------------------- demo
def demo_spec_path() -> Path | None:
    """``crm_snippets/demo.py`` of this checkout, or None (e.g. installed from a wheel)."""
    import ocfpy

    path = Path(ocfpy.__file__).resolve().parent.parent / "crm_snippets" / "demo.py"
    return path if path.is_file() else None


def demo_resources_xml() -> list[str]:
    """Fallback demo when ``crm_snippets/demo.py`` is not there: resources to
    create, one XML element each (a Dummy primitive and a promotable Stateful
    clone on ocfpy's example agents)."""
    return [
        '<primitive id="demo-dummy" class="ocf" provider="ocfpy" type="dummy">'
        '<operations>'
        '<op id="demo-dummy-monitor-10s" name="monitor" interval="10s" timeout="20s"/>'
        '</operations></primitive>',
        '<clone id="demo-stateful-clone">'
        '<meta_attributes id="demo-stateful-clone-meta">'
        '<nvpair id="demo-stateful-clone-promotable" name="promotable" value="true"/>'
        '</meta_attributes>'
        '<primitive id="demo-stateful" class="ocf" provider="ocfpy" type="stateful">'
        '<operations>'
        '<op id="demo-stateful-monitor-promoted" name="monitor" interval="10s" '
        'timeout="20s" role="Promoted"/>'
        '<op id="demo-stateful-monitor-unpromoted" name="monitor" interval="11s" '
        'timeout="20s" role="Unpromoted"/>'
        '</operations></primitive></clone>',
    ]


def _all_running(mon) -> bool:
    """Every resource is Started/Promoted/Unpromoted and every promotable
    clone has a promoted instance."""
    resources = mon.find("resources")
    if resources is None or not list(resources):
        return False
    for r in resources.iter("resource"):
        if r.get("role") not in ("Started", "Promoted", "Unpromoted") or r.get("failed") == "true":
            return False
    for clone in resources.iter("clone"):
        if clone.get("multi_state") == "true" and not any(
                r.get("role") == "Promoted" for r in clone.iter("resource")):
            return False
    return True


def apply_demo(cluster, progress=None, timeout: float = 30) -> None:
    """Load the demo configuration into ``cluster`` and wait until it runs.

    Uses ``crm_snippets/demo.py`` (applied with ``ocfpy.cib.apply`` through
    the node) when the checkout has it, else :func:`demo_resources_xml`.
    """
    say = progress or (lambda _m: None)
    spec = demo_spec_path()
    if spec is not None:
        from ocfpy.cib.apply import apply_config
        from ocfpy.cib.spec import load_spec

        def runner(argv, input=None):
            return cluster.run(list(argv), input=input, check=False)

        apply_config(load_spec(str(spec)), runner)
        say("demo configuration %s applied" % spec)
    else:
        for xml in demo_resources_xml():
            cluster.run(["cibadmin", "--create", "-o", "resources", "--xml-text", xml])
        say("demo configuration loaded: demo-dummy, demo-stateful-clone (promotable)")
    cluster.wait_for(_all_running, timeout)
    say("demo running")


# ------------------------------------------------------------------ cli
@click.group()
def sandbox():
    """A real Pacemaker cluster on this machine (root, no systemd needed).

    State lives in $OCFPY_SANDBOX_DIR (default /var/tmp/ocfpy-sandbox).
    """


def _echo(msg: str) -> None:
    click.echo("[sandbox] " + msg)


@sandbox.command()
@click.option("--nodes", type=click.Choice(["1", "3"]), default="1", show_default=True,
              help="Number of cluster nodes.")
@click.option("--demo/--no-demo", default=False, show_default=True,
              help="Load a demo configuration of ocfpy's example agents.")
def up(nodes: str, demo: bool):
    """Start the sandbox cluster; it stays up until `ocfpy sandbox down`."""
    from ocfpy.testing.cluster import Cluster, ClusterError, missing_requirements

    reason = missing_requirements()
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
        _forget_state()
    directory = sandbox_dir()
    directory.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(nodes=int(nodes), name=CLUSTER_NAME, workdir=directory / "cluster")
    try:
        cluster.start(progress=_echo)
        _save_state(cluster.to_state())
        if demo:
            apply_demo(cluster, progress=_echo)
    except BaseException as exc:
        _echo("start failed, removing everything: %s" % exc)
        try:
            cluster.stop()
        finally:
            _forget_state()
        if isinstance(exc, (ClusterError, TimeoutError)):
            raise click.ClickException(str(exc))
        raise
    click.echo(cluster.run(["crm_mon", "-1"], check=False).stdout.rstrip())
    _echo("up: %s (%s). Try `ocfpy sandbox exec node1 -- crm_mon -1`; "
          "`ocfpy sandbox down` removes it." % (", ".join(cluster.node_names), cluster.name))


@sandbox.command()
def status():
    """Show the sandbox's processes and `crm_mon -1` (exit 1 when it is down)."""
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
    from ocfpy.testing.cluster import _alive

    for p in state["procs"]:
        click.echo("  node%d %-10s pid %-7d %s" % (
            p["node"], p["role"], p["pid"], "up" if _alive(p["pid"], p["start"]) else "gone"))
    if not alive:
        sys.exit(1)
    res = cluster.run(["crm_mon", "-1"], check=False)
    click.echo((res.stdout + res.stderr).rstrip())


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
    # stdin/stdout stay the terminal's: interactive tools (crm, bash) work
    rc = subprocess.call(argv, env=cluster._env())
    sys.exit(rc)


@sandbox.command()
def down():
    """Stop the sandbox and remove every process, mount, link and file of it."""
    from ocfpy.testing.cluster import ClusterError

    cluster, _ = _attach()
    if cluster is None:
        _echo("no sandbox to remove")
        return
    t0 = time.monotonic()
    _echo("stopping Pacemaker and corosync on %s" % ", ".join(cluster.node_names))
    try:
        cluster.stop()
    except ClusterError as exc:
        raise click.ClickException("%s (state kept in %s; run down again)" % (exc, _state_file()))
    _forget_state()
    _echo("down in %.1f s; nothing left behind" % (time.monotonic() - t0))
