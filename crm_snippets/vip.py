"""The API virtual IP 10.0.0.11/24 (HA guide "Configure the VIP"), on our
``ocf:ocfpy:vip`` agent instead of ocf:heartbeat:IPaddr2 (same parameter names
``ip`` and ``cidr_netmask``), monitored every 30 s."""

from ocfpy_snippets.basic import add_basic
from ocfpy.cib.model import Config, Op, Primitive


def add_vip(cfg: Config) -> Config:
    cfg.add(Primitive("vip", "ocf:ocfpy:vip",
                      params={"ip": "10.0.0.11", "cidr_netmask": "24"},
                      ops=[Op("monitor", "30s")]))
    return cfg


def build() -> Config:
    return add_vip(add_basic(Config()))
