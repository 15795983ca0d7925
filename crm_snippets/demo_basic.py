"""A small demo configuration on the framework's example agents
``ocf:ocfpy:dummy`` and ``ocf:ocfpy:stateful`` (``ocfpy sandbox up --demo
basic``; runs on 1 or 3 nodes and needs nothing else).

* ``demo-stateful-clone``: promotable clone, one promoted instance;
* ``demo-dummy-clone``: a dummy on every node;
* ``demo-dummy``: a single dummy that runs with the promoted stateful
  instance (follower=demo-dummy, leader=demo-stateful-clone in role
  Promoted) and starts after the promotion.
"""

from ocfpy_snippets.basic import add_basic
from ocfpy.cib.model import Clone, Colocation, Config, Op, Order, Primitive

STATE_DIR = "/run/ocfpy-demo"


def build() -> Config:
    cfg = add_basic(Config())
    cfg.rsc_defaults["resource-stickiness"] = "100"
    cfg.add(Clone("demo-stateful-clone", Primitive(
        "demo-stateful", "ocf:ocfpy:stateful", params={"state": f"{STATE_DIR}/stateful"},
        ops=[Op("monitor", "10s", timeout="20s", role="Promoted"),
             Op("monitor", "11s", timeout="20s", role="Unpromoted")]),
        promotable=True, meta={"promoted-max": "1", "interleave": "true"}))
    cfg.add(Clone("demo-dummy-clone", Primitive(
        "demo-dummy-everywhere", "ocf:ocfpy:dummy",
        params={"state": f"{STATE_DIR}/dummy-everywhere"},
        ops=[Op("monitor", "10s", timeout="20s")]), meta={"interleave": "true"}))
    cfg.add(Primitive("demo-dummy", "ocf:ocfpy:dummy", params={"state": f"{STATE_DIR}/dummy"},
                      ops=[Op("monitor", "10s", timeout="20s")]))
    cfg.add(Colocation(follower="demo-dummy", leader="demo-stateful-clone",
                       leader_role="Promoted"))
    cfg.add(Order("demo-stateful-clone", "demo-dummy", first_action="promote",
                  then_action="start"))
    return cfg
