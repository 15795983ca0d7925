"""A generated, deterministic configuration of any size (tests and bench).

Covers every model feature the renderers emit: primitives with params, meta,
depth and roles, groups, clones, promotable clones, orders (all kinds,
actions, symmetrical), colocations (roles, negative scores), sets, node and
rule locations with resource-discovery, defaults and properties.

Example::

    from ocfpy.cib.generate import generate
    cfg = generate(primitives=1000, constraints=1000)
"""

from __future__ import annotations

from ocfpy.cib.model import (
    Clone, Colocation, ColocationSet, Config, Expression, Group, Location, Op, Order,
    OrderSet, Primitive, ResourceSet, Rule,
)

__all__ = ["generate"]



def generate(primitives: int = 40, constraints: int = 40, nodes=("n1", "n2", "n3"),
             agent: str = "ocf:heartbeat:Dummy", stateful: str = "ocf:heartbeat:Stateful"
             ) -> Config:
    """``primitives`` primitives (in plain, group, clone and promotable form)
    and ``constraints`` constraints between the top-level resources."""
    cfg = Config(properties={"cluster-recheck-interval": "5min"},
                 rsc_defaults={"resource-stickiness": "100"},
                 op_defaults={"timeout": "60s"})
    cfg.disable_fencing("generated test configuration")
    tops = []
    i = 0
    while i < primitives:
        kind = i % 10
        if kind == 3 and i + 1 < primitives:
            g = Group(f"g{i}", [Primitive(f"r{i}", agent, ops=[Op("monitor", "10s")]),
                                Primitive(f"r{i + 1}", agent, ops=[Op("monitor", "10s")])],
                      meta={"target-role": "Started"})
            cfg.add(g)
            tops.append((g.id, False))
            i += 2
            continue
        if kind == 5:
            c = cfg.add(Clone(f"r{i}-clone", Primitive(f"r{i}", agent, ops=[Op("monitor", "20s")]),
                              meta={"interleave": "true"}))
            tops.append((c.id, False))
        elif kind == 7:
            c = cfg.add(Clone(f"r{i}-clone", Primitive(
                f"r{i}", stateful, ops=[Op("monitor", "10s", role="Promoted"),
                                        Op("monitor", "11s", role="Unpromoted")]),
                promotable=True, meta={"promoted-max": "1", "interleave": "true"}))
            tops.append((c.id, True))
        else:
            p = cfg.add(Primitive(
                f"r{i}", agent, params={"state": f"/run/gen/r{i} state"},
                meta={"migration-threshold": "3"} if kind == 1 else {},
                ops=[Op("monitor", "10s", timeout="20s", depth=10 if kind == 2 else None,
                        on_fail="restart" if kind == 4 else None)]))
            tops.append((p.id, False))
        i += 1
    n = len(tops)
    pos = {t[0]: k for k, t in enumerate(tops)}
    for k in range(constraints):
        a, a_prom = tops[k % n]
        b, b_prom = tops[(k * 7 + 1) % n]
        if a == b:
            b, b_prom = tops[(k * 7 + 2) % n]
        kind = k % 8
        # orders only go from lower to higher index so they never form a cycle
        lo, hi = sorted([pos[a], pos[b]])
        first, then = tops[lo][0], tops[hi][0]
        if kind == 0:
            cfg.add(Order(first, then))
        elif kind == 1:
            cfg.add(Order(first, then, kind="Optional", symmetrical=False,
                          then_action="promote" if tops[hi][1] else None))
        elif kind == 2:
            cfg.add(Colocation(follower=a, leader=b, score=100,
                               leader_role="Promoted" if b_prom else None))
        elif kind == 3:
            cfg.add(Location(a, node=nodes[k % len(nodes)], score=50 + k))
        elif kind == 4:
            cfg.add(Location(a, rules=[Rule([Expression("#uname", "eq", nodes[k % len(nodes)]),
                                             Expression("pingd", "gt", "0", type="integer")],
                                            score=-200)]))
        elif kind == 5:
            cfg.add(OrderSet([ResourceSet([first], sequential=False),
                              ResourceSet([then])], kind="Optional"))
        elif kind == 6:
            cfg.add(ColocationSet([ResourceSet([a, b], sequential=False)], score=10))
        else:
            cfg.add(Location(a, node=nodes[(k + 1) % len(nodes)], score="-INFINITY",
                             resource_discovery="never"))
    return cfg
