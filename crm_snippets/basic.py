"""Basic cluster properties from the OpenStack HA guide ("Set basic cluster
properties").

Fencing is turned off here ONLY as an explicit demo choice, as the guide does
"for demo or testing purposes": production clusters configure fencing devices
(FencingDevice + FencingLevel) instead. ``Config.disable_fencing`` records the
acknowledgement; without it ``ocfpy cib verify`` refuses stonith-enabled=false.
"""

from ocfpy.cib.model import Config


def add_basic(cfg: Config, demo_without_fencing: bool = True) -> Config:
    cfg.properties.update({
        "pe-warn-series-max": "1000",
        "pe-input-series-max": "1000",
        "pe-error-series-max": "1000",
        "cluster-recheck-interval": "5min",
    })
    if demo_without_fencing:
        cfg.disable_fencing("demo/test cluster without fencing hardware (HA guide)")
    return cfg


def build() -> Config:
    return add_basic(Config())
