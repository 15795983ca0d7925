"""The whole HA guide control plane in one configuration: basic properties,
VIP, HAProxy, Galera, Keystone, Glance, Cinder, Manila."""

from ocfpy_snippets.basic import add_basic
from ocfpy_snippets.cinder import add_cinder
from ocfpy_snippets.galera import add_galera
from ocfpy_snippets.glance import add_glance
from ocfpy_snippets.haproxy import add_haproxy
from ocfpy_snippets.keystone import add_keystone
from ocfpy_snippets.manila import add_manila
from ocfpy_snippets.vip import add_vip
from ocfpy.cib.model import Config


def build() -> Config:
    cfg = add_basic(Config())
    for add in (add_vip, add_haproxy, add_galera, add_keystone, add_glance, add_cinder,
                add_manila):
        add(cfg)
    return cfg
