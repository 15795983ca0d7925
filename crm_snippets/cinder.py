"""The cinder api -> scheduler -> volume chain with its constraints (HA guide,
Block Storage), on the OCF agents of openstack-resource-agents rather than the
RHEL systemd units.

As in the guide's pcs lines: api and scheduler are interleaved clones, volume
is a single resource; scheduler starts after api and runs where api runs
(follower=scheduler, leader=api); volume starts after scheduler and runs where
scheduler runs; and, since Block Storage shares the nodes with Identity, api
starts after keystone.
"""

from ocfpy_snippets.basic import add_basic
from ocfpy_snippets.keystone import add_keystone
from ocfpy.cib.model import Clone, Colocation, Config, Op, Order, Primitive

_AUTH = {"config": "/etc/cinder/cinder.conf", "os_password": "secretsecret",
         "os_username": "admin", "os_tenant_name": "admin",
         "keystone_get_token_url": "http://10.0.0.11:5000/v2.0/tokens"}


def add_cinder(cfg: Config) -> Config:
    mon = [Op("monitor", "30s", timeout="30s")]
    cfg.add(Clone("cinder-api-clone", Primitive("p_cinder-api", "ocf:openstack:cinder-api",
                                                params=dict(_AUTH), ops=list(mon)),
                  meta={"interleave": "true"}))
    cfg.add(Clone("cinder-scheduler-clone",
                  Primitive("p_cinder-scheduler", "ocf:openstack:cinder-scheduler",
                            params={"config": "/etc/cinder/cinder.conf"}, ops=list(mon)),
                  meta={"interleave": "true"}))
    cfg.add(Primitive("p_cinder-volume", "ocf:openstack:cinder-volume",
                      params={"config": "/etc/cinder/cinder.conf"}, ops=list(mon)))
    cfg.add(Order("cinder-api-clone", "cinder-scheduler-clone"))
    cfg.add(Colocation(follower="cinder-scheduler-clone", leader="cinder-api-clone"))
    cfg.add(Order("cinder-scheduler-clone", "p_cinder-volume"))
    cfg.add(Colocation(follower="p_cinder-volume", leader="cinder-scheduler-clone"))
    cfg.add(Order("keystone-clone", "cinder-api-clone"))
    return cfg


def build() -> Config:
    return add_cinder(add_keystone(add_basic(Config())))
