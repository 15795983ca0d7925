"""One MariaDB installation per node of a real :class:`~ocfpy.sandbox.cluster.Cluster`.

Every node gets its own MariaDB the way a real host has one: private host
directories bind-mounted over /etc/mysql and /var/lib/mysql inside the node's
mount namespace (/run, hence /run/mysqld with the error log, is already the
node's own tmpfs), system tables created by ``mariadb-install-db`` as the
package's postinst would. So a CIB names no per-node path: ``ocf:ocfpy:galera``
runs with its default paths. Galera uses the nodes' bridge addresses
(10.213.0.N) on the standard ports; :func:`galera_params` gives the agent's
instance attributes for that.

The mounts live only in the node's namespace: they disappear with it
(``Cluster.stop``), or earlier with :meth:`NodeMariaDB.release` once
mariadbd is gone. The host directories are the caller's to remove.

Example (a started 3-node cluster ``c``, as root)::

    from ocfpy.sandbox import node_mariadb

    nodes = node_mariadb.install(c, base_dir)      # one mariadb per node, not started
    params = node_mariadb.galera_params(c.node_names)   # wsrep_cluster_address, ...
    # ... add ocf:ocfpy:galera with ``params`` to the CIB, wait until Promoted ...
    print(nodes[0].query("SELECT 1"))              # [['1']], root over node1's socket
    for n in nodes:
        n.release()                                # after the clone is stopped
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

__all__ = ["ETC", "DATA", "RUN", "NODE_PATHS", "RUN_DIRS_ARGV", "NodeMariaDB",
           "missing_requirements", "node_dirs", "node_cnf", "install", "galera_params"]

# inside every node: the galera agent's and the mariadb client's defaults
ETC, DATA, RUN = "/etc/mysql", "/var/lib/mysql", "/run/mysqld"
NODE_PATHS = {"datadir": DATA, "socket": f"{RUN}/mysqld.sock", "pid": f"{RUN}/mysqld.pid",
              "log_error": f"{RUN}/error.log", "tmpdir": f"{RUN}/tmp"}


def missing_requirements() -> Optional[str]:
    """Why one MariaDB Galera per node cannot run here, or None when it can.

    >>> missing_requirements() is None or isinstance(missing_requirements(), str)
    True
    """
    from ocfpy.sandbox.mariadb import missing_requirements as galera_missing

    reason = galera_missing(galera=True)
    if not reason and not (os.path.isdir(ETC) and os.path.isdir(DATA)):
        reason = f"no {ETC} or {DATA} to mount each node's own over (mariadb-server not installed?)"
    return reason


class NodeMariaDB:
    """The MariaDB installation of one cluster node: host directories, and the
    node-side view (bind mounts) the agent sees.

    ``host_dir`` holds ``etc/`` (my.cnf) and ``data/`` (the datadir);
    ``cnf_text`` is the node's my.cnf (see :func:`node_cnf`).
    """

    def __init__(self, cluster, index: int, host_dir: Path, cnf_text: str):
        self.c, self.index, self.name = cluster, index, f"node{index}"
        self.host_dir = Path(host_dir)
        self.dirs = node_dirs(self.host_dir)
        self.cnf_text = cnf_text
        self.mounted: list = []

    def prepare(self) -> None:
        """Write my.cnf, bind-mount the directories in the node, create the
        run directories and the system tables (mariadbd is not started)."""
        import pwd

        mysql = pwd.getpwnam("mysql")
        for path in self.dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        os.chown(self.dirs[DATA], mysql.pw_uid, mysql.pw_gid)
        os.chmod(self.dirs[DATA], 0o750)
        (self.dirs[ETC] / "my.cnf").write_text(self.cnf_text)
        os.chmod(self.dirs[ETC] / "my.cnf", 0o644)
        for target, source in self.dirs.items():
            self.c.run(["mount", "--bind", str(source), target], node=self.index)
            self.mounted.append(target)
        # what the package's tmpfiles.d entry creates at boot (and a private tmpdir)
        self.c.run(RUN_DIRS_ARGV, node=self.index)
        # what the package's postinst does: system tables, root over the socket
        self.c.run(["mariadb-install-db", f"--defaults-file={ETC}/my.cnf", "--user=mysql",
                    "--auth-root-authentication-method=normal", "--skip-test-db"],
                   node=self.index, timeout=180)

    def release(self) -> list:
        """Undo the mounts (after mariadbd is gone); the errors, if any."""
        errors = []
        for target in reversed(self.mounted):
            res = self.c.run(["umount", target], node=self.index, check=False)
            if res.returncode != 0:
                errors.append(f"{self.name} umount {target}: {res.stderr.strip()}")
        self.mounted = []
        return errors

    # -- observation ---------------------------------------------------------
    def query(self, sql: str, timeout: float = 20) -> list:
        """Rows of ``sql`` (one or more statements) run as root over the node's
        socket, inside the node. The text goes through stdin, never argv, so
        it may carry a password."""
        res = self.c.run(["mariadb", "-N", "-B"], node=self.index, input=sql, check=False,
                         timeout=timeout)
        if res.returncode != 0:
            raise RuntimeError(f"{self.name}: {res.stderr.strip()}")
        return [line.split("\t") for line in res.stdout.splitlines()]

    def status(self) -> dict:
        """``SHOW GLOBAL STATUS LIKE 'wsrep%'`` as a dict ({} when it does not answer)."""
        try:
            return {k: v for k, v in self.query("SHOW GLOBAL STATUS LIKE 'wsrep%'")}
        except RuntimeError:
            return {}

    def pid(self) -> Optional[int]:
        """mariadbd's pid from the pid file the node sees, checked against /proc."""
        try:
            pid = int(self.node_path(NODE_PATHS["pid"]).read_text().split()[0])
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                argv = fh.read().split(b"\0")
        except (ValueError, IndexError, OSError):
            return None
        return pid if Path(argv[0].decode()).name in ("mariadbd", "mysqld") else None

    def node_path(self, path: str) -> Path:
        """``path`` as the node sees it, reachable from the host (through the
        holder's root: /run is the node's own tmpfs)."""
        return Path(f"/proc/{self.c.holder_pids[self.index - 1]}/root{path}")

    def log_size(self) -> int:
        try:
            return self.node_path(NODE_PATHS["log_error"]).stat().st_size
        except OSError:
            return 0

    def log_since(self, offset: int) -> str:
        try:
            with open(self.node_path(NODE_PATHS["log_error"]), "rb") as fh:
                fh.seek(offset)
                return fh.read().decode("utf-8", "replace")
        except OSError:
            return ""


def node_dirs(host_dir) -> dict:
    """{path inside the node: host directory} of the node whose MariaDB
    lives in ``host_dir`` (``<base_dir>/nodeN`` of :func:`install`): what
    :meth:`NodeMariaDB.prepare` bind-mounts, and what a node that lost its
    mounts (powered off and on) mounts again."""
    return {ETC: Path(host_dir) / "etc", DATA: Path(host_dir) / "data"}


#: the run directories mariadbd needs in a node (the package's tmpfiles.d
#: entry, and a private tmpdir), as one command run inside the node
RUN_DIRS_ARGV = ["install", "-d", "-o", "mysql", "-g", "mysql", "-m", "0755", RUN,
                 NODE_PATHS["tmpdir"]]


def node_cnf(cfg) -> str:
    """``cfg``'s my.cnf (ocfpy.sandbox.mariadb's settings: rsync SST, short evs
    timeouts, small memory) with the node-side default paths instead of the
    host-side ones, plus the client's socket."""
    text = cfg.cnf.read_text()
    for attr, path in NODE_PATHS.items():
        text = text.replace(str(getattr(cfg, attr)), path)
    if str(cfg.dir) in text:
        raise ValueError(f"host path {cfg.dir} left in the node's my.cnf:\n{text}")
    return text + f"\n[client]\nsocket={NODE_PATHS['socket']}\n"


def _addresses(names) -> list:
    from ocfpy.sandbox.cluster import SUBNET

    return [f"{SUBNET}.{i}" for i in range(1, len(names) + 1)]


def install(cluster, base_dir, parallel: bool = True, extra: Optional[dict] = None) -> list:
    """One :class:`NodeMariaDB` per node of ``cluster``, prepared (mounted,
    system tables created), host directories ``base_dir/nodeN``; Galera on
    the nodes' bridge addresses, standard ports. ``parallel`` runs the
    nodes' ``mariadb-install-db`` at once; ``extra`` adds ``key=value``
    lines to every [mysqld] section (later lines win, e.g.
    ``{"max_connections": 200}``). On failure the mounts made so far are
    undone before re-raising."""
    from concurrent.futures import ThreadPoolExecutor

    from ocfpy.sandbox import mariadb

    base = Path(base_dir)
    cfgs = mariadb.galera_configs(base / "cnf", hosts=_addresses(cluster.node_names),
                                  names=cluster.node_names, extra=extra)
    nodes = [NodeMariaDB(cluster, i, base / f"node{i}", node_cnf(cfg))
             for i, cfg in enumerate(cfgs, 1)]
    try:
        if parallel:
            with ThreadPoolExecutor(len(nodes)) as pool:
                for future in [pool.submit(n.prepare) for n in nodes]:
                    future.result()
        else:
            for n in nodes:
                n.prepare()
    except BaseException:
        for n in nodes:
            n.release()
        raise
    return nodes


def galera_params(node_names=("node1", "node2", "node3")) -> dict:
    """``ocf:ocfpy:galera`` instance attributes for one mariadbd per node of a
    cluster with ``node_names`` (``Cluster.node_names``): the members as the
    HA guide writes them (addresses only, the standard port) and the
    node-name map.

    >>> galera_params()["cluster_host_map"]
    'node1:10.213.0.1;node2:10.213.0.2;node3:10.213.0.3'
    """
    hosts = _addresses(node_names)
    return {"wsrep_cluster_address": "gcomm://" + ",".join(hosts),
            "cluster_host_map": ";".join(f"{n}:{h}" for n, h in zip(node_names, hosts))}
