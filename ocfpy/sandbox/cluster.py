"""A real Pacemaker cluster of 1 or 3 nodes on this machine, in namespaces.

Every node is a *holder* process (``unshare --net --mount --uts --propagation
private`` running a short setup, then ``sleep infinity``) whose namespaces get
private copies of everything Pacemaker and corosync write to:

=====================  ====================================================
inside the node        comes from
=====================  ====================================================
/var/lib/pacemaker     ``<workdir>/nodeN/var-lib-pacemaker`` (bind mount)
/var/log/pacemaker     ``<workdir>/nodeN/var-log-pacemaker`` (bind mount)
/var/lib/corosync      ``<workdir>/nodeN/var-lib-corosync`` (bind mount)
/var/log/corosync      ``<workdir>/nodeN/var-log-corosync`` (bind mount)
/etc/corosync          ``<workdir>/nodeN/etc-corosync`` (bind mount)
/usr/lib/ocf/resource.d  ``<workdir>/ocf/resource.d`` (rbind; the host's
                       providers are bind-mounted into it, so ``heartbeat``
                       and ``pacemaker`` still work)
/run, /dev/shm         fresh tmpfs (libqb IPC lives there)
=====================  ====================================================

so two clusters (a sandbox and a test fixture, two test runs) coexist and the
host's /etc/corosync, /var/lib/pacemaker, /usr/lib/ocf are never written.
One node talks over its own loopback; three nodes are joined by a bridge
``ocb<tag>`` and veth pairs ``ocv<tag><N>`` with addresses in
:data:`SUBNET` that exist only inside the nodes' network namespaces (the
bridge itself has no address, so nothing is routed to or from the host).

Agents: ``<workdir>/ocf`` is an OCF root; :meth:`Cluster.install_agents`
(called by :meth:`Cluster.start`) writes ocfpy's agents into
``<workdir>/ocf/resource.d/<provider>/`` and every node sees them at
``/usr/lib/ocf/resource.d/<provider>/`` at once. The provider is private to
the cluster and disappears with it (a "temporary provider"), so the default
``ocfpy`` provider never clashes with an ``ocfpy install`` on the host.

Fencing: with ``fencing=True`` (the default) the cluster runs with
``stonith-enabled=true`` and one stonith device, :data:`FENCE_DEVICE`
(``stonith:fence_ocfpy_sandbox``, see :mod:`ocfpy.sandbox.fence`), that can
fence every node (``pcmk_host_list``). Fencing a node really powers it off:
:meth:`Cluster.power_off` takes its link down and SIGKILLs every process in
its network namespace; :meth:`Cluster.power_on` rebuilds it (namespaces,
mounts, veth, corosync, pacemakerd) from its private directories, which
survive like a disk. The agent reaches the host's namespaces through the
cluster's *host anchor*, a ``sleep`` started in the namespaces the cluster
was built from. A one-node cluster has the device too (Pacemaker starts no
resource with fencing enabled and no device): a fence of its only node is a
power cycle of the whole cluster (``reboot``; ``off`` leaves it down until
:meth:`power_on`), done from the host side, so the node comes back.

State: ``<workdir>/cluster.json`` is the truth about the cluster's processes;
whoever changes them (this object, the fence agent's power controller in
another process, ``ocfpy sandbox power``) does it under ``<workdir>/.cluster.lock``
and rewrites the file with a higher generation, and every :class:`Cluster`
object re-reads it when it changed (commands always enter the node's current
namespaces).

Every process is stopped by pid (daemons first, then anything else left in
the node's namespaces, then the holder), the bridge is deleted and the
workdir removed; namespaces and mounts die with their last process.

Tools: the namespaces come from ``unshare`` (net, mount, uts at once); the
bridge, veths, addresses and link states are made over netlink with pyroute2
(no ``ip`` command); processes are listed, checked and signalled with psutil
(a process's identity is its pid plus its start time in clock ticks, as
/proc/PID/stat gives it: what cluster.json and the fence device record).

Example::

    from ocfpy.sandbox.cluster import Cluster

    with Cluster(nodes=1) as c:
        c.run(["cibadmin", "--create", "-o", "resources", "--xml-text",
               '<primitive id="d" class="ocf" provider="ocfpy" type="dummy"/>'])
        c.wait_for(lambda mon: c.resource_state("d", mon)["active"], 10)
        print(c.resource_state("d"))   # {'id': 'd', 'nodes': ['node1'], ...}
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import psutil

from ocfpy.process import start_time

__all__ = ["Cluster", "ClusterError", "NodeCommandError", "SUBNET", "FENCE_DEVICE",
           "missing_requirements", "process_alive", "reap_orphans", "resource_state_from_xml"]

#: Private /24 used only inside the namespaces of 3-node clusters (node N
#: gets .N). Every cluster has its own bridge, so clusters never see each
#: other even though they share the numbers.
SUBNET = "10.213.0"

#: Compiled-in OCF root of Pacemaker (agents are looked up below it).
HOST_OCF_ROOT = Path("/usr/lib/ocf")

_SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_POLL = 0.05
#: file in the workdir describing the cluster (see Cluster.to_state)
STATE_FILE = "cluster.json"
#: lock taken around every change of the cluster's processes (power, stop)
LOCK_FILE = ".cluster.lock"
#: id of the stonith device every cluster with fencing configures
FENCE_DEVICE = "fence-nodes"
#: after a power cycle (a reboot fence), Pacemaker starts on the node this
#: many seconds after the power controller returned: the fencer must report
#: the reboot done before the node rejoins, or the new incarnation hears that
#: it was "just fenced" and stops Pacemaker for good (controld exits 100).
#: A real machine takes far longer to boot.
REBOOT_PACEMAKER_DELAY = 5
_NS_ARGS = ("--net", "--mount", "--uts")

# Runs inside the fresh namespaces as the holder's first program: prepares
# the private view, says READY on stdout, then becomes `sleep infinity`
# (exec keeps the pid, so the holder pid is what nsenter -t targets).
_HOLDER_SETUP = r"""
import json, os, socket, subprocess, sys
cfg = json.loads(sys.argv[1])
def mount(*args):
    subprocess.run(("mount",) + args, check=True, stdout=subprocess.DEVNULL)
try:
    for src, dst in cfg["binds"]:
        mount("--bind", src, dst)
    for src, dst in cfg["rbinds"]:
        mount("--rbind", src, dst)
    for dst, opts in cfg["tmpfs"]:
        mount("-t", "tmpfs", "-o", opts, "tmpfs", dst)
    for path, mode, uid, gid in cfg["dirs"]:
        os.makedirs(path, exist_ok=True)
        os.chown(path, uid, gid)
        os.chmod(path, mode)
    socket.sethostname(cfg["hostname"])
except BaseException as exc:
    sys.stderr.write("holder setup failed: %r\n" % (exc,))
    sys.exit(1)
sys.stdout.write("READY\n")
sys.stdout.flush()
null = os.open(os.devnull, os.O_RDWR)
os.dup2(null, 0)
os.dup2(null, 1)
os.execvp("sleep", ["sleep", "infinity"])
"""


class ClusterError(RuntimeError):
    """Starting, driving or stopping a :class:`Cluster` failed."""


class NodeCommandError(subprocess.CalledProcessError):
    """:meth:`Cluster.run` with ``check``: the command failed (message has its stderr)."""

    def __str__(self) -> str:
        detail = (self.stderr or self.stdout or "").strip()
        return f"{super().__str__()}{': ' + detail[-2000:] if detail else ''}"


def missing_requirements() -> str | None:
    """Why a real cluster cannot run here, or None when it can.

    Only "not root" and "Pacemaker/corosync/unshare absent" count: anything
    else that goes wrong is a bug to report, not a reason to skip.

    >>> missing_requirements() in (None,) or isinstance(missing_requirements(), str)
    True
    """
    if os.geteuid() != 0:
        return "real Pacemaker clusters need root (namespaces, mounts)"
    absent = [t for t in ("pacemakerd", "corosync", "unshare")
              if _which(t) is None]
    if absent:
        return f"not installed: {', '.join(absent)} (apt-get install pacemaker corosync util-linux)"
    return None


def _which(tool: str) -> str | None:
    return shutil.which(tool, path=os.environ.get("PATH", "") + ":" + _SBIN_PATH)


# --------------------------------------------------------------- processes
_GONE = (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)


def _running(proc: psutil.Process) -> bool:
    """psutil's view, zombies counted as dead (PID 1 here reaps them late)."""
    try:
        return proc.is_running() and proc.status() not in _GONE
    except psutil.Error:
        return False


def process_alive(pid: int, start: int | None = None) -> bool:
    """True if pid runs (zombies count as dead: PID 1 here reaps them late)
    and, when ``start`` is given, is still the same process (no pid reuse:
    ``start`` is the start time in clock ticks, field 22 of /proc/PID/stat,
    what the state file and the fence device's host_pid record)."""
    try:
        proc = psutil.Process(pid)
    except psutil.Error:
        return False
    if not _running(proc):
        return False
    return start is None or start_time(pid) == start


def _ns_inode(pid: int, kind: str) -> int | None:
    try:
        return os.stat(f"/proc/{int(pid)}/ns/{kind}").st_ino
    except OSError:
        return None


def _pids_in_node(netns: int, mntns: int | None) -> list[int]:
    """Every live process in the network namespace ``netns`` and mount
    namespace ``mntns`` (None: any). Both must match when the namespaces'
    holder may be gone: a freed namespace's inode number is reused at once,
    two at once by an unrelated process is not plausible. (psutil lists the
    processes; it has no namespace API, the inodes come from /proc/PID/ns.)"""
    found = []
    for pid in psutil.pids():
        if _ns_inode(pid, "net") != netns:
            continue
        if (mntns is None or _ns_inode(pid, "mnt") == mntns) and process_alive(pid):
            found.append(pid)
    return found


def _kill(pid: int, sig: int = signal.SIGKILL) -> None:
    try:
        psutil.Process(pid).send_signal(sig)
    except psutil.Error:
        pass


# ----------------------------------------------------------------- network
def _preload_pyroute2() -> None:
    """Import pyroute2 in the background (~0.4 s), while the nodes are
    prepared: the first network step then finds it loaded."""
    import threading

    def load():
        try:
            import pyroute2  # noqa: F401
        except Exception:  # reported by the first real use
            pass
    threading.Thread(target=load, name="ocfpy-preload-pyroute2", daemon=True).start()


class _Netlink:
    """An rtnetlink session (pyroute2) on the host, or inside the network
    namespace of process ``pid``; its errors become :class:`ClusterError`.

    Example::

        with _Netlink() as nl:
            nl.up("ocb1234")
        with _Netlink(holder_pid) as nl:
            nl.up("lo")
    """

    def __init__(self, pid: int | None = None):
        self.pid = pid
        self.ipr = None

    def __enter__(self) -> "_Netlink":
        try:
            from pyroute2 import IPRoute

            # flags=0: never create a named namespace (/run/netns) for the path
            self.ipr = IPRoute() if self.pid is None else \
                IPRoute(netns=f"/proc/{int(self.pid)}/ns/net", flags=0)
        except Exception as exc:
            raise ClusterError("netlink%s: %s" % (
                "" if self.pid is None else " in the namespace of pid %d" % self.pid, exc)
            ) from None
        return self

    def __exit__(self, *exc: Any) -> None:
        self.ipr.close()

    def _call(self, what: str, method: str, *args: Any, **kw: Any) -> Any:
        try:
            return getattr(self.ipr, method)(*args, **kw)
        except Exception as exc:
            raise ClusterError(f"{what} failed: {exc}") from None

    def index(self, ifname: str) -> int | None:
        found = self._call(f"looking up {ifname}", "link_lookup", ifname=ifname)
        return found[0] if found else None

    def _index(self, ifname: str) -> int:
        idx = self.index(ifname)
        if idx is None:
            raise ClusterError(f"no link {ifname}")
        return idx

    def add_bridge(self, ifname: str) -> None:
        self._call(f"creating bridge {ifname}", "link", "add", ifname=ifname, kind="bridge")

    def add_veth(self, ifname: str, peer: str, peer_pid: int) -> None:
        """veth pair ``ifname`` (here) / ``peer`` (in the netns of ``peer_pid``)."""
        self._call(f"creating veth {ifname}", "link", "add", ifname=ifname, kind="veth",
                   peer={"ifname": peer, "net_ns_pid": peer_pid})

    def up(self, ifname: str, master: str | None = None) -> None:
        kw: dict = {"state": "up"}
        if master is not None:
            kw["master"] = self._index(master)
        self._call(f"setting {ifname} up", "link", "set", index=self._index(ifname), **kw)

    def down(self, ifname: str) -> None:
        idx = self.index(ifname)
        if idx is not None:
            self._call(f"setting {ifname} down", "link", "set", index=idx, state="down")

    def delete(self, ifname: str) -> bool:
        """Delete link ``ifname``; False when it did not exist (any more)."""
        idx = self.index(ifname)
        if idx is None:
            return False
        try:
            self.ipr.link("del", index=idx)
        except Exception as exc:
            if self.index(ifname) is None:   # gone meanwhile (its namespace died)
                return False
            raise ClusterError(f"deleting {ifname} failed: {exc}") from None
        return True

    def add_address(self, ifname: str, address: str, prefixlen: int) -> None:
        self._call(f"adding {address}/{int(prefixlen)} to {ifname}", "addr", "add",
                   index=self._index(ifname), address=address, prefixlen=prefixlen)


@dataclass
class _Proc:
    """A process we started; ``popen`` is None when re-attached from state."""

    pid: int
    start: int
    role: str
    node: int
    popen: subprocess.Popen | None = field(default=None, repr=False, compare=False)
    _handle: psutil.Process | None = field(default=None, repr=False, compare=False)

    def _ps(self) -> psutil.Process | None:
        """psutil handle, made once the start time proves the pid is ours;
        psutil then re-checks the identity before every signal."""
        if self._handle is None:
            try:
                proc = psutil.Process(self.pid)
            except psutil.Error:
                return None
            if start_time(self.pid) != self.start:
                return None
            self._handle = proc
        return self._handle

    def alive(self) -> bool:
        if self.popen is not None:
            if self.popen.poll() is not None:
                return False
        proc = self._ps()
        return proc is not None and _running(proc)

    def signal(self, sig: int) -> None:
        proc = self._ps()
        if proc is not None and _running(proc):
            try:
                proc.send_signal(sig)
            except psutil.Error:
                pass

    def to_state(self) -> dict:
        return {"pid": self.pid, "start": self.start, "role": self.role, "node": self.node}


def _wait_gone(procs: Sequence[_Proc], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if not any(p.alive() for p in procs):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


def _terminate(procs: Sequence[_Proc], timeout: float) -> None:
    """SIGTERM, wait up to ``timeout``, then SIGKILL; all by pid."""
    for p in procs:
        p.signal(signal.SIGTERM)
    if not _wait_gone(procs, timeout):
        for p in procs:
            p.signal(signal.SIGKILL)
        _wait_gone(procs, 5)


# ----------------------------------------------------------------- cluster
@dataclass
class _Node:
    index: int
    name: str
    addr: str
    holder: _Proc | None = None
    netns: int | None = None
    mntns: int | None = None
    veth: str | None = None
    #: powered off and to stay off until power_on (see Cluster.power_off)
    held: bool = False


@dataclass
class Cluster:
    """A real Pacemaker cluster of ``nodes`` (1 or 3) nodes in namespaces.

    ``name`` is the corosync cluster name (default ``ocfpy-<tag>``);
    ``agents_provider`` the OCF provider ocfpy's agents are installed under
    (None: each agent's own default, ``ocfpy`` for dummy/stateful);
    ``workdir`` holds the nodes' private state (default: a fresh temporary
    directory, removed by :meth:`stop`; a given directory is kept, emptied).

    Example::

        c = Cluster(nodes=3)
        c.start(progress=print)
        try:
            print(c.run(["crm_mon", "-1"], node=2).stdout)
        finally:
            c.stop()
    """

    nodes: int = 1
    name: str | None = None
    agents_provider: str | None = None
    workdir: str | os.PathLike | None = None
    #: corosync totem token (ms); short, so failures are seen fast.
    token_ms: int = 1000
    #: extra cluster properties written into the seed CIB.
    properties: Mapping[str, str] = field(default_factory=dict)
    #: stonith-enabled=true and a fence_ocfpy_sandbox device for every node;
    #: False: stonith-enabled=false, no device (the cluster before issue 14).
    fencing: bool = True

    def __post_init__(self) -> None:
        if self.nodes not in (1, 3):
            raise ValueError(f"nodes must be 1 or 3, not {self.nodes!r}")
        self.tag = secrets.token_hex(3)
        if self.name is None:
            self.name = "ocfpy-" + self.tag
        self._nodes = [
            _Node(i, f"node{int(i)}", "127.0.0.1" if self.nodes == 1 else f"{SUBNET}.{int(i)}")
            for i in range(1, self.nodes + 1)
        ]
        self._procs: list[_Proc] = []
        self._bridge: str | None = None
        self._workdir_created = False
        self._workdir_entries: list[str] = []
        self._started = False
        self._seed_configuration: str | None = None
        self._anchor: _Proc | None = None
        self._generation = 0          # of the state last written or adopted
        self._state_key: tuple | None = None   # (inode, mtime, size) of that file
        self._stopping = False
        self._owner: dict | None = None
        self.start_seconds: float | None = None
        self.stop_seconds: float | None = None
        self.workdir = Path(self.workdir) if self.workdir is not None else None

    # ------------------------------------------------------------- helpers
    @property
    def node_names(self) -> list[str]:
        """Node names, e.g. ``["node1", "node2", "node3"]``."""
        return [n.name for n in self._nodes]

    @property
    def ocf_root(self) -> Path:
        """Host path of the OCF root every node sees as /usr/lib/ocf."""
        return self._path("ocf")

    @property
    def bridge(self) -> str | None:
        """Name of the host bridge joining the nodes (3 nodes), or None."""
        return self._bridge

    @property
    def holder_pids(self) -> list[int]:
        """Pids of the namespace holders, one per node (0 when not started
        or powered off)."""
        self._sync()
        return [n.holder.pid if n.holder else 0 for n in self._nodes]

    @property
    def namespaces(self) -> list[tuple[int | None, int | None]]:
        """(net, mnt) namespace inodes of every node, for leak checks
        ((None, None) for a node that is powered off)."""
        self._sync()
        return [(n.netns, n.mntns) for n in self._nodes]

    @property
    def pids(self) -> list[int]:
        """Pids of every process started by this cluster (holders, daemons,
        the host anchor)."""
        self._sync()
        return [p.pid for p in self._procs]

    @property
    def anchor_pid(self) -> int | None:
        """Pid of the host anchor (see the module doc), None without fencing."""
        self._sync()
        return self._anchor.pid if self._anchor else None

    def veth(self, node: int | str) -> str | None:
        """Host-side name of ``node``'s veth (3 nodes; None when powered off)."""
        self._sync()
        return self._node(node).veth

    def node_name(self, node: int | str) -> str:
        """``"node3"`` for ``3``, ``"3"`` or ``"node3"``; ValueError for others."""
        return self._node(node).name

    def _path(self, *parts: str) -> Path:
        if self.workdir is None:
            raise ClusterError("cluster has no workdir (not started)")
        return Path(self.workdir, *parts)

    def _node(self, node: int | str) -> _Node:
        if isinstance(node, str):
            for n in self._nodes:
                if n.name == node or str(n.index) == node:
                    return n
            raise ValueError(f"no node {node!r} in {self.node_names}")
        if not 1 <= node <= len(self._nodes):
            raise ValueError(f"no node {node!r} in {self.node_names}")
        return self._nodes[node - 1]

    def node_argv(self, argv: Sequence[str], node: int | str = 1) -> list[str]:
        """The argv that runs ``argv`` inside ``node``'s namespaces.

        >>> Cluster(nodes=1).node_argv(["crm_mon", "-1"])[:1]
        ['nsenter']
        """
        n = self._node(node)
        self._sync()
        if self._started and self.workdir is not None and (n.holder is None
                                                           or not n.holder.alive()):
            raise ClusterError(f"{n.name} is powered off")
        pid = n.holder.pid if n.holder else 0
        return ["nsenter", "-t", str(pid), *_NS_ARGS, "--", *argv]

    @staticmethod
    def _env(extra: Mapping[str, str] | None = None) -> dict:
        env = dict(os.environ)
        # a CIB_file/CIB_shadow from the caller's shell would make every tool
        # read a file instead of the live cluster
        for var in ("CIB_file", "CIB_shadow", "CIB_shadow_dir", "CIB_user"):
            env.pop(var, None)
        env["PATH"] = env.get("PATH", "") + ":" + _SBIN_PATH
        if extra:
            env.update(extra)
        return env

    def _host(self, argv: Sequence[str], **kw: Any) -> subprocess.CompletedProcess:
        kw.setdefault("check", True)
        kw.setdefault("timeout", 60)
        try:
            return subprocess.run(list(argv), capture_output=True, text=True,
                                  env=self._env(), **kw)
        except subprocess.CalledProcessError as exc:
            raise ClusterError("%s failed (rc=%s): %s" % (
                " ".join(argv), exc.returncode, (exc.stderr or exc.stdout or "").strip())) from None

    # ------------------------------------------------------------- public
    def run(self, argv: Sequence[str], node: int | str = 1, input: str | None = None,
            check: bool = True, env: Mapping[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess:
        """Run ``argv`` inside ``node`` (1-based index or name); text mode.

        ``env`` entries are added to this process's environment (minus any
        ``CIB_file``/``CIB_shadow``). With ``check`` a non-zero exit raises
        :class:`NodeCommandError` (a :class:`subprocess.CalledProcessError`
        whose message includes the command's stderr).

        Example::

            out = cluster.run(["crm_attribute", "-G", "-n", "stonith-enabled"]).stdout
        """
        try:
            full = self.node_argv(argv, node)
        except ClusterError as exc:  # a node powered off: like a command that cannot run
            res = subprocess.CompletedProcess(list(argv), 255, "", str(exc) + "\n")
        else:
            res = subprocess.run(full, input=input, capture_output=True,
                                 text=True, env=self._env(env), timeout=timeout)
        if check and res.returncode != 0:
            raise NodeCommandError(res.returncode, list(argv), res.stdout, res.stderr)
        return res

    def crm_mon_xml(self, node: int | str = 1) -> str:
        """``crm_mon --output-as=xml`` seen from ``node``, as a string.

        Example::

            root = xml.etree.ElementTree.fromstring(cluster.crm_mon_xml())
        """
        return self.run(["crm_mon", "-1", "--output-as=xml"], node=node, timeout=30).stdout

    def wait_for(self, predicate: Callable[[ET.Element], Any], timeout: float = 30,
                 node: int | str = 1, interval: float = _POLL) -> ET.Element:
        """Poll crm_mon xml every ``interval`` s until ``predicate(root)`` is true.

        ``root`` is the parsed ``<pacemaker-result>`` element. Returns it;
        raises :class:`TimeoutError` (with the last crm_mon output) otherwise.

        Example::

            cluster.wait_for(lambda mon: cluster.resource_state("d", mon)["role"] == "Started", 10)
        """
        deadline = time.monotonic() + timeout
        last = ""
        while True:
            res = self.run(["crm_mon", "-1", "--output-as=xml"], node=node,
                           check=False, timeout=30)
            if res.returncode == 0 or res.stdout.lstrip().startswith("<"):
                last = res.stdout
                try:
                    root = ET.fromstring(res.stdout)
                except ET.ParseError:
                    root = None
                if root is not None and predicate(root):
                    return root
            else:
                last = res.stderr
            if time.monotonic() >= deadline:
                raise TimeoutError(f"condition not met within {timeout}s; last crm_mon:\n{last[-4000:]}")
            time.sleep(interval)

    def resource_state(self, rsc_id: str, mon: str | ET.Element | None = None) -> dict:
        """State of resource ``rsc_id`` (primitive, group or clone id) from crm_mon xml.

        Returns ``{"id", "exists", "active", "nodes", "role", "roles",
        "promoted", "pending", "failed", "failures"}``: ``active`` is true
        once an instance is Started/Promoted/Unpromoted (not while its start
        is still running), ``nodes`` where instances are placed, ``role`` the
        single role (Started, Stopped, Promoted, Unpromoted, or a transitional
        one such as Starting; ``"Promoted"`` if any instance of a clone is
        promoted; Master/Slave are reported as Promoted/Unpromoted), ``roles``
        a node -> role map, ``pending`` operations in flight (``Starting``,
        ``Monitoring``, ...), ``failed`` true when crm_mon flags it or records
        a failed operation, ``failures`` those operations (``node``, ``op``,
        ``rc``, ``exitreason``, ...). ``mon`` is crm_mon xml already fetched
        (string or parsed root); None fetches it.

        Example::

            st = cluster.resource_state("d")
            assert st["nodes"] == ["node1"] and st["role"] == "Started"
        """
        if mon is None:
            mon = self.crm_mon_xml()
        root = ET.fromstring(mon) if isinstance(mon, str) else mon
        return resource_state_from_xml(root, rsc_id)

    def wait_settled(self, timeout: float = 30, node: int | str = 1) -> ET.Element:
        """Wait until every node is online, there is a DC and it is S_IDLE."""
        names = set(self.node_names)
        deadline = time.monotonic() + timeout
        while True:
            left = max(0.5, deadline - time.monotonic())
            root = self.wait_for(lambda r: _nodes_ready(r, names), left, node=node)
            dc = root.find("summary/current_dc")
            state = self.run(["crmadmin", "-q", "-S", dc.get("name")], node=node,
                             check=False, timeout=10)
            if "S_IDLE" in state.stdout + state.stderr:
                return root
            if time.monotonic() >= deadline:
                raise TimeoutError("DC %s not idle within %ss: %s" % (
                    dc.get("name"), timeout, (state.stdout + state.stderr).strip()))
            time.sleep(_POLL)

    # -------------------------------------------------------------- start
    def start(self, progress: Callable[[str], Any] | None = None) -> "Cluster":
        """Create the nodes, start corosync and Pacemaker, wait until settled.

        ``progress`` gets human-readable lines (e.g. ``print``). On any
        failure everything created so far is removed before re-raising.
        """
        if self._started:
            raise ClusterError("cluster already started")
        say = progress or (lambda _msg: None)
        reason = missing_requirements()
        if reason:
            raise ClusterError(reason)
        t0 = time.monotonic()
        _preload_pyroute2()
        self._started = True
        self._owner = {"pid": os.getpid(), "start": start_time(os.getpid()) or 0}
        try:
            self._make_workdir()
            say(f"preparing {int(self.nodes)} node(s) in {self.workdir}")
            if self.fencing:
                from ocfpy.sandbox.fence import install_agent

                install_agent()
                self._start_anchor()
            for n in self._nodes:
                self._prepare_node_dirs(n)
            self.install_agents()
            for n in self._nodes:
                self._start_holder(n)
            say(f"namespaces ready (holders {', '.join((str(p) for p in self.holder_pids))})")
            if self.nodes > 1:
                self._make_network()
                say(f"bridge {self._bridge} up, nodes at {SUBNET}.1-{int(self.nodes)}")
            cs = [self._spawn(n, "corosync", ["corosync", "-f"]) for n in self._nodes]
            self._wait_corosync(cs)
            say(f"corosync running on {', '.join(self.node_names)}")
            for n in self._nodes:
                self._spawn_pacemakerd(n)
            say("pacemakerd started, waiting for the cluster to settle")
            self.wait_settled(timeout=60)
            self._seed_configuration = self.run(["cibadmin", "-Q", "-o", "configuration"]).stdout
            self.start_seconds = time.monotonic() - t0
            with self._locked():
                self._sync()  # Pacemaker may have fenced a node meanwhile
                self._record()
            say("cluster %s settled in %.1f s: %s online" % (
                self.name, self.start_seconds, ", ".join(self.node_names)))
        except BaseException:
            self.stop()
            raise
        return self

    def _start_anchor(self) -> None:
        # a process that stays in the namespaces the cluster is built from:
        # the fence agent, run by a node's fencer, acts from there (nsenter)
        popen = subprocess.Popen(["sleep", "infinity"], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 env=self._env(), start_new_session=True, cwd="/")
        self._anchor = _Proc(popen.pid, start_time(popen.pid) or 0, "anchor", 0, popen)
        self._procs.append(self._anchor)
        self._record()

    def _make_workdir(self) -> None:
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix=f"ocfpy-cluster-{self.tag}-"))
            self._workdir_created = True
        else:
            if not self.workdir.exists():
                self._workdir_created = True
            self.workdir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.workdir, 0o755)  # hacluster must traverse it to reach the binds

    def _mkdir(self, path: Path, mode: int = 0o755, owner: tuple[int, int] = (0, 0)) -> None:
        path.mkdir(parents=True, exist_ok=True)
        os.chown(path, *owner)
        os.chmod(path, mode)

    def _prepare_node_dirs(self, n: _Node) -> None:
        import grp
        import pwd
        ha = (pwd.getpwnam("hacluster").pw_uid, grp.getgrnam("haclient").gr_gid)
        base = self._path(n.name)
        self._workdir_entries.append(n.name)
        self._mkdir(base)
        self._mkdir(base / "var-lib-pacemaker", 0o755, ha)
        for sub in ("cib", "pengine", "blackbox", "cores"):
            self._mkdir(base / "var-lib-pacemaker" / sub, 0o750, ha)
        self._mkdir(base / "var-log-pacemaker", 0o770, ha)
        self._mkdir(base / "var-log-pacemaker" / "bundles", 0o770, ha)
        self._mkdir(base / "var-lib-corosync", 0o700)
        self._mkdir(base / "var-log-corosync", 0o755)
        self._mkdir(base / "etc-corosync", 0o755)
        self._mkdir(base / "etc-corosync" / "uidgid.d", 0o755)
        (base / "etc-corosync" / "corosync.conf").write_text(self._corosync_conf())
        cib = base / "var-lib-pacemaker" / "cib" / "cib.xml"
        cib.write_text(self._seed_cib())
        os.chown(cib, *ha)
        os.chmod(cib, 0o600)

    def _corosync_conf(self) -> str:
        nodes = "".join(
            "    node {\n        name: %s\n        nodeid: %d\n        ring0_addr: %s\n    }\n"
            % (n.name, n.index, n.addr) for n in self._nodes)
        return (
            "# written by ocfpy.sandbox.cluster; lives only inside the node's namespaces\n"
            "totem {\n    version: 2\n    cluster_name: %s\n    transport: knet\n"
            "    crypto_cipher: none\n    crypto_hash: none\n    token: %d\n"
            "    join: 50\n}\n"
            "quorum {\n    provider: corosync_votequorum\n}\n"
            "nodelist {\n%s}\n"
            "logging {\n    to_logfile: yes\n    logfile: /var/log/corosync/corosync.log\n"
            "    to_stderr: no\n    to_syslog: no\n    timestamp: on\n}\n"
        ) % (self.name, self.token_ms, nodes)

    def _seed_cib(self) -> str:
        empty = self._host(["cibadmin", "--empty"]).stdout
        root = ET.fromstring(empty)
        crm_config = root.find("configuration/crm_config")
        props = ET.SubElement(crm_config, "cluster_property_set", id="cib-bootstrap-options")
        values = {
            "stonith-enabled": "true" if self.fencing else "false",
            # how long a starting node waits for an existing DC before an
            # election: one node has no peer to wait for; 3 nodes start together
            # (200ms measured fine there too, 1s keeps slow CI machines calm)
            "dc-deadtime": "200ms" if self.nodes == 1 else "1s",
            # re-run the scheduler often, so time-based rules/failure-timeout act fast
            "cluster-recheck-interval": "30s",
            "cluster-name": self.name,
            # bounded teardown even if a stop hangs
            "shutdown-escalation": "30s",
            "pe-input-series-max": "100",
            "pe-warn-series-max": "100",
            "pe-error-series-max": "100",
        }
        values.update(self.properties)
        for key, value in values.items():
            ET.SubElement(props, "nvpair", id="cib-bootstrap-options-" + key,
                          name=key, value=value)
        if self.fencing:
            root.find("configuration/resources").append(self._fence_device())
            if self.nodes > 1:
                # Pacemaker spreads equal-score resources by their count per
                # node: on the last node the device leaves the first resources
                # a test creates where they went without fencing (node1, node2)
                ET.SubElement(root.find("configuration/constraints"), "rsc_location",
                              id=FENCE_DEVICE + "-on-last-node", rsc=FENCE_DEVICE,
                              node=self.node_names[-1], score="1")
        return ET.tostring(root, encoding="unicode")

    def fence_device_xml(self) -> str:
        """The ``<primitive>`` of the cluster's stonith device (empty without
        fencing), for a test that replaces the whole resources section:
        without the device Pacemaker refuses to start anything.

        Example::

            xml = "<resources>%s%s</resources>" % (mine, cluster.fence_device_xml())
            cluster.run(["cibadmin", "--replace", "-o", "resources", "--xml-text", xml])
        """
        if not self.fencing or self._anchor is None:
            return ""
        return ET.tostring(self._fence_device(), encoding="unicode")

    def _fence_device(self) -> ET.Element:
        """The stonith device: one for every node (the agent acts from the host)."""
        dev = ET.Element("primitive", {"id": FENCE_DEVICE, "class": "stonith",
                                       "type": "fence_ocfpy_sandbox"})
        attrs = ET.SubElement(dev, "instance_attributes", id=FENCE_DEVICE + "-ia")
        for key, value in (("cluster_dir", str(self.workdir)),
                           ("host_pid", f"{int(self._anchor.pid)}:{int(self._anchor.start)}"),
                           ("pcmk_host_list", " ".join(self.node_names))):
            ET.SubElement(attrs, "nvpair", id=f"{FENCE_DEVICE}-ia-{key}",
                          name=key, value=value)
        ops = ET.SubElement(dev, "operations")
        ET.SubElement(ops, "op", id=FENCE_DEVICE + "-monitor-60s", name="monitor",
                      interval="60s", timeout="20s")
        return dev

    def install_agents(self, names: list[str] | None = None,
                       provider: str | None = None) -> list[Path]:
        """(Re)install ocfpy's agents into the cluster's private OCF root.

        Visible at once in every node as
        ``/usr/lib/ocf/resource.d/<provider>/<name>``. ``provider`` defaults
        to the cluster's ``agents_provider``. Until ``ocfpy.install`` exists,
        Pacemaker's Dummy and Stateful are copied as ``dummy``/``stateful``.
        """
        provider = provider if provider is not None else self.agents_provider
        root = self.ocf_root
        if "ocf" not in self._workdir_entries:
            self._workdir_entries.append("ocf")
        self._mkdir(root / "resource.d")
        try:
            from ocfpy.install import install
        except ModuleNotFoundError as exc:
            if exc.name != "ocfpy.install":
                raise  # ocfpy.install exists but is broken or not installed: say so
            install = None
        if install is not None:
            return list(install(root, provider=provider, names=names))
        # development fallback, same names as the ocfpy example agents
        dest = root / "resource.d" / (provider or "ocfpy")
        dest.mkdir(parents=True, exist_ok=True)
        done = []
        for src, name in (("Dummy", "dummy"), ("Stateful", "stateful")):
            if names is None or name in names:
                shutil.copy2(HOST_OCF_ROOT / "resource.d" / "pacemaker" / src, dest / name)
                os.chmod(dest / name, 0o755)
                done.append(dest / name)
        return done

    def install_file(self, src: str | os.PathLike, name: str | None = None,
                     provider: str = "test") -> Path:
        """Install any executable as ``ocf:<provider>:<name>`` in every node.

        Example::

            cluster.install_file("tests/data/broken_agent.sh", "broken")
            # now usable as class=ocf provider=test type=broken
        """
        dest = self.ocf_root / "resource.d" / provider
        dest.mkdir(parents=True, exist_ok=True)
        target = dest / (name or Path(src).name)
        shutil.copy2(src, target)
        os.chmod(target, 0o755)
        return target

    def _start_holder(self, n: _Node) -> None:
        import grp
        import pwd
        base = self._path(n.name)
        ha = (pwd.getpwnam("hacluster").pw_uid, grp.getgrnam("haclient").gr_gid)
        # providers installed into the cluster hold files; empty directories are
        # only mount points an earlier node made for the host's providers
        ours = set(p.name for p in (self.ocf_root / "resource.d").iterdir() if any(p.iterdir()))
        binds = []
        host_rd = HOST_OCF_ROOT / "resource.d"
        if host_rd.is_dir():
            for prov in sorted(host_rd.iterdir()):
                # a provider installed into the cluster shadows the host's one
                if prov.is_dir() and prov.name not in ours:
                    self._mkdir(self.ocf_root / "resource.d" / prov.name)
                    binds.append((str(prov), str(self.ocf_root / "resource.d" / prov.name)))
        for sub, target in (("var-lib-pacemaker", "/var/lib/pacemaker"),
                            ("var-log-pacemaker", "/var/log/pacemaker"),
                            ("var-lib-corosync", "/var/lib/corosync"),
                            ("var-log-corosync", "/var/log/corosync"),
                            ("etc-corosync", "/etc/corosync")):
            binds.append((str(base / sub), target))
        cfg = {
            "binds": binds,
            "rbinds": [(str(self.ocf_root / "resource.d"), str(host_rd))],
            # tmpfs last: the workdir could itself live under /run
            "tmpfs": [("/run", "mode=0755"), ("/dev/shm", "mode=1777")],
            "dirs": [("/run/crm", 0o750, ha[0], ha[1]),
                     ("/run/lock", 0o1777, 0, 0),
                     ("/run/corosync", 0o755, 0, 0),
                     ("/run/pacemaker", 0o750, ha[0], ha[1]),
                     ("/run/resource-agents", 0o755, 0, 0)],
            "hostname": n.name,
        }
        log = open(base / "holder.log", "ab")
        try:
            popen = subprocess.Popen(
                ["unshare", "--net", "--mount", "--uts", "--propagation", "private", "--",
                 sys.executable, "-c", _HOLDER_SETUP, json.dumps(cfg)],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
                env=self._env(), start_new_session=True, cwd="/")
        finally:
            log.close()
        n.holder = _Proc(popen.pid, start_time(popen.pid) or 0, "holder", n.index, popen)
        self._procs.append(n.holder)
        self._record()
        ready, _, _ = select.select([popen.stdout], [], [], 20)
        line = popen.stdout.readline() if ready else b""
        popen.stdout.close()
        if line.strip() != b"READY":
            raise ClusterError("node %s: namespace setup failed: %s" % (
                n.name, (base / "holder.log").read_text(errors="replace").strip()
                or "no READY within 20 s"))
        n.netns = _ns_inode(popen.pid, "net")
        n.mntns = _ns_inode(popen.pid, "mnt")
        with _Netlink(popen.pid) as nl:
            nl.up("lo")   # corosync of a 1-node cluster talks over it

    def _make_network(self) -> None:
        bridge = "ocb" + self.tag
        with _Netlink() as nl:
            nl.add_bridge(bridge)
            self._bridge = bridge
            _no_ipv6(bridge)
            nl.up(bridge)
        for n in self._nodes:
            self._plug(n)

    def _plug(self, n: _Node) -> None:
        """Join node ``n`` to the bridge: veth pair, its address, links up."""
        veth = f"ocv{self.tag}{int(n.index)}"
        with _Netlink() as nl:
            nl.add_veth(veth, "eth0", n.holder.pid)
            n.veth = veth
            _no_ipv6(veth)
            nl.up(veth, master=self._bridge)
        with _Netlink(n.holder.pid) as nl:
            nl.add_address("eth0", n.addr, 24)
            nl.up("eth0")

    def _spawn(self, n: _Node, role: str, argv: list[str],
               env: Mapping[str, str] | None = None) -> _Proc:
        # nsenter without --pid execs the command itself: the pid is the daemon's
        log = open(self._path(n.name, role + ".out"), "ab")
        try:
            popen = subprocess.Popen(self.node_argv(argv, n.index), stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=subprocess.STDOUT,
                                     env=self._env(env), start_new_session=True, cwd="/")
        finally:
            log.close()
        proc = _Proc(popen.pid, start_time(popen.pid) or 0, role, n.index, popen)
        self._procs.append(proc)
        self._record()
        return proc

    def _wait_corosync(self, procs: list[_Proc], timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        pending = list(procs)
        while pending:
            for p in list(pending):
                if not p.alive():
                    raise ClusterError("corosync on node%d exited: %s" % (
                        p.node, self._tail(p.node, "var-log-corosync/corosync.log",
                                           "corosync.out")))
                res = self.run(["corosync-cmapctl", "-g", "runtime.votequorum.this_node_id"],
                               node=p.node, check=False, timeout=10)
                if res.returncode == 0:
                    pending.remove(p)
            if pending:
                if time.monotonic() >= deadline:
                    raise ClusterError(f"corosync not ready within {timeout}s")
                time.sleep(_POLL)

    def _tail(self, node: int, *files: str) -> str:
        out = []
        for f in files:
            try:
                out.append(self._path(f"node{int(node)}", f).read_text(errors="replace")[-2000:])
            except OSError:
                pass
        return "\n".join(out).strip()

    # -------------------------------------------------------------- reset
    def reset(self, timeout: float = 30) -> None:
        """Bring the CIB back to its state right after :meth:`start`.

        Restores the configuration section (resources, constraints,
        properties, defaults), clears failures and transient node attributes,
        then waits until no resource is active and the DC is idle.
        """
        if not self._seed_configuration:
            raise ClusterError("cluster not started")
        # a node a test powered off (or fenced with off) comes back first
        for name, on in self.power_states().items():
            if not on:
                self.power_on(name, timeout=timeout)
        self.run(["cibadmin", "--replace", "-o", "configuration", "--xml-pipe"],
                 input=self._seed_configuration)
        # A test's leftover may refuse to go (an orphan whose stop or demote
        # keeps failing): a cleanup every few seconds re-probes it, and what
        # the probe finds stopped leaves the status for good.
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.wait_for(lambda r: not _user_resources(r),
                              min(5.0, max(0.5, deadline - time.monotonic())))
                break
            except TimeoutError:
                if time.monotonic() >= deadline:
                    raise
                self.run(["crm_resource", "--cleanup"], check=False)
        self.run(["crm_resource", "--cleanup"], check=False)
        status = ET.fromstring(self.run(["cibadmin", "-Q", "-o", "status"]).stdout)
        for state in status.findall("node_state"):
            for nv in state.findall("transient_attributes//nvpair"):
                if not nv.get("name", "#").startswith("#"):
                    self.run(["attrd_updater", "-D", "-n", nv.get("name"), "-N",
                              state.get("uname")], check=False)
        self.wait_settled(timeout)

    # -------------------------------------------------------------- power
    def power_states(self) -> dict:
        """``{"node1": True, ...}``: True while the node is powered on."""
        self._sync()
        return {n.name: bool(n.holder and n.holder.alive()) for n in self._nodes}

    def power_off(self, node: int | str, hold: bool = True) -> bool:
        """Cut the power of ``node``: abrupt, nothing is stopped cleanly.

        Its link to the bridge goes down, every process in its network
        namespace (corosync, Pacemaker, resource daemons, strays) gets
        SIGKILL, then its holder: its namespaces, mounts and veth vanish.
        Its private directories (CIB, logs: the node's "disk") stay.

        ``hold`` (the default) leaves the node's switch off: when the others
        fence it (``reboot``, Pacemaker's default) the fence succeeds but the
        node stays off until :meth:`power_on`. ``hold=False`` is a crash: the
        switch stays on, so the cluster's reboot fence brings the node back.
        Returns False when it was already off. Works from any process on the
        host (the fence agent's controller, the sandbox CLI, a test).

        Example::

            cluster.power_off("node3")
            cluster.wait_for(lambda mon: ..., node=1)   # the others see it gone
            cluster.power_on("node3")                   # back in the cluster
        """
        n = self._node(node)
        with self._locked():
            self._sync()
            self._check_running()
            was_on = bool(n.holder and n.holder.alive())
            self._cut_power(n)
            n.held = hold
            self._record()
        return was_on

    def power_on(self, node: int | str, wait: bool = True, timeout: float = 60) -> bool:
        """Power ``node`` on: rebuild its namespaces, mounts and veth, start
        corosync and pacemakerd; with ``wait``, return once it is online in
        the cluster again (seen by itself and by a peer), else once its
        daemons run. Returns False when it was already on.
        """
        n = self._node(node)
        with self._locked():
            self._sync()
            self._check_running()
            if n.holder is not None and n.holder.alive():
                return False
            self._cut_power(n)  # the remains of a node that died by itself, if any
            self._boot_or_off(n)
        if wait:
            self.wait_node_online(n.name, timeout)
        return True

    def reboot(self, node: int | str, wait: bool = True, timeout: float = 60,
               keep_held: bool = False) -> bool:
        """:meth:`power_off` then :meth:`power_on`, with no one in between.

        ``keep_held`` (what a fence does): a node whose switch was held off
        (:meth:`power_off` with ``hold``) is only checked off and stays off.
        Pacemaker starts on the node :data:`REBOOT_PACEMAKER_DELAY` seconds
        later than on a :meth:`power_on` (the fencer reports the reboot first).
        Returns True when the node was powered on again.
        """
        n = self._node(node)
        with self._locked():
            self._sync()
            self._check_running()
            self._cut_power(n)
            if keep_held and n.held:
                self._record()
                return False
            self._record()
            self._boot_or_off(n, pacemaker_delay=REBOOT_PACEMAKER_DELAY)
        if wait:
            self.wait_node_online(n.name, timeout + REBOOT_PACEMAKER_DELAY)
        return True

    def _boot_or_off(self, n: _Node, pacemaker_delay: float = 0) -> None:
        try:
            self._boot(n, pacemaker_delay)
        except BaseException:
            try:
                self._cut_power(n)
            finally:
                self._record()
            raise
        n.held = False
        self._record()

    def wait_node_online(self, node: int | str, timeout: float = 60) -> ET.Element:
        """Wait until ``node`` is online (not pending, not unclean, a DC with
        quorum), as seen by itself and by a powered-on peer."""
        name = self.node_name(node)
        deadline = time.monotonic() + timeout
        root = self.wait_for(lambda r: _nodes_ready(r, {name}), timeout, node=name)
        states = self.power_states()
        for peer in [p for p, on in states.items() if on and p != name][:1]:
            root = self.wait_for(lambda r: _nodes_ready(r, {name}),
                                 max(0.5, deadline - time.monotonic()), node=peer)
        return root

    def _check_running(self) -> None:
        # (under the lock, after _sync: a stop() that ran meanwhile removed the file)
        if (not self._started or self._stopping or self.workdir is None
                or not Path(self.workdir, STATE_FILE).exists()):
            raise ClusterError(f"cluster {self.name} is not running (stopped or stopping)")

    def _cut_power(self, n: _Node, timeout: float = 10) -> None:
        """Link down, SIGKILL to every process of the node, holder last.

        The holder keeps the namespaces (and so their inode numbers) alive
        while the rest is killed: a freed inode could be reused by an
        unrelated namespace before the scan is over.
        """
        if n.veth:
            with _Netlink() as nl:
                nl.down(n.veth)
        holder = n.holder if (n.holder and n.holder.alive()) else None
        if n.netns is not None:
            # without its holder (died by itself) the inode is only trusted
            # together with the mount namespace's
            mntns = None if holder is not None else n.mntns
            deadline = time.monotonic() + timeout
            while True:
                pids = [pid for pid in _pids_in_node(n.netns, mntns)
                        if holder is None or pid != holder.pid]
                if not pids:
                    break
                for pid in pids:
                    _kill(pid, signal.SIGKILL)
                if time.monotonic() >= deadline:
                    raise ClusterError(f"{n.name}: processes survive SIGKILL: {pids}")
                time.sleep(0.01)
        if holder is not None:
            holder.signal(signal.SIGKILL)
            if not _wait_gone([holder], 5):
                raise ClusterError(f"{n.name}: holder {int(holder.pid)} survives SIGKILL")
        for p in [p for p in self._procs if p.node == n.index]:
            if p.popen is not None:
                try:
                    p.popen.wait(timeout=2)   # ours: reap it
                except subprocess.TimeoutExpired:
                    pass
        if n.veth:
            # normally gone with the namespace; the kernel frees it asynchronously
            with _Netlink() as nl:
                nl.delete(n.veth)
        self._procs = [p for p in self._procs if p.node != n.index]
        n.holder = None
        n.netns = n.mntns = None
        n.veth = None

    def _boot(self, n: _Node, pacemaker_delay: float = 0) -> None:
        self._start_holder(n)
        if self.nodes > 1:
            self._plug(n)
        cs = self._spawn(n, "corosync", ["corosync", "-f"])
        self._wait_corosync([cs])
        self._spawn_pacemakerd(n, pacemaker_delay)

    def _spawn_pacemakerd(self, n: _Node, delay: float = 0) -> _Proc:
        # with a delay, a shell sleeps then execs pacemakerd: same pid, same
        # start time, so the record names pacemakerd from the start
        argv = ["sh", "-c", f"sleep {delay:g}; exec pacemakerd"] if delay else ["pacemakerd"]
        return self._spawn(n, "pacemakerd", argv, env={
            "PCMK_logfile": "/var/log/pacemaker/pacemaker.log",
            "PCMK_logfacility": "none",
            "PCMK_blackbox": "no",
        })

    # -------------------------------------------------------- shared state
    class _Lock:
        def __init__(self, path: Path):
            self.path = path
            self.fd: int | None = None

        def __enter__(self):
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            fcntl.flock(self.fd, fcntl.LOCK_EX)
            return self

        def __exit__(self, *exc):
            os.close(self.fd)  # releases the lock
            self.fd = None

    def _locked(self) -> "Cluster._Lock":
        """Exclusive lock on the cluster's state (across processes)."""
        if self.workdir is None:
            raise ClusterError("cluster has no workdir (not started)")
        if LOCK_FILE not in self._workdir_entries:
            self._workdir_entries.append(LOCK_FILE)
        return Cluster._Lock(self._path(LOCK_FILE))

    def _sync(self) -> None:
        """Adopt ``cluster.json`` when another process wrote a newer one."""
        if self.workdir is None or not self._started:
            return
        path = Path(self.workdir, STATE_FILE)
        try:
            st = os.stat(path)
        except OSError:
            return
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        if key == self._state_key:
            return
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError):
            return
        self._state_key = key
        if state.get("generation", 0) > self._generation:
            self._adopt(state)

    def _adopt(self, state: Mapping[str, Any]) -> None:
        old = {(p.pid, p.start): p for p in self._procs}
        procs = []
        for d in state["procs"]:
            procs.append(old.pop((d["pid"], d["start"]), None)
                         or _Proc(d["pid"], d["start"], d["role"], d["node"]))
        for p in old.values():  # killed by someone else: reap our children among them
            if p.popen is not None:
                p.popen.poll()
        self._procs = procs
        self._bridge = state.get("bridge")
        self._stopping = bool(state.get("stopping"))
        self._anchor = next((p for p in procs if p.role == "anchor"), None)
        info = {i["index"]: i for i in state.get("node_info", [])}
        for n in self._nodes:
            i = info.get(n.index, {})
            n.netns, n.mntns, n.veth = i.get("netns"), i.get("mntns"), i.get("veth")
            n.held = bool(i.get("held"))
            n.holder = next((p for p in procs if p.role == "holder" and p.node == n.index), None)
        self._generation = state.get("generation", 0)

    # --------------------------------------------------------------- stop
    def stop(self, timeout: float = 30) -> None:
        """Stop everything and remove everything created; safe to call twice.

        Works after a failed or partial :meth:`start` and on a cluster
        re-attached with :meth:`from_state`. Raises :class:`ClusterError`
        if something could not be removed (after trying everything else).
        """
        t0 = time.monotonic()
        errors: list[str] = []
        # 0. from now on the power controller refuses to act (a fence during the
        #    teardown must not rebuild a node); one already acting finishes first
        if self.workdir is not None and self.workdir.exists() and self._started:
            try:
                with self._locked():
                    self._sync()
                    self._stopping = True
                    self._record()
            except OSError as exc:
                errors.append(f"state: {exc}")
        # 1. Pacemaker first on every node at once (it stops resources), then corosync
        for role, wait in (("pacemakerd", timeout), ("corosync", 10)):
            procs = [p for p in self._procs if p.role == role]
            try:
                _terminate(procs, wait)
            except Exception as exc:  # keep going: the rest must still go
                errors.append(f"{role}: {exc}")
        # 2. anything else still inside a node (agent daemons, stray nsenter children)
        for n in self._nodes:
            if n.netns is None:
                continue
            holder = n.holder.pid if n.holder else None
            strays = [_Proc(pid, start_time(pid) or 0, "stray", n.index)
                      for pid in _pids_in_node(n.netns, n.mntns) if pid != holder]
            _terminate(strays, 2)
        # 3. the holders: their death frees the namespaces and every mount in them;
        #    then the host anchor
        for role in ("holder", "anchor"):
            try:
                _terminate([p for p in self._procs if p.role == role], 5)
            except Exception as exc:
                errors.append(f"{role}s: {exc}")
        for p in self._procs:
            if p.popen is not None:
                try:
                    p.popen.wait(timeout=5)
                except Exception:
                    pass
            if p.alive():
                errors.append(f"pid {int(p.pid)} ({p.role} on node{int(p.node)}) survived")
        # 4. network: veths die with their namespace; delete explicitly anyway
        links = [n.veth for n in self._nodes if n.veth] + ([self._bridge] if self._bridge else [])
        if links:
            try:
                with _Netlink() as nl:
                    for link in links:
                        try:
                            nl.delete(link)
                        except ClusterError as exc:
                            errors.append(str(exc))
            except ClusterError as exc:
                errors.append(str(exc))
        for n in self._nodes:
            n.veth = None
        self._bridge = None
        # 5. files
        if self.workdir is not None and self.workdir.exists():
            try:
                if self._workdir_created:
                    shutil.rmtree(self.workdir)
                else:
                    for entry in self._workdir_entries:
                        target = self.workdir / entry
                        if target.is_dir():
                            shutil.rmtree(target)
                        elif target.exists():
                            target.unlink()
            except OSError as exc:
                errors.append(f"workdir: {exc}")
        self._procs = [p for p in self._procs if p.alive()]
        for n in self._nodes:
            n.holder = None if not (n.holder and n.holder.alive()) else n.holder
        self._anchor = None if not (self._anchor and self._anchor.alive()) else self._anchor
        self._started = False
        self.stop_seconds = time.monotonic() - t0
        if errors:
            raise ClusterError("teardown incomplete: " + "; ".join(errors))

    def __enter__(self) -> "Cluster":
        if not self._started:
            self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # --------------------------------------------------------- persistence
    def to_state(self) -> dict:
        """A JSON-able description, to re-attach later with :meth:`from_state`."""
        return {
            "version": 1,
            "generation": self._generation,
            "nodes": self.nodes,
            "name": self.name,
            "tag": self.tag,
            "fencing": self.fencing,
            "stopping": self._stopping,
            "agents_provider": self.agents_provider,
            "workdir": str(self.workdir) if self.workdir else None,
            "workdir_created": self._workdir_created,
            "workdir_entries": self._workdir_entries,
            "bridge": self._bridge,
            "procs": [p.to_state() for p in self._procs],
            "node_info": [{"index": n.index, "netns": n.netns, "mntns": n.mntns,
                           "veth": n.veth, "held": n.held} for n in self._nodes],
            "seed_configuration": self._seed_configuration,
            "start_seconds": self.start_seconds,
            # who started the cluster (reap_orphans); kept when another
            # process (the fence agent's power controller) rewrites the file
            "owner": self._owner or {"pid": os.getpid(),
                                     "start": start_time(os.getpid()) or 0},
        }

    def _record(self) -> None:
        # <workdir>/cluster.json describes what exists so far, so a cluster
        # whose owner died (SIGKILLed test run) can still be removed completely:
        # see reap_orphans()
        # (power changes and the last write of start() hold the lock)
        try:
            path = self._path(STATE_FILE)
            self._generation += 1
            tmp = path.with_name(f".{STATE_FILE}.tmp{int(os.getpid())}")
            tmp.write_text(json.dumps(self.to_state(), indent=1))
            os.replace(tmp, path)
            st = os.stat(path)
            self._state_key = (st.st_ino, st.st_mtime_ns, st.st_size)
            if STATE_FILE not in self._workdir_entries:
                self._workdir_entries.append(STATE_FILE)
        except OSError:
            pass

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> "Cluster":
        """Re-attach to a cluster started by another process (e.g. the sandbox).

        Processes are then tracked by pid and start time only.
        """
        c = cls(nodes=state["nodes"], name=state["name"],
                agents_provider=state.get("agents_provider"), workdir=state.get("workdir"),
                fencing=state.get("fencing", False))
        c.tag = state["tag"]
        c._owner = state.get("owner")
        c._workdir_created = state.get("workdir_created", False)
        c._workdir_entries = list(state.get("workdir_entries", []))
        c._bridge = state.get("bridge")
        c._seed_configuration = state.get("seed_configuration")
        c.start_seconds = state.get("start_seconds")
        c._procs = [_Proc(p["pid"], p["start"], p["role"], p["node"]) for p in state["procs"]]
        for info in state.get("node_info", []):
            n = c._nodes[info["index"] - 1]
            n.netns, n.mntns, n.veth = info.get("netns"), info.get("mntns"), info.get("veth")
            n.held = bool(info.get("held"))
        for p in c._procs:
            if p.role == "holder":
                c._nodes[p.node - 1].holder = p
        c._anchor = next((p for p in c._procs if p.role == "anchor"), None)
        c._generation = state.get("generation", 0)
        c._stopping = bool(state.get("stopping"))
        c._started = True
        c._sync()  # the cluster's own file is newer after a power change
        return c

    @classmethod
    def load(cls, workdir: str | os.PathLike) -> "Cluster":
        """Re-attach to the cluster whose workdir is ``workdir`` (its cluster.json)."""
        path = Path(workdir, STATE_FILE)
        try:
            state = json.loads(path.read_text())
        except FileNotFoundError:
            raise ClusterError(f"no cluster in {workdir} (no {STATE_FILE})") from None
        except (OSError, ValueError) as exc:
            raise ClusterError(f"cannot read {path}: {exc}") from None
        return cls.from_state(state)

    def alive(self) -> bool:
        """True while every node is up (every holder runs)."""
        self._sync()
        return bool(self._nodes) and all(n.holder is not None and n.holder.alive()
                                         for n in self._nodes)

    def running(self) -> bool:
        """True while the cluster exists: some node is powered on or, with
        fencing, its host anchor runs (all nodes may be powered off)."""
        self._sync()
        return any(p.alive() for p in self._procs if p.role in ("holder", "anchor"))


def reap_orphans(root: str | os.PathLike | None = None) -> list[str]:
    """Remove clusters left behind by a test run that died (e.g. SIGKILL).

    Looks at ``<root>/ocfpy-cluster-*/cluster.json`` (root: the temporary
    directory) and stops every cluster whose owner process is gone. Clusters
    of live processes, and the sandbox (its workdir is elsewhere), are left
    alone. Returns the workdirs removed.

    Example::

        from ocfpy.sandbox.cluster import reap_orphans
        print(reap_orphans())   # [] on a clean machine
    """
    removed = []
    for state_path in sorted(Path(root or tempfile.gettempdir()).glob(
            "ocfpy-cluster-*/" + STATE_FILE)):
        try:
            state = json.loads(state_path.read_text())
        except (OSError, ValueError):
            continue
        owner = state.get("owner") or {}
        if not owner or process_alive(owner.get("pid", 0), owner.get("start")):
            continue
        try:
            Cluster.from_state(state).stop(timeout=10)
        except ClusterError:
            continue
        removed.append(str(state_path.parent))
    return removed


# -------------------------------------------------------------- crm_mon xml
def _nodes_ready(root: ET.Element, names: set) -> bool:
    dc = root.find("summary/current_dc")
    if dc is None or dc.get("present") != "true" or dc.get("with_quorum") != "true":
        return False
    online = {n.get("name") for n in root.findall("nodes/node")
              if n.get("online") == "true" and n.get("pending") != "true"
              and n.get("unclean") != "true"}
    return names <= online


def _user_resources(root: ET.Element) -> list:
    """crm_mon xml's resources, without the stonith devices."""
    return [r for r in root.findall("resources/*")
            if not (r.tag == "resource"
                    and r.get("resource_agent", "").startswith("stonith:"))]


_RUNNING_ROLES = {"Started": "Started", "Promoted": "Promoted", "Unpromoted": "Unpromoted",
                  "Master": "Promoted", "Slave": "Unpromoted"}


def _failure_rsc(failure: ET.Element) -> str:
    """Resource id of a crm_mon ``<failure>`` (op_key is ``<rsc>_<task>_<interval>``;
    ids and tasks such as migrate_to may contain underscores)."""
    op_key = failure.get("op_key", "")
    suffix = f"_{failure.get('task')}_{failure.get('interval')}"
    rsc = op_key[:-len(suffix)] if op_key.endswith(suffix) else op_key.rsplit("_", 2)[0]
    return rsc.split(":")[0]  # anonymous clone instances may carry ":N"


def resource_state_from_xml(root: ET.Element, rsc_id: str) -> dict:
    """:meth:`Cluster.resource_state` on an already parsed crm_mon xml root."""
    resources = root.find("resources")
    match: list[ET.Element] = []
    container = None
    if resources is not None:
        for el in resources.iter():
            if el.get("id") == rsc_id and el.tag in ("clone", "group", "bundle"):
                container = el
                break
        if container is not None:
            match = list(container.iter("resource"))
        else:
            # primitive ids inside anonymous clones may carry an ":N" suffix
            match = [r for r in resources.iter("resource")
                     if r.get("id", "").split(":")[0] == rsc_id]
    roles: dict = {}
    nodes: list[str] = []
    pending: list[str] = []
    flagged = False
    for r in match:
        flagged = flagged or r.get("failed") == "true"
        role = _RUNNING_ROLES.get(r.get("role"), r.get("role"))
        if r.get("pending"):
            pending.append(r.get("pending"))
        if role not in _RUNNING_ROLES and role != "Stopped":
            pending.append(role)  # Starting, Stopping, Promoting, Migrating...
        for node in r.findall("node"):
            nodes.append(node.get("name"))
            roles[node.get("name")] = role
    running = [r for r in roles.values() if r in _RUNNING_ROLES]
    if "Promoted" in running:
        role = "Promoted"
    elif running:
        role = running[0]
    elif roles:
        role = sorted(roles.values())[0]
    elif match:
        role = "Stopped"
    else:
        role = None
    names = {rsc_id} | {r.get("id", "").split(":")[0] for r in match}
    failures = [
        {"node": f.get("node"), "op": f.get("task"), "op_key": f.get("op_key"),
         "interval_ms": int(f.get("interval") or 0), "rc": int(f.get("exitcode", "-1")),
         "exitreason": f.get("exitreason", ""), "status": f.get("status")}
        for f in root.findall("failures/failure") if _failure_rsc(f) in names
    ]
    return {
        "id": rsc_id,
        "exists": bool(match),
        "active": bool(running),
        "nodes": sorted(set(nodes)),
        "role": role,
        "roles": roles,
        "promoted": sorted(n for n, r in roles.items() if r == "Promoted"),
        "pending": pending,
        "failed": flagged or bool(failures),
        "failures": failures,
    }


def _no_ipv6(ifname: str) -> None:
    # keep the kernel from sending IPv6 router/neighbour solicitations on our links
    try:
        Path("/proc/sys/net/ipv6/conf", ifname, "disable_ipv6").write_text("1")
    except OSError:
        pass
