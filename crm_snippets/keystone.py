"""Keystone as a clone (HA guide, Identity service).

The guide's crmsh line ``clone p_keystone ocf:openstack:keystone params ...``
is a syntax error (a clone wraps an existing primitive); meant: a primitive
``p_keystone`` wrapped by clone ``keystone-clone``, interleaved as in the
guide's pcs line. Credentials are the guide's example values: replace them.
"""

from ocfpy_snippets.basic import add_basic
from ocfpy.cib.model import Clone, Config, Op, Primitive


def add_keystone(cfg: Config) -> Config:
    cfg.add(Clone("keystone-clone", Primitive(
        "p_keystone", "ocf:openstack:keystone",
        params={"config": "/etc/keystone/keystone.conf", "os_password": "secretsecret",
                "os_username": "admin", "os_tenant_name": "admin",
                "os_auth_url": "http://10.0.0.11:5000/v2.0/"},
        ops=[Op("monitor", "30s", timeout="30s")]), meta={"interleave": "true"}))
    return cfg


def build() -> Config:
    return add_keystone(add_basic(Config()))
