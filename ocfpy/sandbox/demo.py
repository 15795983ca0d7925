"""The sandbox's demos: what ``ocfpy sandbox up --demo [openstack|basic]`` runs.

``openstack`` (the default) is an OpenStack control plane in miniature on
ocfpy's agents, as the HA guide builds it (the configuration is
``crm_snippets/demo.py``), on the sandbox's three nodes 10.213.0.1-3:

* ``vip``: ``ocf:ocfpy:vip`` 10.213.0.100/24 on the nodes' eth0;
* ``galera-clone``: ``ocf:ocfpy:galera``, promotable, 3 promoted, one real
  mariadbd per node (:mod:`ocfpy.sandbox.node_mariadb`: the node's own
  /etc/mysql and /var/lib/mysql bind-mounted inside its namespace);
* ``keystone-clone``: ``ocf:openstack:keystone`` on every node under uWSGI
  from the OpenStack venv, as the unprivileged :data:`SERVICE_USER`; each
  talks to its local mariadbd over the node's socket; one fernet/credential
  key repository for all three, so a token issued by one validates on all.
  It starts on a node once Galera is promoted there; the VIP runs where
  Keystone runs;
* ``p_glance-api``: ``ocf:openstack:glance-api``, one instance with the VIP,
  its database on Galera too, its image store a directory every node sees.

Before the services may start, :class:`OpenStackDemo` creates their
databases and users on Galera and runs ``keystone-manage db_sync``,
``fernet_setup``, ``credential_setup``, ``bootstrap`` and ``glance-manage
db_sync`` once, in node1.

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
    demo.run_demo(c, "openstack", progress=print)            # ~30-60 s
    print(c.run([sys.executable, "-m", "ocfpy.sandbox.demo", "token"], node=2).stdout)
    c.stop(); demo.remove_files()

A token through the VIP from inside a node (prints where it was validated),
then the image list through the VIP::

    .venv/bin/ocfpy sandbox exec node2 -- .venv/bin/python -m ocfpy.sandbox.demo token
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from ocfpy.sandbox.cluster import SUBNET
from ocfpy.sandbox.layout import KEYSTONE_PORT, NODE_RUN, SERVICES, VIP, DemoLayout

__all__ = ["DEMOS", "VIP", "KEYSTONE_PORT", "SERVICES", "DemoLayout", "OpenStackDemo",
           "missing_requirements",
           "demo_spec_path", "demo_resources_xml", "all_running", "apply_spec", "run_demo",
           "remove_files", "token_check", "usage"]

#: demo names, the default first
DEMOS = ("openstack", "basic")
NODES = ("node1", "node2", "node3")
ADMIN = "admin"
REGION = "RegionOne"
SETUP_HINT = ("run `bash .ci/setup` (it installs mariadb-server, galera-4, rsync and the "
              "OpenStack venv .venv-openstack), or use `--demo basic`")


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
        problems.append("Keystone and Glance: " + reason)
    if problems:
        return "the OpenStack demo cannot run here: %s. To get it: %s." % (
            "; ".join(problems), SETUP_HINT)
    return None


# ------------------------------------------------------- configurations
def demo_spec_path(name: str = "openstack") -> Optional[Path]:
    """``crm_snippets/demo.py`` (``demo_basic.py`` for ``basic``), shipped as
    the package ``ocfpy_snippets``; None if it is missing."""
    import ocfpy_snippets

    stem = "demo" if name == "openstack" else "demo_" + name
    path = Path(ocfpy_snippets.__file__).resolve().parent / (stem + ".py")
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
             timeout: float = 300) -> list:
    """Prepare and load demo ``name`` into the started ``cluster``, wait until
    it runs; returns summary lines (what runs where, the token check).

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


# ------------------------------------------------------------- openstack
_UWSGI_INI = """\
# written by ocfpy.sandbox.demo: {service} of the sandbox demo (same file on every node)
[uwsgi]
http-socket = 0.0.0.0:{port}
module = {module}
virtualenv = {venv}
processes = 1
threads = 2
# TERM stops (uWSGI's default is a reload); the agent sends INT anyway
die-on-term = true
need-app = true
add-header = Connection: close
disable-logging = true
buffer-size = 65535
env = PYTHONWARNINGS=ignore
{env}
"""

# both: logs to stdout/stderr, which the agent writes to its log_file (in
# the node's /run); the database is the node's own mariadbd, over its socket
_DB_URL = "mysql+pymysql://{name}:{password}@localhost/{name}?unix_socket={socket}&charset=utf8mb4"

_KEYSTONE_CONF = """\
# written by ocfpy.sandbox.demo: the same file on every node
[DEFAULT]
use_stderr = true

[database]
connection = {db_url}

[token]
provider = fernet
expiration = 3600

[identity]
password_hash_rounds = 4

[cache]
enabled = true
backend = dogpile.cache.memory

[fernet_tokens]
key_repository = {dir}/fernet-keys

[fernet_receipts]
key_repository = {dir}/fernet-keys

[credential]
key_repository = {dir}/credential-keys
"""

# the image store is below the demo directory, which every node sees: like
# the shared storage a glance-api that moves with the VIP needs. The demo's
# admin validates tokens (no separate glance service user).
_GLANCE_CONF = """\
# written by ocfpy.sandbox.demo
[DEFAULT]
use_stderr = true
enabled_backends = fs:file
image_cache_dir = {dir}/cache

[database]
connection = {db_url}

[glance_store]
default_backend = fs

[fs]
filesystem_store_datadir = {dir}/images

[os_glance_staging_store]
filesystem_store_datadir = {dir}/staging

[os_glance_tasks_store]
filesystem_store_datadir = {dir}/tasks

[keystone_authtoken]
www_authenticate_uri = {auth_url}
auth_url = {auth_url}
auth_type = password
username = {admin}
password = {admin_password}
project_name = {admin}
user_domain_name = Default
project_domain_name = Default
token_cache_time = 300

[paste_deploy]
flavor = keystone
config_file = {dir}/glance-api-paste.ini

[oslo_concurrency]
lock_path = {dir}/locks
"""


def _write_private(path: Path, text: str, mode: int, gid: int = 0) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chown(path, 0, gid)
    os.chmod(path, mode)


class OpenStackDemo:
    """Prepares and starts the ``openstack`` demo in a started 3-node ``cluster``.

    Example::

        lines = OpenStackDemo(cluster, progress=print).run(timeout=300)
    """

    #: held Stopped until their databases exist
    HELD = ("keystone-clone", "p_glance-api")

    def __init__(self, cluster, progress: Optional[Callable[[str], object]] = None):
        self.c = cluster
        self.say = progress or (lambda _m: None)
        self.layout = DemoLayout.default()
        self.nodes: list = []
        self._db_passwords = {s: secrets.token_hex(16) for s in SERVICES}
        self._admin_password = secrets.token_urlsafe(18)

    # -- steps -------------------------------------------------------------
    def write_files(self) -> None:
        """The services' configuration and uWSGI ini files, Glance's store,
        the admin openrc; the service user, created when absent."""
        from ocfpy.sandbox.mariadb import grant_traverse
        from ocfpy.sandbox.openstack import ensure_service_user

        lay = self.layout
        user = ensure_service_user(lay.user)
        lay.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(lay.dir, 0o755)
        grant_traverse(lay.dir)
        grant_traverse(lay.venv)
        for service in SERVICES:
            d = lay.service_dir(service)
            d.mkdir(exist_ok=True)
            os.chown(d, 0, user.pw_gid)
            os.chmod(d, 0o750)
        env = {"keystone": ["OS_KEYSTONE_CONFIG_FILES=%s" % lay.config_file("keystone"),
                            "OS_HEALTHCHECK__BACKENDS=disable_by_file",
                            "OS_HEALTHCHECK__DISABLE_BY_FILE_PATH=%s/keystone-drained" % NODE_RUN],
               "glance-api": ["OS_GLANCE_CONFIG_DIR=%s" % lay.service_dir("glance-api")]}
        for service, (name, port, _conf, module) in SERVICES.items():
            _write_private(lay.uwsgi_ini(service), _UWSGI_INI.format(
                service=service, port=port, module=module, venv=lay.venv,
                env="\n".join("env = " + e for e in env[service])), 0o644)
        _write_private(lay.config_file("keystone"), _KEYSTONE_CONF.format(
            db_url=self._db_url("keystone"), dir=lay.service_dir("keystone")), 0o640, user.pw_gid)
        glance = lay.service_dir("glance-api")
        _write_private(lay.config_file("glance-api"), _GLANCE_CONF.format(
            db_url=self._db_url("glance-api"), dir=glance, auth_url=lay.auth_url, admin=ADMIN,
            admin_password=self._admin_password), 0o640, user.pw_gid)
        import re

        paste = (lay.venv / "etc" / "glance" / "glance-api-paste.ini").read_text()
        _write_private(glance / "glance-api-paste.ini", re.sub(
            r"(?m)^disable_by_file_path\s*=.*$",
            "disable_by_file_path = %s/glance-drained" % NODE_RUN, paste), 0o644)
        for sub in ("images", "staging", "tasks", "locks", "cache"):
            (glance / sub).mkdir(exist_ok=True)
            os.chown(glance / sub, user.pw_uid, user.pw_gid)
        _write_private(lay.openrc, (
            "# written by ocfpy.sandbox.demo: the demo's admin\n"
            "export OS_AUTH_URL=%s\nexport OS_USERNAME=%s\nexport OS_PASSWORD='%s'\n"
            "export OS_PROJECT_NAME=%s\nexport OS_USER_DOMAIN_NAME=Default\n"
            "export OS_PROJECT_DOMAIN_NAME=Default\n"
            % (lay.auth_url, ADMIN, self._admin_password, ADMIN)), 0o600)

    def _db_url(self, service: str) -> str:
        from ocfpy.sandbox.node_mariadb import NODE_PATHS

        return _DB_URL.format(name=SERVICES[service][0], password=self._db_passwords[service],
                              socket=NODE_PATHS["socket"])

    def install_mariadb(self) -> None:
        from ocfpy.sandbox import node_mariadb

        t0 = time.monotonic()
        self.nodes = node_mariadb.install(self.c, self.layout.mariadb_dir)
        self.say("MariaDB installed in every node (own /etc/mysql, /var/lib/mysql) in %.1f s"
                 % (time.monotonic() - t0))

    def config(self, held: bool = False):
        """``crm_snippets/demo.py``'s Config; with ``held`` the services
        (:attr:`HELD`) have target-role=Stopped (before their databases exist)."""
        cfg = _load("openstack")
        if cfg is None:
            raise RuntimeError("crm_snippets/demo.py not found: the openstack demo runs "
                               "from a source checkout")
        if held:
            ids = cfg.top_ids()
            for rid in self.HELD:
                ids[rid].meta["target-role"] = "Stopped"
        return cfg

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

    def bootstrap_databases(self) -> None:
        """The services' databases and users on Galera, then, at once in
        node1: keystone-manage db_sync/fernet_setup/credential_setup and
        bootstrap, and glance-manage db_sync."""
        from concurrent.futures import ThreadPoolExecutor

        from ocfpy.sandbox.openstack import KEYSTONE_MANAGE_FORKS

        t0 = time.monotonic()
        # through stdin: the passwords never reach a command line
        self.nodes[0].query("".join(
            "CREATE DATABASE IF NOT EXISTS {n};\n"
            "CREATE USER IF NOT EXISTS '{n}'@'localhost' IDENTIFIED BY '{p}';\n"
            "GRANT ALL PRIVILEGES ON {n}.* TO '{n}'@'localhost';\n".format(
                n=SERVICES[s][0], p=self._db_passwords[s]) for s in SERVICES))
        lay = self.layout
        km = ["keystone-manage", "--config-file", str(lay.config_file("keystone"))]
        own = ["--keystone-user", lay.user, "--keystone-group", lay.user]
        url = lay.auth_url + "/"
        stages = [[km + ["db_sync"], km + ["fernet_setup"] + own, km + ["credential_setup"] + own],
                  [km + ["bootstrap", "--bootstrap-username", ADMIN,
                         "--bootstrap-project-name", ADMIN, "--bootstrap-role-name", "admin",
                         "--bootstrap-region-id", REGION, "--bootstrap-public-url", url,
                         "--bootstrap-internal-url", url, "--bootstrap-admin-url", url]]]
        commands = {
            "keystone-manage": [str(lay.venv / "bin" / "python"), "-c", KEYSTONE_MANAGE_FORKS,
                                json.dumps(stages)],
            "glance-manage": [str(lay.venv / "bin" / "glance-manage"), "--config-file",
                              str(lay.config_file("glance-api")), "db_sync"]}
        env = {"OS_BOOTSTRAP_PASSWORD": self._admin_password, "PYTHONWARNINGS": "ignore"}
        with ThreadPoolExecutor(len(commands)) as pool:
            runs = {name: pool.submit(self.c.run, argv, node=1, check=False, timeout=600, env=env)
                    for name, argv in commands.items()}
        for name, future in runs.items():
            res = future.result()
            if res.returncode != 0:
                raise RuntimeError("%s failed in node1 (rc %d): %s" % (
                    name, res.returncode, (res.stdout + res.stderr).strip()[-3000:]))
        self.say("Keystone and Glance databases on Galera: db_sync and bootstrap done in %.1f s"
                 % (time.monotonic() - t0))

    def run(self, timeout: float = 300) -> list:
        """Every step; returns the summary lines."""
        t0 = time.monotonic()
        deadline = t0 + timeout
        self.write_files()
        self.install_mariadb()
        apply_spec(self.c, self.config(held=True))
        self.say("demo configuration %s applied (%s held Stopped)"
                 % (demo_spec_path("openstack"), ", ".join(self.HELD)))
        self.wait_galera(max(30.0, deadline - time.monotonic()))
        self.bootstrap_databases()
        apply_spec(self.c, self.config())
        self.say("%s released; waiting for them and the VIP" % ", ".join(self.HELD))
        self.c.wait_for(all_running, max(30.0, deadline - time.monotonic()), interval=0.5)
        self.say("demo running in %.1f s" % (time.monotonic() - t0))
        res = self.c.run([sys.executable, "-m", "ocfpy.sandbox.demo", "token"], node=1,
                         check=False, timeout=60)
        lines = (res.stdout + res.stderr).strip().splitlines()
        if res.returncode != 0:
            raise RuntimeError("the demo runs, but the check through the VIP failed:\n"
                               + "\n".join(lines))
        return lines


# ------------------------------------------------------------------ token
def token_check(layout: Optional[DemoLayout] = None, timeout: float = 10) -> tuple:
    """From inside a node: an admin token through the VIP, validated by every
    node's Keystone (GET /v3/auth/tokens on 10.213.0.N), then used on
    glance-api through the VIP. Returns (ok, lines to print); the token
    itself is never printed whole."""
    from ocfpy_agents.openstack.auth import CredentialsFileError, parse_openrc, read_secret_file
    from ocfpy.sandbox.openstack import http_request

    layout = layout or DemoLayout.default()
    try:
        creds = parse_openrc(read_secret_file(str(layout.openrc)), str(layout.openrc))
    except CredentialsFileError as exc:
        return False, ["no demo credentials: %s" % exc]
    t0 = time.monotonic()
    try:
        status, headers, doc = http_request("POST", layout.auth_url + "/auth/tokens",
                                            creds.body(), timeout=timeout)
    except OSError as exc:
        return False, ["keystone through the VIP %s: %s" % (layout.auth_url, exc)]
    if status != 201:
        return False, ["keystone through the VIP %s: HTTP %d" % (layout.auth_url, status)]
    took = time.monotonic() - t0
    token = headers.get("x-subject-token", "")
    expires = doc.get("token", {}).get("expires_at", "?") if isinstance(doc, dict) else "?"
    lines = ["token %s... (%d chars) for %s/%s through the VIP %s in %.2f s, expires %s" % (
        token[:10], len(token), creds.username, creds.project_name, layout.auth_url, took,
        expires)]
    auth = {"X-Auth-Token": token, "X-Subject-Token": token}

    def status_of(url):
        try:
            return http_request("GET", url, headers=auth, timeout=timeout)
        except OSError as exc:
            return "unreachable (%s)" % exc, {}, None

    seen = []
    for i, node in enumerate(NODES, 1):
        seen.append((node, status_of("http://%s.%d:%d/v3/auth/tokens"
                                     % (SUBNET, i, KEYSTONE_PORT))[0]))
    lines.append("validated by every node's Keystone (GET /v3/auth/tokens, same fernet keys): "
                 + ", ".join("%s %s" % pair for pair in seen))
    images_url = "http://%s:%d/v2/images" % (VIP, SERVICES["glance-api"][1])
    status, _h, doc = status_of(images_url)
    count = len(doc.get("images", [])) if isinstance(doc, dict) else "?"
    lines.append("glance-api through the VIP (GET %s): %s, %s image(s)" % (images_url, status,
                                                                          count))
    return all(s == 200 for _n, s in seen) and status == 200, lines


def usage(ocfpy_cmd: str, python: str) -> list:
    """How to use the running openstack demo (printed by ``ocfpy sandbox up``)."""
    ex = "%s sandbox exec" % ocfpy_cmd
    return [
        "Try:",
        "  %s sandbox status     # crm_mon, then a token through the VIP" % ocfpy_cmd,
        "  %s node2 -- %s -m ocfpy.sandbox.demo token" % (ex, python),
        "      # a token through the VIP %s, validated by each node's Keystone;" % VIP,
        "      # then the image list from glance-api through the VIP",
        "  %s node1 -- mariadb -e \"SHOW STATUS LIKE 'wsrep_cluster_size'\"" % ex,
        "  %s node2 -- sh -c 'kill -9 $(cat /run/mysqld/mysqld.pid)'" % ex,
        "      # crash node2's mariadbd, then watch Pacemaker recover it (Ctrl-C to leave):",
        "  %s node1 -- crm_mon -r" % ex,
        "  %s node1 -- crm_resource --move -r vip -N node3 --lifetime PT5M" % ex,
        "      # move the VIP (glance-api follows it)",
        "  %s sandbox down       # remove everything" % ocfpy_cmd,
    ]


def _main(argv) -> int:
    if argv[:1] != ["token"]:
        sys.stderr.write("usage: python -m ocfpy.sandbox.demo token   (inside a sandbox node)\n")
        return 2
    ok, lines = token_check()
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
