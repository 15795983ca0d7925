"""Render a :class:`~ocfpy.cib.model.Config` as a crmsh script.

The script is for ``crm configure load update -`` (one atomic commit; add
``crm -F`` for agents that are not installed or a CIB without fencing). Every
token is quoted with :func:`shlex.quote`: crmsh splits script lines POSIX-shell
style, so one quoting layer is right.

Colocation and ordering sets are always written in parentheses with an
explicit ``sequential=``: a bare ``A B`` means the two-resource form (A placed
relative to B), the opposite of a two-member set.

Example::

    from ocfpy.cib.render_crmsh import render_crmsh
    script = render_crmsh(cfg)
    subprocess.run(["crm", "-F", "configure", "load", "update", "-"],
                   input=script, text=True, env={**os.environ, "CIB_file": "cib.xml"})
"""

from __future__ import annotations

import shlex
from typing import List

from ocfpy.cib.ids import assign_ids
from ocfpy.cib.model import (
    Clone, Colocation, ColocationSet, Config, Group, Location, Op, Order, OrderSet,
    Primitive, ResourceSet, Rule, normalize_score,
)
from ocfpy.cib.render_script import ScriptRenderer
from ocfpy.cib.render_xml import DEFAULT_SCHEMA, Target

__all__ = ["render_crmsh"]



def _q(tok: str) -> str:
    return shlex.quote(str(tok))


def _kv(d) -> List[str]:
    return [_q(f"{k}={v}") for k, v in d.items()]


def _bool(v: bool) -> str:
    return "true" if v else "false"


def _score(s) -> str:
    s = normalize_score(s)
    return {"INFINITY": "inf", "-INFINITY": "-inf"}.get(s, s)


class _Crm(ScriptRenderer):
    def __init__(self, config: Config, target: Target):
        super().__init__(config, target)
        self.lines: List[str] = []

    def op(self, op: Op) -> List[str]:
        return ["op", _q(op.name)] + [_q(s) for s in self.op_settings(op)]

    def primitive(self, p: Primitive):
        toks = ["primitive", _q(p.id), _q(p.agent)]
        if p.params:
            toks += ["params"] + _kv(p.params)
        if p.meta:
            toks += ["meta"] + _kv(p.meta)
        if p.utilization:
            toks += ["utilization"] + _kv(p.utilization)
        for op in p.ops:
            toks += self.op(op)
        self.lines.append(" ".join(toks))

    def group(self, g: Group):
        for m in g.members:
            self.primitive(m)
        toks = ["group", _q(g.id)] + [_q(m.id) for m in g.members]
        if g.meta:
            toks += ["meta"] + _kv(g.meta)
        self.lines.append(" ".join(toks))

    def clone(self, c: Clone):
        if isinstance(c.child, Group):
            self.group(c.child)
        else:
            self.primitive(c.child)
        meta = self.t.clone_meta(c)
        word = "ms" if (c.promotable and self.t.master_element) else "clone"
        toks = [word, _q(c.id), _q(c.child.id)]
        if meta:
            toks += ["meta"] + _kv(meta)
        self.lines.append(" ".join(toks))

    def rset(self, s: ResourceSet, with_action: bool) -> List[str]:
        suffix = ""
        if with_action and s.action:
            suffix = ":" + s.action
        elif s.role:
            suffix = ":" + self.t.role(s.role)
        # "[ ]" is crmsh's require-all=false set; "( )" the others
        opening, closing = ("[", "]") if s.require_all is False else ("(", ")")
        toks = [opening] + [_q(r + suffix) for r in s.resources]
        toks.append(f"sequential={_bool(s.sequential is not False)}")
        if s.require_all is True:
            toks.append("require-all=true")
        return toks + [closing]

    def rule(self, rule: Rule) -> List[str]:
        toks = ["rule"]
        if rule.role:
            toks.append(_q(f"$role={self.t.role(rule.role)}"))
        toks.append(_score(rule.score) + ":")
        for i, e in enumerate(rule.expressions):
            if i:
                toks.append(rule.boolean_op)
            if e.operation in ("defined", "not_defined"):
                toks += [e.operation, _q(e.attribute)]
            else:
                op = f"{self.t.expr_type(e.type)}:{e.operation}" if e.type else e.operation
                toks += [_q(e.attribute), op, _q(e.value)]
        return toks

    def constraint(self, cid: str, c):
        if isinstance(c, Order):
            first = c.first + (f":{c.first_action}" if c.first_action else "")
            then = c.then + (f":{c.then_action}" if c.then_action else "")
            toks = ["order", _q(cid), f"{c.kind}:", _q(first), _q(then)]
            if c.symmetrical is not None:
                toks.append(f"symmetrical={_bool(c.symmetrical)}")
        elif isinstance(c, Colocation):
            f = c.follower + (f":{self.t.role(c.follower_role)}" if c.follower_role else "")
            lead = c.leader + (f":{self.t.role(c.leader_role)}" if c.leader_role else "")
            toks = ["colocation", _q(cid), _score(c.score) + ":", _q(f), _q(lead)]
        elif isinstance(c, OrderSet):
            toks = ["order", _q(cid), f"{c.kind}:"]
            for s in c.sets:
                toks += self.rset(s, True)
            if c.symmetrical is not None:
                toks.append(f"symmetrical={_bool(c.symmetrical)}")
        elif isinstance(c, ColocationSet):
            toks = ["colocation", _q(cid), _score(c.score) + ":"]
            for s in reversed(c.sets):  # the CIB places the last set first
                toks += self.rset(s, False)
        elif isinstance(c, Location):
            toks = ["location", _q(cid), _q(c.resource)]
            if c.resource_discovery:
                toks.append(f"resource-discovery={c.resource_discovery}")
            if c.node is not None:
                toks += [_score(c.score) + ":", _q(c.node)]
            for rule in c.rules:
                toks += self.rule(rule)
        else:
            raise TypeError(type(c).__name__)
        self.lines.append(" ".join(toks))

    def build(self) -> str:
        cfg = self.c
        ids = assign_ids(cfg)
        for n in cfg.nodes:
            toks = ["node"]
            if n.id and n.id != n.name:
                toks.append(_q(f"$id={n.id}"))
            toks.append(_q(n.name))
            if n.attributes:
                toks += ["attributes"] + _kv(n.attributes)
            if n.utilization:
                toks += ["utilization"] + _kv(n.utilization)
            self.lines.append(" ".join(toks))
        self.walk(ids)
        if cfg.fencing_levels:
            # crmsh numbers levels by position per target: sort by index
            by_target = {}
            for lv in sorted(cfg.fencing_levels, key=lambda lv: (lv.target, lv.index)):
                by_target.setdefault(lv.target, []).append(lv)
            toks = ["fencing_topology"]
            for target, levels in by_target.items():
                toks.append(_q(target + ":"))
                toks += [_q(",".join(lv.devices)) for lv in levels]
            self.lines.append(" ".join(toks))
        if cfg.properties:
            self.lines.append(" ".join(["property", "cib-bootstrap-options:"]
                                       + _kv(cfg.properties)))
        if cfg.rsc_defaults:
            self.lines.append(" ".join(["rsc_defaults", "rsc-options:"] + _kv(cfg.rsc_defaults)))
        if cfg.op_defaults:
            self.lines.append(" ".join(["op_defaults", "op-options:"] + _kv(cfg.op_defaults)))
        return "\n".join(self.lines) + "\n"


def render_crmsh(config: Config, schema: str = DEFAULT_SCHEMA) -> str:
    """crmsh configure script for ``config`` (feed to ``crm configure load update -``).

    >>> from ocfpy.cib.model import Config
    >>> render_crmsh(Config(properties={"cluster-recheck-interval": "5min"}))
    'property cib-bootstrap-options: cluster-recheck-interval=5min\\n'
    """
    return _Crm(config, Target(schema)).build()
