"""HAProxy as a clone, with its ordering and colocation to the VIP.

The guide's two snippets mean different things:

* pcs ``colocation add lb-haproxy-clone with vip`` makes HAProxy the follower:
  it runs only on the one node holding the VIP;
* crmsh ``colocation vip-with-haproxy inf: vip haproxy-clone`` makes the VIP
  the follower: HAProxy runs on every node and the VIP goes to a node where
  HAProxy runs; and its order is ``mandatory`` where pcs says ``Optional``.

Chosen meaning (the guide's intent: "Each instance of HAProxy ... accept[s]
connections only to the VIP"; a clone is pointless on one node): HAProxy runs
on all nodes, the VIP follows a running HAProxy (follower=vip,
leader=haproxy-clone). The order vip -> haproxy-clone is Optional so that a
VIP move does not restart HAProxy everywhere (HAProxy binds the VIP with
net.ipv4.ip_nonlocal_bind=1).

Agent: ``systemd:haproxy`` as in the guide's pcs snippet (crm_verify accepts
it; the crmsh snippet's lsb:haproxy needs an init script most distributions
no longer ship). Monitor 1s as in the crmsh snippet.
"""

from ocfpy_snippets.basic import add_basic
from ocfpy_snippets.vip import add_vip
from ocfpy.cib.model import Clone, Colocation, Config, Op, Order, Primitive


def add_haproxy(cfg: Config) -> Config:
    cfg.add(Clone("haproxy-clone",
                  Primitive("haproxy", "systemd:haproxy", ops=[Op("monitor", "1s")]),
                  meta={"interleave": "true"}))
    cfg.add(Order("vip", "haproxy-clone", kind="Optional", id="haproxy-after-vip"))
    cfg.add(Colocation(follower="vip", leader="haproxy-clone", id="vip-with-haproxy"))
    return cfg


def build() -> Config:
    return add_haproxy(add_vip(add_basic(Config())))
