"""What the pcs and crmsh renderers share: the walk over a configuration and
the words of an operation. Each renderer subclasses :class:`ScriptRenderer`
and says how one primitive, group, clone and constraint is written.

Example::

    class Printer(ScriptRenderer):
        def primitive(self, p): print("primitive", p.id)
        def group(self, g): print("group", g.id)
        def clone(self, c): print("clone", c.id)
        def constraint(self, cid, c): print("constraint", cid)

    Printer(config, target).walk(assign_ids(config))
"""

from __future__ import annotations

from typing import List

from ocfpy.cib.model import Clone, Config, Group, Op
from ocfpy.cib.render_xml import Target

__all__ = ["ScriptRenderer"]



class ScriptRenderer:
    def __init__(self, config: Config, target: Target):
        self.c = config
        self.t = target

    def op_settings(self, op: Op) -> List[str]:
        """``interval=…``, ``timeout=…`` … of one operation, unquoted."""
        out = [f"interval={op.interval}"]
        if op.timeout:
            out.append(f"timeout={op.timeout}")
        if op.role:
            out.append(f"role={self.t.role(op.role)}")
        if op.on_fail:
            out.append(f"on-fail={op.on_fail}")
        out += [f"{k}={v}" for k, v in op.options.items()]
        if op.depth is not None:
            out.append(f"OCF_CHECK_LEVEL={op.depth}")
        return out

    def walk(self, ids) -> None:
        """Every resource in order, then every constraint with its id."""
        for r in self.c.resources:
            if isinstance(r, Clone):
                self.clone(r)
            elif isinstance(r, Group):
                self.group(r)
            else:
                self.primitive(r)
        for cid, c in zip(ids.constraints, self.c.constraints):
            self.constraint(cid, c)

    def primitive(self, p) -> None:
        raise NotImplementedError

    def group(self, g) -> None:
        raise NotImplementedError

    def clone(self, c) -> None:
        raise NotImplementedError

    def constraint(self, cid, c) -> None:
        raise NotImplementedError
