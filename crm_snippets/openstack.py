"""The whole HA guide control plane in one configuration: basic properties,
VIP, HAProxy, Galera, Keystone, Glance, Cinder, Manila."""

from basic import add_basic
from cinder import add_cinder
from galera import add_galera
from glance import add_glance
from haproxy import add_haproxy
from keystone import add_keystone
from manila import add_manila
from vip import add_vip
from ocfpy.cib.model import Config


def build() -> Config:
    cfg = add_basic(Config())
    for add in (add_vip, add_haproxy, add_galera, add_keystone, add_glance, add_cinder,
                add_manila):
        add(cfg)
    return cfg
