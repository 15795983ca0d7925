"""manila-api (HA guide, Shared File Systems API), a single primitive."""

from ocfpy_snippets.basic import add_basic
from ocfpy.cib.model import Config, Op, Primitive


def add_manila(cfg: Config) -> Config:
    cfg.add(Primitive(
        "p_manila-api", "ocf:openstack:manila-api",
        params={"config": "/etc/manila/manila.conf", "os_password": "secretsecret",
                "os_username": "admin", "os_tenant_name": "admin",
                "keystone_get_token_url": "http://10.0.0.11:5000/v2.0/tokens"},
        ops=[Op("monitor", "30s", timeout="30s")]))
    return cfg


def build() -> Config:
    return add_manila(add_basic(Config()))
