"""Real OpenStack API services (Keystone, glance-api, cinder-api, manila-api)
configured on loopback for tests, from PyPI releases in one venv.

:class:`OpenStackLab` prepares everything a service needs and leaves the
starting to the agent under test: configuration files, databases (sqlite for
Keystone, Glance and Cinder; a MariaDB database for Manila, whose migrations
do not run on sqlite), Keystone's fernet and credential keys, the service
users, projects, roles, services and endpoints in Keystone, one uWSGI ini per
service (``http-socket`` on a free port, 1 process, 2 threads, ``Connection:
close``) and the path of a ``disable_by_file`` health-check switch per
service. :meth:`OpenStackLab.agent_params` gives the instance parameters of
``ocf:openstack:<agent>`` (``start_command``, ``config``, ``user``, ``url``,
``log_file``, credentials in the parameters or in an openrc file);
:meth:`OpenStackLab.start` starts a service directly, e.g. Keystone when a
test needs it independent of the agent under test. A second Keystone
(:data:`SPARE_KEYSTONE`: own port, same database, not in the catalog) is
what the keystone agent's tests drive, so the catalog's Keystone can keep
serving the other services meanwhile.

Services run as a dedicated unprivileged system user (:data:`SERVICE_USER`,
created with ``useradd --system`` when absent and we are root), so the
agents' ``user`` parameter is exercised; every file a service writes is
owned by that user, configuration files (they hold passwords) are 0640.

The venv is ``$OCFPY_OPENSTACK_VENV``, else ``.venv-openstack`` in the
source tree ocfpy runs from (.ci/setup creates it), else in the current
directory::

    python3 -m venv .venv-openstack
    .venv-openstack/bin/pip install keystone glance cinder manila uwsgi pymysql

Every address is 127.0.0.1 and ports are chosen free when the lab is
prepared; the same files also work inside a Pacemaker node of
:mod:`ocfpy.sandbox.cluster` (a fresh network namespace, where every port is
free, with its own loopback: Keystone's catalog says 127.0.0.1 there too).

Example::

    lab = OpenStackLab("/tmp/lab").prepare(services=("keystone", "glance-api"))
    ks = lab.start("keystone")              # only when the test needs it up
    token = lab.token()[0]                  # admin token, from X-Subject-Token
    print(lab.service("glance-api").url)    # http://127.0.0.1:<port>/
    params = lab.agent_params("glance-api") # for Driver("glance-api", params=params)
    lab.close()                             # stops what the lab started
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shlex
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

from ocfpy.process import live_processes

__all__ = ["OpenStackLab", "LabError", "Service", "SERVICES", "SPARE_KEYSTONE", "SERVICE_USER",
           "VENV_NAME",
           "venv_path", "missing_requirements", "ensure_service_user", "free_ports",
           "http_request", "pids_running", "KEYSTONE_MANAGE_FORKS",
           # configuration pieces shared with the sandbox demo
           "ini_text", "authtoken_section", "keystone_sections", "keystone_env",
           "glance_sections", "cinder_sections", "manila_sections", "GLANCE_DIRS",
           "CINDER_DIRS", "MANILA_DIRS", "uwsgi_ini_text", "paste_text", "manage_commands",
           "register_catalog"]

#: the venv's directory name, looked for beside the source tree and in the current directory
VENV_NAME = ".venv-openstack"
VENV_ENV = "OCFPY_OPENSTACK_VENV"
#: system user the services run as (created when absent)
SERVICE_USER = "ocfpy-os"
#: every service the lab knows, in start order (Keystone first)
SERVICES = ("keystone", "glance-api", "cinder-api", "manila-api")
#: a second Keystone on its own port (same database and keys, not in the
#: catalog): the keystone agent's tests start, kill and stop it while the
#: catalog's Keystone keeps serving the other services
SPARE_KEYSTONE = "keystone-spare"
HOST = "127.0.0.1"
REGION = "RegionOne"
ADMIN_USER = "admin"
ADMIN_PROJECT = "admin"
SERVICE_PROJECT = "service"
DOMAIN = "Default"
# quiet the services' import-time deprecation warnings (eventlet, pkg_resources)
_QUIET = {"PYTHONWARNINGS": "ignore"}
_MANAGE_TIMEOUT = 180


# keystone-manage costs ~1.8 s of CPU in imports per call, four calls: import
# its CLI once and fork per command (stages in order, a stage's commands at once)
KEYSTONE_MANAGE_FORKS = r"""
import json, os, sys, traceback
from keystone.cmd import cli
for stage in json.loads(sys.argv[1]):
    children = []
    for argv in stage:
        sys.stdout.flush(); sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                print("$", " ".join(argv), flush=True)
                cli.main(argv=argv)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (exc.code is not None)
            except BaseException:
                traceback.print_exc()
                code = 1
            sys.stdout.flush(); sys.stderr.flush()
            os._exit(code)
        children.append((pid, argv))
    for pid, argv in children:
        code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        if code:
            sys.exit(f"{' '.join(argv[3:4])} exited {code}")
"""


class LabError(RuntimeError):
    """Preparing or driving the lab failed; the message has the command's output."""


@dataclass
class Service:
    """One prepared API service.

    ``name`` is the lab's name of the instance (the agent's name, or
    :data:`SPARE_KEYSTONE`); ``agent`` the agent's name; ``module`` the WSGI
    entry point; ``config`` its main configuration file; ``url`` its root URL;
    ``api_url`` the authenticated call's base (cinder's v3, manila's v2);
    ``disable_file`` the ``disable_by_file`` path (absent: healthy);
    ``username``/``password``/``project`` the Keystone service user it
    authenticates as (Keystone itself: the admin).
    """

    name: str
    agent: str
    short: str
    module: str
    port: int
    dir: Path
    config: Path
    ini: Path
    disable_file: Path
    log_file: Path
    uwsgi_log: Path
    username: str
    password: str
    project: str
    catalog_type: str = ""
    api_path: str = "/"
    paste: Path | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.port}{self.api_path}"

    @property
    def healthcheck_url(self) -> str:
        return self.url + "healthcheck"


# name -> (short, WSGI module, catalog type, API path registered in the catalog)
_KINDS = {
    "keystone": ("keystone", "keystone.wsgi.api:application", "identity", "/v3/"),
    SPARE_KEYSTONE: ("keystone", "keystone.wsgi.api:application", "", "/v3/"),
    "glance-api": ("glance", "glance.wsgi.api:application", "image", "/"),
    "cinder-api": ("cinder", "cinder.wsgi.api:application", "volumev3", "/v3/"),
    "manila-api": ("manila", "manila.wsgi.api:application", "sharev2", "/v2/"),
}
# the paste files shipped in the venv's etc/, copied with our disable_by_file path
_PASTE = {"glance-api": "glance/glance-api-paste.ini", "cinder-api": "cinder/api-paste.ini",
          "manila-api": "manila/api-paste.ini"}


# ------------------------------------------------------------------ helpers
def venv_path() -> Path:
    """The OpenStack venv: ``$OCFPY_OPENSTACK_VENV``, else ``.venv-openstack``
    in the source tree ocfpy runs from (what .ci/setup creates), else in the
    current directory; the source tree's when neither exists (so that
    :func:`missing_requirements` names where it is expected).

    """
    if os.environ.get(VENV_ENV):
        return Path(os.environ[VENV_ENV])
    beside = Path(__file__).resolve().parents[2] / VENV_NAME
    here = Path.cwd() / VENV_NAME
    return here if not beside.is_dir() and here.is_dir() else beside


def missing_requirements(services: Sequence[str] = SERVICES) -> str | None:
    """Why the lab cannot run here (venv or one of its programs absent), or
    None; the reason names the venv and how to create it."""
    venv = venv_path()
    if not (venv / "bin" / "python").exists():
        return (f"OpenStack venv absent at {venv} (create it: python3 -m venv {venv} && {venv}/bin/pip "
                f"install keystone glance cinder manila uwsgi pymysql; or set {VENV_ENV})")
    need = ["uwsgi"] + sorted({_KINDS[s][0] + "-manage" for s in services})
    absent = [p for p in need if not (venv / "bin" / p).exists()]
    if absent:
        return (f"OpenStack venv {venv} lacks {', '.join(absent)} "
                "(pip install keystone glance cinder manila uwsgi)")
    return None


def ensure_service_user(name: str = SERVICE_USER) -> pwd.struct_passwd:
    """The system user ``name``, created (``useradd --system``, no home, no
    login shell) when absent. Needs root to create.

    Example::

        uid = ensure_service_user().pw_uid
    """
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                    "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name],
                   check=True, capture_output=True, text=True)
    return pwd.getpwnam(name)


def free_ports(count: int, host: str = HOST) -> list[int]:
    """``count`` distinct TCP ports free on ``host`` right now (bound to 0 together).

    >>> len(set(free_ports(3)))
    3
    """
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def http_request(method: str, url: str, body: object = None, headers: Mapping[str, str] | None = None,
                 timeout: float = 10) -> tuple[int, dict, object]:
    """(status, headers with lower-case names, parsed JSON body or text) of one
    request; HTTP errors are returned, not raised; connection errors raise OSError.
    ``body``: an object sent as JSON, or bytes sent as they are
    (application/octet-stream unless ``headers`` say otherwise).

    Example::

        status, hdrs, doc = http_request("GET", "http://127.0.0.1:5000/v3")
    """
    data = None
    hdrs = {"Accept": "application/json"}
    if isinstance(body, bytes):    # raw, e.g. an image's data
        data = body
        hdrs["Content-Type"] = "application/octet-stream"
    elif body is not None:
        data = json.dumps(body).encode()
        hdrs["Content-Type"] = "application/json"
    hdrs.update(headers or {})
    req = urllib.request.Request(url, data=data, headers=hdrs, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, rh, raw = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        status, rh, raw = exc.code, exc.headers, exc.read()
    text = raw.decode("utf-8", "replace")
    try:
        doc: object = json.loads(text) if text else None
    except ValueError:
        doc = text
    return status, {k.lower(): v for k, v in rh.items()}, doc


def pids_running(needle: str) -> list[int]:
    """Pids of live (non-zombie) processes with ``needle`` as one argument of
    their command line; looks into every namespace (a Pacemaker node too).

    Example::

        pids_running(str(lab.service("keystone").ini))   # [12345] when it runs
    """
    return sorted(pid for pid, argv, _st in live_processes(needle) if needle in argv)


def ini_text(sections: Mapping[str, Mapping[str, object]],
             header: str = "# written by ocfpy.sandbox.openstack") -> str:
    """An oslo.config/uWSGI ini file from ``{section: {key: value}}``
    (booleans as true/false).

    >>> print(ini_text({"DEFAULT": {"debug": False}}, header="# x"), end="")
    # x
    <BLANKLINE>
    [DEFAULT]
    debug = false
    """
    out = [header]
    for section, values in sections.items():
        out.append(f"\n[{section}]")
        for key, value in values.items():
            if isinstance(value, bool):
                value = "true" if value else "false"
            out.append(f"{key} = {value}")
    return "\n".join(out) + "\n"


_ini = ini_text


# ------------------------------------------------- configuration pieces
# What a service needs in its files, independent of where it runs: the lab
# (127.0.0.1, free ports, sqlite) and the sandbox demo (node addresses behind
# HAProxy, databases on Galera through the VIP) both write their files with
# these. ``log_file`` None: the service logs to stderr (its agent's log_file).
def _log_defaults(log_file: object) -> dict:
    return ({"log_file": log_file, "use_stderr": False} if log_file is not None
            else {"use_stderr": True})


def authtoken_section(auth_url: str, username: str, password: str, project: str,
                      region: str = REGION) -> dict:
    """``[keystone_authtoken]`` of an API service validating tokens at ``auth_url``."""
    return {"www_authenticate_uri": auth_url, "auth_url": auth_url, "auth_type": "password",
            "project_domain_name": DOMAIN, "user_domain_name": DOMAIN,
            "project_name": project, "username": username, "password": password,
            "region_name": region,
            # a token checked once stays valid in memory: keeps monitors cheap
            "token_cache_time": 300, "http_connect_timeout": 5, "http_request_max_retries": 1}


def keystone_sections(db_url: str, key_dir: os.PathLike | str,
                      log_file: object = None) -> dict:
    """keystone.conf: fernet tokens, keys below ``key_dir``, an in-memory cache."""
    d = Path(key_dir)
    return {
        "DEFAULT": _log_defaults(log_file),
        "database": {"connection": db_url},
        "token": {"provider": "fernet", "expiration": 3600},
        "identity": {"password_hash_rounds": 4},
        # without the cache a token costs 0.4-0.6 s
        "cache": {"enabled": True, "backend": "dogpile.cache.memory"},
        "fernet_tokens": {"key_repository": d / "fernet-keys"},
        "fernet_receipts": {"key_repository": d / "fernet-keys"},
        "credential": {"key_repository": d / "credential-keys"},
    }


def keystone_env(config: os.PathLike | str, disable_file: os.PathLike | str) -> dict:
    """uWSGI environment of Keystone: it mounts its health check with its own
    oslo.config object, which reads only /etc/keystone, so its options come
    by environment."""
    return {"OS_KEYSTONE_CONFIG_FILES": str(config),
            "OS_HEALTHCHECK__BACKENDS": "disable_by_file",
            "OS_HEALTHCHECK__DISABLE_BY_FILE_PATH": str(disable_file)}


def glance_sections(db_url: str, data_dir: os.PathLike | str, authtoken: Mapping[str, object],
                    paste: os.PathLike | str, log_file: object = None) -> dict:
    """glance-api.conf: a file store (images, staging, tasks, cache, locks
    below ``data_dir``; create them with :data:`GLANCE_DIRS`)."""
    d = Path(data_dir)
    return {
        "DEFAULT": {**_log_defaults(log_file), "enabled_backends": "fs:file",
                    "image_cache_dir": d / "cache"},
        "database": {"connection": db_url},
        "glance_store": {"default_backend": "fs"},
        "fs": {"filesystem_store_datadir": d / "images"},
        "os_glance_staging_store": {"filesystem_store_datadir": d / "staging"},
        "os_glance_tasks_store": {"filesystem_store_datadir": d / "tasks"},
        "keystone_authtoken": dict(authtoken),
        "paste_deploy": {"flavor": "keystone", "config_file": paste},
        "oslo_concurrency": {"lock_path": d / "locks"},
    }


#: the directories below glance_sections' ``data_dir``
GLANCE_DIRS = ("images", "staging", "tasks", "locks", "cache")


def _rpc_api_defaults(log_file: object, paste: object, state_path: object, my_ip: str,
                      host: str, **extra: object) -> dict:
    """[DEFAULT] of cinder and manila: their API needs no message bus
    (``fake://``) and no volume or share service."""
    return {**_log_defaults(log_file), "transport_url": "fake://", "auth_strategy": "keystone",
            "api_paste_config": paste, "state_path": state_path, "my_ip": my_ip, "host": host,
            **extra}


def cinder_sections(db_url: str, data_dir: os.PathLike | str, authtoken: Mapping[str, object],
                    paste: os.PathLike | str, log_file: object = None, my_ip: str = HOST,
                    host: str = "ocfpy-lab") -> dict:
    """cinder.conf for cinder-api alone (locks and coordination below
    ``data_dir``; create them with :data:`CINDER_DIRS`)."""
    d = Path(data_dir)
    return {
        "DEFAULT": _rpc_api_defaults(log_file, paste, d, my_ip, host),
        "database": {"connection": db_url},
        "coordination": {"backend_url": f"file://{d / 'coordination'}"},
        "keystone_authtoken": dict(authtoken),
        "oslo_concurrency": {"lock_path": d / "locks"},
    }


CINDER_DIRS = ("locks", "coordination")


def manila_sections(db_url: str, data_dir: os.PathLike | str, authtoken: Mapping[str, object],
                    paste: os.PathLike | str, log_file: object = None, my_ip: str = HOST,
                    host: str = "ocfpy-lab") -> dict:
    """manila.conf for manila-api alone (locks below ``data_dir``; its
    ``default_share_type`` is ``default``)."""
    d = Path(data_dir)
    return {
        "DEFAULT": _rpc_api_defaults(log_file, paste, d, my_ip, host,
                                     enabled_share_protocols="NFS,CIFS",
                                     default_share_type="default"),
        "database": {"connection": db_url},
        "keystone_authtoken": dict(authtoken),
        "oslo_concurrency": {"lock_path": d / "locks"},
    }


MANILA_DIRS = ("locks",)


def uwsgi_ini_text(sockets: Sequence[str], module: str, venv: os.PathLike | str,
                   env: Mapping[str, str] = (), pyargv: str = "",
                   header: str = "# written by ocfpy.sandbox.openstack") -> str:
    """A uWSGI ini running WSGI ``module`` from ``venv`` on every
    ``http-socket`` of ``sockets`` ("ADDRESS:PORT"), 1 process, 2 threads.

    >>> "http-socket = 10.0.0.12:5000" in uwsgi_ini_text(
    ...     ["10.0.0.12:5000", "127.0.0.1:5000"], "keystone.wsgi.api:application", "/venv")
    True
    """
    lines = {
        "module": module,
        "virtualenv": str(venv),
        "processes": 1,
        "threads": 2,
        # TERM stops (uWSGI's default is a "brutal reload")
        "die-on-term": True,
        "need-app": True,
        # uWSGI resets reused keep-alive connections: tell clients up front
        "add-header": "Connection: close",
        "disable-logging": True,
        "buffer-size": 65535,
    }
    body = ini_text({"uwsgi": lines}, header=header)
    body += "".join(f"http-socket = {s}\n" for s in sockets)
    for key, value in dict(env, **_QUIET).items():
        body += f"env = {key}={value}\n"
    if pyargv:
        # cinder's and manila's WSGI modules parse sys.argv, which pyargv sets
        body += f"pyargv = {pyargv}\n"
    return body


def paste_text(venv: os.PathLike | str, service: str, disable_file: os.PathLike | str) -> str:
    """``service``'s paste ini as its release ships it (the venv's etc/), with
    the health check's ``disable_by_file_path`` set to ``disable_file``."""
    src = (Path(venv) / "etc" / _PASTE[service]).read_text()
    out = []
    for line in src.splitlines():
        if line.strip().startswith("disable_by_file_path"):
            line = f"disable_by_file_path = {disable_file}"
        out.append(line)
    return "\n".join(out) + "\n"


def manage_commands(venv: os.PathLike | str, configs: Mapping[str, os.PathLike | str],
                    keystone_owner: tuple[str, str], bootstrap_url: str) -> dict:
    """argv of each independent database set-up chain, by service: keystone
    (db_sync, fernet and credential keys owned by ``keystone_owner`` (user,
    group), then ``bootstrap`` of the admin with ``bootstrap_url`` as its
    three identity endpoints, in one Python that forks per command: see
    :data:`KEYSTONE_MANAGE_FORKS`), glance, cinder and manila ``db sync``.
    ``configs`` maps a service (``keystone``, ``glance-api``, ...) to its
    configuration file; the bootstrap password goes by environment
    (``OS_BOOTSTRAP_PASSWORD``), never by argv. The chains may run at once.
    """
    venv = Path(venv)
    out = {}
    if "keystone" in configs:
        km = ["keystone-manage", "--config-file", str(configs["keystone"])]
        own = ["--keystone-user", keystone_owner[0], "--keystone-group", keystone_owner[1]]
        stages = [
            [km + ["db_sync"], km + ["fernet_setup"] + own, km + ["credential_setup"] + own],
            [km + ["bootstrap", "--bootstrap-username", ADMIN_USER,
                   "--bootstrap-project-name", ADMIN_PROJECT, "--bootstrap-role-name", "admin",
                   "--bootstrap-region-id", REGION, "--bootstrap-public-url", bootstrap_url,
                   "--bootstrap-internal-url", bootstrap_url,
                   "--bootstrap-admin-url", bootstrap_url]],
        ]
        out["keystone"] = [str(venv / "bin" / "python"), "-c", KEYSTONE_MANAGE_FORKS,
                           json.dumps(stages)]
    for service, argv in (("glance-api", ["glance-manage", "--config-file", "{}", "db_sync"]),
                          ("cinder-api", ["cinder-manage", "--config-file", "{}", "db", "sync"]),
                          ("manila-api", ["manila-manage", "--config-file", "{}", "db", "sync"])):
        if service in configs:
            out[service] = [str(venv / "bin" / argv[0])] + [
                str(configs[service]) if a == "{}" else a for a in argv[1:]]
    return out


def register_catalog(call: Callable[..., object], entries: Sequence[tuple],
                     service_users: Mapping[str, str] | None = None) -> None:
    """Services and their public, internal and admin endpoints in Keystone's
    catalog through its REST API: ``entries`` are (name, type, url);
    ``call(method, path, body)`` sends one request with an admin token and
    returns the parsed answer. ``service_users`` ({name: password}, may be
    empty) also creates project ``service`` and, per service named in it, a
    user of that name with roles admin and service in it.

    Example::

        register_catalog(call, [("glance", "image", "http://10.0.0.11:9292")])
    """
    domain_id = "default"
    users = dict(service_users or {})
    if service_users is not None:
        project = call("POST", "/projects", {"project": {
            "name": SERVICE_PROJECT, "domain_id": domain_id}})["project"]["id"]
        roles = {r["name"]: r["id"] for r in call("GET", "/roles")["roles"]}
        if "service" not in roles:
            roles["service"] = call("POST", "/roles", {"role": {"name": "service"}})["role"]["id"]
    for name, ctype, url in entries:
        if name in users:
            user = call("POST", "/users", {"user": {
                "name": name, "password": users[name],
                "domain_id": domain_id, "enabled": True}})["user"]["id"]
            for role in ("admin", "service"):
                call("PUT", f"/projects/{project}/users/{user}/roles/{roles[role]}")
        sid = call("POST", "/services", {"service": {
            "name": name, "type": ctype, "enabled": True}})["service"]["id"]
        for iface in ("public", "internal", "admin"):
            call("POST", "/endpoints", {"endpoint": {
                "service_id": sid, "interface": iface, "region_id": REGION,
                "url": url, "enabled": True}})


# --------------------------------------------------------------------- lab
@dataclass
class OpenStackLab:
    """Configuration, databases and Keystone content for the four API services.

    ``base_dir`` holds everything (made 0755 so the service user reaches
    it); ``user`` runs the services (None: the current user; default
    :data:`SERVICE_USER`, created when absent); ``venv`` defaults to
    :func:`venv_path`. Call :meth:`prepare` once, then read :meth:`service`.
    """

    base_dir: str | os.PathLike
    user: str | None = SERVICE_USER
    venv: str | os.PathLike | None = None
    #: database URL for manila (``mysql+pymysql://...``); required for manila-api
    manila_db_url: str | None = None
    admin_password: str = field(default_factory=lambda: "adm-" + secrets.token_hex(8))

    def __post_init__(self) -> None:
        self.base_dir = Path(self.base_dir)
        self.venv = Path(self.venv) if self.venv is not None else venv_path()
        self.services: dict[str, Service] = {}
        self._procs: list[subprocess.Popen] = []
        self._started: dict[str, subprocess.Popen] = {}
        self.prepare_seconds: float | None = None
        #: why manila-api was not prepared (set by the fixture), None when it was
        self.manila_skip_reason: str | None = None
        #: instances a test module keeps running across tests (an agent
        #: started them): the per-test clean-up leaves them alone
        self.protected: set[str] = set()
        self.timings: dict[str, float] = {}

    # ------------------------------------------------------------ queries
    def service(self, name: str) -> Service:
        """The prepared :class:`Service` ``name`` (``keystone``, ``glance-api``, ...)."""
        try:
            return self.services[name]
        except KeyError:
            raise KeyError(f"service {name!r} not prepared "
                           f"(have {', '.join(self.services) or 'none'})") from None

    @property
    def keystone(self) -> Service:
        return self.service("keystone")

    @property
    def auth_url(self) -> str:
        """Keystone's v3 URL (what agents' ``os_auth_url`` takes)."""
        return self.keystone.url + "v3"

    @property
    def uwsgi(self) -> Path:
        return self.venv / "bin" / "uwsgi"

    def start_command(self, name: str) -> list[str]:
        """argv that runs service ``name`` in the foreground under uWSGI."""
        return [str(self.uwsgi), "--ini", str(self.service(name).ini)]

    def agent_params(self, name: str, credentials: str | None = "params") -> dict:
        """Instance parameters of ``ocf:openstack:<agent>`` running instance
        ``name`` of this lab (``service(name).agent`` is the agent).

        ``credentials``: ``"params"`` puts the service user's password
        credentials in the parameters (as the HA guide does), ``"file"``
        points ``os_credentials_file`` at an openrc file
        (:meth:`credentials_file`), None gives none (no deep check).

        >>> lab.agent_params("glance-api")["url"]          # doctest: +SKIP
        'http://127.0.0.1:40123/'
        """
        svc = self.service(name)
        params = {"start_command": shlex.join(self.start_command(name)),
                  "config": str(svc.config), "user": self.user or "",
                  "url": svc.url, "log_file": str(svc.uwsgi_log)}
        if credentials == "params":
            params.update(os_auth_url=self.auth_url, os_username=svc.username,
                          os_password=svc.password, os_project_name=svc.project,
                          os_user_domain_name=DOMAIN, os_project_domain_name=DOMAIN)
        elif credentials == "file":
            params["os_credentials_file"] = str(self.credentials_file(name))
        elif credentials is not None:
            raise ValueError("credentials must be 'params', 'file' or None")
        return params

    def credentials_file(self, name: str) -> Path:
        """An openrc-style file (0600, root) with service ``name``'s credentials."""
        svc = self.service(name)
        path = svc.dir / ("openrc-" + name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write("# written by ocfpy.sandbox.openstack\n"
                     f"export OS_AUTH_URL={self.auth_url}\nexport OS_USERNAME={svc.username}\n"
                     f"export OS_PASSWORD='{svc.password}'\nexport OS_PROJECT_NAME={svc.project}\n"
                     f"export OS_USER_DOMAIN_NAME={DOMAIN}\nexport OS_PROJECT_DOMAIN_NAME={DOMAIN}\n")
        return path

    def pids(self, name: str) -> list[int]:
        """Live processes of service ``name`` (found by its ini path), any namespace."""
        return pids_running(str(self.service(name).ini))

    @property
    def uid_gid(self) -> tuple[int, int]:
        if self.user is None:
            return os.getuid(), os.getgid()
        pw = pwd.getpwnam(self.user)
        return pw.pw_uid, pw.pw_gid

    # ------------------------------------------------------------ prepare
    def prepare(self, services: Sequence[str] = SERVICES,
                progress: Callable[[str], object] | None = None,
                keep_keystone: bool = False) -> "OpenStackLab":
        """Write every file, sync every database, fill Keystone; returns self.

        Keystone is always prepared (the others need it). Keystone runs at
        the end (to create users and endpoints through its REST API) and is
        stopped again unless ``keep_keystone``. Raises :class:`LabError` with
        the failing command's output.
        """
        say = progress or (lambda _m: None)
        t0 = time.monotonic()
        wanted = ["keystone", SPARE_KEYSTONE] + [
            s for s in services if s not in ("keystone", SPARE_KEYSTONE)]
        for s in wanted:
            if s not in _KINDS:
                raise ValueError(f"unknown service {s!r} (known: {', '.join(SERVICES)})")
        if "manila-api" in wanted and not self.manila_db_url:
            raise LabError("manila-api needs manila_db_url (a MariaDB database: manila's "
                           "migrations do not run on sqlite)")
        reason = missing_requirements(wanted)
        if reason:
            raise LabError(reason)
        if self.user is not None:
            ensure_service_user(self.user)
        self.base_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.base_dir, 0o755)
        if self.user is not None:   # e.g. a CI clone below a 0700 directory
            from ocfpy.sandbox.mariadb import grant_traverse

            grant_traverse(self.base_dir)
            grant_traverse(Path(self.venv))
        (self.base_dir / "logs").mkdir(exist_ok=True)
        ports = free_ports(len(wanted))
        for name, port in zip(wanted, ports):
            self.services[name] = self._make_service(name, port)
        for name in wanted:
            svc = self.services[name]
            if name == SPARE_KEYSTONE:
                self._write_keystone_uwsgi(svc)
            else:
                getattr(self, "_write_" + svc.short)(svc)
        say(f"configuration written in {self.base_dir}")
        t1 = time.monotonic()
        self._manage_all(wanted)
        self.timings["manage"] = time.monotonic() - t1
        say(f"databases synced in {self.timings['manage']:.1f} s")
        # the manage commands ran as root: hand over what they wrote (logs too);
        # the service logs exist from the start (an agent check looks for new files)
        for name in wanted:
            self.services[name].uwsgi_log.touch()
            self._own(self.services[name].dir)
        self._own(self.base_dir / "logs")
        t1 = time.monotonic()
        self.start_keystone()
        try:
            self._fill_keystone(wanted)
        except BaseException:
            self.stop_keystone()
            raise
        if not keep_keystone:
            self.stop_keystone()
        self.timings["keystone_setup"] = time.monotonic() - t1
        self.prepare_seconds = time.monotonic() - t0
        self._save()
        say(f"lab prepared in {self.prepare_seconds:.1f} s")
        return self

    STATE_FILE = "lab.json"

    def _save(self) -> None:
        # root-only: it holds the passwords
        path = self.base_dir / self.STATE_FILE
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({"user": self.user, "venv": str(self.venv),
                       "manila_db_url": self.manila_db_url,
                       "admin_password": self.admin_password,
                       "services": {n: {"port": s.port, "password": s.password}
                                    for n, s in self.services.items()}}, fh, indent=1)

    @classmethod
    def load(cls, base_dir: str | os.PathLike) -> "OpenStackLab":
        """Re-attach to a lab prepared earlier in ``base_dir`` (reads its lab.json).

        Example::

            lab = OpenStackLab.load("/tmp/lab")
            lab.start("keystone")
        """
        state = json.loads((Path(base_dir) / cls.STATE_FILE).read_text())
        lab = cls(base_dir, user=state["user"], venv=state["venv"],
                  manila_db_url=state["manila_db_url"], admin_password=state["admin_password"])
        for name, info in state["services"].items():
            svc = lab._make_service(name, info["port"])
            svc.password = info["password"]
            lab.services[name] = svc
        return lab

    def _make_service(self, name: str, port: int) -> Service:
        short, module, ctype, path = _KINDS[name]
        d = self.base_dir / short
        d.mkdir(parents=True, exist_ok=True)
        conf = d / ("glance-api.conf" if short == "glance" else short + ".conf")
        spare = name == SPARE_KEYSTONE
        if short != "keystone":
            ini = d / (short + "-uwsgi.ini")
        else:   # keystone-uwsgi-public.ini is what its agent looks for beside the config
            ini = d / ("keystone-spare-uwsgi.ini" if spare else "keystone-uwsgi-public.ini")
        tag = "keystone-spare" if spare else short
        return Service(
            name=name, agent="keystone" if spare else name, short=short, module=module,
            port=port, dir=d, config=conf, ini=ini,
            disable_file=d / ("healthcheck-disable" + ("-spare" if spare else "")),
            log_file=self.base_dir / "logs" / (short + ".log"),
            uwsgi_log=self.base_dir / "logs" / (tag + "-uwsgi.log"),
            username=ADMIN_USER if short == "keystone" else short,
            password=self.admin_password if short == "keystone" else
            short + "-" + secrets.token_hex(8),
            project=ADMIN_PROJECT if short == "keystone" else SERVICE_PROJECT,
            catalog_type=ctype, api_path=path,
            paste=(d / Path(_PASTE[name]).name) if name in _PASTE else None)

    def _own(self, path: Path) -> None:
        """Give ``path`` (recursively) to the service user; no access for others
        to config files (passwords)."""
        uid, gid = self.uid_gid
        for root, dirs, files in os.walk(path):
            os.chown(root, uid, gid)
            os.chmod(root, 0o750)
            for f in files:
                p = os.path.join(root, f)
                os.chown(p, uid, gid)
                os.chmod(p, 0o640 if not f.endswith(".db") else 0o660)
        os.chmod(path, 0o755 if path == self.base_dir / "logs" else 0o750)

    # ---------------------------------------------------------- config files
    def _authtoken(self, svc: Service) -> dict:
        return authtoken_section(self.keystone.url, svc.username, svc.password, svc.project)

    def _write_uwsgi(self, svc: Service, env: Mapping[str, str] = (), pyargv: str = "") -> None:
        svc.ini.write_text(uwsgi_ini_text([f"{HOST}:{svc.port}"], svc.module, self.venv,
                                          env=env, pyargv=pyargv))

    def _write_paste(self, svc: Service) -> None:
        svc.paste.write_text(paste_text(self.venv, svc.name, svc.disable_file))

    def _write_keystone(self, svc: Service) -> None:
        svc.config.write_text(ini_text(keystone_sections(
            f"sqlite:///{svc.dir / 'keystone.db'}", svc.dir, log_file=svc.log_file)))
        self._write_keystone_uwsgi(svc)

    def _write_keystone_uwsgi(self, svc: Service) -> None:
        self._write_uwsgi(svc, env=keystone_env(svc.config, svc.disable_file))

    def _write_api(self, svc: Service, dirs: Sequence[str], sections: Callable[..., dict],
                   db_url: str, **uwsgi) -> None:
        """An API service behind Keystone (Glance, Cinder, Manila): its
        directories, api-paste.ini, its configuration (``sections`` of the
        database, the data directory, the Keystone client, the paste file) and
        its uWSGI ini (``uwsgi``: :meth:`_write_uwsgi`'s env or pyargv)."""
        for sub in dirs:
            (svc.dir / sub).mkdir(exist_ok=True)
        self._write_paste(svc)
        svc.config.write_text(ini_text(sections(
            db_url, svc.dir, self._authtoken(svc), svc.paste, log_file=svc.log_file)))
        self._write_uwsgi(svc, **uwsgi)

    def _write_glance(self, svc: Service) -> None:
        self._write_api(svc, GLANCE_DIRS[:4], glance_sections, f"sqlite:///{svc.dir / 'glance.db'}",
                        env={"OS_GLANCE_CONFIG_DIR": str(svc.dir)})

    def _write_cinder(self, svc: Service) -> None:
        self._write_api(svc, CINDER_DIRS, cinder_sections, f"sqlite:///{svc.dir / 'cinder.db'}",
                        pyargv=f"--config-file {svc.config}")

    def _write_manila(self, svc: Service) -> None:
        self._write_api(svc, MANILA_DIRS, manila_sections, self.manila_db_url,
                        pyargv=f"--config-file {svc.config}")

    # -------------------------------------------------------------- manage
    def _bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)

    def _manage_all(self, wanted: Sequence[str]) -> None:
        """Run the database syncs and key set-ups, independent chains in parallel
        (two cores: the whole takes about as long as the longest chain)."""
        ks = self.keystone
        uid, gid = self.uid_gid
        chains: dict[str, list[list[str]]] = {
            name.split("-")[0]: [argv] for name, argv in manage_commands(
                self.venv, {s: self.service(s).config for s in
                            ["keystone"] + [w for w in wanted if w in _PASTE]},
                (pwd.getpwuid(uid).pw_name, _group_name(gid)), ks.url + "v3/").items()}
        # the bootstrap password goes through the environment, never argv
        env = dict(os.environ, OS_BOOTSTRAP_PASSWORD=self.admin_password, **_QUIET)
        running: dict[str, tuple[subprocess.Popen, list, object]] = {}
        failures = []
        logs = self.base_dir / "logs"

        def launch(name: str) -> None:
            argv = chains[name].pop(0)
            log = open(logs / f"manage-{name}.log", "ab")
            shown = " ".join("<script>" if "\n" in a else a for a in argv)
            log.write(f"$ {shown}\n".encode())
            log.flush()
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                 stderr=subprocess.STDOUT, env=env, cwd=str(self.base_dir))
            self._procs.append(p)
            running[name] = (p, argv, log)

        for name in list(chains):
            launch(name)
        deadline = time.monotonic() + _MANAGE_TIMEOUT
        while running:
            for name, (p, argv, log) in list(running.items()):
                if p.poll() is None:
                    continue
                log.close()
                del running[name]
                self._procs.remove(p)
                if p.returncode != 0:
                    failures.append(f"{' '.join(argv[:1] + argv[3:])} exited {p.returncode}: "
                                    f"{_tail(logs / f'manage-{name}.log')}")
                elif chains[name]:
                    launch(name)
            if time.monotonic() > deadline:
                for p, _argv, log in running.values():
                    _stop_popen(p, 5)
                    log.close()
                raise LabError(f"database set-up did not finish in {_MANAGE_TIMEOUT}s")
            time.sleep(0.05)
        if failures:
            raise LabError("; ".join(failures))

    # ------------------------------------------------------------ keystone
    def start(self, name: str, timeout: float = 60) -> subprocess.Popen:
        """Start service ``name`` under uWSGI as the service user, not through
        an agent (e.g. Keystone for another agent's test), and wait until it
        answers; returns the Popen (kept; :meth:`stop` / :meth:`close` end it)."""
        p = self._started.get(name)
        if p is not None and p.poll() is None:
            return p
        if self.pids(name):
            raise LabError(f"{name} already runs (pids {self.pids(name)}): not started twice")
        kw: dict = {}
        if self.user is not None and os.getuid() == 0:
            uid, gid = self.uid_gid
            kw.update(user=uid, group=gid, extra_groups=[])
        with open(self.service(name).uwsgi_log, "ab") as log:
            p = subprocess.Popen(self.start_command(name), stdin=subprocess.DEVNULL,
                                 stdout=log, stderr=subprocess.STDOUT,
                                 start_new_session=True, cwd="/", **kw)
        self._started[name] = p
        try:
            self.wait_answering(name, timeout=timeout, proc=p)
        except BaseException:
            self.stop(name)
            raise
        return p

    def stop(self, name: str, timeout: float = 15) -> None:
        """Stop service ``name`` if :meth:`start` started it (TERM, then KILL)."""
        p = self._started.pop(name, None)
        if p is not None:
            _stop_popen(p, timeout)

    def started(self) -> dict:
        """{name: pid} of the services :meth:`start` started that still run."""
        return {n: p.pid for n, p in self._started.items() if p.poll() is None}

    def start_keystone(self, timeout: float = 60) -> subprocess.Popen:
        """:meth:`start` of Keystone."""
        return self.start("keystone", timeout)

    def stop_keystone(self, timeout: float = 15) -> None:
        """:meth:`stop` of Keystone."""
        self.stop("keystone", timeout)

    def wait_answering(self, name: str, timeout: float = 60,
                       proc: subprocess.Popen | None = None) -> float:
        """Wait until service ``name`` answers ``GET /`` with any HTTP status;
        returns the seconds waited. Raises :class:`LabError` (with its log)
        when ``proc`` exits or the time is up."""
        svc = self.service(name)
        t0 = time.monotonic()
        while True:
            try:
                http_request("GET", svc.url, timeout=2)
                return time.monotonic() - t0
            except OSError:
                pass
            if proc is not None and proc.poll() is not None:
                raise LabError(f"{name} exited {proc.returncode} before answering: "
                               f"{_tail(svc.uwsgi_log)}")
            if time.monotonic() - t0 > timeout:
                raise LabError(f"{name} not answering on {svc.url} within {timeout}s: "
                               f"{_tail(svc.uwsgi_log)}")
            time.sleep(0.1)

    def token(self, username: str = ADMIN_USER, password: str | None = None,
              project: str = ADMIN_PROJECT) -> tuple[str, dict]:
        """(token, token body) of a project-scoped password token from Keystone."""
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": username, "domain": {"name": DOMAIN},
                "password": self.admin_password if password is None else password}}},
            "scope": {"project": {"name": project, "domain": {"name": DOMAIN}}}}}
        status, hdrs, doc = http_request("POST", self.auth_url + "/auth/tokens", body)
        if status != 201:
            raise LabError(f"token for {username}: HTTP {status} {doc}")
        return hdrs["x-subject-token"], doc["token"]

    def _fill_keystone(self, wanted: Sequence[str]) -> None:
        """Project ``service``, one user per service (role admin in it),
        services and endpoints in the catalog, through Keystone's REST API."""
        tok, _ = self.token()
        api = self.auth_url

        def call(method: str, path: str, body: object = None, ok=(200, 201, 204)) -> object:
            status, _h, doc = http_request(method, api + path, body, {"X-Auth-Token": tok})
            if status not in ok:
                raise LabError(f"keystone {method} {path}: HTTP {status} {doc}")
            return doc

        entries, users = [], {}
        for name in wanted:
            svc = self.services[name]
            if svc.short != "keystone":
                entries.append((svc.short, svc.catalog_type, svc.api_url + (
                    "v3/$(project_id)s" if svc.short == "cinder" else "")))
                users[svc.short] = svc.password
        register_catalog(call, entries, users)

    # -------------------------------------------------------------- close
    def close(self) -> None:
        """Stop every process the lab started (by its Popen); files stay."""
        for name in list(self._started):
            self.stop(name)
        for p in list(self._procs):
            _stop_popen(p, 10)
        self._procs.clear()

    def __enter__(self) -> "OpenStackLab":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _group_name(gid: int) -> str:
    import grp
    return grp.getgrgid(gid).gr_name


def _tail(path: Path, size: int = 1500) -> str:
    try:
        return path.read_text(errors="replace")[-size:].strip()
    except OSError:
        return f"(no log at {path})"


def _stop_popen(p: subprocess.Popen, timeout: float) -> None:
    """TERM, wait up to ``timeout``, KILL; always reaps (by the Popen's pid)."""
    if p.poll() is not None:
        return
    for sig, wait in ((signal.SIGCONT, 0), (signal.SIGTERM, timeout), (signal.SIGKILL, 10)):
        try:
            os.kill(p.pid, sig)
        except ProcessLookupError:
            break
        if wait:
            try:
                p.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        pass
