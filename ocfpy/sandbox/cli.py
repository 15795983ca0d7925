"""``ocfpy sandbox``: a real Pacemaker cluster on this machine, for people.

The cluster is a :class:`ocfpy.sandbox.cluster.Cluster` whose processes are
detached, so it stays up after ``ocfpy sandbox up`` returns; its description
(pids with start times, namespaces, bridge, workdir, the demo) is kept in
``<dir>/state.json``, where ``<dir>`` is ``$OCFPY_SANDBOX_DIR`` or
``/var/tmp/ocfpy-sandbox``; the cluster's own ``cluster.json`` in its
workdir is newer when a node was power-cycled since. Everything lives in
the nodes' own namespaces: the host's /etc/corosync and /var/lib/pacemaker
are never touched, and a sandbox coexists with test clusters.

Fencing is on (``stonith-enabled=true``): the device ``fence-nodes``
(``stonith:fence_ocfpy_sandbox``, installed as /usr/sbin/fence_ocfpy_sandbox
and left there) really powers nodes off and on. ``ocfpy sandbox power``
switches a node's power by hand (what a person does at the PDU: Pacemaker
is not asked); ``ocfpy sandbox fence`` asks the cluster to fence a node
(``stonith_admin``), as Pacemaker itself would after a failure.

Example (as root)::

    ocfpy sandbox up --nodes 3          # progress lines, then crm_mon -1
    ocfpy sandbox up --demo             # 3 nodes: VIP, Galera, Keystone, glance-api
    ocfpy sandbox exec node2 -- .venv/bin/python -m ocfpy.sandbox.demo token
    ocfpy sandbox up --demo basic       # the example agents dummy and stateful
    ocfpy sandbox exec node2 -- crm_mon -1
    ocfpy sandbox exec 1 -- crm configure show
    ocfpy sandbox status
    ocfpy sandbox power off node3       # pull node3's plug: link down, all killed
    ocfpy sandbox power on node3        # rebuilt, back Online in the cluster
    ocfpy sandbox fence node2           # stonith_admin --reboot node2 (from node1)
    ocfpy sandbox fence --off node2     # stonith_admin --fence node2; power on brings it back
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

__all__ = ["CLUSTER_NAME", "load_state", "sandbox", "up", "status", "exec_", "power", "fence",
           "down"]


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
    Fencing is on (stonith-enabled=true, device fence-nodes): `power` switches
    a node off and on by hand, `fence` asks Pacemaker to fence it.
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
        if old.running():
            raise click.ClickException(
                f"a sandbox of {int(state['nodes'])} node(s) is already up; run `ocfpy sandbox down` first")
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
        _echo(f"start failed, removing everything: {(str(exc).splitlines() or [''])[0]}")
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
    _echo(f"up: {', '.join(cluster.node_names)} ({cluster.name}).")
    if demo == "openstack":
        click.echo("\n".join(demos.usage(ocfpy_cmd, python)))
    else:
        _echo(f"Try `{ocfpy_cmd} sandbox exec node1 -- crm_mon -1`; `{ocfpy_cmd} sandbox down` removes it.")


@sandbox.command()
def status():
    """Show the sandbox's processes, `crm_mon -1` and, with the openstack demo,
    a token through the VIP used on every node (exit 1 when it is down)."""
    cluster, state = _attach()
    if cluster is None:
        click.echo(f"no sandbox (state file {_state_file()} absent)")
        sys.exit(1)
    alive = cluster.running()
    click.echo("sandbox %s: %d node(s), %s" % (
        state["name"], state["nodes"], "running" if alive else "NOT RUNNING (run down)"))
    click.echo(f"  workdir: {state['workdir']}")
    current = cluster.to_state()
    if current.get("bridge"):
        click.echo(f"  bridge:  {current['bridge']}")
    click.echo("  fencing: %s" % ("on (device fence-nodes, stonith:fence_ocfpy_sandbox)"
                                  if current.get("fencing") else "off"))
    from ocfpy.sandbox.cluster import process_alive

    if alive:
        click.echo("  power:   %s" % ", ".join(
            "%s %s" % (name, "on" if on else "OFF") for name, on in cluster.power_states().items()))
    for p in current["procs"]:
        click.echo("  %-6s %-10s pid %-7d %s" % (
            "node%d" % p["node"] if p["node"] else "host", p["role"], p["pid"],
            "up" if process_alive(p["pid"], p["start"]) else "gone"))
    if not alive:
        sys.exit(1)
    up_nodes = [n for n, on in cluster.power_states().items() if on]
    if not up_nodes:
        click.echo("every node is powered off: `ocfpy sandbox power on NODE`")
        return
    res = cluster.run(["crm_mon", "-1"], node=up_nodes[0], check=False)
    click.echo((res.stdout + res.stderr).rstrip())
    if _demo_name(state) == "openstack":
        res = cluster.run([sys.executable, "-m", "ocfpy.sandbox.demo", "token"], node=up_nodes[0],
                          check=False, timeout=60)
        click.echo(f"demo check from {up_nodes[0]}: "
                   + ((res.stdout + res.stderr).strip() or "no answer"))


@sandbox.command(name="exec", context_settings={"ignore_unknown_options": True,
                                                "allow_interspersed_args": False})
@click.argument("node")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_(node: str, command: tuple):
    """Run COMMAND inside NODE (node1, node2, ... or 1, 2, ...).

    Example: ocfpy sandbox exec node1 -- crm_mon -1
    """
    from ocfpy.sandbox.cluster import ClusterError

    cluster, _ = _attach()
    if cluster is None or not cluster.running():
        raise click.ClickException("no running sandbox; start one with `ocfpy sandbox up`")
    command = list(command)
    if command[:1] == ["--"]:  # click keeps it with ignore_unknown_options
        command = command[1:]
    if not command:
        raise click.UsageError("no command given")
    try:
        argv = cluster.node_argv(command, node)
    except (ValueError, ClusterError) as exc:
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


def _running_cluster():
    cluster, _ = _attach()
    if cluster is None or not cluster.running():
        raise click.ClickException("no running sandbox; start one with `ocfpy sandbox up`")
    return cluster


@sandbox.command()
@click.argument("action", type=click.Choice(["off", "on", "reboot", "crash", "status"]))
@click.argument("node", required=False)
@click.option("--no-wait", is_flag=True,
              help="on/reboot: return once corosync and pacemakerd run, not once the "
                   "node is back Online.")
@click.option("--timeout", type=float, default=120, show_default=True,
              help="on/reboot: seconds to wait for the node to be Online.")
def power(action: str, node: str | None, no_wait: bool, timeout: float):
    """Switch NODE's power by hand, without asking Pacemaker.

    \b
    off     switch NODE off: its link goes down and every process of it
            (corosync, Pacemaker, services) is killed with SIGKILL; its
            namespaces and veth vanish, its disk (CIB, logs) stays. The
            others see it lost after a few seconds and fence it; the fence
            succeeds and NODE stays off until `power on`.
    crash   the same kill, but NODE's switch stays on: the cluster's fence
            (reboot) powers it on again and it rejoins by itself.
    on      rebuild NODE (namespaces, mounts, veth, corosync, pacemakerd)
            and wait until it is Online in the cluster again.
    reboot  off, then on.
    status  NODE's power (exit 0 on, 2 off); every node's without NODE.

    Examples: ocfpy sandbox power off node3; ocfpy sandbox power on 3
    """
    from ocfpy.sandbox.cluster import ClusterError

    cluster = _running_cluster()
    try:
        if action == "status":
            states = cluster.power_states()
            if node is None:
                for name, on in states.items():
                    click.echo(f"{name}: {'on' if on else 'off'}")
                return
            name = cluster.node_name(node)
            click.echo(f"{name}: {'on' if states[name] else 'off'}")
            sys.exit(0 if states[name] else 2)
        if node is None:
            raise click.UsageError(f"power {action} needs a NODE")
        name = cluster.node_name(node)
        t0 = time.monotonic()
        if action in ("off", "crash"):
            done = cluster.power_off(name, hold=(action == "off"))
            _echo("%s %s" % (name, ("powered off" if action == "off" else
                                    "crashed (the cluster's fencing will reboot it)")
                             if done else "was already off"))
            return
        if action == "on":
            done = cluster.power_on(name, wait=not no_wait, timeout=timeout)
        else:
            cluster.reboot(name, wait=not no_wait, timeout=timeout)
            done = True
        if not done:
            _echo(f"{name} was already on")
        else:
            _echo(f"{name} {'powered on' if no_wait else 'back Online'} in {time.monotonic() - t0:.1f} s")
    except ValueError as exc:
        raise click.ClickException(str(exc))
    except (ClusterError, TimeoutError) as exc:
        raise click.ClickException(str(exc).splitlines()[0] if str(exc) else repr(exc))


@sandbox.command()
@click.argument("node")
@click.option("--off", "off", is_flag=True,
              help="Fence with the off action (stonith_admin --fence): the node stays "
                   "down until `ocfpy sandbox power on NODE`. Default: reboot.")
@click.option("--timeout", type=int, default=120, show_default=True,
              help="Seconds stonith_admin waits for the fencing result.")
def fence(node: str, off: bool, timeout: int):
    """Ask the cluster to fence NODE, as Pacemaker does after a failure.

    Runs `stonith_admin --reboot NODE` (or `--fence NODE` with --off) on
    another powered-on node; the device fence-nodes then really powers NODE
    off (and, for reboot, on again: it rejoins by itself). Prints
    `stonith_admin --history NODE --verbose` (newest first). On a one-node sandbox the node fences
    itself: the request dies with it, the node comes back (reboot).

    Examples: ocfpy sandbox fence node2; ocfpy sandbox fence --off 3
    """
    cluster = _running_cluster()
    try:
        target = cluster.node_name(node)
    except ValueError as exc:
        raise click.ClickException(str(exc))
    up_nodes = [n for n, on in cluster.power_states().items() if on]
    requester = next((n for n in up_nodes if n != target), up_nodes[0] if up_nodes else None)
    if requester is None:
        raise click.ClickException("every node is powered off")
    verb = "--fence" if off else "--reboot"
    _echo(f"{requester}: stonith_admin {verb} {target}")
    t0 = time.monotonic()
    res = cluster.run(["stonith_admin", verb, target, "--timeout", str(timeout)],
                      node=requester, check=False, timeout=timeout + 30)
    if requester == target:
        # the node fenced itself: stonith_admin died with it (reboot: it comes back)
        if not off:
            cluster.wait_node_online(target, timeout)
            _echo(f"{target} fenced itself (reboot) and is back Online in {time.monotonic() - t0:.1f} s")
        else:
            _echo(f"{target} fenced itself (off): `ocfpy sandbox power on {target}` brings it back")
        return
    if res.returncode != 0:
        raise click.ClickException("fencing %s failed (rc=%d): %s" % (
            target, res.returncode, (res.stderr or res.stdout).strip()))
    _echo(f"{target} fenced ({'off' if off else 'reboot'}) in {time.monotonic() - t0:.1f} s")
    # (without --verbose, 2.1.5 shows one success, not always the newest)
    hist = cluster.run(["stonith_admin", "--history", target, "--verbose"], node=requester,
                       check=False)
    click.echo((hist.stdout + hist.stderr).rstrip())
    if off:
        _echo(f"`ocfpy sandbox power on {target}` brings it back")


@sandbox.command()
def down():
    """Stop the sandbox and remove every process, mount, link and file of it."""
    from ocfpy.sandbox.cluster import ClusterError

    cluster, _ = _attach()
    if cluster is None:
        _echo("no sandbox to remove")
        return
    t0 = time.monotonic()
    _echo(f"stopping Pacemaker (it stops the resources) and corosync on {', '.join(cluster.node_names)}")
    try:
        cluster.stop()
    except ClusterError as exc:
        raise click.ClickException(f"{exc} (state kept in {_state_file()}; run down again)")
    from ocfpy.sandbox.demo import DemoLayout, remove_files

    demo_dir = DemoLayout.default().dir
    if demo_dir.exists():
        remove_files()
        _echo(f"removed the demo's files ({demo_dir})")
    _forget_state()
    _echo(f"down in {time.monotonic() - t0:.1f} s; nothing left behind")
