"""The sandbox demo (``ocfpy sandbox up --demo``): the HA guide's control
plane in miniature on ocfpy's agents, built from the guide's snippets, on
the sandbox's three nodes 10.213.0.1-3 (``ocfpy.sandbox.demo`` prepares the
nodes and loads this file; ``demo.yaml`` is the same configuration as YAML;
``demo_basic.py`` is the example agents' demo).

* ``vip`` (vip.py): the guide's VIP, here 10.213.0.100/24 on the nodes' eth0;
* ``haproxy-clone`` (haproxy.py): HAProxy on every node, here on ocfpy's
  ``ocf:ocfpy:haproxy`` (master-worker, reloads, monitor through its master
  socket) instead of the guide's ``systemd:haproxy``, monitored every 10 s
  (the agent's default) rather than the guide's 1 s; each node's
  haproxy.cfg is the guide's: the APIs balanced to the three nodes, Galera
  to one writer with two ``backup`` servers;
* ``clustercheck-clone``: ``ocfpy clustercheck`` on every node (HAProxy's
  ``check port 9200`` for Galera) under ``ocf:heartbeat:anything``, where
  the guide uses xinetd;
* ``galera-clone`` (galera.py): promotable, 3 promoted, one mariadbd per
  node with the agent's default paths (each node has its own /etc/mysql and
  /var/lib/mysql); members and node map for the nodes' bridge addresses;
* ``keystone-clone`` (keystone.py), ``glance-api-clone`` (glance.py),
  ``cinder-api-clone`` (cinder.py: the API only; the demo has no scheduler
  or volume service), ``manila-api-clone`` (manila.py): every API on every
  node under uWSGI as an unprivileged user, reached through HAProxy; their
  databases through the VIP too. The guide's single glance-api and
  manila-api primitives become interleaved clones like the others.

The services' admin credentials are read from a root-only openrc file
instead of the CIB; deep monitors (depth 10) use them for a token.

Constraints, as the guide gives them: the VIP runs where HAProxy runs and
HAProxy starts after the VIP when both start (haproxy.py); the APIs start
after Keystone (cinder.py's order, for glance and manila too), Keystone
after Galera is promoted. Those orders are Optional: the services reach
the database and Keystone through HAProxy on the VIP, not their node's
member or Keystone, so a recovery on one node must not restart them.

Every path below is inside the nodes (``/run/ocfpy-demo``, each node's own
copy of the files, see ``ocfpy.sandbox.layout``), so ``ocfpy cib render
crm_snippets/demo.py`` is the same on every machine and equals
``demo.yaml``.
"""

from ocfpy_snippets.basic import add_basic
from ocfpy_snippets.cinder import add_cinder
from ocfpy_snippets.galera import add_galera
from ocfpy_snippets.glance import add_glance
from ocfpy_snippets.haproxy import add_haproxy
from ocfpy_snippets.keystone import add_keystone
from ocfpy_snippets.manila import add_manila
from ocfpy_snippets.vip import add_vip
from ocfpy.cib.model import Clone, Config, Op, Order, Primitive
from ocfpy.sandbox.layout import (
    NODES, agent_params, clustercheck_params, haproxy_params, vip_params,
)
from ocfpy.sandbox.node_mariadb import galera_params

#: the demo's API clones, by service
API_CLONES = {"keystone": "keystone-clone", "glance-api": "glance-api-clone",
              "cinder-api": "cinder-api-clone", "manila-api": "manila-api-clone"}


def _as_clone(cfg: Config, primitive_id: str, clone_id: str) -> Clone:
    """Replace the top-level primitive ``primitive_id`` by an interleaved clone of it."""
    for i, res in enumerate(cfg.resources):
        if res.id == primitive_id:
            clone = Clone(clone_id, res, meta={"interleave": "true"})
            cfg.resources[i] = clone
            return clone
    raise KeyError(primitive_id)


def _drop(cfg: Config, *ids: str) -> None:
    """Remove the top-level resources ``ids`` and every constraint naming them."""
    cfg.resources = [r for r in cfg.resources if r.id not in ids]
    cfg.constraints = [c for c in cfg.constraints
                       if not {getattr(c, a, None) for a in ("first", "then", "follower",
                                                             "leader")} & set(ids)]


def add_demo(cfg: Config) -> Config:
    for add in (add_vip, add_haproxy, add_galera, add_keystone, add_glance, add_cinder,
                add_manila):
        add(cfg)
    _drop(cfg, "cinder-scheduler-clone", "p_cinder-volume")
    _as_clone(cfg, "p_glance-api", API_CLONES["glance-api"])
    _as_clone(cfg, "p_manila-api", API_CLONES["manila-api"])
    ids = cfg.top_ids()
    ids["vip"].params = vip_params()
    ids["haproxy-clone"].child = Primitive(
        "haproxy", "ocf:ocfpy:haproxy", params=haproxy_params(),
        ops=[Op("monitor", "10s", timeout="20s")])
    ids["galera-clone"].child.params = galera_params(NODES)
    cfg.add(Clone("clustercheck-clone", Primitive(
        "clustercheck", "ocf:heartbeat:anything", params=clustercheck_params(),
        ops=[Op("monitor", "10s", timeout="20s")]), meta={"interleave": "true"}))
    for service, clone_id in API_CLONES.items():
        primitive = ids[clone_id].child
        primitive.params = agent_params(service)
        primitive.ops += [Op("start", "0s", timeout="120s"),
                          Op("monitor", "60s", timeout="30s", depth=10)]
    cfg.add(Order("galera-clone", "keystone-clone", kind="Optional", first_action="promote",
                  then_action="start"))
    for clone_id in ("glance-api-clone", "manila-api-clone"):
        cfg.add(Order("keystone-clone", clone_id, kind="Optional"))
    # Optional, like Galera's: every API validates tokens through the VIP, not
    # its node's keystone, so a keystone restarted on one node must not stop
    # the other APIs there (measured: their stop failed calls in flight)
    for order in cfg.constraints:
        if isinstance(order, Order) and order.first == "keystone-clone":
            order.kind = "Optional"
    return cfg


def build() -> Config:
    cfg = add_basic(Config())
    cfg.rsc_defaults["resource-stickiness"] = "100"
    return add_demo(cfg)
