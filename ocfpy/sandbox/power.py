"""The power switch of a namespace cluster's nodes, run from the host side.

``python -m ocfpy.sandbox.power ACTION [NODE] --cluster-dir DIR [--no-wait]``
re-attaches to the cluster described by ``DIR/cluster.json`` and powers
``NODE`` (``node3`` or ``3``) off, on, or off then on (``reboot``), or reports
its state (``status``: exit 0 when on, 2 when off) or every node's (``list``:
``node,node,ON|OFF`` lines). Other failures exit 1 with a message on stderr.
``off`` holds the node off; ``reboot`` powers it on again unless it was held
off before (a fence of a node someone switched off leaves it off).

It must run in the namespaces the cluster was built from (the host's): the
fence agent (:mod:`ocfpy.sandbox.fence`) gets there with ``nsenter``. The
work itself is :meth:`Cluster.power_off <ocfpy.sandbox.cluster.Cluster.power_off>`
and :meth:`Cluster.power_on <ocfpy.sandbox.cluster.Cluster.power_on>`, which
lock the cluster's state file, so the fencer, ``ocfpy sandbox power`` and a
test process holding the same :class:`~ocfpy.sandbox.cluster.Cluster` never
step on each other. ``--no-wait`` (what the fence agent uses) returns from
``on`` once corosync and pacemakerd run, without waiting for the node to
rejoin.

Example (as root, on the host)::

    python -m ocfpy.sandbox.power off node3 --cluster-dir /var/tmp/ocfpy-sandbox/cluster
    python -m ocfpy.sandbox.power status 3 --cluster-dir /var/tmp/ocfpy-sandbox/cluster; echo $?
"""

from __future__ import annotations

import argparse
import os
import sys

__all__ = ["main"]

_SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _say(stream, text: str) -> None:
    # the fence agent that started us may be gone (a node fencing itself):
    # what we print is then lost, the power operation must still finish
    try:
        stream.write(text + "\n")
        stream.flush()
    except (OSError, ValueError):
        pass


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ocfpy.sandbox.power",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("on", "off", "reboot", "status", "list"))
    parser.add_argument("node", nargs="?")
    parser.add_argument("--cluster-dir", required=True)
    parser.add_argument("--no-wait", action="store_true",
                        help="on/reboot: return once the daemons run, before the node rejoins")
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args(argv)
    if args.action != "list" and not args.node:
        parser.error(f"{args.action} needs a node")

    # started by the fencer: its environment (PCMK_*, the node's settings) must
    # not leak into the daemons of the node we build
    for key in list(os.environ):
        if key not in ("LANG", "LC_ALL", "TERM", "HOME"):
            del os.environ[key]
    os.environ["PATH"] = _SBIN_PATH
    from ocfpy.sandbox.cluster import Cluster, ClusterError

    try:
        cluster = Cluster.load(args.cluster_dir)
        if args.action == "list":
            for name, on in cluster.power_states().items():
                _say(sys.stdout, f"{name},{name},{'ON' if on else 'OFF'}")
            return 0
        node = cluster.node_name(args.node)
        if args.action == "status":
            on = cluster.power_states()[node]
            _say(sys.stdout, f"Status: {'ON' if on else 'OFF'}")
            return 0 if on else 2
        if args.action == "off":
            done = cluster.power_off(node)
            _say(sys.stdout, "Success: Powered OFF" if done else "Success: Already OFF")
        elif args.action == "on":
            done = cluster.power_on(node, wait=not args.no_wait, timeout=args.timeout)
            _say(sys.stdout, "Success: Powered ON" if done else "Success: Already ON")
        else:
            # a node held off by hand (power off) is checked off, not switched on
            on = cluster.reboot(node, wait=not args.no_wait, timeout=args.timeout,
                                keep_held=True)
            _say(sys.stdout, "Success: Rebooted" if on else
                 "Success: Rebooted (powered off; stays off: it was switched off by hand)")
        return 0
    except (ClusterError, ValueError, TimeoutError, OSError) as exc:
        _say(sys.stderr, f"Failed: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
