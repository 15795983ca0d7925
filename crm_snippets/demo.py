"""The sandbox demo (``ocfpy sandbox up --demo``): an OpenStack control plane
in miniature on ocfpy's agents, built from the HA guide's snippets, on the
sandbox's three nodes 10.213.0.1-3 (``ocfpy.sandbox.demo`` prepares the
nodes; ``demo_basic.py`` is the example agents' demo).

* ``vip`` (vip.py): the guide's VIP, here 10.213.0.100/24 on the nodes' eth0;
* ``galera-clone`` (galera.py): promotable, 3 promoted, one mariadbd per
  node with the agent's default paths (each node has its own /etc/mysql and
  /var/lib/mysql); members and node map for the nodes' bridge addresses;
* ``keystone-clone`` (keystone.py): on every node under uWSGI as an
  unprivileged user, its database on the node's local Galera member;
* ``p_glance-api`` (glance.py): one instance, with the VIP, its database on
  Galera too, its image store shared by the nodes.

The services' admin credentials are read from a root-only openrc file
instead of the CIB; deep monitors (depth 10) use them for a token.

Constraints: Keystone starts on a node after Galera is promoted there and
runs only where it is promoted (both clones interleaved, so one node's
restart stays local); the VIP runs where Keystone runs, glance-api with the
VIP; glance-api starts after Galera and Keystone when they start together
(Optional: their recoveries do not restart it).

Paths (sandbox directory, OpenStack venv) come from
``ocfpy.sandbox.layout.DemoLayout.default()``, so ``ocfpy cib render
crm_snippets/demo.py`` shows what the sandbox applies on this machine.
"""

from ocfpy_snippets.basic import add_basic
from ocfpy_snippets.galera import add_galera
from ocfpy_snippets.glance import add_glance
from ocfpy_snippets.keystone import add_keystone
from ocfpy_snippets.vip import add_vip
from ocfpy.cib.model import Colocation, Config, Op, Order
from ocfpy.sandbox.layout import DemoLayout
from ocfpy.sandbox.node_mariadb import galera_params


def add_demo(cfg: Config, layout: DemoLayout) -> Config:
    for add in (add_vip, add_galera, add_keystone, add_glance):
        add(cfg)
    ids = cfg.top_ids()
    ids["vip"].params = layout.vip_params()
    ids["galera-clone"].child.params.update(galera_params())
    for service, primitive in (("keystone", ids["keystone-clone"].child),
                               ("glance-api", ids["p_glance-api"])):
        primitive.params = layout.agent_params(service)
        primitive.ops += [Op("start", "0s", timeout="120s"),
                          Op("monitor", "60s", timeout="30s", depth=10)]
    cfg.add(Order("galera-clone", "keystone-clone", first_action="promote",
                  then_action="start"))
    cfg.add(Colocation(follower="keystone-clone", leader="galera-clone",
                       leader_role="Promoted"))
    cfg.add(Colocation(follower="vip", leader="keystone-clone"))
    cfg.add(Colocation(follower="p_glance-api", leader="vip"))
    cfg.add(Order("galera-clone", "p_glance-api", kind="Optional", first_action="promote",
                  then_action="start"))
    cfg.add(Order("keystone-clone", "p_glance-api", kind="Optional"))
    return cfg


def build() -> Config:
    cfg = add_basic(Config())
    cfg.rsc_defaults["resource-stickiness"] = "100"
    return add_demo(cfg, DemoLayout.default())
