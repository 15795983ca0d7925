"""Real MariaDB servers for tests: one standalone server, or an N-node Galera.

Everything runs the distribution's ``mariadbd`` as the ``mysql`` user (never
as root: rsync SST fails otherwise), with its own datadir, socket, pid file,
error log and ports under a base directory, so tests running at the same time
never collide. Ports are probed free (a random port below the kernel's
ephemeral range that binds on the host), or fixed when nodes have their own
addresses (one mysqld per network namespace).

Galera nodes are configured as the notes say: rsync SST, explicit IST and SST
addresses, ``pc.recovery=FALSE`` (a whole-cluster restart needs an election,
not gvwstate.dat) and short evs timeouts (a kill -9 is noticed in ~2-3 s);
small memory settings (~100 MB RSS per node).

Example (three Galera nodes on 127.0.0.1, bootstrapped by hand)::

    from ocfpy.sandbox import mariadb

    cfgs = mariadb.galera_configs(tmp_dir, nodes=3)
    mariadb.install_db(cfgs[0])               # only the bootstrap node needs it
    servers = [mariadb.MariaDB(c) for c in cfgs]
    servers[0].start(bootstrap=True); servers[0].wait_synced(30)
    for s in servers[1:]:
        s.start(); s.wait_synced(60)
    assert mariadb.status(cfgs[0])["wsrep_cluster_size"] == "3"
    for s in servers: s.stop()

A standalone server with a database and a user (for an OpenStack service)::

    with mariadb.standalone(tmp_dir, database="manila", user="manila") as db:
        print(db.url)        # mysql+pymysql://manila:<pw>@127.0.0.1:<port>/manila

Base directories must be reachable by the ``mysql`` user: the helpers add the
search (x) bit for "others" to the ancestors that lack it (pytest's
``/tmp/pytest-of-root`` is 0700).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional, Sequence

__all__ = [
    "MYSQL_USER", "PROVIDER", "GaleraNodeConfig", "MariaDB", "Standalone",
    "find_binary", "missing_requirements", "free_ports", "make_base_dir", "grant_traverse", "galera_configs",
    "standalone_config", "install_db", "sql", "status", "connect",
    "read_grastate", "log_text", "ist_or_sst", "server_runs", "transfer_cut_short",
]

MYSQL_USER = "mysql"
PROVIDER = "/usr/lib/galera/libgalera_smm.so"

# evs timeouts from the notes: a killed node is evicted after ~2-3 s, not ~6 s
FAST_EVS = ("evs.suspect_timeout=PT1.5S;evs.inactive_timeout=PT3S;"
            "evs.keepalive_period=PT0.5S;evs.inactive_check_period=PT0.5S;"
            "evs.install_timeout=PT3S")


def find_binary() -> Optional[str]:
    """Path of ``mariadbd`` (or ``mysqld``), or None."""
    for name in ("mariadbd", "mysqld"):
        for d in ("/usr/sbin", "/usr/libexec", "/usr/local/sbin"):
            p = os.path.join(d, name)
            if os.access(p, os.X_OK):
                return p
        p = shutil.which(name)
        if p:
            return p
    return None


def missing_requirements(galera: bool = True) -> Optional[str]:
    """Why real MariaDB (Galera) tests cannot run here, or None when they can."""
    if os.geteuid() != 0:
        return "needs root (mariadbd is started as the mysql user)"
    if find_binary() is None:
        return "mariadbd not installed (apt-get install mariadb-server)"
    if shutil.which("mariadb-install-db") is None and shutil.which("mysql_install_db") is None:
        return "mariadb-install-db not installed"
    try:
        pwd.getpwnam(MYSQL_USER)
    except KeyError:
        return "no mysql user"
    try:
        import pymysql  # noqa: F401
    except ImportError:
        return "pymysql not installed"
    if galera:
        if not os.path.exists(PROVIDER):
            return f"galera provider {PROVIDER} missing (apt-get install galera-4)"
        if shutil.which("rsync") is None:
            return "rsync missing (rsync SST)"
    return None


# --- ports ------------------------------------------------------------------

def _bindable(host: str, port: int) -> bool:
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    try:
        s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_ports(count: int, host: str = "127.0.0.1", low: int = 20000, high: int = 32000) -> list[int]:
    """``count`` distinct ports that bind on ``host`` right now.

    Drawn at random below the ephemeral range (32768+), where outgoing
    connections never take them, so a probe stays true until the server binds.

    >>> len(set(free_ports(4)))
    4
    """
    rng = random.SystemRandom()
    found: list[int] = []
    for _ in range(count * 200):
        p = rng.randrange(low, high)
        if p not in found and _bindable(host, p):
            found.append(p)
            if len(found) == count:
                return found
    raise RuntimeError(f"no {count} free ports on {host} in {low}-{high}")


# --- configuration ------------------------------------------------------------

@dataclass
class GaleraNodeConfig:
    """One server's files and addresses (Galera fields empty for standalone).

    ``cnf`` is the my.cnf written for it (start mariadbd with
    ``--defaults-file=<cnf>``); ``gcomm_address`` is the cluster's
    ``gcomm://...`` list and ``gcomm_entry`` this node's entry in it.
    """

    name: str
    dir: Path
    host: str
    port: int
    galera: bool = True
    gcomm_port: int = 0
    ist_port: int = 0
    sst_port: int = 0
    gcomm_address: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def cnf(self) -> Path:
        return self.dir / "my.cnf"

    @property
    def datadir(self) -> Path:
        return self.dir / "data"

    @property
    def socket(self) -> Path:
        return self.dir / "mysqld.sock"

    @property
    def pid(self) -> Path:
        return self.dir / "mysqld.pid"

    @property
    def log_error(self) -> Path:
        return self.dir / "mysqld.log"

    @property
    def tmpdir(self) -> Path:
        # one per server: concurrent mariadb-install-db runs collide in a shared /tmp
        return self.dir / "tmp"

    @property
    def gcomm_entry(self) -> str:
        return f"{self.host}:{self.gcomm_port}"

    @property
    def grastate(self) -> Path:
        return self.datadir / "grastate.dat"

    def agent_params(self) -> dict:
        """This node's file parameters for ``ocf:ocfpy:galera`` (config, datadir,
        socket, pid, log) — the per-node part of the agent's instance attributes."""
        return {"config": str(self.cnf), "datadir": str(self.datadir),
                "socket": str(self.socket), "pid": str(self.pid),
                "log": str(self.log_error)}


def make_base_dir(prefix: str = "ocfpy-mdb-") -> Path:
    """A fresh short directory under /tmp for servers (unix socket paths are
    limited to 107 bytes; pytest's tmp_path is often deeper). Remove it with
    ``shutil.rmtree`` when done."""
    import tempfile

    d = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    os.chmod(d, 0o755)
    return d


def _mysql_ids() -> tuple[int, int]:
    pw = pwd.getpwnam(MYSQL_USER)
    return pw.pw_uid, pw.pw_gid


def grant_traverse(path: Path) -> None:
    """Let another user (mysql, a service user) reach ``path``: add o+x
    (search only) to ``path`` and its ancestors where it lacks."""
    for p in [path, *path.parents]:
        try:
            mode = os.stat(p).st_mode
        except FileNotFoundError:
            continue
        if not mode & 0o001:
            os.chmod(p, (mode & 0o7777) | 0o001)


def _prepare_dir(d: Path) -> None:
    if len(str(d / "mysqld.sock")) > 107:
        raise ValueError(f"{d}: too deep for a unix socket path (108 bytes at most); "
                         "use a short base directory, e.g. tempfile.mkdtemp(dir='/tmp')")
    uid, gid = _mysql_ids()
    d.mkdir(parents=True, exist_ok=True)
    grant_traverse(d)
    os.chown(d, uid, gid)
    for sub, mode in (("data", 0o750), ("tmp", 0o750)):
        (d / sub).mkdir(exist_ok=True)
        os.chown(d / sub, uid, gid)
        os.chmod(d / sub, mode)


_COMMON = """\
[mysqld]
user=mysql
datadir={datadir}
socket={socket}
pid-file={pid}
log-error={log}
tmpdir={tmp}
port={port}
bind-address={host}
skip-name-resolve
innodb_buffer_pool_size=32M
innodb_log_file_size=16M
max_connections=40
table_definition_cache=400
performance_schema=OFF
default_storage_engine=InnoDB
binlog_format=ROW
innodb_autoinc_lock_mode=2
innodb_flush_log_at_trx_commit=2
"""

_GALERA = """\
wsrep_on=ON
wsrep_provider={provider}
wsrep_cluster_name=ocfpy
wsrep_cluster_address={gcomm}
wsrep_node_name={name}
wsrep_node_address={host}
wsrep_provider_options="base_port={gport};gmcast.listen_addr=tcp://{host}:{gport};ist.recv_addr={host}:{iport};gcache.size=64M;pc.recovery=FALSE;{evs}"
wsrep_sst_method=rsync
wsrep_sst_receive_address={host}:{sport}
"""


def _write_cnf(cfg: GaleraNodeConfig) -> None:
    text = _COMMON.format(datadir=cfg.datadir, socket=cfg.socket, pid=cfg.pid,
                          log=cfg.log_error, tmp=cfg.tmpdir, port=cfg.port, host=cfg.host)
    if cfg.galera:
        text += _GALERA.format(provider=PROVIDER, gcomm=cfg.gcomm_address, name=cfg.name,
                               host=cfg.host, gport=cfg.gcomm_port, iport=cfg.ist_port,
                               sport=cfg.sst_port, evs=FAST_EVS)
    for k, v in cfg.extra.items():
        text += f"{k}={v}\n" if v is not None else f"{k}\n"
    cfg.cnf.write_text(text)
    os.chmod(cfg.cnf, 0o644)


def galera_configs(base_dir, nodes: int = 3, host: str = "127.0.0.1",
                   hosts: Optional[Sequence[str]] = None,
                   extra: Optional[dict] = None,
                   names: Optional[Sequence[str]] = None) -> list[GaleraNodeConfig]:
    """Write one my.cnf per Galera node under ``base_dir/<name>/`` and return them.

    All on ``host`` (default 127.0.0.1) with free ports probed per node, or,
    with ``hosts=[addr1, addr2, ...]`` (one address per node, e.g. one network
    namespace each), the standard ports 3306/4567/4568/4444 on each address.
    ``names`` default to node1..nodeN (the fake cluster's node names);
    ``extra`` adds ``key=value`` lines to every [mysqld] section.
    """
    base = Path(base_dir)
    if hosts is not None:
        nodes = len(hosts)
    names = list(names) if names else [f"node{i + 1}" for i in range(nodes)]
    cfgs = []
    for i in range(nodes):
        if hosts is not None:
            h, ports = hosts[i], [3306, 4567, 4568, 4444]
        else:
            h, ports = host, free_ports(4, host)
        cfgs.append(GaleraNodeConfig(name=names[i], dir=base / names[i], host=h, port=ports[0],
                                     gcomm_port=ports[1], ist_port=ports[2], sst_port=ports[3],
                                     extra=dict(extra or {})))
    gcomm = "gcomm://" + ",".join(c.gcomm_entry for c in cfgs)
    for c in cfgs:
        c.gcomm_address = gcomm
        _prepare_dir(c.dir)
        _write_cnf(c)
    return cfgs


def standalone_config(base_dir, name: str = "db", host: str = "127.0.0.1",
                      port: Optional[int] = None, extra: Optional[dict] = None) -> GaleraNodeConfig:
    """Write the my.cnf of a plain (non-Galera) server under ``base_dir/<name>/``."""
    cfg = GaleraNodeConfig(name=name, dir=Path(base_dir) / name, host=host,
                           port=port or free_ports(1, host)[0], galera=False,
                           extra=dict(extra or {}))
    _prepare_dir(cfg.dir)
    _write_cnf(cfg)
    return cfg


def install_db(cfg: GaleraNodeConfig, timeout: float = 120) -> None:
    """Create the system tables in ``cfg.datadir``.

    root@localhost gets no password (test servers only: they listen on
    loopback or in a test namespace, and :func:`sql` connects as root)."""
    tool = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
    argv = [tool, f"--defaults-file={cfg.cnf}", f"--user={MYSQL_USER}",
            "--auth-root-authentication-method=normal", "--skip-test-db",
            f"--datadir={cfg.datadir}"]
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"mariadb-install-db failed ({r.returncode}): {r.stdout[-2000:]}")


# --- SQL ------------------------------------------------------------------------

def connect(cfg, user: str = "root", password: str = "", database: Optional[str] = None,
            timeout: float = 5):
    """A pymysql connection over ``cfg``'s socket (autocommit on).

    ``cfg`` is a :class:`GaleraNodeConfig` or a socket path."""
    import pymysql

    sock = str(cfg.socket if isinstance(cfg, GaleraNodeConfig) else cfg)
    return pymysql.connect(unix_socket=sock, user=user, password=password,
                           database=database, connect_timeout=timeout,
                           read_timeout=max(timeout, 30), write_timeout=max(timeout, 30),
                           autocommit=True)


def sql(cfg, query: str, args=None, **kw) -> list[tuple]:
    """Run one statement as root over the socket; the rows it returns.

    >>> sql(cfgs[0], "SELECT 1")     # doctest: +SKIP
    [(1,)]
    """
    conn = connect(cfg, **kw)
    try:
        with conn.cursor() as cur:
            cur.execute(query, args)
            return list(cur.fetchall())
    finally:
        conn.close()


def status(cfg, **kw) -> dict:
    """``SHOW GLOBAL STATUS LIKE 'wsrep%'`` as a dict of strings."""
    return {k: v for k, v in sql(cfg, "SHOW GLOBAL STATUS LIKE 'wsrep%%'", **kw)}


def read_grastate(cfg: GaleraNodeConfig) -> dict:
    """grastate.dat as a dict (``uuid``, ``seqno``, ``safe_to_bootstrap``), {} if absent."""
    out = {}
    try:
        text = cfg.grastate.read_text()
    except FileNotFoundError:
        return out
    for line in text.splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k.strip()] = v.strip()
    return out


def log_text(cfg: GaleraNodeConfig, since: int = 0) -> str:
    """The node's error log from byte offset ``since`` (use ``len`` of an earlier
    read, or :meth:`MariaDB.log_offset`, to look at one start only)."""
    try:
        with open(cfg.log_error, "rb") as f:
            f.seek(since)
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def ist_or_sst(log: str) -> Optional[str]:
    """How a joiner received state in ``log``: "IST", "SST" or None (no transfer).

    The rsync SST script says which it did ("rsync IST completed on joiner" /
    "rsync SST completed on joiner"); otherwise a full transfer is an IST
    request from the zero UUID ("IST uuid:00000000-...") and an incremental one
    is "Receiving IST: N writesets". Pass the log of one start (see
    :meth:`MariaDB.log_offset`).
    """
    if "SST completed on joiner" in log or "IST uuid:00000000-0000-0000-0000-000000000000" in log:
        return "SST"
    if "IST completed on joiner" in log or "Receiving IST:" in log:
        return "IST"
    return None


# a server start: "Starting MariaDB 10.11... as process N" (10.5+), or older
# servers' "mariadbd (server 10.x) starting as process N"
_SERVER_START = re.compile(r"^.*\[Note\] (?:Starting MariaDB\b|\S*mariadbd\b.*starting as process\b).*$",
                           re.MULTILINE)


def server_runs(log: str) -> list:
    """``log`` cut at each server start: one text per mariadbd run, oldest
    first (text before the first start line, if any, is a run of its own).

    >>> [r.split()[-1] for r in server_runs(
    ...     "x [Note] Starting MariaDB 10.11 as process 1\\nx [Note] Starting MariaDB 10.11 as process 2")]
    ['1', '2']
    """
    cuts = [m.start() for m in _SERVER_START.finditer(log)]
    if not cuts or cuts[0] > 0:
        cuts.insert(0, 0)
    return [log[a:b] for a, b in zip(cuts, cuts[1:] + [len(log)]) if log[a:b].strip()]


def transfer_cut_short(log: str) -> bool:
    """Did a run in ``log`` ask for an incremental transfer (or for state,
    before saying which) and end without being synced? Its donor died under
    it: Galera cannot resume a transfer, so the node's next join is a full
    SST whatever its position. A run that asked for a full SST itself is not
    counted (that SST was not the donor's doing).

    Read the log after the fact, not at the moment the donors die: a joiner
    that has decided it needs state writes "Requesting state transfer" only
    once the request went round the group, which may be after its donor died.

    >>> transfer_cut_short("[Note] Starting MariaDB\\nWSREP: State transfer required:\\n"
    ...                    "[Note] Starting MariaDB\\nWSREP: Synchronized with group")
    True
    >>> transfer_cut_short("WSREP: Requesting state transfer: success\\nWSREP: Synchronized with group")
    False
    """
    for run in server_runs(log):
        asked = max(run.rfind("State transfer required"), run.rfind("Requesting state transfer"))
        if asked < 0 or "Synchronized with group" in run[asked:]:
            continue
        if ist_or_sst(run) != "SST":
            return True
    return False


# --- servers --------------------------------------------------------------------

class MariaDB:
    """One mariadbd started from a config, owned by this object (stopped by pid).

    >>> m = MariaDB(cfg); m.start(bootstrap=True); m.wait_synced(30)   # doctest: +SKIP
    >>> m.kill()        # SIGKILL, like a crash                          # doctest: +SKIP
    """

    def __init__(self, cfg: GaleraNodeConfig, binary: Optional[str] = None):
        self.cfg = cfg
        self.binary = binary or find_binary()
        self.proc: Optional[subprocess.Popen] = None

    def argv(self, bootstrap: bool = False, extra: Sequence[str] = ()) -> list[str]:
        a = [self.binary, f"--defaults-file={self.cfg.cnf}", f"--user={MYSQL_USER}"]
        if bootstrap:
            a.append("--wsrep-new-cluster")
        return a + list(extra)

    def log_offset(self) -> int:
        try:
            return os.path.getsize(self.cfg.log_error)
        except FileNotFoundError:
            return 0

    def start(self, bootstrap: bool = False, extra: Sequence[str] = (),
              safe_to_bootstrap: bool = False) -> subprocess.Popen:
        """Start mariadbd in the background (returns at once; see wait_ready).

        ``bootstrap`` starts a new Primary Component (``--wsrep-new-cluster``);
        ``safe_to_bootstrap`` first forces ``safe_to_bootstrap: 1`` in grastate.dat
        (needed after a crash)."""
        if self.running():
            raise RuntimeError(f"{self.cfg.name} already running (pid {self.proc.pid})")
        if safe_to_bootstrap and self.cfg.grastate.exists():
            text = self.cfg.grastate.read_text()
            self.cfg.grastate.write_text(text.replace("safe_to_bootstrap: 0", "safe_to_bootstrap: 1"))
        self.proc = subprocess.Popen(self.argv(bootstrap, extra), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        return self.proc

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _tail(self) -> str:
        return log_text(self.cfg)[-3000:]

    def wait_ready(self, timeout: float = 60) -> None:
        """Wait until the socket accepts root; raise (with the log's tail) if
        mariadbd exits or the time runs out."""
        end = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < end:
            if not self.running():
                raise RuntimeError(f"{self.cfg.name} exited ({self.proc and self.proc.returncode}):\n"
                                   f"{self._tail()}")
            try:
                sql(self.cfg, "SELECT 1", timeout=2)
                return
            except Exception as e:  # noqa: BLE001 - any failure means: not yet
                last = e
            time.sleep(0.2)
        raise TimeoutError(f"{self.cfg.name} not ready after {timeout}s ({last}):\n{self._tail()}")

    def wait_synced(self, timeout: float = 60) -> dict:
        """Wait until Primary and Synced (wsrep_local_state 4); the status dict."""
        end = time.monotonic() + timeout
        self.wait_ready(timeout)
        st: dict = {}
        while time.monotonic() < end:
            try:
                st = status(self.cfg, timeout=2)
                if st.get("wsrep_cluster_status") == "Primary" and st.get("wsrep_local_state") == "4":
                    return st
            except Exception:  # noqa: BLE001
                pass
            if not self.running():
                break
            time.sleep(0.2)
        seen = {k: st.get(k) for k in ("wsrep_cluster_status", "wsrep_local_state_comment")}
        raise TimeoutError(f"{self.cfg.name} not Synced+Primary after {timeout}s ({seen}):\n"
                           f"{self._tail()}")

    def stop(self, timeout: float = 60) -> Optional[int]:
        """SIGTERM (clean shutdown), SIGKILL after ``timeout``; the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL (a crash: grastate.dat keeps seqno -1)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@dataclass
class Standalone:
    """A running standalone server: its config, server, and the created account."""

    cfg: GaleraNodeConfig
    server: MariaDB
    database: str
    user: str
    password: str

    @property
    def host(self) -> str:
        return self.cfg.host

    @property
    def port(self) -> int:
        return self.cfg.port

    @property
    def socket(self) -> Path:
        return self.cfg.socket

    @property
    def url(self) -> str:
        """SQLAlchemy URL over TCP (oslo.db ``connection``)."""
        return f"mysql+pymysql://{self.user}:{self.password}@{self.host}:{self.port}/{self.database}"


@contextlib.contextmanager
def standalone(base_dir, database: str = "test", user: str = "test",
               password: Optional[str] = None, host: str = "127.0.0.1",
               name: str = "db", timeout: float = 120) -> Iterator[Standalone]:
    """A plain MariaDB server for the duration of the ``with`` block, with
    ``database`` created and ``user``@'%' (and @localhost) granted all on it.

    The password is random unless given. The server is stopped (by pid) and
    its directory removed at the end.
    """
    cfg = standalone_config(base_dir, name=name, host=host)
    install_db(cfg, timeout=timeout)
    server = MariaDB(cfg)
    password = password or secrets.token_hex(12)
    server.start()
    try:
        server.wait_ready(timeout)
        sql(cfg, f"CREATE DATABASE IF NOT EXISTS `{database}`")
        for h in ("%", "localhost"):
            sql(cfg, "CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s", (user, h, password))
            sql(cfg, f"GRANT ALL PRIVILEGES ON `{database}`.* TO %s@%s", (user, h))
        yield Standalone(cfg, server, database, user, password)
    finally:
        server.stop()
        shutil.rmtree(cfg.dir, ignore_errors=True)
