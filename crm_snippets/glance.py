"""glance-api (HA guide, Image service API), a single primitive as in the guide;
credentials from a file (see keystone.py)."""

from ocfpy_snippets.basic import add_basic
from ocfpy_snippets.keystone import auth_params
from ocfpy.cib.model import Config, Op, Primitive


def add_glance(cfg: Config) -> Config:
    cfg.add(Primitive(
        "p_glance-api", "ocf:openstack:glance-api",
        params={"config": "/etc/glance/glance-api.conf", **auth_params()},
        ops=[Op("monitor", "30s", timeout="30s")]))
    return cfg


def build() -> Config:
    return add_glance(add_basic(Config()))
