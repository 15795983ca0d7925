"""The sandbox's demos: what ``ocfpy sandbox up --demo [openstack|basic]`` runs.

``openstack`` (the default) is the HA guide's control plane in miniature on
ocfpy's agents (the configuration is ``crm_snippets/demo.py``; the same as
YAML: ``crm_snippets/demo.yaml``), on the sandbox's three nodes
10.213.0.1-3::

    client --> VIP 10.213.0.100 --> HAProxy (on every node) --> keystone  :5000 on 10.213.0.1-3
                                                              glance-api :9292
                                                              cinder-api :8776
                                                              manila-api :8786
                                                              Galera     :3306 (one writer)
    every service --> its database through the VIP --> HAProxy --> node1's mariadbd
                                                                  (node2, node3: backup)

* ``vip``: ``ocf:ocfpy:vip`` 10.213.0.100/24 on the nodes' eth0; it runs
  where HAProxy runs;
* ``haproxy-clone``: ``ocf:ocfpy:haproxy`` on every node, the guide's
  haproxy.cfg (:func:`haproxy_cfg`): each node binds the VIP's ports
  (net.ipv4.ip_nonlocal_bind=1 in every node), balances each API to the
  three nodes' addresses (``option httpchk GET /healthcheck``), and Galera
  to node1 with node2 and node3 as ``backup`` servers (one writer),
  checked by ``ocfpy clustercheck`` on port 9200 (``option httpchk``);
* ``clustercheck-clone``: ``ocf:heartbeat:anything`` running ``ocfpy
  clustercheck`` on every node, with the guide's clustercheck account;
* ``galera-clone``: ``ocf:ocfpy:galera``, promotable, 3 promoted, one real
  mariadbd per node (:mod:`ocfpy.sandbox.node_mariadb`: the node's own
  /etc/mysql and /var/lib/mysql bind-mounted inside its namespace), on the
  node's address;
* ``keystone-clone``, ``glance-api-clone``, ``cinder-api-clone``,
  ``manila-api-clone``: ``ocf:openstack:*`` on every node under uWSGI from
  the OpenStack venv, as the unprivileged :data:`SERVICE_USER`, listening
  on the node's address (HAProxy's backends) and 127.0.0.1 (the agent's
  checks); their databases through the VIP; one fernet/credential key
  repository and one image store that every node sees. Keystone starts
  after Galera is promoted, the other APIs after Keystone.

Each node's own files (configuration, uWSGI ini, openrc, haproxy.cfg,
clustercheck credentials, logs) are ``<sandbox dir>/demo/nodes/nodeN``,
bind-mounted over the node's :data:`NODE_RUN` (/run/ocfpy-demo), so the
CIB names the same paths on every machine.

Before the services may start, :class:`OpenStackDemo` creates their
databases and users on Galera (node1's socket), then runs, at once in node1
through the VIP, ``keystone-manage db_sync``/``fernet_setup``/
``credential_setup``/``bootstrap`` and the glance, cinder and manila
database syncs; once the APIs run it registers them in Keystone's catalog,
uploads an image and creates the share type ``default`` (``seed``) and
prints what :func:`check` sees through the VIP: a token, the image list,
the volume types, the share types, and which node writes for Galera.

``basic`` is the example agents' demo (``crm_snippets/demo_basic.py``:
dummy and stateful), on 1 or 3 nodes, with no requirement.

Host files live below ``<sandbox dir>/demo`` (:class:`DemoLayout`); mounts,
/run files and processes live in the nodes' namespaces, so
``Cluster.stop()`` then :func:`remove_files` leave nothing behind (the
service user, created when absent, stays).

Example (as root)::

    from ocfpy.sandbox.cluster import Cluster
    from ocfpy.sandbox import demo

    c = Cluster(nodes=3, workdir="/var/tmp/ocfpy-sandbox/cluster").start()
    print(demo.missing_requirements("openstack", nodes=3))   # None when it can run
    demo.run_demo(c, "openstack", progress=print)            # ~1-2 min
    print(c.run([sys.executable, "-m", "ocfpy.sandbox.demo", "check"], node=2).stdout)
    c.stop(); demo.remove_files()

From inside a node (``ocfpy sandbox exec node2 -- ...``)::

    .venv/bin/python -m ocfpy.sandbox.demo check          # what `up` prints at its end
    .venv/bin/python -m ocfpy.sandbox.demo check --json   # the same as a JSON document
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import time
from pathlib import Path
from typing import Callable, Optional

from ocfpy.sandbox.cluster import SUBNET
from ocfpy.sandbox.layout import (
    CLUSTERCHECK_PORT, GALERA_PORT, KEYSTONE_PORT, NODE_RUN, NODES, SERVICES, VIP, DemoLayout,
    node_address, node_path,
)

__all__ = ["DEMOS", "VIP", "KEYSTONE_PORT", "SERVICES", "DemoLayout", "OpenStackDemo",
           "missing_requirements", "haproxy_cfg", "guard_constraints", "rejoin",
           "demo_spec_path", "demo_resources_xml", "all_running", "running_or_failed",
           "apply_spec", "run_demo",
           "remove_files", "seed", "check", "token_check", "usage", "haproxy_view"]

#: demo names, the default first
DEMOS = ("openstack", "basic")
ADMIN = "admin"
REGION = "RegionOne"
#: the guide's clustercheck account (GRANT PROCESS, from localhost)
CLUSTERCHECK_USER = "clustercheck"
#: what ``seed`` uploads to Glance
DEMO_IMAGE = "ocfpy-demo-image"
SHARE_TYPE = "default"
_MANILA_VERSION = {"X-OpenStack-Manila-API-Version": "2.0"}
#: transient node attribute: the node has the demo's mounts, files and
#: sysctl (a node powered off and on again has lost them)
READY_ATTRIBUTE = "ocfpy-demo-node"
SETUP_HINT = ("run `bash .ci/setup` (it installs mariadb-server, galera-4, rsync, haproxy, "
              "resource-agents and the OpenStack venv .venv-openstack), or use `--demo basic`")
_HEADER = "# written by ocfpy.sandbox.demo"


# ------------------------------------------------------------ requirements
def missing_requirements(name: str = "openstack", nodes: int = 3) -> Optional[str]:
    """What demo ``name`` lacks on this machine, and how to get it; None when
    it can run (the sandbox's own needs are checked separately).

    >>> missing_requirements("basic", nodes=1) is None
    True
    """
    if name not in DEMOS:
        return "unknown demo %r (known: %s)" % (name, ", ".join(DEMOS))
    if name == "basic":
        return None
    if nodes != 3:
        return "the openstack demo needs 3 nodes (--nodes 3); `--demo basic` runs on 1"
    from ocfpy.sandbox import node_mariadb, openstack

    problems = []
    reason = node_mariadb.missing_requirements()
    if reason:
        problems.append("MariaDB Galera: " + reason)
    reason = openstack.missing_requirements(tuple(SERVICES))
    site = Path(openstack.venv_path(), "lib")
    if not reason and not list(site.glob("python3*/site-packages/pymysql")):
        reason = "pymysql is not installed in %s" % openstack.venv_path()
    if reason:
        problems.append("OpenStack services: " + reason)
    if not shutil.which("haproxy", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin"):
        problems.append("HAProxy: haproxy not installed")
    if not Path("/usr/lib/ocf/resource.d/heartbeat/anything").exists():
        problems.append("clustercheck: ocf:heartbeat:anything (resource-agents) not installed")
    if problems:
        return "the OpenStack demo cannot run here: %s. To get it: %s." % (
            "; ".join(problems), SETUP_HINT)
    return None


# ------------------------------------------------------- configurations
def demo_spec_path(name: str = "openstack", fmt: str = "py") -> Optional[Path]:
    """``crm_snippets/demo.py`` (``demo.yaml`` with ``fmt="yaml"``;
    ``demo_basic.py`` for ``basic``), shipped as the package
    ``ocfpy_snippets``; None if it is missing."""
    import ocfpy_snippets

    stem = "demo" if name == "openstack" else "demo_" + name
    path = Path(ocfpy_snippets.__file__).resolve().parent / ("%s.%s" % (stem, fmt))
    return path if path.is_file() else None


def demo_resources_xml() -> list:
    """Fallback basic demo when ``crm_snippets/`` is not there: resources to
    create, one XML element each (a dummy primitive and a promotable stateful
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


def all_running(mon) -> bool:
    """Every resource is Started/Promoted/Unpromoted, none failed or busy, and
    every promotable clone has a promoted instance (crm_mon xml root)."""
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


def guard_constraints(cfg) -> list:
    """One location rule per top-level resource of ``cfg``: never on a node
    without :data:`READY_ATTRIBUTE` (not even probed there). Transient node
    attributes vanish when a node leaves the cluster, so a node that was
    fenced or powered off comes back with none of the demo's resources
    (its /run/ocfpy-demo, its MariaDB mounts and its sysctl are gone: the
    Galera agent would otherwise find the host's own /etc/mysql and
    /var/lib/mysql there) until ``python -m ocfpy.sandbox.demo rejoin``
    prepares it again. The sandbox's, not the guide's: not in demo.py."""
    from ocfpy.cib.model import Expression, Location, Rule

    return [Location(r.id, rules=[Rule([Expression(READY_ATTRIBUTE, "not_defined")],
                                       score="-INFINITY")],
                     resource_discovery="never", id="%s-on-demo-nodes" % r.id)
            for r in cfg.resources]


def running_or_failed(mon) -> bool:
    """:func:`all_running`, raising ``RuntimeError`` as soon as an operation
    failed for good on a node (fail-count INFINITY: Pacemaker will not try
    there again), with the failures crm_mon lists."""
    banned = [(node.get("name"), r.get("id")) for node in mon.iter("node")
              for r in node.findall("resource_history") if r.get("fail-count") == "1000000"]
    if banned:
        failures = ["%s %s on %s: %s %s" % (f.get("op_key"), f.get("exitstatus"), f.get("node"),
                                           f.get("exitreason") or "", f.get("last-rc-change"))
                    for f in mon.iter("failure")]
        raise RuntimeError("%s failed for good (%s):\n  %s" % (
            ", ".join("%s on %s" % (rid, node) for node, rid in banned),
            "fail-count INFINITY", "\n  ".join(failures)))
    return all_running(mon)


def apply_spec(cluster, cfg) -> None:
    """Push ``cfg`` (an ``ocfpy.cib`` Config) to ``cluster`` with
    ``ocfpy.cib.apply``, keeping the live cluster properties the model does
    not name (the sandbox's bounded shutdown-escalation, ...) and the
    sandbox's fencing (its device and stonith-enabled=true win over a demo
    spec written for clusters without fencing)."""
    from ocfpy.cib.apply import apply_config
    from ocfpy.cib.read import read_cib

    live = read_cib(cluster.run(["cibadmin", "--query"]).stdout, strict=False)
    if live.properties.get("stonith-enabled", "true").lower() in ("true", "1", "yes", "on") \
            and any(p.klass == "stonith" for p, _ in live.iter_primitives()):
        # the sandbox fences for real (fence_ocfpy_sandbox): the guide's
        # stonith-enabled=false is for clusters without fencing hardware
        cfg.properties.pop("stonith-enabled", None)
        cfg.fencing_off_acknowledged = None
    for key, value in live.properties.items():
        cfg.properties.setdefault(key, value)

    def runner(argv, input=None):
        return cluster.run(list(argv), input=input, check=False)

    apply_config(cfg, runner)


def _load(name: str):
    from ocfpy.cib.spec import load_spec

    spec = demo_spec_path(name)
    return None if spec is None else load_spec(str(spec))


def run_demo(cluster, name: str = "openstack", progress: Optional[Callable[[str], object]] = None,
             timeout: float = 480) -> list:
    """Prepare and load demo ``name`` into the started ``cluster``, wait until
    it runs; returns summary lines (what :func:`check` sees through the VIP).

    Raises ``RuntimeError`` when the demo cannot run here
    (:func:`missing_requirements`), ``TimeoutError`` when it does not come up.
    """
    say = progress or (lambda _m: None)
    reason = missing_requirements(name, len(cluster.node_names))
    if reason:
        raise RuntimeError(reason)
    if name == "openstack":
        return OpenStackDemo(cluster, say).run(timeout)
    cfg = _load("basic")
    if cfg is not None:
        apply_spec(cluster, cfg)
        say("demo configuration %s applied" % demo_spec_path("basic"))
    else:
        for xml in demo_resources_xml():
            cluster.run(["cibadmin", "--create", "-o", "resources", "--xml-text", xml])
        say("demo configuration loaded: demo-dummy, demo-stateful-clone (promotable)")
    cluster.wait_for(all_running, min(timeout, 30))
    return ["demo running: ocf:ocfpy:dummy and ocf:ocfpy:stateful"]


def remove_files(layout: Optional[DemoLayout] = None) -> None:
    """Remove the demo's host files (call after ``Cluster.stop``: the nodes'
    mounts of them are gone with their namespaces)."""
    layout = layout or DemoLayout.default()
    shutil.rmtree(layout.dir, ignore_errors=True)


# -------------------------------------------------------------- HAProxy
_HAPROXY_HEAD = """\
{header}: the HA guide's haproxy.cfg ("Configuring HAProxy") for the
# sandbox demo, the same on every node. Every node's HAProxy binds the VIP's
# ports (net.ipv4.ip_nonlocal_bind=1 in every node); only the node holding
# the VIP gets the traffic. ocf:ocfpy:haproxy runs it in master-worker mode.
global
  chroot /var/lib/haproxy
  user haproxy
  group haproxy
  maxconn 4000
  # old workers of a reload finish their connections within this
  hard-stop-after 30s

defaults
  mode tcp
  maxconn 4000
  option redispatch
  retries 3
  timeout queue 1m
  timeout connect 10s
  timeout client 1m
  timeout server 1m
  timeout check 10s

# One writer: node1 takes every connection while its clustercheck says
# synced; node2, then node3, only when it is down (the guide's "backup").
# The guide's "option mysql-check" cannot talk to clustercheck's port:
# "option httpchk" asks `ocfpy clustercheck` (200 synced, 503 not).
#
# Faster than the guide (inter 2000 rise 2 fall 5), and the connections of a
# server marked down are closed: the services pool their connections, and a
# pooled connection to a writer that lost its power hangs until TCP gives up
# (measured: every API failing for 16 s with the guide's settings); its
# sessions closed, the services reconnect, to the first backup. When node1
# is back, the backups' sessions are closed too: one writer again.
listen galera_cluster
  bind {vip}:{galera_port}
  balance source
  option httpchk
  timeout connect 1s
  # a node that is gone fails its checks at connect (1 s); a busy clustercheck
  # gets 5 s to answer before a check counts as failed
  timeout check 5s
  # the services' pooled connections stay open between requests
  timeout client 90m
  timeout server 90m
{galera_servers}
"""

# The APIs in HTTP mode, where the guide has TCP: HAProxy can then send a
# request again when its server died under it (a refused or reset
# connection, an empty answer: "L7 retries"); every call the services and
# the demo's clients make is safe to send twice (reads, and token requests,
# which only issue a new token). "balance source" hashes a client to the
# same server on every retry while its health checks still say UP (5 checks,
# 10 s), so one failed connection marks a server down at once (observe
# layer4, on-error mark-down) and the retry goes to another server; the
# health checks bring it back. A connection to a powered-off node fails
# after 1 s instead of 10.
_HAPROXY_API = """
listen {name}
  bind {vip}:{port}
  mode http
  balance source
  option tcpka
  option httpchk GET /healthcheck
  option redispatch 1
  retry-on conn-failure empty-response junk-response
  timeout connect 1s
{servers}
"""

#: the guide's listen section names
_LISTEN = {"keystone": "keystone_public_internal_cluster", "glance-api": "glance_api_cluster",
           "cinder-api": "cinder_api_cluster", "manila-api": "manila_api_cluster"}


def haproxy_cfg(nodes=NODES) -> str:
    """The demo's haproxy.cfg: the guide's, for the VIP and ``nodes``.

    >>> print([l.strip() for l in haproxy_cfg().splitlines() if " backup " in l][0])
    server node2 10.213.0.2:3306 backup check port 9200 inter 1s rise 2 fall 3 on-marked-down shutdown-sessions
    """
    galera = "\n".join(
        "  server %s %s:%d%s check port %d inter 1s rise 2 fall 3 on-marked-down shutdown-sessions%s"
        % (node, node_address(node), GALERA_PORT, " backup" if i else "", CLUSTERCHECK_PORT,
           "" if i else " on-marked-up shutdown-backup-sessions")
        for i, node in enumerate(nodes))
    text = _HAPROXY_HEAD.format(header=_HEADER, vip=VIP, galera_port=GALERA_PORT,
                                galera_servers=galera)
    for service, svc in SERVICES.items():
        text += _HAPROXY_API.format(name=_LISTEN[service], vip=VIP, port=svc.port, servers="\n".join(
            "  server %s %s:%d check inter 2000 rise 2 fall 5 observe layer4 error-limit 1 "
            "on-error mark-down" % (node, node_address(node), svc.port)
            for node in nodes))
    return text


# ------------------------------------------------------------- openstack
def _write_private(path: Path, text: str, mode: int, gid: int = 0) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chown(path, 0, gid)
    os.chmod(path, mode)


def _db_url(name: str, password: str) -> str:
    return "mysql+pymysql://%s:%s@%s:%d/%s?charset=utf8mb4" % (
        name, password, VIP, GALERA_PORT, name)


class OpenStackDemo:
    """Prepares and starts the ``openstack`` demo in a started 3-node ``cluster``.

    Example::

        lines = OpenStackDemo(cluster, progress=print).run(timeout=480)
    """

    #: held Stopped until their databases exist
    HELD = ("keystone-clone", "glance-api-clone", "cinder-api-clone", "manila-api-clone")

    def __init__(self, cluster, progress: Optional[Callable[[str], object]] = None):
        self.c = cluster
        self.say = progress or (lambda _m: None)
        self.layout = DemoLayout.default()
        self.nodes: list = []
        # hex: nothing to quote in SQL, ini or openrc files
        self._db_passwords = {s: secrets.token_hex(16) for s in SERVICES}
        self._check_password = secrets.token_hex(16)
        self._admin_password = secrets.token_hex(16)

    # -- files -------------------------------------------------------------
    def node_files(self, node: str) -> dict:
        """{file name in the node's :data:`NODE_RUN`: (text, mode, group id)}."""
        import grp

        from ocfpy.sandbox import openstack as os_

        lay = self.layout
        try:
            gid = grp.getgrnam(lay.user).gr_gid
        except KeyError:        # not created yet (write_files creates it first)
            gid = 0
        addr = node_address(node)
        auth = os_.authtoken_section(lay.auth_url, ADMIN, self._admin_password, ADMIN)
        files = {}

        def uwsgi(service: str, env=(), pyargv: str = "") -> None:
            svc = SERVICES[service]
            files[svc.name + "-uwsgi.ini"] = (os_.uwsgi_ini_text(
                ["%s:%d" % (addr, svc.port), "127.0.0.1:%d" % svc.port], svc.module, lay.venv,
                env=env, pyargv=pyargv, header="%s: %s on %s" % (_HEADER, service, node)),
                0o644, 0)

        def conf(service: str, sections: dict) -> None:
            files[SERVICES[service].config] = (os_.ini_text(sections, header=_HEADER), 0o640, gid)

        def paste(service: str) -> str:
            name = service + "-paste.ini"
            files[name] = (os_.paste_text(lay.venv, service, node_path(service + "-drained")),
                           0o644, 0)
            return node_path(name)

        db = {s: _db_url(SERVICES[s].name, self._db_passwords[s]) for s in SERVICES}
        conf("keystone", os_.keystone_sections(db["keystone"], lay.service_dir("keystone")))
        uwsgi("keystone", env=os_.keystone_env(node_path("keystone.conf"),
                                               node_path("keystone-drained")))
        conf("glance-api", os_.glance_sections(db["glance-api"], lay.service_dir("glance-api"),
                                               auth, paste("glance-api")))
        uwsgi("glance-api", env={"OS_GLANCE_CONFIG_DIR": NODE_RUN})
        for service, sections in (("cinder-api", os_.cinder_sections),
                                  ("manila-api", os_.manila_sections)):
            conf(service, sections(db[service], lay.service_dir(service), auth, paste(service),
                                   my_ip=addr, host=node))
            uwsgi(service, pyargv="--config-file %s" % node_path(SERVICES[service].config))
        files["haproxy.cfg"] = (haproxy_cfg(), 0o644, 0)
        files["admin-openrc"] = (
            "%s: the demo's admin (the agents' deep monitors and `demo check` read it)\n"
            "export OS_AUTH_URL=%s\nexport OS_USERNAME=%s\nexport OS_PASSWORD='%s'\n"
            "export OS_PROJECT_NAME=%s\nexport OS_USER_DOMAIN_NAME=Default\n"
            "export OS_PROJECT_DOMAIN_NAME=Default\n"
            % (_HEADER, lay.auth_url, ADMIN, self._admin_password, ADMIN), 0o600, 0)
        files["clustercheck.cnf"] = (
            "%s: the HA guide's clustercheck account for `ocfpy clustercheck`\n"
            "[client]\nuser = %s\npassword = \"%s\"\n"
            % (_HEADER, CLUSTERCHECK_USER, self._check_password), 0o600, 0)
        files["bin/ocfpy"] = (
            "#!%s\n%s: this checkout's ocfpy at a path the CIB names on every machine\n"
            "import sys\nfrom ocfpy.cli import main\nsys.exit(main())\n"
            % (sys.executable, _HEADER), 0o755, 0)
        return files

    def write_files(self) -> None:
        """What the nodes share (Keystone's key directories, Glance's store,
        the locks), and each node's own directory (:meth:`node_files`, uWSGI
        from the OpenStack venv as ``bin/uwsgi``); the service user, created
        when absent."""
        from ocfpy.sandbox import openstack as os_
        from ocfpy.sandbox.mariadb import grant_traverse

        lay = self.layout
        user = os_.ensure_service_user(lay.user)
        lay.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(lay.dir, 0o755)
        grant_traverse(lay.dir)
        grant_traverse(lay.venv)
        subdirs = {"keystone": (), "glance-api": os_.GLANCE_DIRS,
                   "cinder-api": os_.CINDER_DIRS, "manila-api": os_.MANILA_DIRS}
        for service, subs in subdirs.items():
            # the service's state_path: cinder's and manila's file locks and
            # coordination files are created there
            d = lay.service_dir(service)
            d.mkdir(exist_ok=True)
            os.chown(d, user.pw_uid, user.pw_gid)
            os.chmod(d, 0o750)
            for sub in subs:
                (d / sub).mkdir(exist_ok=True)
                os.chown(d / sub, user.pw_uid, user.pw_gid)
        for node in self.c.node_names:
            d = lay.node_dir(node)
            (d / "bin").mkdir(parents=True, exist_ok=True)
            for path in (d.parent, d, d / "bin"):
                os.chmod(path, 0o755)
            for name, (text, mode, gid) in self.node_files(node).items():
                _write_private(d / name, text, mode, gid)
            uwsgi = d / "bin" / "uwsgi"
            if not uwsgi.is_symlink():
                uwsgi.symlink_to(lay.venv / "bin" / "uwsgi")

    #: Pacemaker's load-threshold for the demo (default 80%)
    LOAD_THRESHOLD = "10000%"

    def unthrottle(self) -> None:
        """The three nodes share this machine's CPUs and its one load average:
        above load-threshold (80% of the cores) every node's controller
        throttles itself to one action at a time, and the twelve API starts
        run one after another. Raised for the sandbox only (a property of
        the live cluster, not of the guide's configuration)."""
        self.c.run(["crm_attribute", "--type", "crm_config", "--name", "load-threshold",
                    "--update", self.LOAD_THRESHOLD])

    def prepare_nodes(self) -> None:
        """In every node: its directory over :data:`NODE_RUN`, and
        net.ipv4.ip_nonlocal_bind=1 (HAProxy binds the VIP where it is not)."""
        script = ('mkdir -p "$1" && mount --bind "$2" "$1" && '
                  'echo 1 > /proc/sys/net/ipv4/ip_nonlocal_bind')
        for i, node in enumerate(self.c.node_names, 1):
            self.c.run(["sh", "-c", script, "sh", NODE_RUN, str(self.layout.node_dir(node))],
                       node=i)

    def mark_ready(self) -> None:
        """:data:`READY_ATTRIBUTE` on every node (transient: gone when the
        node leaves the cluster)."""
        for node in self.c.node_names:
            self.c.run(["crm_attribute", "--node", node, "--name", READY_ATTRIBUTE,
                        "--update", "ready", "--lifetime", "reboot"])

    def install_mariadb(self) -> None:
        from ocfpy.sandbox import node_mariadb

        t0 = time.monotonic()
        # every service's pool reaches node1's server through HAProxy
        self.nodes = node_mariadb.install(self.c, self.layout.mariadb_dir,
                                          extra={"max_connections": 200})
        self.say("MariaDB installed in every node (own /etc/mysql, /var/lib/mysql) in %.1f s"
                 % (time.monotonic() - t0))

    def config(self, held=()):
        """``crm_snippets/demo.py``'s Config and :func:`guard_constraints`;
        the resources in ``held`` get target-role=Stopped (before their
        databases exist)."""
        cfg = _load("openstack")
        if cfg is None:
            raise RuntimeError("crm_snippets/demo.py not found: the openstack demo runs "
                               "from a source checkout")
        ids = cfg.top_ids()
        for rid in held:
            ids[rid].meta["target-role"] = "Stopped"
        for location in guard_constraints(cfg):
            cfg.add(location)
        return cfg

    # -- steps -------------------------------------------------------------
    def wait_galera(self, timeout: float) -> None:
        t0 = time.monotonic()
        self.c.wait_for(lambda mon: self.c.resource_state("galera-clone", mon)["promoted"]
                        == self.c.node_names, timeout=timeout, interval=0.5)
        deadline = time.monotonic() + 60
        while self.nodes[0].status().get("wsrep_local_state") != "4":
            if time.monotonic() > deadline:
                raise TimeoutError("node1's mariadbd promoted but not Synced: %s"
                                   % self.nodes[0].status())
            time.sleep(0.5)
        self.say("Galera promoted on %s in %.1f s" % (", ".join(self.c.node_names),
                                                        time.monotonic() - t0))

    def create_databases(self) -> None:
        """The services' databases and users (reached through HAProxy: from
        the nodes' addresses), and the guide's clustercheck account, on
        node1's member; Galera replicates them."""
        hosts = SUBNET + ".%"
        # through stdin: the passwords never reach a command line
        self.nodes[0].query("".join(
            "CREATE DATABASE IF NOT EXISTS {n};\n"
            "CREATE USER IF NOT EXISTS '{n}'@'{h}' IDENTIFIED BY '{p}';\n"
            "GRANT ALL PRIVILEGES ON {n}.* TO '{n}'@'{h}';\n".format(
                n=SERVICES[s].name, h=hosts, p=self._db_passwords[s]) for s in SERVICES)
            + "CREATE USER IF NOT EXISTS '{u}'@'localhost' IDENTIFIED BY '{p}';\n"
              "GRANT PROCESS ON *.* TO '{u}'@'localhost';\n".format(
                  u=CLUSTERCHECK_USER, p=self._check_password))

    def _in_node(self, args: list, node: int = 1, timeout: float = 120):
        return self.c.run([sys.executable, "-m", "ocfpy.sandbox.demo", *args], node=node,
                          check=False, timeout=timeout)

    def wait_database_through_vip(self, timeout: float = 60) -> None:
        res = self._in_node(["wait-db", "--timeout", str(timeout)], timeout=timeout + 30)
        if res.returncode != 0:
            raise TimeoutError("the database through the VIP: %s"
                               % (res.stdout + res.stderr).strip()[-2000:])
        self.say("Galera answers through HAProxy on the VIP (%s)" % res.stdout.strip())

    def sync_databases(self, done: Optional[Callable[[str], object]] = None) -> None:
        """keystone-manage db_sync, fernet_setup, credential_setup, bootstrap;
        glance, cinder and manila's database syncs: in node1, through the
        VIP, the four chains at once; ``done(service)`` is called as each
        chain ends well (e.g. to let that service start while the others'
        migrations still run)."""
        import grp
        import pwd
        from concurrent.futures import ThreadPoolExecutor, as_completed

        from ocfpy.sandbox.openstack import manage_commands

        t0 = time.monotonic()
        lay = self.layout
        group = grp.getgrgid(pwd.getpwnam(lay.user).pw_gid).gr_name
        commands = manage_commands(lay.venv, {s: node_path(SERVICES[s].config) for s in SERVICES},
                                   (lay.user, group), lay.auth_url + "/")
        env = {"OS_BOOTSTRAP_PASSWORD": self._admin_password, "PYTHONWARNINGS": "ignore"}
        took = {}
        failed = []

        def run(service, argv):
            res = self.c.run(argv, node=1, check=False, timeout=600, env=env)
            took[service] = time.monotonic() - t0
            return service, res

        with ThreadPoolExecutor(len(commands)) as pool:
            for future in as_completed([pool.submit(run, s, argv)
                                        for s, argv in commands.items()]):
                service, res = future.result()
                if res.returncode != 0:
                    failed.append("%s database set-up failed in node1 (rc %d): %s" % (
                        service, res.returncode, (res.stdout + res.stderr).strip()[-3000:]))
                elif done is not None and not failed:
                    done(service)
        if failed:
            raise RuntimeError("\n".join(failed))
        self.say("databases on Galera through the VIP, in node1: %s" % ", ".join(
            "%s %.1f s" % ("keystone bootstrap" if s == "keystone" else s + " db sync", t)
            for s, t in sorted(took.items(), key=lambda kv: kv[1])))

    def release(self, held=HELD) -> None:
        """Let the ``held`` resources start: remove their target-role (what
        ``pcs resource enable`` does; ``cib apply`` keeps an operator's
        target-role), leaving the CIB as the spec says."""
        for rid in held:
            self.c.run(["crm_resource", "--resource", rid, "--meta", "--delete-parameter",
                        "target-role"])

    def run(self, timeout: float = 480) -> list:
        """Every step; returns the summary lines (:func:`check` from node1)."""
        t0 = time.monotonic()
        deadline = t0 + timeout

        def left() -> float:
            return max(30.0, deadline - time.monotonic())

        self.unthrottle()
        self.write_files()
        self.prepare_nodes()
        self.install_mariadb()
        self.mark_ready()
        apply_spec(self.c, self.config(held=self.HELD))
        self.say("demo configuration %s applied (%s held Stopped)"
                 % (demo_spec_path("openstack"), ", ".join(self.HELD)))
        self.wait_galera(left())
        self.create_databases()
        self.wait_database_through_vip(min(60.0, left()))
        clones = {"keystone": "keystone-clone", "glance-api": "glance-api-clone",
                  "cinder-api": "cinder-api-clone", "manila-api": "manila-api-clone"}
        # each API may start once its database is there (Pacemaker starts
        # the others after Keystone): its start overlaps the others' syncs
        self.sync_databases(done=lambda service: self.release([clones[service]]))
        self.say("the API services released; waiting for them on every node")
        self.c.wait_for(running_or_failed, left(), interval=1)
        self.say("demo running in %.1f s" % (time.monotonic() - t0))
        res = self._in_node(["seed"], timeout=left())
        if res.returncode != 0:
            raise RuntimeError("the demo runs, but seeding it through the VIP failed:\n"
                               + (res.stdout + res.stderr).strip()[-3000:])
        for line in res.stdout.strip().splitlines():
            self.say(line)
        res = self._in_node(["check"], timeout=120)
        lines = (res.stdout + res.stderr).strip().splitlines()
        if res.returncode != 0:
            raise RuntimeError("the demo runs, but the check through the VIP failed:\n"
                               + "\n".join(lines))
        self.say("up --demo done in %.1f s" % (time.monotonic() - t0))
        return lines


# --------------------------------------------- inside a node: seed, check
def _retrying(method: str, url: str, until: float, body: object = None,
              headers: Optional[dict] = None, timeout: float = 10) -> tuple:
    """http_request, again while nothing answers behind the VIP yet (HAProxy
    closes the connection or answers 5xx while its checks of a backend that
    just started have not risen)."""
    from ocfpy.sandbox.openstack import http_request

    while True:
        try:
            status, hdrs, doc = http_request(method, url, body, headers, timeout=timeout)
            if status not in (502, 503, 504) or time.monotonic() > until:
                return status, hdrs, doc
        except OSError:
            if time.monotonic() > until:
                raise
        time.sleep(0.5)


def _admin_token(until: float) -> tuple:
    """(token, project id, seconds) of the demo's admin through the VIP."""
    from ocfpy_agents.openstack.auth import parse_openrc, read_secret_file

    path = node_path("admin-openrc")
    creds = parse_openrc(read_secret_file(path), path)
    url = "http://%s:%d/v3/auth/tokens" % (VIP, KEYSTONE_PORT)
    t0 = time.monotonic()
    status, headers, doc = _retrying("POST", url, until, creds.body())
    if status != 201:
        raise RuntimeError("keystone through the VIP (POST %s): HTTP %d %s" % (url, status, doc))
    return headers.get("x-subject-token", ""), doc["token"]["project"]["id"], \
        time.monotonic() - t0


def _api(service: str, path: str) -> str:
    return "http://%s:%d%s" % (VIP, SERVICES[service].port, path)


def seed(timeout: float = 120) -> list:
    """From inside a node, through the VIP: the APIs in Keystone's catalog,
    an image uploaded to Glance, the share type ``default`` in Manila
    (Cinder's db sync made the volume type ``__DEFAULT__``). Idempotent."""
    from ocfpy.sandbox.openstack import register_catalog

    until = time.monotonic() + timeout
    token, _project, _t = _admin_token(until)
    auth = {"X-Auth-Token": token}

    def call(method, url, body=None, headers=None, ok=(200, 201, 204)):
        status, _h, doc = _retrying(method, url, until, body, dict(auth, **(headers or {})))
        if status not in ok:
            raise RuntimeError("%s %s: HTTP %d %s" % (method, url, status, doc))
        return doc

    lines = []
    keystone = "http://%s:%d/v3" % (VIP, KEYSTONE_PORT)
    known = {s["name"] for s in call("GET", keystone + "/services")["services"]}
    entries = [(svc.name, svc.catalog_type, "http://%s:%d%s" % (VIP, svc.port, svc.catalog_path))
               for service, svc in SERVICES.items()
               if service != "keystone" and svc.name not in known]
    register_catalog(lambda method, path, body=None: call(method, keystone + path, body),
                     entries)
    lines.append("catalog: %s" % ", ".join(
        "%s %s" % (svc.catalog_type, "http://%s:%d%s" % (VIP, svc.port, svc.catalog_path))
        for svc in SERVICES.values()))
    images = call("GET", _api("glance-api", "/v2/images?name=" + DEMO_IMAGE))["images"]
    if not images:
        image = call("POST", _api("glance-api", "/v2/images"), {
            "name": DEMO_IMAGE, "disk_format": "raw", "container_format": "bare",
            "visibility": "public"})
        data = b"ocfpy sandbox demo image\n" * 64
        call("PUT", _api("glance-api", "/v2/images/%s/file" % image["id"]), data)
        lines.append("image %s uploaded to glance-api through the VIP (%d bytes, "
                     "in the store every node sees)" % (DEMO_IMAGE, len(data)))
    types = call("GET", _api("manila-api", "/v2/types"), headers=_MANILA_VERSION)["share_types"]
    if SHARE_TYPE not in {t["name"] for t in types}:
        call("POST", _api("manila-api", "/v2/types"), {"share_type": {
            "name": SHARE_TYPE, "share_type_access:is_public": True,
            "extra_specs": {"driver_handles_share_servers": "false"}}},
            headers=_MANILA_VERSION)
        lines.append("share type %s created in manila-api through the VIP" % SHARE_TYPE)
    return lines


def haproxy_view(field: Optional[str] = None) -> dict:
    """From inside a node, its HAProxy's servers (its master socket, then its
    current worker's ``show stat``): {listen section: [(server, status,
    backup)]}, or with ``field`` (a ``show stat`` column such as ``stot``,
    the sessions so far) {listen section: {server: int}}."""
    from ocfpy_agents.haproxy import master

    sock = node_path("haproxy-master.sock")
    procs = master.parse_proc(master.query(sock, "show proc", timeout=5))
    text = master.query(sock, "@!%d show stat" % procs.current_worker, timeout=5)
    lines = text.splitlines()
    names = master.split_csv(next(l for l in lines if l.startswith("# pxname,"))[2:])
    col = {n: names.index(n) for n in ("pxname", "svname", "status", "bck", "type",
                                       field or "status")}
    view: dict = {}
    for line in lines:
        fields = master.split_csv(line) if line and not line.startswith("#") else []
        if len(fields) > max(col.values()) and fields[col["type"]] == "2":
            if field:
                view.setdefault(fields[col["pxname"]], {})[fields[col["svname"]]] = \
                    int(fields[col[field]] or 0)
            else:
                view.setdefault(fields[col["pxname"]], []).append(
                    (fields[col["svname"]], fields[col["status"]], fields[col["bck"]] == "1"))
    return view


def _database_url() -> str:
    """This node's keystone database URL (through the VIP), from keystone.conf."""
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    parser.read(node_path(SERVICES["keystone"].config))
    return parser.get("database", "connection")


def galera_writers(connections: int = 3, timeout: float = 10) -> list:
    """``@@wsrep_node_name`` of the member answering each of ``connections``
    new connections to the VIP's port 3306 (as the keystone database user)."""
    from urllib.parse import unquote, urlsplit

    import pymysql

    url = urlsplit(_database_url())
    names = []
    for _ in range(connections):
        conn = pymysql.connect(host=url.hostname, port=url.port or GALERA_PORT,
                               user=unquote(url.username or ""),
                               password=unquote(url.password or ""),
                               database=url.path.lstrip("/"), connect_timeout=timeout,
                               read_timeout=timeout)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT @@wsrep_node_name")
                names.append(cur.fetchone()[0])
        finally:
            conn.close()
    return names


def wait_database(timeout: float = 60) -> str:
    """Wait until a connection to the VIP's port 3306 works; the writer's name."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return galera_writers(1, timeout=5)[0]
        except Exception as exc:    # pymysql's errors, refused while HAProxy's checks rise
            if time.monotonic() > deadline:
                raise TimeoutError("no database through %s:%d within %gs: %s"
                                   % (VIP, GALERA_PORT, timeout, exc)) from None
        time.sleep(0.5)


def check(timeout: float = 20) -> tuple:
    """From inside a node, through the VIP: an admin token (validated by
    every node's Keystone on its own address), the image list, the volume
    types, the share types, the Galera member that writes, and this node's
    HAProxy view. Requests through the VIP are repeated for up to
    ``timeout`` seconds while HAProxy has no server up yet; the whole stays
    well below a minute when a node is down. Returns (ok, lines, facts);
    the token is never printed whole."""
    until = time.monotonic() + timeout
    facts: dict = {"node": os.uname().nodename}
    lines = []
    try:
        token, project, took = _admin_token(until)
    except (OSError, RuntimeError, ValueError, KeyError) as exc:
        return False, ["keystone through the VIP %s: %s" % (VIP, exc)], facts
    lines.append("token %s... (%d chars) for admin/admin through the VIP http://%s:%d/v3 "
                 "in %.2f s" % (token[:10], len(token), VIP, KEYSTONE_PORT, took))
    facts["token"] = bool(token)
    auth = {"X-Auth-Token": token, "X-Subject-Token": token}

    def get(url, headers=None):
        try:
            return _retrying("GET", url, until, headers=dict(auth, **(headers or {})))
        except OSError as exc:
            return "unreachable (%s)" % exc, {}, None

    def validate(node):     # once: a node that is down must not hold the check up
        from ocfpy.sandbox.openstack import http_request

        url = "http://%s:%d/v3/auth/tokens" % (node_address(node), KEYSTONE_PORT)
        try:
            return http_request("GET", url, headers=auth, timeout=3)[0]
        except OSError as exc:
            return "unreachable (%s)" % exc

    validated = {node: validate(node) for node in NODES}
    facts["validated"] = validated
    lines.append("validated by every node's Keystone (GET /v3/auth/tokens on 10.213.0.N, same "
                 "fernet keys): " + ", ".join("%s %s" % kv for kv in validated.items()))
    ok = all(s == 200 for s in validated.values())
    for service, path, key, what, extra in (
            ("glance-api", "/v2/images", "images", "image list", None),
            ("cinder-api", "/v3/%s/types" % project, "volume_types", "volume types", None),
            ("manila-api", "/v2/types", "share_types", "share types", _MANILA_VERSION)):
        url = _api(service, path)
        status, _h, doc = get(url, extra)
        names = [item.get("name") for item in doc.get(key, [])] if isinstance(doc, dict) else []
        facts[service] = {"status": status, "names": names}
        ok = ok and status == 200
        lines.append("%s through the VIP (GET %s): %s, %s: %s" % (
            service, url, status, what, ", ".join(map(str, names)) or "none"))
    try:
        writers = galera_writers(timeout=5)
    except Exception as exc:      # pymysql's errors
        writers, ok = [], False
        lines.append("galera through the VIP %s:%d: %s" % (VIP, GALERA_PORT, exc))
    facts["writers"] = writers
    try:
        view = haproxy_view()
    except Exception as exc:      # the master socket's errors, an odd answer
        view, ok = {}, False
        lines.append("HAProxy on %s: %s" % (facts["node"], exc))
    facts["haproxy"] = view
    if writers:
        lines.append("galera through the VIP %s:%d: %d connections, written by %s" % (
            VIP, GALERA_PORT, len(writers), ", ".join(sorted(set(writers)))))
    if view:
        lines.append("HAProxy on %s: galera_cluster %s; %s" % (facts["node"], ", ".join(
            "%s %s%s" % (s, st, " (backup)" if b else "") for s, st, b in view.get(
                "galera_cluster", [])), ", ".join(
            "%s %d/%d UP" % (name, sum(st.startswith("UP") for _s, st, _b in servers),
                             len(servers))
            for name, servers in view.items() if name != "galera_cluster")))
    return ok and len(set(writers)) == 1, lines, facts


def token_check(layout: Optional[DemoLayout] = None, timeout: float = 20) -> tuple:
    """(ok, lines) of :func:`check` (what ``sandbox status`` prints)."""
    ok, lines, _facts = check(timeout)
    return ok, lines


def rejoin(layout: Optional[DemoLayout] = None) -> list:
    """Inside a node that lost the demo's set-up (powered off and on, e.g.
    fenced): its directory over :data:`NODE_RUN`, its MariaDB's /etc/mysql
    and /var/lib/mysql, mariadbd's run directories, ip_nonlocal_bind, then
    :data:`READY_ATTRIBUTE` and a clean-up of the node's failures, so that
    Pacemaker starts the demo's resources there again. What is already in
    place is left alone. Returns what it did."""
    import subprocess

    from ocfpy.sandbox import node_mariadb

    layout = layout or DemoLayout.default()
    node = os.uname().nodename
    if node not in NODES:
        raise RuntimeError("run it inside a node of the demo (%s), not in %s"
                           % (", ".join(NODES), node))
    if not layout.node_dir(node).is_dir():
        raise RuntimeError("%s does not exist: is the demo up (OCFPY_SANDBOX_DIR?)"
                           % layout.node_dir(node))

    def run(argv):
        res = subprocess.run(argv, capture_output=True, text=True)
        if res.returncode != 0:
            raise RuntimeError("%s: %s" % (" ".join(argv), (res.stderr or res.stdout).strip()))

    done = []
    mounts = [(layout.node_dir(node), NODE_RUN)] + [
        (src, dst) for dst, src in node_mariadb.node_dirs(layout.mariadb_dir / node).items()]
    for src, dst in mounts:
        os.makedirs(dst, exist_ok=True)
        a, b = os.stat(src), os.stat(dst)
        if (a.st_dev, a.st_ino) != (b.st_dev, b.st_ino):
            run(["mount", "--bind", str(src), dst])
            done.append("mounted %s on %s" % (src, dst))
    run(node_mariadb.RUN_DIRS_ARGV)
    with open("/proc/sys/net/ipv4/ip_nonlocal_bind", "w") as fh:
        fh.write("1\n")
    run(["crm_attribute", "--node", node, "--name", READY_ATTRIBUTE, "--update", "ready",
         "--lifetime", "reboot"])
    run(["crm_resource", "--cleanup", "--node", node])
    done.append("%s ready: Pacemaker starts the demo's resources there again" % node)
    return done


def usage(ocfpy_cmd: str, python: str) -> list:
    """How to use the running openstack demo (printed by ``ocfpy sandbox up``)."""
    ex = "%s sandbox exec" % ocfpy_cmd
    return [
        "Try:",
        "  %s sandbox status     # crm_mon, then the check through the VIP" % ocfpy_cmd,
        "  %s node2 -- %s -m ocfpy.sandbox.demo check" % (ex, python),
        "      # a token, images, volume types, share types through the VIP %s," % VIP,
        "      # Galera's writer through HAProxy, node2's HAProxy view",
        "  %s node1 -- mariadb -e \"SHOW STATUS LIKE 'wsrep_cluster_size'\"" % ex,
        "  %s node1 -- sh -c 'kill -9 $(cat /run/mysqld/mysqld.pid)'" % ex,
        "      # crash the writer: HAProxy sends the services to node2 (backup) while",
        "      # Pacemaker recovers node1's member; watch it (Ctrl-C to leave):",
        "  %s node2 -- crm_mon -r" % ex,
        "  %s node1 -- crm_resource --move -r vip -N node3 --lifetime PT5M" % ex,
        "      # move the VIP: node3's HAProxy takes the traffic",
        "  %s sandbox fence node2; %s node2 -- %s -m ocfpy.sandbox.demo rejoin"
        % (ocfpy_cmd, ex, python),
        "      # a fenced node comes back empty; rejoin prepares it, Pacemaker restarts it all",
        "  less %s/nodes/node1/keystone.log   # each node's files and logs"
        % DemoLayout.default().dir,
        "  %s sandbox down       # remove everything" % ocfpy_cmd,
    ]


def _main(argv) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m ocfpy.sandbox.demo",
                                     description="The openstack demo, from inside a node.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("check", "a token, images, volume types, share types and Galera's "
                                 "writer through the VIP"),
                       ("token", "the same as check"),
                       ("seed", "catalog, an image and a share type through the VIP"),
                       ("wait-db", "wait until the database answers through the VIP"),
                       ("rejoin", "prepare this node again after it was powered off "
                                  "(fenced)")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--timeout", type=float, default={"seed": 120, "wait-db": 60}.get(
            name, 20))
        if name in ("check", "token"):
            p.add_argument("--json", action="store_true", help="the facts as JSON")
    args = parser.parse_args(argv)
    try:
        if args.command == "seed":
            print("\n".join(seed(args.timeout)))
            return 0
        if args.command == "wait-db":
            print("writer %s" % wait_database(args.timeout))
            return 0
        if args.command == "rejoin":
            print("\n".join(rejoin()))
            return 0
    except (OSError, RuntimeError, ValueError, KeyError) as exc:
        sys.stderr.write("%s: %s\n" % (args.command, exc))
        return 1
    ok, lines, facts = check(args.timeout)
    if args.json:
        print(json.dumps(dict(facts, ok=ok, lines=lines), indent=1))
    else:
        print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
