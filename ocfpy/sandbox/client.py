"""A client of a sandbox cluster's addresses: a network namespace of its own
on the cluster's bridge (``10.213.0.200``), made without changing the
cluster, for load and availability probes that must survive any node's
power loss (a client inside a node dies with it).

Example (a started 3-node :class:`~ocfpy.sandbox.cluster.Cluster` ``c``, as root)::

    from ocfpy.sandbox.client import ClientNamespace

    with ClientNamespace(c) as client:
        subprocess.run(client.argv(["ping", "-c1", "10.213.0.1"]), check=True)
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Optional

from ocfpy.sandbox.cluster import SUBNET

__all__ = ["CLIENT_IP", "ClientNamespace", "stop_child"]

#: the client's address on the cluster's bridge
CLIENT_IP = SUBNET + ".200"

_HOLDER = ("import sys; sys.stdout.write('READY\\n'); sys.stdout.flush(); "
           "sys.stdin.read()")


def stop_child(proc: Optional[subprocess.Popen], timeout: float = 10) -> None:
    """End a child of ours by its pid: stdin closed, SIGTERM, SIGKILL.

    >>> p = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
    ...                      stdin=subprocess.PIPE)
    >>> stop_child(p); p.returncode
    0
    """
    if proc is None:
        return
    if proc.stdin is not None:
        try:
            proc.stdin.close()
        except OSError:
            pass
    try:
        proc.wait(timeout)
        return
    except subprocess.TimeoutExpired:
        pass
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


class ClientNamespace:
    """A network namespace on ``cluster``'s bridge at ``address``.

    Its holder (``unshare --net`` running a Python that waits for EOF on a
    pipe from us) dies with this process, which takes the namespace and its
    veth with it even when a run is killed.
    """

    def __init__(self, cluster, address: str = CLIENT_IP):
        self.c = cluster
        self.address = address
        self.holder: Optional[subprocess.Popen] = None
        self.veth = "ocx" + cluster.tag

    def __enter__(self) -> "ClientNamespace":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> "ClientNamespace":
        import select

        from pyroute2 import IPRoute

        self.holder = subprocess.Popen(
            ["unshare", "--net", "--", sys.executable, "-c", _HOLDER],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            start_new_session=True, cwd="/")
        ready, _, _ = select.select([self.holder.stdout], [], [], 30)
        if not ready or self.holder.stdout.readline().strip() != b"READY":
            self.stop()
            raise RuntimeError("client namespace holder did not start")
        try:
            with IPRoute() as ipr:
                ipr.link("add", ifname=self.veth, kind="veth",
                         peer={"ifname": "eth0", "net_ns_pid": self.holder.pid})
                try:
                    Path(f"/proc/sys/net/ipv6/conf/{self.veth}/disable_ipv6").write_text("1")
                except OSError:
                    pass
                bridge = ipr.link_lookup(ifname=self.c.bridge)[0]
                ipr.link("set", index=ipr.link_lookup(ifname=self.veth)[0], master=bridge,
                         state="up")
            with IPRoute(netns=f"/proc/{self.holder.pid}/ns/net", flags=0) as ipr:
                for name in ("lo", "eth0"):
                    ipr.link("set", index=ipr.link_lookup(ifname=name)[0], state="up")
                ipr.addr("add", index=ipr.link_lookup(ifname="eth0")[0], address=self.address,
                         prefixlen=24)
        except BaseException:
            self.stop()
            raise
        return self

    def argv(self, argv) -> list:
        """``argv`` run in the client's network namespace."""
        return ["nsenter", "-t", str(self.holder.pid), "--net", "--", *argv]

    def stop(self) -> None:
        stop_child(self.holder, 5)
        self.holder = None
        try:
            from pyroute2 import IPRoute

            with IPRoute() as ipr:
                found = ipr.link_lookup(ifname=self.veth)
                if found:
                    ipr.link("del", index=found[0])
        except Exception:  # noqa: BLE001 - gone with the namespace
            pass
