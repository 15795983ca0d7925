"""Render a :class:`~ocfpy.cib.model.Config` as CIB XML for a schema target.

Targets: ``pacemaker-2.10`` (Pacemaker 1.1: ``<master>``, ``master-max``,
Master/Slave roles), ``pacemaker-3.0`` .. ``3.6`` (``promotable`` meta,
Master/Slave) and ``pacemaker-3.7`` and later (Promoted/Unpromoted).

Example::

    from ocfpy.cib.render_xml import render_xml
    xml_text = render_xml(cfg, schema="pacemaker-2.10", whole=True)
"""

from __future__ import annotations

import re
from typing import Dict, Optional, Tuple

from lxml import etree

from ocfpy.cib.ids import IdAllocator, assign_ids
from ocfpy.cib.model import (
    Clone, Colocation, ColocationSet, Config, Group, Location, Op,
    Order, OrderSet, Primitive, ResourceSet, Rule, normalize_score,
)

__all__ = ["DEFAULT_SCHEMA", "schema_version", "Target", "to_configuration", "to_cib",
           "render_xml"]


DEFAULT_SCHEMA = "pacemaker-3.9"


def schema_version(schema: str) -> Tuple[int, int]:
    """``"pacemaker-3.9"`` -> ``(3, 9)``."""
    m = re.match(r"^pacemaker-(\d+)\.(\d+)$", schema)
    if not m:
        raise ValueError(f"bad schema {schema!r}: use e.g. pacemaker-2.10 or pacemaker-3.9")
    return int(m.group(1)), int(m.group(2))


class Target:
    """What differs between schema versions."""

    def __init__(self, schema: str = DEFAULT_SCHEMA):
        self.schema = schema
        self.version = schema_version(schema)
        self.master_element = self.version < (3, 0)
        self.new_roles = self.version >= (3, 7)

    def role(self, role: Optional[str]) -> Optional[str]:
        if role is None or self.new_roles:
            return role
        return {"Promoted": "Master", "Unpromoted": "Slave"}.get(role, role)

    def expr_type(self, typ: str) -> str:
        # "integer" arrived with schema 3.5; older schemas only know "number"
        return "number" if (typ == "integer" and self.version < (3, 5)) else typ

    def clone_meta(self, clone: Clone) -> Dict[str, str]:
        meta = dict(clone.meta)
        if clone.promotable and self.master_element:
            for new, old in (("promoted-max", "master-max"),
                             ("promoted-node-max", "master-node-max")):
                if new in meta:
                    meta[old] = meta.pop(new)
        elif clone.promotable:
            meta = {"promotable": "true", **meta}
        return meta


def _bool(v: bool) -> str:
    return "true" if v else "false"


class _Builder:
    def __init__(self, config: Config, target: Target):
        self.config = config
        self.t = target
        self.ids = assign_ids(config)
        self.alloc: IdAllocator = self.ids.alloc

    def nvset(self, parent, tag: str, owner: str, values: Dict[str, str], set_id=None):
        if not values:
            return None
        sid = set_id or self.alloc.new(f"{owner}-{tag}")
        el = etree.SubElement(parent, tag, id=sid)
        for name, value in values.items():
            etree.SubElement(el, "nvpair", id=self.alloc.new(f"{sid}-{name}"),
                             name=name, value=str(value))
        return el

    def op(self, parent, rid: str, op: Op):
        base = f"{rid}-{op.name}-interval-{op.interval}"
        if op.role:
            base += f"-{op.role}"
        el = etree.SubElement(parent, "op", id=self.alloc.new(base), name=op.name,
                              interval=op.interval)
        if op.timeout:
            el.set("timeout", op.timeout)
        if op.role:
            el.set("role", self.t.role(op.role))
        if op.on_fail:
            el.set("on-fail", op.on_fail)
        for k, v in op.options.items():
            el.set(k, str(v))
        if op.depth is not None:
            self.nvset(el, "instance_attributes", el.get("id"),
                       {"OCF_CHECK_LEVEL": str(op.depth)})

    def primitive(self, parent, p: Primitive):
        el = etree.SubElement(parent, "primitive", id=p.id, **{"class": p.klass})
        if p.provider:
            el.set("provider", p.provider)
        el.set("type", p.type)
        self.nvset(el, "instance_attributes", p.id, p.params)
        self.nvset(el, "meta_attributes", p.id, p.meta)
        self.nvset(el, "utilization", p.id, p.utilization)
        if p.ops:
            ops = etree.SubElement(el, "operations")
            for op in p.ops:
                self.op(ops, p.id, op)

    def group(self, parent, g: Group):
        el = etree.SubElement(parent, "group", id=g.id)
        self.nvset(el, "meta_attributes", g.id, g.meta)
        for m in g.members:
            self.primitive(el, m)

    def clone(self, parent, c: Clone):
        tag = "master" if (c.promotable and self.t.master_element) else "clone"
        el = etree.SubElement(parent, tag, id=c.id)
        self.nvset(el, "meta_attributes", c.id, self.t.clone_meta(c))
        if isinstance(c.child, Group):
            self.group(el, c.child)
        else:
            self.primitive(el, c.child)

    def resource(self, parent, r):
        if isinstance(r, Clone):
            self.clone(parent, r)
        elif isinstance(r, Group):
            self.group(parent, r)
        else:
            self.primitive(parent, r)

    def rset(self, parent, cid: str, i: int, s: ResourceSet, with_action: bool):
        el = etree.SubElement(parent, "resource_set", id=self.alloc.new(f"{cid}-set-{i}"))
        if s.sequential is not None:
            el.set("sequential", _bool(s.sequential))
        if s.require_all is not None:
            el.set("require-all", _bool(s.require_all))
        if s.role:
            el.set("role", self.t.role(s.role))
        if with_action and s.action:
            el.set("action", s.action)
        for r in s.resources:
            etree.SubElement(el, "resource_ref", id=r)

    def rule(self, parent, cid: str, rule: Rule):
        rid = self.alloc.new(f"{cid}-rule")
        el = etree.SubElement(parent, "rule", id=rid, score=normalize_score(rule.score))
        if len(rule.expressions) > 1 or rule.boolean_op != "and":
            el.set("boolean-op", rule.boolean_op)
        if rule.role:
            el.set("role", self.t.role(rule.role))
        for e in rule.expressions:
            x = etree.SubElement(el, "expression", id=self.alloc.new(f"{rid}-expr"),
                                 attribute=e.attribute, operation=e.operation)
            if e.value is not None:
                x.set("value", str(e.value))
            if e.type:
                x.set("type", self.t.expr_type(e.type))

    def constraint(self, parent, cid: str, c):
        if isinstance(c, Order):
            el = etree.SubElement(parent, "rsc_order", id=cid, first=c.first, then=c.then)
            if c.first_action:
                el.set("first-action", c.first_action)
            if c.then_action:
                el.set("then-action", c.then_action)
            el.set("kind", c.kind)
            if c.symmetrical is not None:
                el.set("symmetrical", _bool(c.symmetrical))
        elif isinstance(c, Colocation):
            el = etree.SubElement(parent, "rsc_colocation", id=cid, rsc=c.follower,
                                  **{"with-rsc": c.leader, "score": normalize_score(c.score)})
            if c.follower_role:
                el.set("rsc-role", self.t.role(c.follower_role))
            if c.leader_role:
                el.set("with-rsc-role", self.t.role(c.leader_role))
        elif isinstance(c, OrderSet):
            el = etree.SubElement(parent, "rsc_order", id=cid, kind=c.kind)
            if c.symmetrical is not None:
                el.set("symmetrical", _bool(c.symmetrical))
            for i, s in enumerate(c.sets):
                self.rset(el, cid, i, s, True)
        elif isinstance(c, ColocationSet):
            el = etree.SubElement(parent, "rsc_colocation", id=cid,
                                  score=normalize_score(c.score))
            # the CIB places the LAST set first; the model lists the leader first
            for i, s in enumerate(reversed(c.sets)):
                self.rset(el, cid, i, s, False)
        elif isinstance(c, Location):
            el = etree.SubElement(parent, "rsc_location", id=cid, rsc=c.resource)
            if c.node is not None:
                el.set("node", c.node)
                el.set("score", normalize_score(c.score))
            if c.resource_discovery:
                el.set("resource-discovery", c.resource_discovery)
            for rule in c.rules:
                self.rule(el, cid, rule)
        else:
            raise TypeError(type(c).__name__)

    def configuration(self) -> etree._Element:
        cfg = self.config
        conf = etree.Element("configuration")
        crm = etree.SubElement(conf, "crm_config")
        self.nvset(crm, "cluster_property_set", "cib-bootstrap-options", cfg.properties,
                   set_id=self.alloc.claim("cib-bootstrap-options", "property set id")
                   if cfg.properties else None)
        nodes = etree.SubElement(conf, "nodes")
        for n in cfg.nodes:
            nel = etree.SubElement(nodes, "node", id=n.id or n.name, uname=n.name)
            self.nvset(nel, "instance_attributes", f"nodes-{n.id or n.name}", n.attributes)
            self.nvset(nel, "utilization", f"nodes-{n.id or n.name}", n.utilization)
        res = etree.SubElement(conf, "resources")
        for r in cfg.resources:
            self.resource(res, r)
        cons = etree.SubElement(conf, "constraints")
        for cid, c in zip(self.ids.constraints, cfg.constraints):
            self.constraint(cons, cid, c)
        if cfg.fencing_levels:
            ft = etree.SubElement(conf, "fencing-topology")
            for lid, lv in zip(self.ids.levels, cfg.fencing_levels):
                etree.SubElement(ft, "fencing-level", id=lid, target=lv.target,
                                 index=str(lv.index), devices=",".join(lv.devices))
        if cfg.rsc_defaults:
            rd = etree.SubElement(conf, "rsc_defaults")
            self.nvset(rd, "meta_attributes", "rsc-options", cfg.rsc_defaults,
                       set_id=self.alloc.new("rsc-options"))
        if cfg.op_defaults:
            od = etree.SubElement(conf, "op_defaults")
            self.nvset(od, "meta_attributes", "op-options", cfg.op_defaults,
                       set_id=self.alloc.new("op-options"))
        return conf


def to_configuration(config: Config, schema: str = DEFAULT_SCHEMA) -> etree._Element:
    """The ``<configuration>`` element for ``config``."""
    return _Builder(config, Target(schema)).configuration()


def to_cib(config: Config, schema: str = DEFAULT_SCHEMA, epoch: int = 1) -> etree._Element:
    """A whole ``<cib>`` (empty status) for ``config``; loadable by crm_verify."""
    cib = etree.Element("cib", **{"validate-with": schema, "epoch": str(epoch),
                                  "num_updates": "0", "admin_epoch": "0"})
    cib.append(to_configuration(config, schema))
    etree.SubElement(cib, "status")
    return cib


def render_xml(config: Config, schema: str = DEFAULT_SCHEMA, whole: bool = True) -> str:
    """CIB XML text: a whole CIB (``whole=True``) or the configuration section.

    >>> from ocfpy.cib.model import Config
    >>> "<resources/>" in render_xml(Config(), whole=False)
    True
    """
    el = to_cib(config, schema) if whole else to_configuration(config, schema)
    return etree.tostring(el, pretty_print=True, encoding="unicode")
