"""Where the sandbox and its demo keep things: the sandbox directory, the
demo's VIP and services, and :class:`DemoLayout` (the demo's host files).

Shared by the sandbox's command line, the demo's set-up and the demo's
cluster configuration (``crm_snippets/demo.py``), which is why it is its
own module: none of those imports another.

Example::

    layout = DemoLayout.default()
    layout.agent_params("keystone")["start_command"]
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ocfpy.sandbox.cluster import SUBNET
from ocfpy.sandbox.openstack import SERVICE_USER

__all__ = ["DEFAULT_DIR", "sandbox_dir", "VIP", "KEYSTONE_PORT", "NODE_RUN", "SERVICES",
           "DemoLayout"]

DEFAULT_DIR = "/var/tmp/ocfpy-sandbox"


def sandbox_dir() -> Path:
    """Where the sandbox keeps its state file and its nodes' files."""
    return Path(os.environ.get("OCFPY_SANDBOX_DIR") or DEFAULT_DIR)


#: the guide's VIP, on the nodes' bridge subnet
VIP = SUBNET + ".100"
KEYSTONE_PORT = 5000
#: inside a node (its own /run): Keystone's log and health-check switch
NODE_RUN = "/run/ocfpy-demo"


# ------------------------------------------------------------------ layout
#: API service -> (directory and database name, port, config file, WSGI module)
SERVICES = {
    "keystone": ("keystone", KEYSTONE_PORT, "keystone.conf", "keystone.wsgi.api:application"),
    "glance-api": ("glance", 9292, "glance-api.conf", "glance.wsgi.api:application"),
}


@dataclass(frozen=True)
class DemoLayout:
    """Where the OpenStack demo's host files are, and what runs the services.

    ``dir`` is ``<sandbox dir>/demo``; ``venv`` the OpenStack venv; ``user``
    the unprivileged user the services run as. Every node sees these paths
    (the nodes share the host's filesystem outside their private mounts).
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
        """``<dir>/keystone``, ``<dir>/glance``: configuration (and Keystone's
        keys, Glance's image store) of ``service``."""
        return self.dir / SERVICES[service][0]

    def config_file(self, service: str) -> Path:
        return self.service_dir(service) / SERVICES[service][2]

    def uwsgi_ini(self, service: str) -> Path:
        return self.service_dir(service) / (SERVICES[service][0] + "-uwsgi.ini")

    @property
    def openrc(self) -> Path:
        """The admin's credentials (0600, root): the agents' deep monitors and
        :func:`token_check` read them; they are never in the CIB."""
        return self.dir / "admin-openrc"

    @property
    def mariadb_dir(self) -> Path:
        return self.dir / "mariadb"

    @property
    def auth_url(self) -> str:
        return "http://%s:%d/v3" % (VIP, KEYSTONE_PORT)

    def agent_params(self, service: str) -> dict:
        """``ocf:openstack:<service>`` instance attributes (the same on every node)."""
        return {"start_command": "%s --ini %s" % (self.venv / "bin" / "uwsgi",
                                                  self.uwsgi_ini(service)),
                "config": str(self.config_file(service)), "user": self.user,
                "url": "http://127.0.0.1:%d/" % SERVICES[service][1],
                "log_file": "%s/%s.log" % (NODE_RUN, service),
                "os_auth_url": self.auth_url, "os_credentials_file": str(self.openrc)}

    @staticmethod
    def vip_params() -> dict:
        """``ocf:ocfpy:vip`` instance attributes: the VIP on the nodes' interface."""
        return {"ip": VIP, "cidr_netmask": "24", "nic": "eth0"}
