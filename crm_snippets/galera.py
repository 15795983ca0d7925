"""Galera as a promotable clone with 3 promoted instances (multi-primary), on
our ``ocf:ocfpy:galera`` agent.

Promoted and unpromoted monitors need distinct intervals (Pacemaker keys
operations by name+interval). ``notify=true`` lets the agent learn the
other members; ``interleave=true`` keeps one node's restart local. On the
pacemaker-2.10 target this renders as ``<master>`` with ``master-max=3``.
"""

from ocfpy_snippets.basic import add_basic
from ocfpy.cib.model import Clone, Config, Op, Primitive


def add_galera(cfg: Config) -> Config:
    cfg.add(Clone("galera-clone", Primitive(
        "galera", "ocf:ocfpy:galera",
        ops=[Op("monitor", "10s", timeout="30s", role="Promoted"),
             Op("monitor", "11s", timeout="30s", role="Unpromoted"),
             Op("promote", "0s", timeout="300s"),
             Op("start", "0s", timeout="120s")]),
        promotable=True,
        meta={"promoted-max": "3", "notify": "true", "interleave": "true"}))
    return cfg


def build() -> Config:
    return add_galera(add_basic(Config()))
