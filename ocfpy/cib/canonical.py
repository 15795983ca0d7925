"""Canonical form of a CIB configuration: equal iff the meaning is equal.

Ignores generated ids (of nvsets, nvpairs, ops, rules, sets, constraints),
the order of elements where it carries no meaning (everything except group
members, set members and the sequence of sets), attributes left at their
default values, and the Master/Slave vs Promoted/Unpromoted spellings.

Example::

    from ocfpy.cib.canonical import canonical
    assert canonical(pcs_cib_text) == canonical(our_cib_text)
"""

from __future__ import annotations

from typing import Tuple, Union

from lxml import etree

# elements whose id is a name users refer to; all other ids are ignored
__all__ = ["Canon", "canonical", "canonical_form", "explain_difference", "configuration_of"]

_KEEP_ID = {"primitive", "group", "clone", "master", "bundle", "resource_ref", "node"}
_NVSETS = {"instance_attributes", "meta_attributes", "utilization", "cluster_property_set"}
_ORDERED_CHILDREN = {"group", "resource_set", "rsc_order", "rsc_colocation"}
_ROLES = {"Master": "Promoted", "Slave": "Unpromoted"}
_DEFAULTS = {
    "resource_set": {"sequential": "true", "require-all": "true"},
    "rsc_order": {"kind": "Mandatory", "first-action": "start"},
    "rsc_colocation": {"rsc-role": "Started", "with-rsc-role": "Started"},
    "rule": {"boolean-op": "and"},
}

Canon = Tuple


def _attrs(el) -> Tuple:
    tag = el.tag
    out = {}
    for k, v in el.attrib.items():
        if k == "id" and tag not in _KEEP_ID:
            continue
        if k in ("role", "rsc-role", "with-rsc-role"):
            v = _ROLES.get(v, v)
        if k == "score" and v in ("+INFINITY", "inf", "+inf"):
            v = "INFINITY"
        out[k] = v
    for k, v in _DEFAULTS.get(tag, {}).items():
        if out.get(k) == v:
            del out[k]
    if tag == "rsc_order":
        # then-action defaults to first-action; symmetrical to true unless Serialize
        if out.get("then-action") == out.get("first-action", "start"):
            out.pop("then-action", None)
        if out.get("symmetrical") == ("false" if out.get("kind") == "Serialize" else "true"):
            del out["symmetrical"]
    return tuple(sorted(out.items()))


def canonical_form(el) -> Canon:
    tag = el.tag
    if tag in _NVSETS:
        # nvsets merge: which set a pair sits in carries no meaning without rules
        pairs = tuple(sorted((p.get("name"), p.get("value")) for p in el if p.tag == "nvpair"))
        return ("nvset", tag, pairs)
    kids = [canonical_form(c) for c in el if isinstance(c.tag, str)]
    kids = [k for k in kids if not (k[0] == "nvset" and not k[2])]
    merged = {}
    other = []
    for k in kids:
        if k[0] == "nvset":
            merged.setdefault(k[1], set()).update(k[2])
        else:
            other.append(k)
    if tag == "fencing-level":
        pass
    nv = [("nvset", t, tuple(sorted(p))) for t, p in sorted(merged.items())]
    if tag == "operations" and not other:
        return ("empty",)
    other = [k for k in other if k != ("empty",)]
    if tag not in _ORDERED_CHILDREN:
        other.sort(key=repr)
    elif tag in ("rsc_order", "rsc_colocation"):
        pass
    attrs = _attrs(el)
    if tag == "fencing-level":
        attrs = tuple(sorted(dict(attrs).items()))
    return (tag, attrs, tuple(nv), tuple(other))


def configuration_of(xml: Union[str, bytes, etree._Element]) -> etree._Element:
    """The ``<configuration>`` element of a CIB (text or element; a
    ``<configuration>`` itself is returned as is); ValueError without one."""
    if isinstance(xml, (str, bytes)):
        xml = etree.fromstring(xml.encode() if isinstance(xml, str) else xml)
    conf = xml if xml.tag == "configuration" else xml.find("configuration")
    if conf is None:
        raise ValueError("no <configuration> element: not a CIB")
    return conf


def canonical(xml: Union[str, bytes, etree._Element]) -> Canon:
    """Canonical form of the ``<configuration>`` of a CIB (or of the element)."""
    conf = configuration_of(xml)
    sections = []
    for sec in conf:
        if not isinstance(sec.tag, str):
            continue
        c = canonical_form(sec)
        if c[0] == "empty" or (not c[2] and not c[3]):
            continue  # an empty <nodes/> or <constraints/> means nothing
        sections.append(c)
    return tuple(sorted(sections, key=repr))


def explain_difference(a, b) -> str:
    """Human-readable listing of sections/elements present in only one side."""
    ca, cb = canonical(a), canonical(b)
    lines = []
    da, db = {s[0]: s for s in ca}, {s[0]: s for s in cb}
    for name in sorted(set(da) | set(db)):
        sa, sb = da.get(name), db.get(name)
        if sa == sb:
            continue
        ea = set(sa[2] + sa[3]) if sa else set()
        eb = set(sb[2] + sb[3]) if sb else set()
        for x in sorted(ea - eb, key=repr):
            lines.append(f"- {name}: {x}")
        for x in sorted(eb - ea, key=repr):
            lines.append(f"+ {name}: {x}")
    return "\n".join(lines)
