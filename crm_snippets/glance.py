"""glance-api (HA guide, Image service API), a single primitive as in the guide."""

from ocfpy_snippets.basic import add_basic
from ocfpy.cib.model import Config, Op, Primitive


def add_glance(cfg: Config) -> Config:
    cfg.add(Primitive(
        "p_glance-api", "ocf:openstack:glance-api",
        params={"config": "/etc/glance/glance-api.conf", "os_password": "secretsecret",
                "os_username": "admin", "os_tenant_name": "admin",
                "os_auth_url": "http://10.0.0.11:5000/v2.0/"},
        ops=[Op("monitor", "30s", timeout="30s")]))
    return cfg


def build() -> Config:
    return add_glance(add_basic(Config()))
