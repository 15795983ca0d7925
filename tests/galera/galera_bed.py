"""A real N-node MariaDB Galera on 127.0.0.1 run by ocf:ocfpy:galera under the
fake-cluster scheduler: what the real-Galera tests share.

Every mariadbd is started by the agent (as Pacemaker would); the bed only
kills them (kill -9, like a crash) and reads their state, logs and the
agent's log (HA_LOGFILE, one line per decision, tagged with the instance).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from ocfpy.deadline import Deadline
from ocfpy.process import alive
from ocfpy.sandbox import mariadb
from ocfpy.testing.driver import Driver
from ocfpy.testing.fake import FakeCluster
from ocfpy.testing.scheduler import CloneScheduler

from labs.chaos_load import close_quietly

#: every port a galera test binds or lets mariadbd bind (other suites on the
#: machine use other ranges)
PORT_RANGE = (38000, 39000)
_FREE_PORTS = mariadb.free_ports


def free_ports(count: int, host: str = "127.0.0.1") -> list:
    """``count`` free ports on ``host`` in PORT_RANGE."""
    return _FREE_PORTS(count, host, *PORT_RANGE)


@contextmanager
def ports_in_range():
    """mariadb.galera_configs & co. draw their ports from PORT_RANGE meanwhile."""
    saved, mariadb.free_ports = mariadb.free_ports, free_ports
    try:
        yield
    finally:
        mariadb.free_ports = saved


TIMEOUTS = {"start": 120, "stop": 120, "promote": 300, "demote": 120, "monitor": 30}
_LINE = re.compile(r"galera\(galera:(\d+)\)\[\d+\]: \w+: (.*)$")


class Writer(threading.Thread):
    """Autocommit inserts into ``t.rows``, round-robin over ``sockets`` (node
    name -> that node's mariadbd unix socket), ids 0, 1, 2...: ``acked`` holds
    the acknowledged ids, ``errors`` counts failed attempts. ``pause`` after
    each attempt, ``error_pause`` more after a failed one; ``stop.set()`` ends
    it (its connections closed)."""

    def __init__(self, sockets, pause: float = 0.005, error_pause: float = 0.02):
        super().__init__(daemon=True)
        self.sockets, self.pause, self.error_pause = dict(sockets), pause, error_pause
        self.stop, self.acked, self.errors = threading.Event(), [], 0

    def run(self):
        import pymysql

        conns, names, i = {}, list(self.sockets), 0
        while not self.stop.is_set():
            node = names[i % len(names)]
            try:
                if node not in conns:
                    conns[node] = pymysql.connect(unix_socket=str(self.sockets[node]), user="root",
                                                  connect_timeout=1, read_timeout=5,
                                                  write_timeout=5, autocommit=True)
                with conns[node].cursor() as cur:
                    cur.execute("INSERT INTO t.rows (id) VALUES (%s)", (i,))
                self.acked.append(i)
            except Exception:  # noqa: BLE001 - unacknowledged: may or may not be there
                self.errors += 1
                close_quietly(conns.pop(node, None))
                time.sleep(self.error_pause)
            i += 1
            time.sleep(self.pause)
        for conn in conns.values():
            close_quietly(conn)


class GaleraBed:
    def __init__(self, nodes: int = 3, params: dict | None = None, install_first: bool = False):
        self.base = mariadb.make_base_dir("ocfpy-gbed-")
        with ports_in_range():
            self.cfgs = mariadb.galera_configs(self.base / "db", nodes)
        self.by_name = {c.name: c for c in self.cfgs}
        self.cluster = FakeCluster.create(self.base / "fake", nodes=[c.name for c in self.cfgs])
        self.agent_log = self.base / "agent.log"
        self.params = {"wsrep_cluster_address": self.cfgs[0].gcomm_address,
                       "cluster_host_map": ";".join(f"{c.name}:{c.gcomm_entry}" for c in self.cfgs),
                       "enable_creation": "true", **(params or {})}
        if install_first:
            mariadb.install_db(self.cfgs[0])
        self.driver = Driver("galera", cluster=self.cluster, resource="galera", params=self.params,
                             workdir=self.base / "work",
                             node_params={c.name: c.agent_params() for c in self.cfgs},
                             extra_env={"HA_LOGFILE": str(self.agent_log)})
        self.sched = CloneScheduler(self.driver, self.cluster, promotable=True,
                                    promoted_max=nodes, parallel=True, strict=False,
                                    timeouts=TIMEOUTS)

    # -- life cycle ----------------------------------------------------------------
    def up(self) -> float:
        """Start and promote every node; the seconds it took."""
        t0 = time.monotonic()
        self.sched.start_all()
        self.sched.settle()
        return time.monotonic() - t0

    def close(self) -> None:
        try:
            self.sched.parallel = True
            self.sched.stop_all()
        except Exception:  # noqa: BLE001 - teardown: the kills below are the safety net
            pass
        for cfg in self.cfgs:
            self.kill(cfg.name, missing_ok=True)
        shutil.rmtree(self.base, ignore_errors=True)

    # -- faults ----------------------------------------------------------------------
    def pid(self, node: str):
        """The pid of ``node``'s mariadbd (checked against its datadir), or None."""
        cfg = self.by_name[node]
        try:
            pid = int(cfg.pid.read_text().split()[0])
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                args = fh.read().split(b"\0")
        except (OSError, ValueError, IndexError):
            return None
        return pid if f"--datadir={cfg.datadir}".encode() in args else None

    def kill(self, node: str, missing_ok: bool = False) -> None:
        """kill -9 of ``node``'s mariadbd (a crash); waits until it is gone."""
        pid = self.pid(node)
        if pid is None:
            if missing_ok:
                return
            raise AssertionError(f"{node}: no mariadbd running")
        os.kill(pid, signal.SIGKILL)
        Deadline.after(10).wait_for(lambda: not alive(pid), interval=0.05, max_interval=0.05)

    def wait_cluster_size(self, node: str, size: int, timeout: float = 30) -> dict:
        """Wait until ``node`` is Primary with ``size`` members (e.g. a killed peer evicted)."""
        end = time.monotonic() + timeout
        st = {}
        while time.monotonic() < end:
            try:
                st = self.status(node)
                if st.get("wsrep_cluster_size") == str(size) and st.get("wsrep_cluster_status") == "Primary":
                    return st
            except Exception:  # noqa: BLE001
                pass
            time.sleep(0.2)
        raise AssertionError(f"{node}: cluster size {size} not reached: {st.get('wsrep_cluster_size')}")

    # -- observation -------------------------------------------------------------------
    def status(self, node: str) -> dict:
        return mariadb.status(self.by_name[node], timeout=3)

    def sql(self, node: str, query: str, args=None):
        return mariadb.sql(self.by_name[node], query, args)

    def grastate(self, node: str) -> dict:
        return mariadb.read_grastate(self.by_name[node])

    def log_mark(self) -> dict:
        """Offsets of the agent log and every mariadbd log: pass to the *_since methods."""
        marks = {c.name: mariadb.MariaDB(c).log_offset() for c in self.cfgs}
        marks["agent"] = self.agent_log.stat().st_size if self.agent_log.exists() else 0
        return marks

    def agent_lines(self, since: dict | None = None) -> list:
        """[(node, message), ...] the agent logged since ``since``."""
        off = (since or {}).get("agent", 0)
        try:
            with open(self.agent_log, "rb") as fh:
                fh.seek(off)
                text = fh.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return []
        names = [c.name for c in self.cfgs]
        out = []
        for line in text.splitlines():
            m = _LINE.search(line)
            if m:
                out.append((names[int(m.group(1))], m.group(2)))
        return out

    def bootstraps(self, since: dict | None = None) -> list:
        """Nodes that started mariadbd with --wsrep-new-cluster."""
        return [n for n, msg in self.agent_lines(since) if msg.startswith("starting mariadbd (bootstrap)")]

    def joins(self, since: dict | None = None) -> list:
        return [n for n, msg in self.agent_lines(since) if msg.startswith("starting mariadbd (join)")]

    def election_views(self, since: dict | None = None) -> dict:
        """{node: set of winners it computed} from "bootstrap election: X wins" lines."""
        views: dict = {}
        for node, msg in self.agent_lines(since):
            m = re.match(r"bootstrap election: (\S+) wins", msg)
            if m:
                views.setdefault(node, set()).add(m.group(1))
        return views

    def transfer(self, node: str, since: dict) -> str | None:
        """"IST", "SST" or None: how ``node`` received state since ``since``."""
        return mariadb.ist_or_sst(mariadb.log_text(self.by_name[node], since[node]))

    def write_rows(self, node: str, ids) -> None:
        for i in ids:
            self.sql(node, "INSERT INTO t.rows (id) VALUES (%s)", (i,))

    def count(self, node: str) -> int:
        return self.sql(node, "SELECT COUNT(*) FROM t.rows")[0][0]

    def wait_rows(self, node: str, count: int, timeout: float = 30) -> None:
        """Wait until ``node`` has applied ``count`` rows (replication is asynchronous)."""
        end = time.monotonic() + timeout
        while self.count(node) < count:
            if time.monotonic() > end:
                raise AssertionError(f"{node}: {self.count(node)} rows, expected {count}")
            time.sleep(0.1)
