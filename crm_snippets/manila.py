"""manila-api (HA guide, Shared File Systems API), a single primitive;
credentials from a file (see keystone.py)."""

from ocfpy_snippets.basic import add_basic
from ocfpy_snippets.keystone import auth_params
from ocfpy.cib.model import Config, Op, Primitive


def add_manila(cfg: Config) -> Config:
    cfg.add(Primitive(
        "p_manila-api", "ocf:openstack:manila-api",
        params={"config": "/etc/manila/manila.conf", **auth_params()},
        ops=[Op("monitor", "30s", timeout="30s")]))
    return cfg


def build() -> Config:
    return add_manila(add_basic(Config()))
