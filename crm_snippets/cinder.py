"""The cinder api -> scheduler -> volume chain with its constraints (HA guide,
Block Storage).

Agents as the guide gives them: the API on the OCF agent
``ocf:openstack:cinder-api`` (the guide's crmsh snippet; credentials from a
file, see keystone.py), the scheduler and the volume service on their systemd
units ``systemd:openstack-cinder-scheduler`` and
``systemd:openstack-cinder-volume`` (the guide's pcs snippet: there is no OCF
agent for them). ``ocfpy cib verify`` reports those two as "not installed
here" (a warning) on a machine without systemd or without the units.

As in the guide's pcs lines: api and scheduler are interleaved clones, volume
is a single resource (active/passive, as the guide recommends); scheduler
starts after api and runs where api runs (follower=scheduler, leader=api);
volume starts after scheduler and runs where scheduler runs; and, since Block
Storage shares the nodes with Identity, api starts after keystone.
"""

from ocfpy_snippets.basic import add_basic
from ocfpy_snippets.keystone import add_keystone, auth_params
from ocfpy.cib.model import Clone, Colocation, Config, Op, Order, Primitive


def add_cinder(cfg: Config) -> Config:
    mon = [Op("monitor", "30s", timeout="30s")]
    cfg.add(Clone("cinder-api-clone", Primitive(
        "p_cinder-api", "ocf:openstack:cinder-api",
        params={"config": "/etc/cinder/cinder.conf", **auth_params()}, ops=list(mon)),
        meta={"interleave": "true"}))
    cfg.add(Clone("cinder-scheduler-clone",
                  Primitive("p_cinder-scheduler", "systemd:openstack-cinder-scheduler",
                            ops=list(mon)),
                  meta={"interleave": "true"}))
    cfg.add(Primitive("p_cinder-volume", "systemd:openstack-cinder-volume", ops=list(mon)))
    cfg.add(Order("cinder-api-clone", "cinder-scheduler-clone"))
    cfg.add(Colocation(follower="cinder-scheduler-clone", leader="cinder-api-clone"))
    cfg.add(Order("cinder-scheduler-clone", "p_cinder-volume"))
    cfg.add(Colocation(follower="p_cinder-volume", leader="cinder-scheduler-clone"))
    cfg.add(Order("keystone-clone", "cinder-api-clone"))
    return cfg


def build() -> Config:
    return add_cinder(add_keystone(add_basic(Config())))
