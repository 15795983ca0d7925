"""Keystone as a clone (HA guide, Identity service).

The guide's crmsh line ``clone p_keystone ocf:openstack:keystone params ...``
is a syntax error (a clone wraps an existing primitive); meant: a primitive
``p_keystone`` wrapped by clone ``keystone-clone``, interleaved as in the
guide's pcs line.

Credentials: the guide writes ``os_username="admin" os_password="secretsecret"
os_tenant_name="admin"`` into every API resource, so the password sits in the
CIB (and in every CIB backup and crm_report). Here every OpenStack API
resource reads them from one root-only openrc file on each node instead
(``os_credentials_file``, mode 0600)::

    export OS_USERNAME=admin
    export OS_PASSWORD=secretsecret
    export OS_PROJECT_NAME=admin

and authenticates against the guide's VIP with Keystone v3. To keep
``os_password`` as a parameter but out of the CIB, use Pacemaker's cibsecret
(``cibsecret set p_keystone os_password VALUE``; the CIB then holds ``lrm://``).
"""

from ocfpy_snippets.basic import add_basic
from ocfpy.cib.model import Clone, Config, Op, Primitive

#: Keystone behind the guide's VIP (the agents turn the guide's v2.0 URLs into v3 too)
AUTH_URL = "http://10.0.0.11:5000/v3"
#: OS_USERNAME / OS_PASSWORD / OS_PROJECT_NAME for the agents' deep monitors
CREDENTIALS_FILE = "/etc/openstack/ocfpy-admin.openrc"


def auth_params() -> dict:
    """Where the OpenStack API agents authenticate, and with what."""
    return {"os_auth_url": AUTH_URL, "os_credentials_file": CREDENTIALS_FILE}


def add_keystone(cfg: Config) -> Config:
    cfg.add(Clone("keystone-clone", Primitive(
        "p_keystone", "ocf:openstack:keystone",
        params={"config": "/etc/keystone/keystone.conf", **auth_params()},
        ops=[Op("monitor", "30s", timeout="30s")]), meta={"interleave": "true"}))
    return cfg


def build() -> Config:
    return add_keystone(add_basic(Config()))
