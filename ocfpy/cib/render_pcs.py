"""Render a :class:`~ocfpy.cib.model.Config` as pcs (0.10+) commands.

Each command is an argv list (without the leading ``pcs``), so callers can run
it without a shell; :func:`render_pcs` joins them into a script quoted with
:func:`shlex.quote`, for ``pcs -f FILE`` when ``cib_file`` is given.

Choices that make the result equal to our XML:

* every primitive gets ``--no-default-ops``; pcs still adds a monitor to a
  primitive that has none (the linter warns about those);
* nodes are not created: pcs can only set attributes on nodes that exist
  (on a live cluster they do; on a file, seed the ``<nodes>`` section);
* pcs refuses agents it cannot find (``crm_resource`` meta-data) unless
  ``--force``. ocfpy's agents need no ``--force`` (their meta-data is valid
  OCF 1.1, which pcs checks); an agent that is not installed where pcs runs
  (``systemd:haproxy`` on a machine without systemd) does: pass
  ``force="missing"`` to add it only to the commands of agents not installed
  here (the script names them in a comment), or ``force=True`` for all.
  The default adds none, so pcs checks every parameter.

Example::

    from ocfpy.cib.render_pcs import render_pcs, pcs_commands
    print(render_pcs(cfg, cib_file="cib.xml", force="missing"))
    for argv in pcs_commands(cfg):
        subprocess.run(["pcs", "-f", "cib.xml", *argv], check=True)
"""

from __future__ import annotations

import os
import shlex
from typing import Callable, Dict, Iterable, List, Optional, Union

from ocfpy.cib.ids import assign_ids
from ocfpy.cib.model import (
    Clone, Colocation, ColocationSet, Config, Expression, Group, Location, Op, Order,
    OrderSet, Primitive, ResourceSet, Rule, normalize_score,
)
from ocfpy.cib.render_script import ScriptRenderer
from ocfpy.cib.render_xml import DEFAULT_SCHEMA, Target

__all__ = ["ForceSpec", "OCF_ROOT", "SYSTEMD_RUNNING", "agent_installed", "pcs_commands",
           "render_pcs"]


ForceSpec = Union[bool, str, Iterable[str], Callable[[str], bool]]

OCF_ROOT = os.environ.get("OCF_ROOT", "/usr/lib/ocf")
SYSTEMD_RUNNING = "/run/systemd/system"
_SYSTEMD_DIRS = ("/etc/systemd/system", "/run/systemd/system", "/lib/systemd/system",
                 "/usr/lib/systemd/system")


def agent_installed(agent: str) -> bool:
    """True if ``agent`` (``ocf:p:t``, ``lsb:t``, ``systemd:t``, ``stonith:t``)
    is installed on this machine, judged from files (no subprocess)."""
    parts = agent.split(":")
    if parts[0] == "ocf" and len(parts) == 3:
        return os.access(os.path.join(OCF_ROOT, "resource.d", parts[1], parts[2]), os.X_OK)
    if parts[0] == "lsb":
        return os.path.exists(os.path.join("/etc/init.d", parts[1]))
    if parts[0] in ("systemd", "service"):
        # a unit file is not enough: Pacemaker asks systemd itself, which must
        # be running (PID 1; /run/systemd/system exists only then)
        unit = parts[1] if "." in parts[1] else parts[1] + ".service"
        systemd = os.path.isdir(SYSTEMD_RUNNING) and any(
            os.path.exists(os.path.join(d, unit)) for d in _SYSTEMD_DIRS)
        return systemd or (parts[0] == "service"
                           and os.path.exists(os.path.join("/etc/init.d", parts[1])))
    if parts[0] == "stonith":
        return any(os.path.exists(os.path.join(d, parts[1]))
                   for d in ("/usr/sbin", "/sbin", "/usr/bin"))
    return False


def _force_pred(force: ForceSpec) -> Callable[[str], bool]:
    if force is True:
        return lambda agent: True
    if force is False or force is None:
        return lambda agent: False
    if force == "missing":
        return lambda agent: not agent_installed(agent)
    if callable(force):
        return force
    names = set(force)
    return lambda agent: agent in names


def _kv(d) -> List[str]:
    return [f"{k}={v}" for k, v in d.items()]


def _bool(v: bool) -> str:
    return "true" if v else "false"


def _neg(score: str) -> bool:
    return score.startswith("-")


class _Pcs(ScriptRenderer):
    def __init__(self, config: Config, target: Target, force: Callable[[str], bool]):
        super().__init__(config, target)
        self.force = force
        self.cmds: List[List[str]] = []
        #: index in cmds -> the agents that made that command carry --force
        self.forced: Dict[int, List[str]] = {}

    def op_args(self, op: Op) -> List[str]:
        return [op.name] + self.op_settings(op)

    def primitive(self, p: Primitive):
        self.create(p)

    def create(self, p: Primitive, group: Optional[str] = None,
               clone: Optional[List[str]] = None):
        stonith = p.klass == "stonith"
        argv = (["stonith", "create", p.id, p.type] if stonith
                else ["resource", "create", p.id, p.agent])
        argv += _kv(p.params)
        if p.ops:
            argv.append("op")
            for op in p.ops:
                argv += self.op_args(op)
        if p.meta:
            argv += ["meta"] + _kv(p.meta)
        if group:
            argv += ["--group", group]
        if clone:
            argv += clone
        argv.append("--no-default-ops")
        if self.force(p.agent):
            argv.append("--force")
            self.forced[len(self.cmds)] = [p.agent]
        self.cmds.append(argv)
        if p.utilization:
            self.cmds.append(["resource", "utilization", p.id] + _kv(p.utilization))

    def group(self, g: Group):
        for m in g.members:
            self.create(m, group=g.id)
        if g.meta:
            self.cmds.append(["resource", "meta", g.id] + _kv(g.meta))

    def clone(self, c: Clone):
        verb = "promotable" if c.promotable else "clone"
        if isinstance(c.child, Primitive):
            # created and cloned in one command: "pcs resource clone" of an
            # existing resource refuses agents it cannot find even with --force
            self.create(c.child, clone=[verb, c.id] + _kv(c.meta))
            return
        self.group(c.child)
        argv = ["resource", verb, c.child.id, c.id] + _kv(c.meta)
        forced = [m.agent for m in c.child.members if self.force(m.agent)]
        if forced:
            argv.append("--force")
            self.forced[len(self.cmds)] = forced
        self.cmds.append(argv)

    def rset(self, s: ResourceSet, with_action: bool) -> List[str]:
        out = ["set"] + list(s.resources)
        if s.sequential is not None:
            out.append(f"sequential={_bool(s.sequential)}")
        if s.require_all is not None:
            out.append(f"require-all={_bool(s.require_all)}")
        if s.role:
            out.append(f"role={self.t.role(s.role)}")
        if with_action and s.action:
            out.append(f"action={s.action}")
        return out

    @staticmethod
    def expr(rule: Rule) -> List[str]:
        out: List[str] = []
        for i, e in enumerate(rule.expressions):
            if i:
                out.append(rule.boolean_op)
            out += _Pcs.one_expr(e)
        return out

    @staticmethod
    def one_expr(e: Expression) -> List[str]:
        if e.operation in ("defined", "not_defined"):
            return [e.operation, e.attribute]
        return [e.attribute, e.operation] + ([e.type] if e.type else []) + [str(e.value)]

    def rule_opts(self, rule: Rule) -> List[str]:
        out = []
        if rule.role:
            out.append(f"role={self.t.role(rule.role)}")
        out.append(f"score={normalize_score(rule.score)}")
        return out

    def constraint(self, cid: str, c):
        if isinstance(c, Order):
            argv = ["constraint", "order"]
            if c.first_action:
                argv.append(c.first_action)
            argv += [c.first, "then"]
            if c.then_action:
                argv.append(c.then_action)
            argv += [c.then, f"kind={c.kind}"]
            if c.symmetrical is not None:
                argv.append(f"symmetrical={_bool(c.symmetrical)}")
            argv.append(f"id={cid}")
        elif isinstance(c, Colocation):
            score = normalize_score(c.score)
            # "--" stops option parsing so a negative score is not an option
            argv = (["--"] if _neg(score) else []) + ["constraint", "colocation", "add"]
            if c.follower_role:
                argv.append(self.t.role(c.follower_role))
            argv += [c.follower, "with"]
            if c.leader_role:
                argv.append(self.t.role(c.leader_role))
            argv += [c.leader, score, f"id={cid}"]
        elif isinstance(c, OrderSet):
            argv = ["constraint", "order"]
            for s in c.sets:
                argv += self.rset(s, True)
            argv += ["setoptions", f"kind={c.kind}"]
            if c.symmetrical is not None:
                argv.append(f"symmetrical={_bool(c.symmetrical)}")
            argv.append(f"id={cid}")
        elif isinstance(c, ColocationSet):
            argv = ["constraint", "colocation"]
            for s in reversed(c.sets):  # the CIB places the last set first
                argv += self.rset(s, False)
            argv += ["setoptions", f"score={normalize_score(c.score)}", f"id={cid}"]
        elif isinstance(c, Location):
            if c.node is not None:
                score = normalize_score(c.score)
                argv = (["--"] if _neg(score) else []) + [
                    "constraint", "location", "add", cid, c.resource, c.node, score]
                if c.resource_discovery:
                    argv.append(f"resource-discovery={c.resource_discovery}")
            else:
                first, rest = c.rules[0], c.rules[1:]
                argv = ["constraint", "location", c.resource, "rule"]
                if c.resource_discovery:
                    argv.append(f"resource-discovery={c.resource_discovery}")
                argv += [f"constraint-id={cid}"] + self.rule_opts(first) + self.expr(first)
                self.cmds.append(argv)
                for rule in rest:
                    self.cmds.append(["constraint", "rule", "add", cid]
                                     + self.rule_opts(rule) + self.expr(rule))
                return
        else:
            raise TypeError(type(c).__name__)
        self.cmds.append(argv)

    def build(self) -> List[List[str]]:
        cfg = self.c
        ids = assign_ids(cfg)
        if cfg.properties:
            self.cmds.append(["property", "set"] + _kv(cfg.properties))
        for n in cfg.nodes:
            if n.attributes:
                self.cmds.append(["node", "attribute", n.name] + _kv(n.attributes))
            if n.utilization:
                self.cmds.append(["node", "utilization", n.name] + _kv(n.utilization))
        self.walk(ids)
        for lv in cfg.fencing_levels:
            self.cmds.append(["stonith", "level", "add", str(lv.index), lv.target]
                             + list(lv.devices))
        if cfg.rsc_defaults:
            self.cmds.append(["resource", "defaults", "update"] + _kv(cfg.rsc_defaults))
        if cfg.op_defaults:
            self.cmds.append(["resource", "op", "defaults", "update"] + _kv(cfg.op_defaults))
        return self.cmds


def pcs_commands(config: Config, schema: str = DEFAULT_SCHEMA,
                 force: ForceSpec = False) -> List[List[str]]:
    """pcs argv lists (without ``pcs``) that build ``config``.

    >>> from ocfpy.cib.model import Config
    >>> pcs_commands(Config(properties={"cluster-recheck-interval": "5min"}))
    [['property', 'set', 'cluster-recheck-interval=5min']]
    """
    return _Pcs(config, Target(schema), _force_pred(force)).build()


def render_pcs(config: Config, schema: str = DEFAULT_SCHEMA, force: ForceSpec = False,
               cib_file: Optional[str] = None) -> str:
    """A POSIX shell script of pcs commands (each argument shlex-quoted).

    With ``cib_file`` every command is ``pcs -f FILE ...`` (build offline, then
    ``pcs cluster cib-push FILE``); without it, commands act on the live cluster.
    """
    prefix = ["pcs"] + (["-f", cib_file] if cib_file else [])
    lines = ["#!/bin/sh", "# generated by ocfpy.cib; pcs 0.10+ syntax", "set -e"]
    renderer = _Pcs(config, Target(schema), _force_pred(force))
    for i, argv in enumerate(renderer.build()):
        if i in renderer.forced:
            agents = ", ".join(sorted(set(renderer.forced[i])))
            lines.append(f"# --force: {agents} not installed where this was rendered "
                         f"(pcs cannot read its meta-data)")
        lines.append(" ".join(shlex.quote(a) for a in prefix + argv))
    return "\n".join(lines) + "\n"
