"""A network-namespace test bed for the vip agent (shared by tests/vip and bench/bench_vip.py).

Layout: a "switch" namespace holding a bridge, and node namespaces (servers
a, b and a client c by default), each with an ``eth0`` veth whose peer is a
bridge port. Every name starts with a random tag, every address is TEST-NET
(192.0.2.0/24, 2001:db8::/64), and ``close`` deletes the namespaces, which
takes the veths and the bridge with them: nothing on the host changes.

Example::

    with Bed() as bed:
        bed.agent("a", "start", ip="192.0.2.50")
        print(bed.neigh("c", "192.0.2.50"))     # a's MAC once c talked to it
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
PROBE = HERE / "vip_probe.py"
HOST_OCF_ROOT = "/usr/lib/ocf"
IPADDR2 = "/usr/lib/ocf/resource.d/heartbeat/IPaddr2"

#: node -> (IPv4, IPv6) base addresses
ADDRESSES = {"a": ("192.0.2.11", "2001:db8::11"), "b": ("192.0.2.12", "2001:db8::12"),
             "c": ("192.0.2.100", "2001:db8::100"), "g": ("192.0.2.1", "2001:db8::1")}


def unavailable():
    """Why the bed cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (network namespaces, raw sockets)"
    if shutil.which("ip") is None:
        return "iproute2 `ip` not installed"
    probe = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
    if probe.returncode != 0:
        return "`ip netns` unavailable: " + probe.stderr.strip()
    return None


def clean_environ(**extra) -> dict:
    """The caller's environment without OCF/Pacemaker variables, plus ``extra``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OCF_", "HA_", "PCMK_", "CIB_", "PYTHON"))}
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Bed:
    """Namespaces on one bridge; see the module docstring."""

    def __init__(self, nodes=("a", "b", "c"), tag=None, addresses=None):
        self.tag = tag or "ov" + secrets.token_hex(3)
        self.nodes = tuple(nodes)
        self.addresses = addresses or ADDRESSES     # node -> (IPv4, IPv6), /24 and /64
        self.created = []
        self.tmp = Path(tempfile.mkdtemp(prefix=f"{self.tag}-"))
        self.ocf_root = self.tmp / "ocf"
        self.agent_path = None

    # -- life cycle ------------------------------------------------------------
    def ns(self, node: str) -> str:
        return f"{self.tag}{node}"

    def sh(self, node, *argv, check=True, **kw):
        """Run argv inside ``node``'s namespace (``None``: the switch)."""
        ns = self.ns(node if node is not None else "sw")
        return subprocess.run(["ip", "netns", "exec", ns, *argv], check=check,
                              capture_output=True, text=True, **kw)

    def _add_ns(self, name):
        subprocess.run(["ip", "netns", "add", self.ns(name)], check=True, capture_output=True)
        self.created.append(self.ns(name))
        self.sh(name, "ip", "link", "set", "lo", "up")

    def setup(self):
        self._add_ns("sw")
        self.sh(None, "ip", "link", "add", "br0", "type", "bridge")
        self.sh(None, "ip", "link", "set", "br0", "up")
        for node in self.nodes:
            self._add_ns(node)
            port = f"p{node}"
            self.sh(None, "ip", "link", "add", port, "type", "veth", "peer", "name", "eth0",
                    "netns", self.ns(node))
            self.sh(None, "ip", "link", "set", port, "master", "br0", "up")
            self.sh(node, "ip", "link", "set", "eth0", "up")
            v4, v6 = self.addresses[node]
            self.sh(node, "ip", "addr", "add", f"{v4}/24", "dev", "eth0")
            self.sh(node, "ip", "-6", "addr", "add", f"{v6}/64", "dev", "eth0", "nodad")
        from ocfpy.install import install

        (self.agent_path,) = install(self.ocf_root, names=["vip"])
        return self

    def close(self):
        for ns in reversed(self.created):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self.created.clear()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        try:
            return self.setup()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc):
        self.close()

    # -- agents ---------------------------------------------------------------------
    def agent_env(self, action_env=None, **params) -> dict:
        env = clean_environ(OCF_ROOT=HOST_OCF_ROOT, OCF_RA_VERSION_MAJOR=1, OCF_RA_VERSION_MINOR=1,
                            OCF_EXIT_REASON_PREFIX="ocf-exit-reason:",
                            OCF_RESOURCE_INSTANCE=f"{self.tag}-vip")
        env.update({f"OCF_RESKEY_{k}": str(v) for k, v in params.items()})
        env.update({k: str(v) for k, v in (action_env or {}).items()})
        return env

    def agent(self, node, action, *, env=None, program=None, timeout=30, pipes=True, **params):
        """Run the vip agent (or ``program``, e.g. IPADDR2) in ``node``'s
        namespace; ``node`` None runs it on the host (for network_namespace).

        ``pipes=False`` collects the output through files instead: a helper the
        agent leaves running in the background (IPaddr2's send_arp) then cannot
        hold the pipe open and stretch the measured time."""
        argv = [str(program or self.agent_path), action]
        if node is not None:
            argv = ["ip", "netns", "exec", self.ns(node), *argv]
        env = self.agent_env(env, **params)
        if pipes:
            return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            rc = subprocess.run(argv, env=env, stdout=out, stderr=err, timeout=timeout).returncode
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(argv, rc, out.read(), err.read())

    # -- observations ---------------------------------------------------------------------
    def mac(self, node, dev="eth0") -> str:
        return json.loads(self.sh(node, "ip", "-j", "link", "show", "dev", dev).stdout)[0]["address"]

    def addrs(self, node, dev="eth0") -> list:
        """["192.0.2.11/24", ...] on ``dev``."""
        data = json.loads(self.sh(node, "ip", "-j", "addr", "show", "dev", dev).stdout)
        return [f"{a['local']}/{a['prefixlen']}" for a in data[0].get("addr_info", [])]

    def has_ip(self, node, ip, dev="eth0") -> bool:
        return any(a.split("/")[0] == ip for a in self.addrs(node, dev))

    def neigh(self, node, ip, dev="eth0"):
        """The lladdr ``node`` holds for ``ip``, or None."""
        out = self.sh(node, "ip", "-j", "neigh", "show", "to", ip, "dev", dev).stdout
        for entry in json.loads(out or "[]"):
            if entry.get("lladdr"):
                return entry["lladdr"]
        return None

    def watch(self, node, script, seconds, action, *args):
        """Run the Python ``script`` with ``args`` in ``node``'s namespace
        while ``action()`` runs and until ``seconds`` have passed; the script
        prints "ready" once it listens, then one JSON line, which is returned."""
        proc = subprocess.Popen(["ip", "netns", "exec", self.ns(node), sys.executable, "-c", script,
                                 *args], stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() == "ready"
            action()
            out, _ = proc.communicate(timeout=seconds + 10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        return json.loads(out)

    def probe(self, node, ip, duration=4.0, interval=0.01):
        """Start the ICMP probe in ``node``; returns the Popen (see ``probe_result``)."""
        return subprocess.Popen(["ip", "netns", "exec", self.ns(node), sys.executable, "-I", str(PROBE),
                                 ip, str(duration), str(interval)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    @staticmethod
    def probe_result(proc, timeout=30) -> dict:
        """Wait for a probe; kill it (by its Popen) if it overstays."""
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
        if proc.returncode != 0:
            raise RuntimeError(f"probe failed ({proc.returncode}): {err.strip()}")
        return json.loads(out)
