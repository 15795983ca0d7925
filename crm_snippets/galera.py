"""Galera as a promotable clone with 3 promoted instances (multi-primary), on
our ``ocf:ocfpy:galera`` agent.

``wsrep_cluster_address`` is required: the members are the guide's three
controllers (``NODES``: Pacemaker node names that are also the hosts of the
gcomm address, so no ``cluster_host_map`` is needed; pass your own ``nodes``,
or add a ``cluster_host_map`` when node names and Galera hosts differ).
Status queries log in as ``check_user`` (root) over the unix socket; with a
password, keep it out of the CIB: ``check_passwd_file`` (``openstack.py``
uses the guide's clustercheck file ``CHECK_PASSWD_FILE``).

Promoted and unpromoted monitors need distinct intervals (Pacemaker keys
operations by name+interval). ``notify=true`` lets the agent learn the
other members; ``interleave=true`` keeps one node's restart local. On the
pacemaker-2.10 target this renders as ``<master>`` with ``master-max=3``.
"""

from typing import Optional, Sequence

from ocfpy_snippets.basic import add_basic
from ocfpy.cib.model import Clone, Config, Op, Primitive

#: Pacemaker node names of the controllers (HA guide: controller1-3 = 10.0.0.12-14)
NODES = ("controller1", "controller2", "controller3")
#: the guide's clustercheck credentials (MYSQL_USERNAME / MYSQL_PASSWORD), mode 0600
CHECK_PASSWD_FILE = "/etc/sysconfig/clustercheck"


def add_galera(cfg: Config, nodes: Sequence[str] = NODES,
               check_passwd_file: Optional[str] = None) -> Config:
    params = {"wsrep_cluster_address": "gcomm://" + ",".join(nodes)}
    if check_passwd_file:
        params["check_passwd_file"] = check_passwd_file
    cfg.add(Clone("galera-clone", Primitive(
        "galera", "ocf:ocfpy:galera", params=params,
        ops=[Op("monitor", "10s", timeout="30s", role="Promoted"),
             Op("monitor", "11s", timeout="30s", role="Unpromoted"),
             Op("promote", "0s", timeout="300s"),
             Op("start", "0s", timeout="120s")]),
        promotable=True,
        meta={"promoted-max": str(len(nodes)), "notify": "true", "interleave": "true"}))
    return cfg


def build() -> Config:
    return add_galera(add_basic(Config()))
