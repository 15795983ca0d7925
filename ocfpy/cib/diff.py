"""Diff two models, element by element (by id or name), by meaning.

Example::

    from ocfpy.cib.diff import diff_configs
    for change in diff_configs(old_cfg, new_cfg):
        print(change)          # "+ resource 'vip'", "~ property 'stonith-enabled': ..."
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional

from ocfpy.cib.canonical import _canon
from ocfpy.cib.model import Config
from ocfpy.cib.render_xml import DEFAULT_SCHEMA, to_configuration


@dataclass(frozen=True)
class Change:
    """``action`` is ``+`` (added), ``-`` (removed) or ``~`` (changed)."""

    action: str
    kind: str
    key: str
    detail: Optional[str] = None

    def __str__(self):
        tail = f": {self.detail}" if self.detail else ""
        return f"{self.action} {self.kind} {self.key!r}{tail}"


def _index(config: Config, schema: str) -> Dict[tuple, object]:
    conf = to_configuration(config, schema)
    out: Dict[tuple, object] = {}
    for section, kind in (("crm_config", "property"), ("rsc_defaults", "rsc_default"),
                          ("op_defaults", "op_default")):
        for p in conf.findall(f"{section}/*/nvpair"):
            out[(kind, p.get("name"))] = p.get("value")
    for n in conf.findall("nodes/node"):
        out[("node", n.get("uname"))] = _canon(n)
    for r in conf.findall("resources/*"):
        out[("resource", r.get("id"))] = _canon(r)
    for c in conf.findall("constraints/*"):
        out[("constraint", c.get("id"))] = _canon(c)
    for lv in conf.findall("fencing-topology/fencing-level"):
        out[("fencing-level", f"{lv.get('target')}/{lv.get('index')}")] = lv.get("devices")
    return out


def diff_configs(old: Config, new: Config, schema: str = DEFAULT_SCHEMA) -> List[Change]:
    """Changes that turn ``old`` into ``new``; [] when they mean the same."""
    a, b = _index(old, schema), _index(new, schema)
    out: List[Change] = []
    for key in sorted(set(a) | set(b)):
        kind, name = key
        if key not in b:
            out.append(Change("-", kind, name))
        elif key not in a:
            out.append(Change("+", kind, name))
        elif a[key] != b[key]:
            detail = f"{a[key]} -> {b[key]}" if isinstance(a[key], str) else None
            out.append(Change("~", kind, name, detail))
    return out
