"""Where the sandbox and its demo keep things: the sandbox directory, the
demo's addresses and services, the node-side paths its cluster configuration
names, and :class:`DemoLayout` (the demo's host files).

Shared by the sandbox's command line, the demo's set-up and the demo's
cluster configuration (``crm_snippets/demo.py``), which is why it is its
own module: none of those imports another.

The configuration names only fixed paths inside the nodes, below
:data:`NODE_RUN`: every node has its own copy of the services' files there
(a bind mount of ``<sandbox dir>/demo/nodes/nodeN`` over the node's
/run/ocfpy-demo, as configuration management would write /etc on each
controller), so the CIB is the same on every machine, whatever the sandbox
directory or the checkout's location, and ``crm_snippets/demo.yaml`` can
say it too.

Example::

    layout = DemoLayout.default()
    agent_params("keystone")["start_command"]
    # '/run/ocfpy-demo/bin/uwsgi --ini /run/ocfpy-demo/keystone-uwsgi.ini'
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ocfpy.sandbox.cluster import SUBNET
from ocfpy.sandbox.openstack import SERVICE_USER

__all__ = ["DEFAULT_DIR", "sandbox_dir", "VIP", "KEYSTONE_PORT", "GALERA_PORT",
           "CLUSTERCHECK_PORT", "NODE_RUN", "NODES", "ApiService", "SERVICES", "node_address",
           "node_path", "agent_params", "vip_params", "haproxy_params", "clustercheck_params",
           "DemoLayout"]

DEFAULT_DIR = "/var/tmp/ocfpy-sandbox"


def sandbox_dir() -> Path:
    """Where the sandbox keeps its state file and its nodes' files."""
    return Path(os.environ.get("OCFPY_SANDBOX_DIR") or DEFAULT_DIR)


#: the guide's VIP, on the nodes' bridge subnet
VIP = SUBNET + ".100"
KEYSTONE_PORT = 5000
#: MariaDB on each node's address; HAProxy's ``listen galera_cluster`` on the VIP's
GALERA_PORT = 3306
#: ``ocfpy clustercheck`` on every node: HAProxy's ``check port``
CLUSTERCHECK_PORT = 9200
#: inside every node: the node's own demo files (configuration, uWSGI ini,
#: credentials, HAProxy's configuration, logs), the same path on every node
NODE_RUN = "/run/ocfpy-demo"
#: the demo's nodes (Pacemaker node names of a 3-node sandbox)
NODES = ("node1", "node2", "node3")


class ApiService(NamedTuple):
    """One OpenStack API of the demo."""

    #: directory, database, database user and catalog name
    name: str
    port: int
    #: configuration file name (in :data:`NODE_RUN` on every node)
    config: str
    #: WSGI entry point
    module: str
    #: Keystone catalog type and the endpoint's path below the VIP's URL
    catalog_type: str
    catalog_path: str


#: the demo's API services, in start order; the Keystone catalog says
#: http://VIP:port + catalog_path
SERVICES = {
    "keystone": ApiService("keystone", KEYSTONE_PORT, "keystone.conf",
                           "keystone.wsgi.api:application", "identity", "/v3/"),
    "glance-api": ApiService("glance", 9292, "glance-api.conf", "glance.wsgi.api:application",
                             "image", "/"),
    "cinder-api": ApiService("cinder", 8776, "cinder.conf", "cinder.wsgi.api:application",
                             "volumev3", "/v3/$(project_id)s"),
    "manila-api": ApiService("manila", 8786, "manila.conf", "manila.wsgi.api:application",
                             "sharev2", "/v2"),
}


def node_address(node: int | str) -> str:
    """The bridge address of ``node`` (1, "node1", ...).

    >>> node_address("node2")
    '10.213.0.2'
    """
    index = int(str(node).replace("node", ""))
    return f"{SUBNET}.{index}"


def node_path(name: str) -> str:
    """``name`` in a node's own demo directory.

    >>> node_path("haproxy.cfg")
    '/run/ocfpy-demo/haproxy.cfg'
    """
    return f"{NODE_RUN}/{name}"


# ------------------------------------------------------ CIB parameters
# Only node-side paths and fixed addresses: the same on every machine.
def agent_params(service: str) -> dict:
    """``ocf:openstack:<service>`` instance attributes (the same on every
    node): uWSGI with the node's own ini (it listens on the node's address,
    which HAProxy balances to, and on 127.0.0.1, which the agent checks),
    the unprivileged service user, the admin credentials from the node's
    root-only openrc, Keystone through the VIP."""
    svc = SERVICES[service]
    return {"start_command": f"{node_path('bin/uwsgi')} --ini {node_path(svc.name + '-uwsgi.ini')}",
            "config": node_path(svc.config), "user": SERVICE_USER,
            "url": f"http://127.0.0.1:{svc.port}/",
            "log_file": node_path(service + ".log"),
            "os_auth_url": f"http://{VIP}:{KEYSTONE_PORT}/v3",
            "os_credentials_file": node_path("admin-openrc")}


def vip_params() -> dict:
    """``ocf:ocfpy:vip`` instance attributes: the VIP on the nodes' interface."""
    return {"ip": VIP, "cidr_netmask": "24", "nic": "eth0"}


def haproxy_params() -> dict:
    """``ocf:ocfpy:haproxy`` instance attributes: the node's copy of the
    demo's haproxy.cfg, the master socket beside it."""
    return {"conffile": node_path("haproxy.cfg"),
            "master_socket": node_path("haproxy-master.sock")}


def clustercheck_params() -> dict:
    """``ocf:heartbeat:anything`` instance attributes running ``ocfpy
    clustercheck`` on port 9200 of every address of the node (as the
    guide's xinetd service does; a node's namespace has only its bridge
    address, the VIP and loopback), with the guide's clustercheck account
    from the node's root-only credentials file."""
    return {"binfile": node_path("bin/ocfpy"),
            "cmdline_options": f"clustercheck --bind 0.0.0.0 --port {CLUSTERCHECK_PORT} "
                               f"--credentials {node_path('clustercheck.cnf')}",
            "logfile": node_path("clustercheck.log")}


# ------------------------------------------------------------------ layout
@dataclass(frozen=True)
class DemoLayout:
    """Where the OpenStack demo's host files are, and what runs the services.

    ``dir`` is ``<sandbox dir>/demo``; ``venv`` the OpenStack venv; ``user``
    the unprivileged user the services run as. Every node sees these paths
    (the nodes share the host's filesystem outside their private mounts);
    node N also sees ``node_dir("nodeN")`` as :data:`NODE_RUN`.
    """

    dir: Path
    venv: Path
    user: str = SERVICE_USER

    @classmethod
    def default(cls) -> "DemoLayout":
        """Below the sandbox directory (``$OCFPY_SANDBOX_DIR``), with the
        OpenStack venv ocfpy finds (``$OCFPY_OPENSTACK_VENV``, .venv-openstack)."""
        from ocfpy.sandbox.openstack import venv_path

        return cls(sandbox_dir() / "demo", venv_path())

    def service_dir(self, service: str) -> Path:
        """``<dir>/keystone``, ``<dir>/glance``, ...: what the nodes share of
        ``service`` (Keystone's keys, Glance's image store, locks)."""
        return self.dir / SERVICES[service].name

    def node_dir(self, node: str) -> Path:
        """``<dir>/nodes/<node>``: the node's own files, its :data:`NODE_RUN`."""
        return self.dir / "nodes" / node

    @property
    def mariadb_dir(self) -> Path:
        return self.dir / "mariadb"

    @property
    def auth_url(self) -> str:
        return f"http://{VIP}:{KEYSTONE_PORT}/v3"
