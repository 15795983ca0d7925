"""The whole HA guide control plane in one configuration: basic properties,
VIP, HAProxy, Galera, Keystone, Glance, Cinder, Manila.

The same configuration as YAML (linux-system-roles ``ha_cluster`` variables):
``openstack.yaml`` next to this file; both render to the same CIB.
"""

from ocfpy_snippets.basic import add_basic
from ocfpy_snippets.cinder import add_cinder
from ocfpy_snippets.galera import CHECK_PASSWD_FILE, add_galera
from ocfpy_snippets.glance import add_glance
from ocfpy_snippets.haproxy import add_haproxy
from ocfpy_snippets.keystone import add_keystone
from ocfpy_snippets.manila import add_manila
from ocfpy_snippets.vip import add_vip
from ocfpy.cib.model import Config


def build() -> Config:
    cfg = add_basic(Config())
    add_vip(cfg)
    add_haproxy(cfg)
    add_galera(cfg, check_passwd_file=CHECK_PASSWD_FILE)
    for add in (add_keystone, add_glance, add_cinder, add_manila):
        add(cfg)
    return cfg
