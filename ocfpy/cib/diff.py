"""What changes between two configurations, element by element, by meaning.

Works on ``<configuration>`` XML (a live CIB, a CIB file, or a model
rendered), so ``ocfpy cib diff`` and ``ocfpy cib apply --dry-run`` print the
same thing. Elements are matched by what users name them by: a property, a
default or a node attribute by name, a resource by id, a fencing level by
target and index, a constraint by id or else by meaning (a constraint pcs
created as ``order-A-B-mandatory`` equals the model's ``order-A-B``). Ids of
nvpairs, operations, rules and sets are ignored.

Each :class:`Change` is one line: ``+`` added, ``-`` removed, ``~`` changed,
with what changed inside a resource or constraint. Values of parameters whose
name says they are secret (``*password*``, ``*secret*``, ``*token*``) are
shown as ``***``.

Example::

    from ocfpy.cib.diff import diff_configs
    for change in diff_configs(old_cfg, new_cfg):
        print(change)   # "~ resource 'vip': param cidr_netmask: '24' -> '16'"
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional, Tuple

from ocfpy.cib.canonical import canonical_form, configuration_of
from ocfpy.cib.model import Config
from ocfpy.cib.read import nvpairs
from ocfpy.cib.render_xml import DEFAULT_SCHEMA, to_configuration

__all__ = ["Change", "is_secret_name", "diff_configurations", "diff_configs"]


_SECRET_NAME = re.compile(r"pass(wd|word)?|secret|token", re.I)
_ROLES = {"Master": "Promoted", "Slave": "Unpromoted"}


@dataclass(frozen=True)
class Change:
    """``action`` is ``+`` (added), ``-`` (removed) or ``~`` (changed).

    ``kind``: property, rsc_default, op_default, node-attribute,
    node-utilization, resource, fencing-device, constraint, fencing-level.
    """

    action: str
    kind: str
    key: str
    detail: Optional[str] = None

    def __str__(self):
        tail = f": {self.detail}" if self.detail else ""
        return f"{self.action} {self.kind} {self.key!r}{tail}"

    def to_dict(self) -> dict:
        return asdict(self)


def is_secret_name(name: str) -> bool:
    """True for parameter names whose values a diff must not print.

    >>> is_secret_name("os_password"), is_secret_name("check_passwd_file")
    (True, False)
    """
    return bool(_SECRET_NAME.search(name)) and not name.endswith("file")


def _show(name: str, value: Optional[str]) -> str:
    if value is None:
        return "(unset)"
    if is_secret_name(name) and value != "lrm://":
        return "***"
    return repr(value)


def _op_key(op) -> str:
    role = op.get("role")
    key = f"op {op.get('name')} {op.get('interval', '0')}"
    return key + (f" {_ROLES.get(role, role)}" if role else "")


def _op_value(op) -> str:
    attrs = {k: v for k, v in op.attrib.items() if k not in ("id", "name", "interval", "role")}
    attrs.update({k: v for k, v in nvpairs(op, "instance_attributes").items()})
    attrs.update({f"meta {k}": v for k, v in nvpairs(op, "meta_attributes").items()})
    return " ".join(f"{k}={v}" for k, v in sorted(attrs.items())) or "(defaults)"


def _flatten(el, prefix: str = "") -> Dict[str, Tuple[str, str]]:
    """``{label: (name-for-masking, value)}`` of a resource or constraint."""
    out: Dict[str, Tuple[str, str]] = {}
    tag = el.tag
    if tag == "primitive":
        agent = ":".join(x for x in (el.get("class"), el.get("provider"), el.get("type")) if x)
        out[prefix + "agent"] = ("agent", agent)
        for kind, label in (("instance_attributes", "param"), ("meta_attributes", "meta"),
                            ("utilization", "utilization")):
            for k, v in nvpairs(el, kind).items():
                out[f"{prefix}{label} {k}"] = (k, v)
        for op in el.findall("operations/op"):
            out[prefix + _op_key(op)] = ("op", _op_value(op))
    elif tag == "group":
        out[prefix + "members"] = ("members", " ".join(p.get("id") for p in el.findall("primitive")))
        for k, v in nvpairs(el, "meta_attributes").items():
            out[f"{prefix}meta {k}"] = (k, v)
        for p in el.findall("primitive"):
            out.update(_flatten(p, f"{prefix}{p.get('id')}: "))
    elif tag in ("clone", "master"):
        out[prefix + "kind"] = ("kind", "promotable clone" if tag == "master" else "clone")
        for k, v in nvpairs(el, "meta_attributes").items():
            out[f"{prefix}meta {k}"] = (k, v)
        for child in el:
            if child.tag in ("primitive", "group"):
                out[prefix + "child"] = ("child", child.get("id"))
                out.update(_flatten(child, f"{prefix}{child.get('id')}: "))
    else:  # constraints and anything else: attributes and sets
        for k, v in el.attrib.items():
            if k != "id":
                out[prefix + k] = (k, _ROLES.get(v, v))
        for i, s in enumerate(el.findall("resource_set")):
            opts = " ".join(f"{k}={_ROLES.get(v, v)}" for k, v in sorted(s.attrib.items())
                            if k != "id")
            members = " ".join(r.get("id") for r in s.findall("resource_ref"))
            out[f"{prefix}set {i + 1}"] = ("set", members + (f" ({opts})" if opts else ""))
        for i, r in enumerate(el.findall("rule")):
            out[f"{prefix}rule {i + 1}"] = ("rule", _rule_text(r))
    return out


def _rule_text(r) -> str:
    parts = []
    for e in r:
        if not isinstance(e.tag, str):
            continue
        if e.tag == "expression":
            bits = [e.get("attribute"), e.get("operation")]
            if e.get("type"):
                bits.append(e.get("type"))
            if e.get("value") is not None:
                bits.append(e.get("value"))
            parts.append(" ".join(bits))
        else:
            parts.append(f"<{e.tag}>")
    head = f"score={r.get('score', r.get('score-attribute', ''))}"
    if r.get("role"):
        head += f" role={_ROLES.get(r.get('role'), r.get('role'))}"
    return head + " " + f" {r.get('boolean-op', 'and')} ".join(parts)


def _detail(a, b) -> Optional[str]:
    fa, fb = _flatten(a), _flatten(b)
    bits = []
    for label in sorted(set(fa) | set(fb)):
        va, vb = fa.get(label), fb.get(label)
        if va == vb:
            continue
        name = (va or vb)[0]
        bits.append(f"{label}: {_show(name, va[1] if va else None)} -> "
                    f"{_show(name, vb[1] if vb else None)}")
    return "; ".join(bits) or None


def _values(conf) -> Dict[Tuple[str, str], str]:
    out: Dict[Tuple[str, str], str] = {}
    for section, kind in (("crm_config", "property"), ("rsc_defaults", "rsc_default"),
                          ("op_defaults", "op_default")):
        for p in conf.findall(f"{section}/*/nvpair"):
            out[(kind, p.get("name"))] = p.get("value", "")
    for n in conf.findall("nodes/node"):
        uname = n.get("uname") or n.get("id")
        for tag, kind in (("instance_attributes", "node-attribute"),
                          ("utilization", "node-utilization")):
            for k, v in nvpairs(n, tag).items():
                out[(kind, f"{uname} {k}")] = v
    for lv in conf.findall("fencing-topology/fencing-level"):
        target = lv.get("target") or lv.get("target-pattern") or \
            f"{lv.get('target-attribute')}={lv.get('target-value')}"
        out[("fencing-level", f"{target}/{lv.get('index')}")] = lv.get("devices", "")
    return out


def _resource_kind(el) -> str:
    return "fencing-device" if el.tag == "primitive" and el.get("class") == "stonith" \
        else "resource"


def diff_configurations(old, new) -> List[Change]:
    """Changes that turn configuration ``old`` into ``new`` (CIB XML text or
    elements, whole ``<cib>`` or ``<configuration>``); [] when they mean the same."""
    a, b = configuration_of(old), configuration_of(new)
    out: List[Change] = []

    va, vb = _values(a), _values(b)
    for key in sorted(set(va) | set(vb)):
        kind, name = key
        shown = name.split(" ")[-1]
        if key not in vb:
            out.append(Change("-", kind, name))
        elif key not in va:
            out.append(Change("+", kind, name, _show(shown, vb[key])))
        elif va[key] != vb[key]:
            out.append(Change("~", kind, name,
                              f"{_show(shown, va[key])} -> {_show(shown, vb[key])}"))

    ra = {r.get("id"): r for r in a.findall("resources/*")}
    rb = {r.get("id"): r for r in b.findall("resources/*")}
    for rid in sorted(set(ra) | set(rb)):
        if rid not in rb:
            out.append(Change("-", _resource_kind(ra[rid]), rid))
        elif rid not in ra:
            out.append(Change("+", _resource_kind(rb[rid]), rid))
        elif canonical_form(ra[rid]) != canonical_form(rb[rid]):
            out.append(Change("~", _resource_kind(rb[rid]), rid, _detail(ra[rid], rb[rid])))

    ca = {c.get("id"): c for c in a.findall("constraints/*")}
    cb = {c.get("id"): c for c in b.findall("constraints/*")}
    only_a = [i for i in ca if i not in cb]
    only_b = [i for i in cb if i not in ca]
    # the same constraint under another id is no change
    canon_a: Dict[tuple, List[str]] = {}
    for i in only_a:
        canon_a.setdefault(canonical_form(ca[i]), []).append(i)
    unmatched_b = []
    for i in only_b:
        same = canon_a.get(canonical_form(cb[i]))
        if same:
            same.pop(0)
        else:
            unmatched_b.append(i)
    for i in sorted(i for ids in canon_a.values() for i in ids):
        out.append(Change("-", "constraint", i, _constraint_summary(ca[i])))
    for i in sorted(unmatched_b):
        out.append(Change("+", "constraint", i, _constraint_summary(cb[i])))
    for i in sorted(set(ca) & set(cb)):
        if canonical_form(ca[i]) != canonical_form(cb[i]):
            out.append(Change("~", "constraint", i, _detail(ca[i], cb[i])))

    order = {"property": 0, "rsc_default": 1, "op_default": 2, "node-attribute": 3,
             "node-utilization": 4, "fencing-device": 5, "resource": 6, "constraint": 7,
             "fencing-level": 8}
    out.sort(key=lambda c: (order.get(c.kind, 9), c.key, c.action))
    return out


def _constraint_summary(el) -> str:
    f = _flatten(el)
    return ", ".join(f"{k}={v[1]}" for k, v in f.items())


def diff_configs(old: Config, new: Config, schema: str = DEFAULT_SCHEMA) -> List[Change]:
    """Changes that turn model ``old`` into model ``new``; [] when they mean the same."""
    return diff_configurations(to_configuration(old, schema), to_configuration(new, schema))
