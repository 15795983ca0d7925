"""Failure scenarios on a real 3-node Pacemaker cluster, fencing on, under load
(issue 14, items 2 and 4): the library shared by tests/failures and
bench/bench_chaos.py.

**The bed** (:class:`Bed`): a :class:`~ocfpy.sandbox.cluster.Cluster` of three
node namespaces with ``stonith-enabled=true`` and its fence device
(``fence_ocfpy_sandbox``: a fence really powers a node off, SIGKILL of every
process in it, and a reboot rebuilds it); one mariadbd per node, Galera on
the nodes' bridge addresses (10.213.0.N, standard ports, rsync SST,
``pc.recovery=FALSE``, short evs timeouts: :mod:`ocfpy.sandbox.mariadb`);
the Galera clone (``galera-clone``, promotable, promoted-max=3, notify,
interleave) of either ``ocf:ocfpy:galera`` or resource-agents'
``ocf:heartbeat:galera`` with the same operations; and the VIP
(``ocf:ocfpy:vip`` 10.213.0.100/24 on eth0, stickiness 100) colocated with a
Promoted instance (INFINITY), so the VIP always leads to a node that takes
writes. mariadbd listens on every address of its node, so a client reaches
the node holding the VIP on VIP:3306.

Every node's MariaDB files (my.cnf, datadir, socket, pid file, error log) are
plain host directories (``<base>/nodeN``) named per node in the CIB with
``#uname`` rules: a node's disk must survive a fence, and the bind mounts of
:mod:`ocfpy.sandbox.node_mariadb` live in the node's mount namespace, which a
power cycle replaces (a rebooted node would see the host's /etc/mysql and
/var/lib/mysql).

**The client**: a fourth network namespace on the cluster's bridge
(10.213.0.200, :class:`ocfpy.sandbox.client.ClientNamespace`, made without touching the
cluster) runs ``chaos_load.py``: an autocommit writer through the VIP that
records every acknowledged id, and a VIP prober that sends an ARP request
for the VIP every 10 ms and records which nodes (MACs) answered.

**The checkers**: :class:`GaleraSampler` asks every mariadbd over its unix
socket, from the host (so a partitioned node is still seen), for its
wsrep status twice a second; two nodes that are both Primary while neither
is in the other's membership are two Primary Components. At the end every
acknowledged id must be on all three nodes; no ARP probe may be answered by
two nodes after the last fencing completed (any before is reported too).

**The scenarios** (:data:`SCENARIOS`, :func:`run_scenario`): partition,
power, staggered, simultaneous, corosync, fence_candidate, transfer_cut.
Each measures from the fault: seconds to three Promoted (with every node's mariadbd
replaced where it was killed), to the VIP answering again and to writes
succeeding again (end of the last outage), rows lost, fencing seen, and how
each rejoining node got its state (IST/SST).

Example::

    from chaos import Bed, run_scenario
    with Bed(agent="ocfpy") as bed:          # cluster, client, Galera promoted
        result = run_scenario(bed, "partition")
        print(result.line())
        assert result.ok, result.problems
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Optional

from ocfpy.deadline import Deadline
from ocfpy.process import alive
from ocfpy.sandbox import mariadb
from ocfpy.sandbox.availability import fence_time
from ocfpy.sandbox.client import CLIENT_IP, ClientNamespace, stop_child
from ocfpy.sandbox.cluster import SUBNET, Cluster, missing_requirements

from labs.chaos_load import close_quietly

__all__ = ["AGENTS", "SCENARIOS", "VIP", "CLIENT_IP", "Bed", "ClientNamespace", "Load",
           "GaleraSampler", "Result", "run_scenario", "unavailable"]

HERE = Path(__file__).resolve().parent
LOAD = HERE / "chaos_load.py"
CLONE, RSC, VIP_RSC = "galera-clone", "galera", "vip"
VIP = SUBNET + ".100"
HEARTBEAT = "/usr/lib/ocf/resource.d/heartbeat/galera"
MARIADBD = mariadb.find_binary() or "/usr/sbin/mariadbd"
CLIENT = shutil.which("mariadb") or shutil.which("mysql") or "/usr/bin/mariadb"
AGENTS = {"ocfpy": ("ocfpy", "galera"), "heartbeat": ("heartbeat", "galera")}
LABELS = {"ocfpy": "ocf:ocfpy:galera", "heartbeat": "ocf:heartbeat:galera"}
#: scenario -> what it does (the issue's letters)
SCENARIOS = {
    "partition": "(a) the VIP node's link cut: partition 1/2",
    "power": "(b) whole-node power loss of the VIP node; power back once the majority serves",
    "staggered": "(c) one mariadbd killed (not the VIP node's), the other two 4 s later",
    "simultaneous": "(d) kill -9 of all three mariadbd at once",
    "corosync": "(e) corosync killed (SIGKILL) on the DC, which holds the VIP",
    "fence_candidate": "(f) staggered crash, then the bootstrap candidate fenced (reboot) "
                       "as soon as it is elected",
    "transfer_cut": "(g) one mariadbd killed, the other two as soon as it asks them for state "
                    "(its transfer cut short)",
}
#: the Galera clone's operations (the same for both agents)
MONITOR_PROMOTED, MONITOR_UNPROMOTED = "5s", "6s"
PROBE_INTERVAL, WRITE_INTERVAL = 0.01, 0.02
#: an outage of the VIP: no answer for this many probe intervals (a lost
#: probe or two on a loaded machine is noise, 100 ms is not)
VIP_OUTAGE_PROBES = 10
#: writes are "failing" when two acknowledgements are further apart than
#: this (a commit waits up to ~3 s while Galera evicts a dead member)
WRITE_GAP = 1.0


def unavailable(agent: str = "ocfpy") -> Optional[str]:
    """Why the bed cannot run here, or None."""
    reason = missing_requirements() or mariadb.missing_requirements(galera=True)
    if reason:
        return reason
    if agent == "heartbeat" and not os.access(HEARTBEAT, os.X_OK):
        return f"{HEARTBEAT} missing (apt-get install resource-agents)"
    return None


# -------------------------------------------------------------------- load
@dataclass
class LoadRecord:
    """What the client saw: probes (send time, MACs), acks (time, id, node),
    errors (time, id, code)."""

    probes: list = field(default_factory=list)
    acks: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    started: Optional[float] = None
    stopped: Optional[float] = None


class Load:
    """``chaos_load.py`` in the client namespace (writer + VIP prober)."""

    def __init__(self, client: ClientNamespace, events: Path, user: str, password: str,
                 first_id: int, vip: str = VIP):
        self.client, self.events = client, Path(events)
        self.user, self.password, self.first_id = user, password, first_id
        self.vip = vip
        self.proc: Optional[subprocess.Popen] = None

    def start(self) -> "Load":
        import select

        self.events.write_text("")
        argv = self.client.argv([sys.executable, str(LOAD), str(self.events), self.vip,
                                 self.client.address, self.user, self.password,
                                 "--interval-ms", str(PROBE_INTERVAL * 1000),
                                 "--write-ms", str(WRITE_INTERVAL * 1000),
                                 "--first-id", str(self.first_id)])
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, start_new_session=True, cwd="/")
        ready, _, _ = select.select([self.proc.stdout], [], [], 30)
        if not ready or self.proc.stdout.readline().strip() != b"READY":
            self.stop()
            raise RuntimeError("the load did not start")
        return self

    def stop(self) -> None:
        stop_child(self.proc, 15)
        self.proc = None

    def read(self) -> LoadRecord:
        rec = LoadRecord()
        try:
            text = self.events.read_text()
        except OSError:
            return rec
        for line in text.splitlines():
            parts = line.split(" ")
            try:
                kind, t = parts[0], float(parts[1])
            except (IndexError, ValueError):
                continue                     # a line being written
            if kind == "p":
                rec.probes.append((t, tuple(m for m in parts[2].split(",") if m)
                                   if len(parts) > 2 else ()))
            elif kind == "a" and len(parts) >= 4:
                rec.acks.append((t, int(parts[2]), parts[3]))
            elif kind == "e" and len(parts) >= 4:
                rec.errors.append((t, int(parts[2]), parts[3]))
            elif kind == "s":
                rec.started = t
            elif kind == "x":
                rec.stopped = t
        return rec

    def last_ack(self) -> Optional[float]:
        rec = self.read()
        return rec.acks[-1][0] if rec.acks else None


# ----------------------------------------------------------------- sampler
_WSREP_KEYS = ("wsrep_cluster_status", "wsrep_cluster_size", "wsrep_cluster_conf_id",
               "wsrep_cluster_state_uuid", "wsrep_incoming_addresses", "wsrep_local_state",
               "wsrep_local_state_comment", "wsrep_ready", "wsrep_last_committed")


class GaleraSampler:
    """Every node's wsrep status twice a second, over its unix socket from
    the host; flags two Primary Components.

    ``latest[node]`` is (time, status dict or None); ``changes`` the timeline
    of (time, node, status, size, conf_id, members); ``two_primaries`` every
    sample time where two nodes were Primary and neither was a member of the
    other's component.
    """

    def __init__(self, cfgs, interval: float = 0.5):
        self.cfgs = {c.name: c for c in cfgs}
        self.addr = {c.host: c.name for c in cfgs}
        self.interval = interval
        self.latest: dict = {}
        self.changes: list = []
        self.two_primaries: list = []
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.threads: list = []

    def members(self, st: dict) -> set:
        found = set()
        for entry in (st.get("wsrep_incoming_addresses") or "").split(","):
            host = entry.strip().rsplit(":", 1)[0]
            if host in self.addr:
                found.add(self.addr[host])
        return found

    def _loop(self, name: str) -> None:
        import pymysql

        cfg = self.cfgs[name]
        conn = None
        last = None
        while not self.stop_event.is_set():
            st = None
            try:
                if conn is None:
                    conn = pymysql.connect(unix_socket=str(cfg.socket), user="root", password="",
                                           connect_timeout=1, read_timeout=2, write_timeout=2,
                                           autocommit=True)
                with conn.cursor() as cur:
                    cur.execute("SHOW GLOBAL STATUS WHERE Variable_name IN (%s)"
                                % ",".join("'%s'" % k for k in _WSREP_KEYS))
                    st = {k: v for k, v in cur.fetchall()}
            except Exception:  # noqa: BLE001 - not answering is a state too
                close_quietly(conn)
                conn = None
            now = time.monotonic()
            key = None if st is None else (st.get("wsrep_cluster_status"),
                                           st.get("wsrep_cluster_size"),
                                           st.get("wsrep_cluster_conf_id"),
                                           tuple(sorted(self.members(st))),
                                           st.get("wsrep_local_state_comment"))
            with self.lock:
                self.latest[name] = (now, st)
                if key != last:
                    self.changes.append((round(now, 3), name, key))
                    last = key
                self._check(now)
            self.stop_event.wait(self.interval)
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001
                pass

    def _check(self, now: float) -> None:
        fresh = {n: st for n, (t, st) in self.latest.items()
                 if st is not None and now - t <= 1.0
                 and st.get("wsrep_cluster_status") == "Primary"}
        names = sorted(fresh)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                ma, mb = self.members(fresh[a]), self.members(fresh[b])
                if ma and mb and a not in mb and b not in ma:
                    self.two_primaries.append((round(now, 3), a, sorted(ma), b, sorted(mb)))

    def start(self) -> "GaleraSampler":
        for name in self.cfgs:
            t = threading.Thread(target=self._loop, args=(name,), daemon=True,
                                 name=f"chaos-sampler-{name}")
            t.start()
            self.threads.append(t)
        return self

    def stop(self) -> None:
        self.stop_event.set()
        for t in self.threads:
            t.join(10)
        self.threads = []

    def synced(self, max_age: float = 1.5) -> bool:
        """Every node Primary, Synced, in one component of 3 (fresh samples)."""
        now = time.monotonic()
        with self.lock:
            for name in self.cfgs:
                t, st = self.latest.get(name, (0, None))
                if (st is None or now - t > max_age or st.get("wsrep_cluster_status") != "Primary"
                        or st.get("wsrep_local_state") != "4" or st.get("wsrep_cluster_size") != "3"):
                    return False
        return True


# --------------------------------------------------------------------- bed
def _nv(parent: ET.Element, prefix: str, name: str, value: str) -> None:
    ET.SubElement(parent, "nvpair", id=f"{prefix}-{name}", name=name, value=str(value))


class Bed:
    """The 3-node cluster with Galera, the VIP, the fence device and a client
    (see the module doc). ``cluster``: an already started 3-node
    :class:`Cluster` to use (its CIB is reset, it is not stopped by
    :meth:`close`); None starts one. ``log`` gets progress lines.
    """

    def __init__(self, agent: str = "ocfpy", cluster: Optional[Cluster] = None,
                 log: Callable[[str], object] = lambda _m: None, keep: Optional[Path] = None):
        if agent not in AGENTS:
            raise ValueError(f"agent must be one of {sorted(AGENTS)}, not {agent!r}")
        self.agent = agent
        self.c = cluster
        self.own_cluster = cluster is None
        self.log = log
        self.base: Optional[Path] = None
        self.cfgs: list = []
        self.template: Optional[Path] = None
        self.client: Optional[ClientNamespace] = None
        self.user, self.password = "chaos", secrets.token_hex(12)
        self.deployed = False
        self.runs = 0
        #: a directory to copy every scenario's records into (events, timelines)
        self.keep = Path(keep) if keep else None

    # -- life cycle -------------------------------------------------------------------
    def start(self) -> "Bed":
        try:
            if self.c is None:
                t0 = time.monotonic()
                self.c = Cluster(nodes=3)
                self.c.start()
                self.log(f"cluster {self.c.name} started in {time.monotonic() - t0:.1f} s")
            else:
                self.c.reset(timeout=120)
            self.base = mariadb.make_base_dir("ocfpy-chaos-")
            hosts = [f"{SUBNET}.{i}" for i in range(1, 4)]
            self.cfgs = mariadb.galera_configs(self.base, hosts=hosts, names=self.c.node_names,
                                               extra={"bind-address": "0.0.0.0"})
            for cfg in self.cfgs:
                # the members' client addresses name them in wsrep_incoming_addresses
                with open(cfg.cnf, "a") as fh:
                    fh.write(f"wsrep_node_incoming_address={cfg.host}:3306\n")
            t0 = time.monotonic()
            self.template = self.base / "template"
            mariadb.install_db(self.cfgs[0], timeout=300)
            shutil.copytree(self.cfgs[0].datadir, self.template, symlinks=True)
            self.log(f"system tables in {time.monotonic() - t0:.1f} s")
            self.client = ClientNamespace(self.c).start()
            self.deploy(self.agent)
        except BaseException:
            self.close()
            raise
        return self

    def __enter__(self) -> "Bed":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        errors = []
        if self.deployed:
            try:
                self.undeploy()
            except Exception as exc:  # noqa: BLE001 - the kills below are the safety net
                errors.append(f"undeploy: {exc}")
        self.kill_leftovers()
        if self.client is not None:
            self.client.stop()
            self.client = None
        if self.c is not None and self.own_cluster:
            try:
                self.c.stop()
            except Exception as exc:  # noqa: BLE001
                errors.append(f"cluster stop: {exc}")
        elif self.c is not None:
            try:
                self.c.reset(timeout=120)
            except Exception as exc:  # noqa: BLE001
                errors.append(f"cluster reset: {exc}")
        if self.base is not None:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None
        if errors:
            raise RuntimeError("; ".join(errors))

    # -- the cluster configuration ---------------------------------------------------------
    def resources_xml(self, agent: str) -> tuple:
        """(clone XML, VIP XML, constraints XML list) for ``agent``."""
        provider, kind = AGENTS[agent]
        clone = ET.Element("clone", id=CLONE)
        meta = ET.SubElement(clone, "meta_attributes", id=f"{CLONE}-meta")
        for k, v in (("promotable", "true"), ("promoted-max", "3"), ("clone-max", "3"),
                     ("notify", "true"), ("interleave", "true")):
            _nv(meta, f"{CLONE}-meta", k, v)
        prim = ET.SubElement(clone, "primitive", {"id": RSC, "class": "ocf",
                                                  "provider": provider, "type": kind})
        common = ET.SubElement(prim, "instance_attributes", id=f"{RSC}-ia", score="0")
        hosts = [c.host for c in self.cfgs]
        for k, v in (("wsrep_cluster_address", "gcomm://" + ",".join(hosts)),
                     ("cluster_host_map", ";".join(f"{c.name}:{c.host}" for c in self.cfgs)),
                     ("binary", MARIADBD)):
            _nv(common, f"{RSC}-ia", k, v)
        for i, cfg in enumerate(self.cfgs, 1):
            ia = ET.SubElement(prim, "instance_attributes", id=f"{RSC}-ia-{cfg.name}",
                               score=str(10 + i))
            rule = ET.SubElement(ia, "rule", id=f"{RSC}-ia-{cfg.name}-rule", score="0")
            ET.SubElement(rule, "expression", id=f"{RSC}-ia-{cfg.name}-expr",
                          attribute="#uname", operation="eq", value=cfg.name)
            params = cfg.agent_params()
            if agent == "heartbeat":
                params["client_binary"] = f"{CLIENT} --socket={cfg.socket}"
            for k, v in params.items():
                _nv(ia, f"{RSC}-ia-{cfg.name}", k, v)
        ops = ET.SubElement(prim, "operations")
        for name, interval, timeout, role in (
                ("monitor", MONITOR_PROMOTED, "30s", "Promoted"),
                ("monitor", MONITOR_UNPROMOTED, "30s", "Unpromoted"),
                ("start", "0s", "120s", None), ("stop", "0s", "120s", None),
                ("promote", "0s", "300s", None), ("demote", "0s", "120s", None)):
            attrs = {"id": f"{RSC}-{name}-{interval}" + (f"-{role}" if role else ""),
                     "name": name, "interval": interval, "timeout": timeout}
            if role:
                attrs["role"] = role
            ET.SubElement(ops, "op", attrs)
        vip = ET.Element("primitive", {"id": VIP_RSC, "class": "ocf", "provider": "ocfpy",
                                       "type": "vip"})
        ia = ET.SubElement(vip, "instance_attributes", id=f"{VIP_RSC}-ia")
        for k, v in (("ip", VIP), ("cidr_netmask", "24"), ("nic", "eth0")):
            _nv(ia, f"{VIP_RSC}-ia", k, v)
        vmeta = ET.SubElement(vip, "meta_attributes", id=f"{VIP_RSC}-meta")
        _nv(vmeta, f"{VIP_RSC}-meta", "resource-stickiness", "100")
        vops = ET.SubElement(vip, "operations")
        ET.SubElement(vops, "op", id=f"{VIP_RSC}-monitor-2s", name="monitor", interval="2s",
                      timeout="20s")
        # no order constraint: an order after the clone's promote would hold the VIP
        # back until every instance promoted in that transition (the joiners too)
        cons = [ET.Element("rsc_colocation", {"id": "vip-with-promoted-galera", "rsc": VIP_RSC,
                                              "with-rsc": CLONE, "with-rsc-role": "Promoted",
                                              "score": "INFINITY"})]
        return clone, vip, cons

    def _reset_data(self) -> None:
        for cfg in self.cfgs:
            shutil.rmtree(cfg.datadir, ignore_errors=True)
            shutil.copytree(self.template, cfg.datadir, symlinks=True)
            for path in [cfg.datadir, *cfg.datadir.rglob("*")]:
                os.lchown(path, *_mysql_ids())
            for f in (cfg.log_error, cfg.pid):
                try:
                    f.unlink()
                except FileNotFoundError:
                    pass

    def deploy(self, agent: str, timeout: float = 300) -> float:
        """Fresh data, the clone of ``agent`` and the VIP; waits for full
        service (three Promoted and Synced, the VIP answering, the chaos
        database and user created). Returns the seconds to three Promoted."""
        self.agent = agent
        self._reset_data()
        clone, vip, cons = self.resources_xml(agent)
        t0 = time.monotonic()
        for el in (clone, vip):
            self.c.run(["cibadmin", "--create", "-o", "resources", "--xml-text",
                        ET.tostring(el, encoding="unicode")])
        for el in cons:
            self.c.run(["cibadmin", "--create", "-o", "constraints", "--xml-text",
                        ET.tostring(el, encoding="unicode")])
        self.deployed = True
        self.wait_cluster(lambda mon: self.promoted(mon) == self.c.node_names, timeout,
                          what="three Promoted")
        elapsed = time.monotonic() - t0
        self.log(f"{LABELS[agent]}: cold start to three Promoted in {elapsed:.1f} s")
        sampler = GaleraSampler(self.cfgs).start()
        try:
            _until(sampler.synced, 120, "three Synced members")
        finally:
            sampler.stop()
        node1 = self.cfgs[0]
        for q in ("CREATE DATABASE IF NOT EXISTS chaos",
                  "CREATE TABLE IF NOT EXISTS chaos.t (id BIGINT PRIMARY KEY, "
                  "node VARCHAR(16), ts TIMESTAMP(6) DEFAULT CURRENT_TIMESTAMP(6))",
                  f"CREATE USER IF NOT EXISTS '{self.user}'@'%' IDENTIFIED BY '{self.password}'",
                  f"GRANT ALL PRIVILEGES ON chaos.* TO '{self.user}'@'%'"):
            mariadb.sql(node1, q)
        self.wait_cluster(lambda mon: self.vip_node(mon) is not None, 60, what="the VIP")
        return elapsed

    def undeploy(self, timeout: float = 240) -> None:
        """Stop the clone and the VIP through Pacemaker, remove them, kill
        what is left (by pid), reset the CIB."""
        for name in self.c.node_names:
            if not self.c.power_states()[name]:
                self.c.power_on(name, timeout=120)
        try:
            for rsc in (VIP_RSC, CLONE):
                self.c.run(["crm_resource", "-r", rsc, "--meta", "-p", "target-role", "-v",
                            "Stopped"], check=False)
            self.wait_cluster(lambda mon: not self.c.resource_state(CLONE, mon)["nodes"]
                              and not self.c.resource_state(VIP_RSC, mon)["nodes"], timeout,
                              what="the clone stopped")
        except TimeoutError as exc:
            self.log(f"undeploy: {str(exc).splitlines()[0]}")
        self.kill_leftovers()
        self.c.reset(timeout=timeout)
        self.deployed = False

    def redeploy(self, agent: Optional[str] = None) -> float:
        self.undeploy()
        return self.deploy(agent or self.agent)

    # -- processes ------------------------------------------------------------------------
    def mysqld_pid(self, node: str) -> Optional[int]:
        """``node``'s mariadbd (from its pid file, checked against its command line)."""
        cfg = self.cfg(node)
        try:
            pid = int(cfg.pid.read_text().split()[0])
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                argv = fh.read().decode(errors="replace")
        except (OSError, ValueError, IndexError):
            return None
        return pid if str(cfg.dir) in argv and alive(pid) else None

    def kill_mysqld(self, node: str) -> int:
        """kill -9 of ``node``'s mariadbd; RuntimeError when none runs (a
        scenario that kills nothing must not pass)."""
        pid = self.mysqld_pid(node)
        if pid is None:
            raise RuntimeError(f"{node}: no mariadbd to kill")
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill_leftovers(self) -> None:
        for cfg in self.cfgs:
            pid = self.mysqld_pid(cfg.name)
            if pid is not None:
                os.kill(pid, signal.SIGKILL)
                Deadline.after(10).wait_for(lambda: not alive(pid), interval=0.02, max_interval=0.02)

    def corosync_pid(self, node: str) -> Optional[int]:
        """The corosync process of ``node`` (by its network namespace)."""
        import psutil

        netns = self.c.namespaces[self.c.node_names.index(node)][0]
        if netns is None:
            return None
        for proc in psutil.process_iter(["name"]):
            if proc.info["name"] != "corosync":
                continue
            try:
                if os.stat(f"/proc/{proc.pid}/ns/net").st_ino == netns:
                    return proc.pid
            except OSError:
                continue
        return None

    def move_vip(self, node: str, timeout: float = 60) -> None:
        """Put the VIP on ``node`` (a move, then the move's constraint cleared:
        the VIP's stickiness keeps it there)."""
        self.c.run(["crm_resource", "--move", "-r", VIP_RSC, "-N", node])
        try:
            self.wait_cluster(lambda mon: self.vip_node(mon) == node, timeout,
                              what=f"the VIP on {node}")
        finally:
            self.c.run(["crm_resource", "--clear", "-r", VIP_RSC], check=False)

    def cut_link(self, node: str) -> None:
        """Take ``node``'s link to the bridge down (host side): it is alone."""
        from pyroute2 import IPRoute

        veth = self.c.veth(node)
        with IPRoute() as ipr:
            ipr.link("set", index=ipr.link_lookup(ifname=veth)[0], state="down")

    # -- observation --------------------------------------------------------------------------
    def cfg(self, node: str):
        return next(c for c in self.cfgs if c.name == node)

    def mon(self, nodes=None) -> Optional[ET.Element]:
        """crm_mon xml from the first of ``nodes`` (default: all) that answers
        with a DC that has quorum, else from the first that answers at all."""
        fallback = None
        for node in nodes or self.c.node_names:
            if not self.c.power_states().get(node):
                continue
            res = self.c.run(["crm_mon", "-1", "--output-as=xml"], node=node, check=False,
                             timeout=30)
            try:
                root = ET.fromstring(res.stdout)
            except ET.ParseError:
                continue
            dc = root.find("summary/current_dc")
            if dc is not None and dc.get("with_quorum") == "true":
                return root
            fallback = fallback if fallback is not None else root
        return fallback

    def wait_cluster(self, predicate, timeout: float, nodes=None, what: str = "",
                     interval: float = 0.5) -> ET.Element:
        end = time.monotonic() + timeout
        root = None
        while True:
            root = self.mon(nodes)
            if root is not None and predicate(root):
                return root
            if time.monotonic() > end:
                brief = _brief(root, self) if root is not None else "no crm_mon answer"
                raise TimeoutError(f"{what or 'condition'} not reached within {timeout:.0f} s: "
                                   f"{brief}")
            time.sleep(interval)

    def promoted(self, mon: ET.Element) -> list:
        return self.c.resource_state(CLONE, mon)["promoted"]

    def vip_node(self, mon: ET.Element) -> Optional[str]:
        st = self.c.resource_state(VIP_RSC, mon)
        return st["nodes"][0] if st["active"] and len(st["nodes"]) == 1 else None

    def online(self, mon: ET.Element) -> set:
        return {n.get("name") for n in mon.findall("nodes/node")
                if n.get("online") == "true" and n.get("unclean") != "true"}

    def dc(self, mon: ET.Element) -> Optional[str]:
        el = mon.find("summary/current_dc")
        return el.get("name") if el is not None and el.get("present") == "true" else None

    def macs(self) -> dict:
        """MAC of every powered-on node's eth0 -> node name."""
        found = {}
        for node in self.c.node_names:
            res = self.c.run(["ip", "-j", "link", "show", "eth0"], node=node, check=False)
            try:
                found[json.loads(res.stdout)[0]["address"]] = node
            except (ValueError, IndexError, KeyError):
                pass
        return found

    def fence_events(self, since_wall: float) -> list:
        """Fencing the cluster recorded after ``since_wall`` (epoch seconds):
        [(target, action, status, completed epoch)], oldest first."""
        for node in self.c.node_names:
            if not self.c.power_states().get(node):
                continue
            res = self.c.run(["stonith_admin", "--history", "*", "--verbose", "--output-as=xml"],
                             node=node, check=False, timeout=30)
            try:
                root = ET.fromstring(res.stdout)
            except ET.ParseError:
                continue
            events = []
            for e in root.iter("fence_event"):
                done = fence_time(e.get("completed") or "")
                if done is not None and done >= since_wall - 1:
                    events.append((e.get("target"), e.get("action"), e.get("status"), done))
            return sorted(events, key=lambda e: e[3])
        return []

    def count_rows(self, node: str) -> Optional[set]:
        try:
            return {r[0] for r in mariadb.sql(self.cfg(node), "SELECT id FROM chaos.t")}
        except Exception:  # noqa: BLE001
            return None

    def max_id(self) -> int:
        for cfg in self.cfgs:
            try:
                return int(mariadb.sql(cfg, "SELECT COALESCE(MAX(id), 0) FROM chaos.t")[0][0])
            except Exception:  # noqa: BLE001
                continue
        return 0

    def full_service(self, mon: ET.Element, sampler: GaleraSampler, load: Load) -> bool:
        now = time.monotonic()
        last = load.last_ack()
        return (self.online(mon) == set(self.c.node_names)
                and self.promoted(mon) == self.c.node_names
                and self.vip_node(mon) is not None
                and not self.c.resource_state(CLONE, mon)["pending"]
                and sampler.synced() and last is not None and now - last < 1.0)

    def ensure_ready(self, timeout: float = 180) -> None:
        """Full service before a scenario: nodes on, three Promoted and Synced,
        the VIP placed; else a cleanup, else a fresh deployment."""
        for name, on in self.c.power_states().items():
            if not on:
                self.c.power_on(name, timeout=120)
        sampler = GaleraSampler(self.cfgs).start()
        try:
            def ready(mon):
                return (self.online(mon) == set(self.c.node_names)
                        and self.promoted(mon) == self.c.node_names
                        and self.vip_node(mon) is not None and sampler.synced())
            try:
                self.wait_cluster(ready, 30, what="full service")
                return
            except TimeoutError as exc:
                self.log(f"bed not ready ({str(exc)[:300]}): cleanup")
            # a node that runs but is not in the cluster (its Pacemaker gave up)
            # is power-cycled: repair of the bed, after a failed scenario only
            mon = self.mon()
            if mon is not None:
                for name in sorted(set(self.c.node_names) - self.online(mon)):
                    self.log(f"{name} is on but not in the cluster: power cycle")
                    self.c.power_off(name)
                    self.c.power_on(name, timeout=120)
            self.c.run(["crm_resource", "--cleanup"], check=False)
            try:
                self.wait_cluster(ready, timeout, what="full service after a cleanup")
                return
            except TimeoutError as exc:
                self.log(f"bed still not ready ({str(exc)[:300]}): fresh deployment")
        finally:
            sampler.stop()
        self.redeploy()


def _mysql_ids() -> tuple:
    import pwd

    pw = pwd.getpwnam(mariadb.MYSQL_USER)
    return pw.pw_uid, pw.pw_gid


def _until(predicate, timeout: float, what: str, interval: float = 0.2):
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            raise TimeoutError(f"{what} not reached within {timeout:.0f} s")
        time.sleep(interval)


def _brief(mon: ET.Element, bed: Bed) -> str:
    st = bed.c.resource_state(CLONE, mon)
    vip = bed.c.resource_state(VIP_RSC, mon)
    return (f"online {sorted(bed.online(mon))} dc {bed.dc(mon)} galera {st['roles']} "
            f"pending {st['pending']} failures "
            f"{[(f['node'], f['op'], f['rc'], f['exitreason'][:80]) for f in st['failures']]} "
            f"vip {vip['nodes']}")


# ---------------------------------------------------------------- results
@dataclass
class Result:
    """One scenario run: figures in seconds from the fault (None: not reached)."""

    scenario: str
    agent: str
    ok: bool = False
    problems: list = field(default_factory=list)
    promoted3_s: Optional[float] = None
    full_s: Optional[float] = None
    majority_s: Optional[float] = None
    vip_s: Optional[float] = None
    writes_s: Optional[float] = None
    vip_outage_s: float = 0.0
    write_gap_s: float = 0.0
    acked: int = 0
    rows_lost: Optional[int] = None
    fenced: list = field(default_factory=list)
    transfers: dict = field(default_factory=dict)
    vip_dual_after_fence: int = 0
    vip_dual_before_fence: int = 0
    two_primaries: int = 0
    victims: list = field(default_factory=list)
    cut_short: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    duration_s: float = 0.0

    def line(self) -> str:
        def f(v):
            return "-" if v is None else f"{v:.1f}"
        return (f"{self.scenario:<16} {LABELS.get(self.agent, self.agent):<21} "
                f"3P {f(self.promoted3_s):>6}  VIP {f(self.vip_s):>6}  writes {f(self.writes_s):>6}"
                f"  full {f(self.full_s):>6}"
                f"  lost {'-' if self.rows_lost is None else self.rows_lost:>3}/{self.acked:<5}"
                f" fenced {','.join(sorted({e[0] for e in self.fenced})) or '-':<6}"
                f" {'ok' if self.ok else 'FAIL: ' + '; '.join(self.problems)[:300]}")

    def to_dict(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------- scenarios
class _Fault:
    """What a scenario did: filled by the fault functions."""

    def __init__(self, bed: Bed, vip_node: str, dc: Optional[str]):
        self.bed = bed
        self.vip_node = vip_node
        self.dc = dc
        self.victims: list = []        # nodes whose mariadbd must be replaced
        self.lost: list = []           # nodes that must be fenced (minority, dead)
        self.power_on: Optional[str] = None   # node to power on once the majority serves
        self.avoid: set = set()        # nodes not to ask crm_mon
        self.thread: Optional[threading.Thread] = None
        self.notes: list = []
        # node -> error-log offset: a node that may have been receiving state
        # when the fault killed its donors (read after recovery: transfer_cut_short)
        self.may_cut_short: dict = {}
        self.error: Optional[BaseException] = None

    def background(self, fn) -> None:
        def run():
            try:
                fn()
            except BaseException as exc:  # noqa: BLE001 - reported in the result
                self.error = exc
        self.thread = threading.Thread(target=run, daemon=True, name="chaos-fault")
        self.thread.start()


def _others(bed: Bed, node: str) -> list:
    return [n for n in bed.c.node_names if n != node]


def fault_partition(f: _Fault) -> None:
    f.victims = f.lost = [f.vip_node]
    f.avoid = {f.vip_node}
    f.bed.cut_link(f.vip_node)


def fault_power(f: _Fault) -> None:
    f.victims = f.lost = [f.vip_node]
    f.avoid = {f.vip_node}
    f.power_on = f.vip_node
    f.bed.c.power_off(f.vip_node, hold=True)


def fault_staggered(f: _Fault, then: Optional[Callable] = None,
                    wait: Optional[Callable] = None) -> None:
    """One mariadbd killed (not the VIP node's), the other two 4 s later --
    or, given ``wait(first, since)``, once it returns."""
    first = next(n for n in f.bed.c.node_names if n != f.vip_node)
    rest = _others(f.bed, first)
    f.victims = list(f.bed.c.node_names)
    # a loaded machine may restart the first one quickly enough that it is
    # receiving state when its donors die: Galera then owes it an SST
    since = f.may_cut_short[first] = mariadb.MariaDB(f.bed.cfg(first)).log_offset()
    f.bed.kill_mysqld(first)
    f.notes.append(f"killed {first}, then {'+'.join(rest)} "
                   + ("4 s later" if wait is None else "once it asked for state"))

    def later():
        if wait is None:
            time.sleep(4)
        else:
            wait(first, since)
        for n in rest:
            f.bed.kill_mysqld(n)
        if then is not None:
            then()
    f.background(later)


def fault_transfer_cut(f: _Fault) -> None:
    """The staggered crash with the second kill at the moment the first
    victim, restarted by Pacemaker, says it needs state: its donors die
    under its transfer, which Galera cannot resume (its next join is an SST)."""
    def asked(first: str, since: int) -> None:
        def required():
            return "State transfer required" in mariadb.log_text(f.bed.cfg(first), since)
        if not Deadline.after(120).wait_for(required, interval=0.01, max_interval=0.01):
            raise RuntimeError(f"{first} did not ask for state within 120 s of its crash")
    fault_staggered(f, wait=asked)


def fault_simultaneous(f: _Fault) -> None:
    f.victims = list(f.bed.c.node_names)
    pids = {n: f.bed.mysqld_pid(n) for n in f.bed.c.node_names}
    missing = [n for n, pid in pids.items() if pid is None]
    if missing:
        raise RuntimeError(f"no mariadbd to kill on {', '.join(missing)}")
    for pid in pids.values():
        os.kill(pid, signal.SIGKILL)


def fault_corosync(f: _Fault) -> None:
    dc = f.dc
    pid = f.bed.corosync_pid(dc)
    if pid is None:
        raise RuntimeError(f"no corosync found on the DC {dc}")
    f.victims = f.lost = [dc]
    f.avoid = {dc}
    f.notes.append(f"DC {dc} (VIP on {f.vip_node})")
    os.kill(pid, signal.SIGKILL)


def _attr_holders(bed: Bed, name: str, nodes) -> list:
    """Nodes whose transient attribute ``name`` is "true" (attrd, any live node)."""
    for node in nodes:
        if not bed.c.power_states().get(node):
            continue
        res = bed.c.run(["attrd_updater", "-Q", "-A", "-n", name], node=node, check=False,
                        timeout=15)
        if res.returncode not in (0, 105) and not res.stdout:
            continue
        found = []
        for line in res.stdout.splitlines():
            fields = dict(p.split("=", 1) for p in line.split() if "=" in p)
            if fields.get("value", "").strip('"') == "true":
                found.append(fields.get("host", "").strip('"'))
        return found
    return []


def fault_fence_candidate(f: _Fault) -> None:
    bed = f.bed

    def fence_the_candidate():
        found = Deadline.after(180).wait_for(
            lambda: _attr_holders(bed, f"{RSC}-bootstrap", bed.c.node_names),
            interval=0.2, max_interval=0.2)
        if not found:
            raise RuntimeError("no bootstrap candidate was elected within 180 s")
        cand = found[0]
        mon = bed.mon(_others(bed, cand))
        role = bed.c.resource_state(CLONE, mon)["roles"].get(cand) if mon is not None else "?"
        f.avoid.add(cand)
        f.notes.append(f"candidate {cand} ({role}) fenced")
        fencer = _others(bed, cand)[0]
        res = bed.c.run(["stonith_admin", "--reboot", cand, "--timeout", "120"], node=fencer,
                        check=False, timeout=180)
        if res.returncode != 0:
            raise RuntimeError(f"stonith_admin --reboot {cand}: {res.stderr.strip()}")
    fault_staggered(f, then=fence_the_candidate)


FAULTS = {"partition": fault_partition, "power": fault_power, "staggered": fault_staggered,
          "simultaneous": fault_simultaneous, "corosync": fault_corosync,
          "fence_candidate": fault_fence_candidate, "transfer_cut": fault_transfer_cut}


def _outages(times: list, t0: float, end: float, gap: float) -> list:
    """[(start, end)] of the stretches in [t0, end] longer than ``gap`` without
    an event in ``times`` (sorted); an outage still going at ``end`` ends at None."""
    found, prev = [], t0
    for t in times:
        if t < t0 or t > end:
            continue
        if t - prev > gap:
            found.append((prev, t))
        prev = t
    if end - prev > gap:
        found.append((prev, None))
    return found


def _figures(times: list, t0: float, end: float, gap: float) -> tuple:
    """(seconds from t0 to the end of the longest outage -- 0 without one, None
    when it still lasts --, the longest outage, the outages after it)."""
    outages = _outages(times, t0, end, gap)
    if not outages:
        return 0.0, 0.0, []
    longest = max(outages, key=lambda o: (o[1] if o[1] is not None else end) - o[0])
    length = (longest[1] if longest[1] is not None else end) - longest[0]
    after = [(round(a - t0, 2), round(b - a, 2)) for a, b in outages
             if a > longest[0] and b is not None]
    return (None if longest[1] is None else longest[1] - t0), length, after


def run_scenario(bed: Bed, scenario: str, timeout: float = 240, settle: float = 3.0,
                 log: Optional[Callable[[str], object]] = None) -> Result:
    """Run one scenario on a ready bed and check it (see the module doc).

    ``timeout`` bounds the recovery (from the fault to full service);
    the result's ``problems`` lists every check that failed.
    """
    say = log or bed.log
    if scenario not in FAULTS:
        raise ValueError(f"unknown scenario {scenario!r}: {sorted(FAULTS)}")
    bed.ensure_ready()
    if scenario == "corosync":
        # the interesting case: the DC holds the VIP, which keeps answering
        # from there until the others have fenced it
        mon = bed.mon()
        if bed.vip_node(mon) != bed.dc(mon):
            bed.move_vip(bed.dc(mon))
    bed.runs += 1
    res = Result(scenario, bed.agent)
    sampler = GaleraSampler(bed.cfgs).start()
    load = Load(bed.client, bed.base / f"events-{bed.runs}.txt", bed.user, bed.password,
                bed.max_id() + 1)
    t_start = time.monotonic()
    try:
        load.start()
        _until(lambda: (load.read().acks or [None])[-1] is not None
               and len(load.read().acks) >= 20, 60, "20 acknowledged writes before the fault")
        mon = bed.mon()
        vip_node, dc = bed.vip_node(mon), bed.dc(mon)
        pids = {n: bed.mysqld_pid(n) for n in bed.c.node_names}
        logs = {c.name: mariadb.MariaDB(c).log_offset() for c in bed.cfgs}
        macs = bed.macs()
        f = _Fault(bed, vip_node, dc)
        wall0, t0 = time.time(), time.monotonic()
        FAULTS[scenario](f)
        say(f"{scenario}: fault at +0.0 s (VIP on {vip_node}, DC {dc}) {'; '.join(f.notes)}")
        deadline = t0 + timeout
        powered_on = False
        timeline, last_state = [], None
        while True:
            now = time.monotonic()
            observers = [n for n in bed.c.node_names if n not in f.avoid] or None
            mon = bed.mon(observers)
            if mon is not None:
                prom = bed.promoted(mon)
                state = _brief(mon, bed)
                if state != last_state:
                    timeline.append((round(now - t0, 2), state))
                    last_state = state
                replaced = all(bed.mysqld_pid(n) not in (None, pids[n]) for n in f.victims)
                if (res.majority_s is None and f.lost
                        and not (set(f.lost) & bed.online(mon))
                        and len([n for n in prom if n not in f.lost]) == 2
                        and bed.vip_node(mon) not in (None, *f.lost)):
                    res.majority_s = now - t0
                    say(f"{scenario}: majority serves at +{res.majority_s:.1f} s")
                if f.power_on and not powered_on and (res.majority_s is not None
                                                      or now - t0 > timeout / 2):
                    bed.c.power_on(f.power_on, wait=False)
                    powered_on = True
                    say(f"{scenario}: {f.power_on} powered on at +{time.monotonic() - t0:.1f} s")
                if res.promoted3_s is None and replaced and prom == bed.c.node_names:
                    res.promoted3_s = now - t0
                    say(f"{scenario}: three Promoted at +{res.promoted3_s:.1f} s")
                if (res.promoted3_s is not None and (f.thread is None or not f.thread.is_alive())
                        and bed.full_service(mon, sampler, load)):
                    res.full_s = time.monotonic() - t0
                    break
            if now > deadline:
                res.problems.append(f"no full service within {timeout:.0f} s: "
                                    + (_brief(mon, bed) if mon is not None else "no crm_mon"))
                break
            time.sleep(0.5)
        end = time.monotonic()
        time.sleep(settle)
    finally:
        load.stop()
        sampler.stop()
    if bed.keep is not None:
        bed.keep.mkdir(parents=True, exist_ok=True)
        stem = bed.keep / f"{bed.runs:02d}-{bed.agent}-{scenario}"
        shutil.copy(load.events, f"{stem}-events.txt")
        Path(f"{stem}-timeline.json").write_text(json.dumps(
            {"t0": t0, "wall0": wall0, "crm": timeline, "galera": sampler.changes,
             "two_primaries": sampler.two_primaries}, indent=1))
    if f.error is not None:
        res.problems.append(f"fault: {f.error}")
    res.notes += f.notes
    res.victims = f.victims
    for node, since in f.may_cut_short.items():
        if mariadb.transfer_cut_short(mariadb.log_text(bed.cfg(node), since)):
            res.cut_short.append(node)
            res.notes.append(f"{node} was receiving state when its donors died")
    rec = load.read()
    # -- VIP and writes: the end of the longest outage after the fault
    answered = [t for t, macs in rec.probes if macs]
    res.vip_s, res.vip_outage_s, later = _figures(answered, t0, end,
                                                  PROBE_INTERVAL * VIP_OUTAGE_PROBES)
    if later:
        res.notes.append(f"later VIP outages (at s, for s): {later}")
    res.writes_s, res.write_gap_s, later = _figures([t for t, _i, _n in rec.acks], t0, end,
                                                    WRITE_GAP)
    if later:
        res.notes.append(f"later write stalls (at s, for s): {later}")
    # -- fencing
    fenced = bed.fence_events(wall0)
    res.fenced = [(tgt, act, st, round(done - wall0, 1)) for tgt, act, st, done in fenced]
    done = [e for e in fenced if e[2] == "success"]
    for node in f.lost:
        if not any(e[0] == node for e in done):
            res.problems.append(f"{node} was not fenced")
    fence_end = (max(e[3] for e in done) - wall0 + t0) if done else None
    known = set(macs) | set(bed.macs())
    for t, m in rec.probes:
        if len(m) > 1:
            if fence_end is not None and t >= fence_end or not f.lost:
                res.vip_dual_after_fence += 1
            else:
                res.vip_dual_before_fence += 1
    if res.vip_dual_after_fence:
        res.problems.append(f"the VIP answered from two nodes in {res.vip_dual_after_fence} "
                            "probes after fencing completed")
    strangers = {m for _t, ms in rec.probes for m in ms} - known
    if strangers:
        res.notes.append(f"answers from unknown MACs {sorted(strangers)}")
    # -- Galera
    res.two_primaries = len(sampler.two_primaries)
    if sampler.two_primaries:
        res.problems.append(f"two Primary Components: {sampler.two_primaries[:3]}")
    res.acked = len(rec.acks)
    acked = {i for _t, i, _n in rec.acks}
    lost = 0
    for node in bed.c.node_names:
        rows = bed.count_rows(node)
        if rows is None:
            res.problems.append(f"{node}: rows not readable")
            continue
        lost = max(lost, len(acked - rows))
    res.rows_lost = lost
    if lost:
        res.problems.append(f"{lost} acknowledged rows lost")
    for node in f.victims:
        text = mariadb.log_text(bed.cfg(node), logs[node] if _same_log(bed, node, logs) else 0)
        res.transfers[node] = mariadb.ist_or_sst(text) or "none"
        if res.transfers[node] == "SST":    # rare: show why, for whoever reads the failure
            res.notes.append(f"{node} log: " + " | ".join(_transfer_lines(text)[-12:]))
    if res.promoted3_s is None:
        res.problems.append("three Promoted never seen")
    if f.power_on and res.majority_s is None:
        res.problems.append("the majority never served alone (VIP and two Promoted)")
    elif f.lost and res.majority_s is None:
        res.notes.append("the majority was not seen serving alone before the lost node returned")
    if res.vip_s is None:
        res.problems.append("the VIP did not answer again")
    if res.writes_s is None:
        res.problems.append("writes did not succeed again")
    res.duration_s = time.monotonic() - t_start
    res.ok = not res.problems
    if not res.ok and bed.keep is not None:
        _keep_logs(bed, f"{bed.runs:02d}-{bed.agent}-{scenario}", wall0)
    say(res.line())
    return res


def _keep_logs(bed: Bed, stem: str, since_wall: float) -> None:
    """A failed run's evidence in ``bed.keep``: each node's Pacemaker log
    from the fault on (the agents log there) and MariaDB error log."""
    since = time.strftime("%b %d %H:%M:%S", time.localtime(since_wall - 5))
    for node in bed.c.node_names:
        log = Path(bed.c.workdir) / node / "var-log-pacemaker" / "pacemaker.log"
        try:
            lines = log.read_text(errors="replace").splitlines()
        except OSError:
            continue
        start = next((i for i, line in enumerate(lines) if line[:15] >= since), len(lines))
        (bed.keep / f"{stem}-{node}-pacemaker.log").write_text("\n".join(lines[start:]))
        try:
            text = mariadb.log_text(bed.cfg(node), 0)
            (bed.keep / f"{stem}-{node}-mariadb.log").write_text(text[-200000:])
        except OSError:
            pass


def _transfer_lines(log: str) -> list:
    """The lines of a mariadbd log that tell how it got its state."""
    words = ("Starting MariaDB", "State transfer", "IST", "SST", "Synchronized", "donor",
             "grastate", "Shutdown", "ready for connections", "Aborting")
    return [" ".join(line.split()[2:])[:160] for line in log.splitlines()
            if any(w in line for w in words)]


def _same_log(bed: Bed, node: str, offsets: dict) -> bool:
    """The error log still holds what it held before the fault (not recreated)."""
    try:
        return bed.cfg(node).log_error.stat().st_size >= offsets[node]
    except OSError:
        return False
