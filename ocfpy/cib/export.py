"""Write a Config as a Python SPEC (``ocfpy cib import --format python``).

The spec is plain model code: one ``cfg.add(...)`` per resource, constraint,
fencing level and node, values as Python literals, every field that differs
from its default and nothing else. Loading it gives back an equal Config.

Example::

    from ocfpy.cib.export import config_to_python
    open("cluster.py", "w").write(config_to_python(cfg, source="cibadmin -Q"))
"""

from __future__ import annotations

import dataclasses
from typing import List, Optional

from ocfpy.cib import model
from ocfpy.cib.model import Config

__all__ = ["config_to_python"]


_WIDTH = 96
#: written positionally although optional, and keyword although required
_POSITIONAL = {("Op", "interval")}
_KEYWORD = {("Colocation", "follower"), ("Colocation", "leader")}


def _value(v, indent: int) -> str:
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return _call(v, indent)
    if isinstance(v, list):
        if not v:
            return "[]"
        items = [_value(x, indent + 4) for x in v]
        flat = "[" + ", ".join(items) + "]"
        if len(flat) + indent <= _WIDTH and "\n" not in flat:
            return flat
        pad = " " * (indent + 4)
        return "[\n" + ",\n".join(pad + i for i in items) + ",\n" + " " * indent + "]"
    if isinstance(v, dict):
        if not v:
            return "{}"
        items = [f"{k!r}: {_value(x, indent + 4)}" for k, x in v.items()]
        flat = "{" + ", ".join(items) + "}"
        if len(flat) + indent <= _WIDTH:
            return flat
        pad = " " * (indent + 4)
        return "{\n" + ",\n".join(pad + i for i in items) + ",\n" + " " * indent + "}"
    return repr(v)


def _is_default(f: dataclasses.Field, v) -> bool:
    if f.default is not dataclasses.MISSING:
        return v == f.default
    if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return v == f.default_factory()  # type: ignore[misc]
    return False


def _call(obj, indent: int) -> str:
    cls = type(obj)
    args: List[str] = []
    positional = True
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        required = f.default is dataclasses.MISSING and \
            f.default_factory is dataclasses.MISSING  # type: ignore[misc]
        if not required and _is_default(f, v):
            positional = False
            continue
        text = _value(v, indent + 4)
        key = (cls.__name__, f.name)
        if key in _KEYWORD:
            positional = False
        if (required or key in _POSITIONAL) and positional:
            args.append(text)
        else:
            positional = False
            args.append(f"{f.name}={text}")
    flat = f"{cls.__name__}(" + ", ".join(args) + ")"
    if len(flat) + indent <= _WIDTH and "\n" not in flat:
        return flat
    pad = " " * (indent + 4)
    return f"{cls.__name__}(\n" + ",\n".join(pad + a for a in args) + ",\n" + " " * indent + ")"


def config_to_python(cfg: Config, source: Optional[str] = None) -> str:
    """Source of a Python SPEC whose ``build()`` returns a Config equal to ``cfg``."""
    used = set()

    def collect(v):
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            used.add(type(v).__name__)
            for f in dataclasses.fields(v):
                collect(getattr(v, f.name))
        elif isinstance(v, (list, tuple)):
            for x in v:
                collect(x)
        elif isinstance(v, dict):
            for x in v.values():
                collect(x)

    items = list(cfg.resources) + list(cfg.constraints) + list(cfg.fencing_levels) + \
        list(cfg.nodes)
    for it in items:
        collect(it)
    used.add("Config")
    names = sorted(n for n in used if hasattr(model, n))
    lines = ['"""Cluster configuration for ocfpy cib (a Python spec).', ""]
    if source:
        lines.append(f"Imported from {source} by `ocfpy cib import`.")
    lines += ['Render, verify, diff and apply it with `ocfpy cib ...`."""', "",
              "from ocfpy.cib.model import (", ]
    row = "   "
    for n in names:
        if len(row) + len(n) + 2 > _WIDTH:
            lines.append(row.rstrip())
            row = "   "
        row += f" {n},"
    lines += [row, ")", "", "", "def build() -> Config:"]
    kw = []
    for name in ("properties", "rsc_defaults", "op_defaults"):
        v = dict(getattr(cfg, name))
        if name == "properties" and cfg.fencing_off_acknowledged:
            v.pop("stonith-enabled", None)
        if v:
            kw.append(f"{name}={_value(v, 8)}")
    head = "    cfg = Config(" + ", ".join(kw) + ")"
    if len(head) > _WIDTH:
        head = "    cfg = Config(\n" + ",\n".join("        " + k for k in kw) + ",\n    )"
    lines.append(head)
    if cfg.fencing_off_acknowledged:
        lines.append(f"    cfg.disable_fencing({cfg.fencing_off_acknowledged!r})")
    for it in items:
        lines.append(f"    cfg.add({_call(it, 4)})")
    lines += ["    return cfg", ""]
    return "\n".join(lines)
