"""Apply a model to a cluster: change what the spec names, push only the change.

Steps: ``cibadmin --query``; :func:`plan_apply` builds the wanted CIB from the
live one; ``crm_diff`` the two; if they differ, ``cibadmin --patch``.
Applying the same model twice sends nothing the second time.

What a spec owns (and apply changes): the cluster properties, resource and
operation defaults and node attributes it names (each by name), the
top-level resources it names (by id: the whole resource), its constraints
(by id, or an equal constraint under another id: pcs' ``order-A-B-mandatory``
is the model's ``order-A-B``) and its fencing levels (by target and index).
Everything else in the cluster is left as it is: other resources, fencing
devices, constraints, properties (``maintenance-mode`` too), node attributes,
and sections the model does not describe (ACLs, alerts, tags). Inside a
resource the spec names, two things it does not set are kept: the
operational meta attributes an operator sets with ``pcs resource disable``
or ``crm resource unmanage`` (``target-role``, ``is-managed``,
``maintenance``), and parameters moved out of the CIB with cibsecret (value
``lrm://``; a spec value for such a parameter is not pushed over it).

``prune=True`` also removes what the spec does not name (and drops those
kept meta attributes and placeholders); :attr:`Plan.changes` lists every
removal before anything is sent. Some things are never pruned unless
``prune_protected=True`` as well: the ``maintenance-mode`` and
``stonith-enabled`` properties, the ``standby`` and ``maintenance`` node
attributes, fencing devices, fencing levels and constraints on fencing
devices. Without it they are listed in :attr:`Plan.protected` and kept.

A spec that turns fencing off (``stonith-enabled=false``) on a cluster where
it is on and fencing devices or levels are configured is refused
(:class:`ApplyRefused`) unless ``allow_fencing_off=True``: keeping the
devices while disabling them is as bad as deleting them.

Side effects go through a *runner*: ``runner(argv, input) ->
CompletedProcess`` (text, stdout/stderr captured, never raising), so the same
code works on the host, against a CIB file, or inside a test cluster node.

Example::

    from ocfpy.cib.apply import apply_config, local_runner
    result = apply_config(cfg, local_runner(cib_file="/tmp/cib.xml"), dry_run=True)
    for change in result.changes:
        print(change)
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Set, Tuple

from lxml import etree

from ocfpy.cib.canonical import canonical_form
from ocfpy.cib.diff import Change, diff_configurations
from ocfpy.cib.ids import IdAllocator
from ocfpy.cib.model import Config
from ocfpy.cib.render_xml import DEFAULT_SCHEMA, to_configuration

__all__ = ["Runner", "PACEMAKER_OWNED", "PROTECTED_PROPERTIES", "PROTECTED_NODE_ATTRIBUTES",
           "OPERATIONAL_META", "CIBSECRET", "ApplyError", "ApplyRefused", "local_runner",
           "query", "Plan", "plan_apply", "wanted_cib", "make_patch", "ApplyResult",
           "apply_config", "wait_settled"]


Runner = Callable[[Sequence[str], Optional[str]], subprocess.CompletedProcess]

#: cluster properties Pacemaker (or cluster set-up) writes; never removed by apply
PACEMAKER_OWNED = {"dc-version", "cluster-infrastructure", "cluster-name", "have-watchdog",
                   "last-lrm-refresh", "dc-deadtime"}
#: removed only with prune_protected (their removal changes fencing or maintenance)
PROTECTED_PROPERTIES = {"maintenance-mode", "stonith-enabled"}
PROTECTED_NODE_ATTRIBUTES = {"standby", "maintenance"}
#: meta attributes operators set on a resource at run time; kept unless pruning
OPERATIONAL_META = ("target-role", "is-managed", "maintenance")
CIBSECRET = "lrm://"
_SECTION_ORDER = ("crm_config", "nodes", "resources", "constraints", "fencing-topology",
                  "op_defaults", "rsc_defaults", "acls", "tags", "alerts")
_NAMED = {"primitive", "group", "clone", "master", "bundle", "template", "rsc_order",
          "rsc_colocation", "rsc_location", "rsc_ticket", "fencing-level", "node", "tag",
          "alert", "acl_target", "acl_group", "acl_role", "acl_user"}
_REFERENCES = {"resource_ref", "obj_ref"}
_FALSE = {"false", "0", "no", "off", "n"}
#: crm_diff -O/-N pass XML as one argument; Linux limits one argument to 128 KiB
_MAX_ARG = 120_000


class ApplyError(RuntimeError):
    """A cluster tool failed; the message carries its argv and stderr."""


class ApplyRefused(ValueError):
    """The plan would do something apply does not do without being asked
    (turn fencing off under configured devices) or cannot do (an id the spec
    uses belongs to another element of the cluster). One-line message."""


def local_runner(cib_file: Optional[str] = None, env: Optional[Dict[str, str]] = None) -> Runner:
    """Runner executing tools on this host; ``cib_file`` sets ``CIB_file``
    so cibadmin works on a file instead of the live cluster."""
    full_env = dict(os.environ, **(env or {}))
    if cib_file:
        full_env["CIB_file"] = cib_file

    def run(argv: Sequence[str], input: Optional[str] = None) -> subprocess.CompletedProcess:
        try:
            return subprocess.run(list(argv), input=input, capture_output=True, text=True,
                                  env=full_env, check=False)
        except FileNotFoundError:
            return subprocess.CompletedProcess(list(argv), 127, "",
                                               f"{argv[0]}: not installed")
    return run


def _check(p: subprocess.CompletedProcess, argv, ok=(0,)):
    if p.returncode not in ok:
        msg = " ".join((p.stderr or p.stdout or "").split())
        raise ApplyError(f"{' '.join(argv[:2])} failed (rc={p.returncode}): {msg[:500]}")
    return p


def query(runner: Runner) -> etree._Element:
    """The live CIB (``cibadmin --query``)."""
    argv = ["cibadmin", "--query"]
    p = _check(runner(argv, None), argv)
    return etree.fromstring(p.stdout.encode(), etree.XMLParser(remove_blank_text=True))


# ---------------------------------------------------------------- planning
@dataclass
class Plan:
    """What :func:`plan_apply` decided.

    ``wanted``: the CIB to reach; ``changes``: what differs from the live
    CIB (readable, see :mod:`ocfpy.cib.diff`); ``protected``: what
    ``prune`` would remove but keeps without ``prune_protected``;
    ``unnamed``: what the spec does not name and is left as it is (what
    ``prune`` would remove); ``notes``: things kept inside resources the
    spec names (operational meta, cibsecret placeholders).
    """

    live: etree._Element
    wanted: etree._Element
    changes: List[Change] = field(default_factory=list)
    protected: List[str] = field(default_factory=list)
    unnamed: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)


def _schema_of(live, schema: Optional[str]) -> str:
    if schema:
        return schema
    v = live.get("validate-with") or ""
    return v if re.match(r"^pacemaker-\d+\.\d+$", v) else DEFAULT_SCHEMA


def _section(conf, tag: str):
    el = conf.find(tag)
    if el is not None:
        return el
    el = etree.Element(tag)
    later = _SECTION_ORDER[_SECTION_ORDER.index(tag) + 1:] if tag in _SECTION_ORDER else ()
    for i, child in enumerate(conf):
        if child.tag in later:
            conf.insert(i, el)
            return el
    conf.append(el)
    return el


def _is_false(v: Optional[str]) -> bool:
    return v is not None and v.strip().lower() in _FALSE


def _refs(c) -> Set[str]:
    out = {c.get(a) for a in ("rsc", "with-rsc", "first", "then") if c.get(a)}
    out |= {r.get("id") for r in c.iter("resource_ref")}
    return out


def _level_key(lv) -> Tuple[str, str]:
    target = lv.get("target") or lv.get("target-pattern") or \
        f"{lv.get('target-attribute')}={lv.get('target-value')}"
    return target, lv.get("index")


class _Planner:
    def __init__(self, live, config: Config, schema: Optional[str], prune: bool,
                 prune_protected: bool, allow_fencing_off: bool):
        self.live = live
        self.config = config
        self.schema = _schema_of(live, schema)
        self.prune = prune
        self.prune_protected = prune_protected
        self.allow_fencing_off = allow_fencing_off
        self.ours = to_configuration(config, self.schema)
        self.new = copy.deepcopy(live)
        self.conf = self.new.find("configuration")
        if self.conf is None:
            raise ApplyError("the CIB has no <configuration> section")
        self.inserted: List[etree._Element] = []
        self.protected: List[str] = []
        self.unnamed: List[str] = []
        self.notes: List[str] = []
        live_res = live.find("configuration/resources")
        self.fencing_ids = {el.get("id") for el in (live_res if live_res is not None else [])
                            if el.tag == "primitive" and el.get("class") == "stonith"}

    # -- pruning decisions
    def _drop(self, what: str, protected: bool) -> bool:
        """Whether an element the spec does not name goes."""
        if not self.prune:
            self.unnamed.append(what)
            return False
        if protected and not self.prune_protected:
            self.protected.append(what)
            return False
        return True

    # -- nvpair sets edited by name
    def _merge_pairs(self, sets_parent, tag: str, wanted: Dict[str, str], set_id: str,
                     label: Callable[[str], str], protected_names=frozenset()):
        sets = sets_parent.findall(tag)
        for name, value in wanted.items():
            found = None
            for s in sets:
                for p in s.findall("nvpair"):
                    if p.get("name") == name:
                        found = p
                        break
                if found is not None:
                    break
            if found is not None:
                if found.get("value") != value:
                    found.set("value", value)
                continue
            if not sets:
                s = etree.SubElement(sets_parent, tag, id=set_id)
                self.inserted.append(s)
                sets = [s]
            p = etree.SubElement(sets[0], "nvpair", id=f"{sets[0].get('id')}-{name}",
                                 name=name, value=value)
            self.inserted.append(p)
        for s in sets_parent.findall(tag):
            for p in list(s.findall("nvpair")):
                name = p.get("name")
                if name in wanted:
                    continue
                if self._drop(label(name), name in protected_names):
                    s.remove(p)
            if self.prune and not len(s) and s not in self.inserted:
                sets_parent.remove(s)

    def properties(self):
        want = {p.get("name"): p.get("value")
                for p in self.ours.findall("crm_config/cluster_property_set/nvpair")}
        crm = self.conf.find("crm_config")
        boot = crm.find("cluster_property_set[@id='cib-bootstrap-options']") \
            if crm is not None else None
        if boot is None:
            if not want:
                return
            crm = _section(self.conf, "crm_config")
            boot = etree.SubElement(crm, "cluster_property_set", id="cib-bootstrap-options")
            self.inserted.append(boot)
        # edit the bootstrap set in place, by name
        for name, value in want.items():
            found = boot.find(f"nvpair[@name='{name}']")
            if found is not None:
                if found.get("value") != value:
                    found.set("value", value)
            else:
                p = etree.SubElement(boot, "nvpair", id=f"cib-bootstrap-options-{name}",
                                     name=name, value=value)
                self.inserted.append(p)
        for p in list(boot.findall("nvpair")):
            name = p.get("name")
            if name in want or name in PACEMAKER_OWNED:
                continue
            if self._drop(f"property {name!r}", name in PROTECTED_PROPERTIES):
                boot.remove(p)

    def fencing_guard(self):
        want = self.ours.find("crm_config/cluster_property_set/nvpair[@name='stonith-enabled']")
        if want is None or not _is_false(want.get("value")) or self.allow_fencing_off:
            return
        live = self.live.find("configuration/crm_config/cluster_property_set"
                              "[@id='cib-bootstrap-options']/nvpair[@name='stonith-enabled']")
        if live is not None and _is_false(live.get("value")):
            return  # already off: no change
        res = self.conf.find("resources")
        devices = sorted(el.get("id") for el in (res if res is not None else [])
                         if el.tag == "primitive" and el.get("class") == "stonith")
        levels = self.conf.findall("fencing-topology/fencing-level")
        if devices or levels:
            what = (f"fencing device(s) {', '.join(devices)}" if devices
                    else f"{len(levels)} fencing level(s)")
            raise ApplyRefused(
                f"the spec turns fencing off (stonith-enabled=false) but the cluster has "
                f"{what} and fencing on: remove stonith-enabled from the spec, or pass "
                f"--allow-fencing-off (allow_fencing_off=True) if you mean it")

    def _keep_inside(self, ours_el, live_el):
        """Operational meta and cibsecret placeholders of ``live_el``'s
        subtree that the spec does not set, copied into ``ours_el``."""
        if self.prune:
            return
        live_by_id = {e.get("id"): e for e in live_el.iter()
                      if e.tag in ("primitive", "group", "clone", "master")}
        for e in ours_el.iter():
            if e.tag not in ("primitive", "group", "clone", "master"):
                continue
            old = live_by_id.get(e.get("id"))
            if old is None:
                continue
            old_meta = {p.get("name"): p.get("value") for s in old.findall("meta_attributes")
                        for p in s.findall("nvpair")}
            new_meta = {p.get("name") for s in e.findall("meta_attributes")
                        for p in s.findall("nvpair")}
            for name in OPERATIONAL_META:
                if name in old_meta and name not in new_meta:
                    self._add_pair(e, "meta_attributes", name, old_meta[name])
                    self.notes.append(f"resource {e.get('id')!r}: kept {name}="
                                      f"{old_meta[name]} (set in the cluster, not in the spec; "
                                      f"--prune drops it)")
            if e.tag != "primitive":
                continue
            old_params = {p.get("name"): p.get("value")
                          for s in old.findall("instance_attributes")
                          for p in s.findall("nvpair")}
            for name, value in old_params.items():
                if value != CIBSECRET:
                    continue
                mine = [p for s in e.findall("instance_attributes") for p in s.findall("nvpair")
                        if p.get("name") == name]
                if mine and mine[0].get("value") == CIBSECRET:
                    continue
                if mine:
                    mine[0].set("value", CIBSECRET)
                    self.notes.append(f"resource {e.get('id')!r}: parameter {name!r} stays "
                                      f"{CIBSECRET} (kept by cibsecret; change it with "
                                      f"`cibsecret set`), the spec's value is not pushed")
                else:
                    self._add_pair(e, "instance_attributes", name, CIBSECRET)
                    self.notes.append(f"resource {e.get('id')!r}: kept parameter {name!r} = "
                                      f"{CIBSECRET} (cibsecret; not in the spec)")

    @staticmethod
    def _add_pair(el, tag, name, value):
        s = el.find(tag)
        if s is None:
            s = etree.Element(tag, id=f"{el.get('id')}-{tag}")
            # nvsets come before <operations> (and, in a clone, before the child)
            anchor = next((i for i, c in enumerate(el)
                           if c.tag in ("operations", "primitive", "group")), len(el))
            el.insert(anchor, s)
        etree.SubElement(s, "nvpair", id=f"{s.get('id')}-{name}", name=name, value=value)

    def resources(self):
        res = _section(self.conf, "resources")
        live_top = {el.get("id"): el for el in res}
        ours_top = list(self.ours.find("resources"))
        named = {el.get("id") for el in ours_top}
        for rid, el in live_top.items():
            if rid in named:
                continue
            fencing = rid in self.fencing_ids
            if self._drop(f"{'fencing-device' if fencing else 'resource'} {rid!r}", fencing):
                res.remove(el)
        for el in ours_top:
            old = live_top.get(el.get("id"))
            if old is None:
                res.append(el)
                self.inserted.append(el)
                continue
            self._keep_inside(el, old)
            if canonical_form(el) == canonical_form(old):
                continue  # the same meaning: keep the live element and its ids
            res.replace(old, el)
            self.inserted.append(el)

    def constraints(self):
        cons = _section(self.conf, "constraints")
        live = list(cons)
        by_id = {c.get("id"): c for c in live}
        matched: Set[etree._Element] = set()  # live elements (referenced: stable)
        spec_ids = {x.get("id") for x in self.ours.find("constraints")}
        for c in list(self.ours.find("constraints")):
            old = by_id.get(c.get("id"))
            if old is not None:
                matched.add(old)
                if canonical_form(old) != canonical_form(c):
                    cons.replace(old, c)
                    self.inserted.append(c)
                continue
            canon = canonical_form(c)
            same = next((o for o in live if o not in matched
                         and o.get("id") not in spec_ids and canonical_form(o) == canon), None)
            if same is not None:
                matched.add(same)
                continue
            cons.append(c)
            self.inserted.append(c)
        for o in live:
            if o in matched:
                continue
            fencing = bool(_refs(o) & self.fencing_ids)
            if self._drop(f"constraint {o.get('id')!r}", fencing):
                cons.remove(o)

    def fencing_levels(self):
        ours = self.ours.findall("fencing-topology/fencing-level")
        ft = self.conf.find("fencing-topology")
        live = ft.findall("fencing-level") if ft is not None else []
        by_key = {_level_key(lv): lv for lv in live}
        wanted = set()
        for lv in ours:
            key = _level_key(lv)
            wanted.add(key)
            old = by_key.get(key)
            if old is not None:
                if old.get("devices") != lv.get("devices"):
                    old.set("devices", lv.get("devices"))
                continue
            ft = _section(self.conf, "fencing-topology")
            ft.append(lv)
            self.inserted.append(lv)
        for key, old in by_key.items():
            if key not in wanted and self._drop(f"fencing-level '{key[0]}/{key[1]}'", True):
                old.getparent().remove(old)

    def defaults(self):
        for tag, set_id in (("rsc_defaults", "rsc-options"), ("op_defaults", "op-options")):
            want = {p.get("name"): p.get("value")
                    for p in self.ours.findall(f"{tag}/meta_attributes/nvpair")}
            sec = self.conf.find(tag)
            if sec is None:
                if not want:
                    continue
                sec = _section(self.conf, tag)
            kind = tag[:-1]  # rsc_default, op_default
            self._merge_pairs(sec, "meta_attributes", want, set_id,
                              lambda name, kind=kind: f"{kind} {name!r}")
            if self.prune and not len(sec):
                self.conf.remove(sec)

    def nodes(self):
        nodes = _section(self.conf, "nodes")
        ours = {n.get("uname"): n for n in self.ours.findall("nodes/node")}
        for n in nodes.findall("node"):
            uname = n.get("uname") or n.get("id")
            spec = ours.pop(uname, None)
            for tag, kind in (("instance_attributes", "node-attribute"),
                              ("utilization", "node-utilization")):
                want = {p.get("name"): p.get("value")
                        for s in (spec.findall(tag) if spec is not None else [])
                        for p in s.findall("nvpair")}
                suffix = "" if tag == "instance_attributes" else "-utilization"
                self._merge_pairs(n, tag, want, f"nodes-{n.get('id')}{suffix}",
                                  lambda name, kind=kind, uname=uname: f"{kind} '{uname} {name}'",
                                  PROTECTED_NODE_ATTRIBUTES if tag == "instance_attributes"
                                  else frozenset())
        for n in ours.values():
            nodes.append(n)
            self.inserted.append(n)

    def fix_ids(self):
        """Duplicate ids: rename ours when only nested ids clash; refuse when a
        name users refer to clashes."""
        # the elements themselves, not id()s: lxml's proxies (and so their
        # id()s) are only stable while a reference to them is held
        ours_nodes = {e for el in self.inserted for e in el.iter()}
        seen: Dict[str, etree._Element] = {}
        clashes: List[Tuple[etree._Element, etree._Element]] = []
        for e in self.conf.iter():
            if not isinstance(e.tag, str) or e.tag in _REFERENCES or (
                    e.tag == "role" and e.getparent().tag in ("acl_target", "acl_group")):
                continue
            i = e.get("id")
            if i is None:
                continue
            if i in seen:
                clashes.append((seen[i], e))
            else:
                seen[i] = e
        alloc = IdAllocator(set(seen))
        for a, b in clashes:
            a_mine, b_mine = a in ours_nodes, b in ours_nodes
            if not (a_mine or b_mine):
                continue  # the cluster's own business
            mine, other = (b, a) if b_mine else (a, b)
            if mine.tag in _NAMED and not (a_mine and b_mine):
                raise ApplyRefused(
                    f"id {mine.get('id')!r} of the spec's {mine.tag} is already used in the "
                    f"cluster by {_describe(other)}: rename one of them, or apply with "
                    f"--prune to replace what the spec does not name")
            mine.set("id", alloc.new(mine.get("id")))

    def run(self) -> Plan:
        self.resources()
        self.constraints()
        self.fencing_levels()
        self.properties()
        self.fencing_guard()
        self.defaults()
        self.nodes()
        self.fix_ids()
        return Plan(self.live, self.new, diff_configurations(self.live, self.new),
                    self.protected, self.unnamed, self.notes)


def _describe(el) -> str:
    top = el
    while top.getparent() is not None and top.getparent().tag not in (
            "resources", "constraints", "configuration", "fencing-topology"):
        top = top.getparent()
    if top is el:
        return f"{el.tag} {el.get('id')!r}"
    return f"{el.tag} {el.get('id')!r} inside {top.tag} {top.get('id')!r}"


def plan_apply(live: etree._Element, config: Config, schema: Optional[str] = None,
               prune: bool = False, prune_protected: bool = False,
               allow_fencing_off: bool = False) -> Plan:
    """The wanted CIB for ``config`` applied onto ``live`` (no tools run).

    Raises :class:`ApplyRefused` (one-line message) for what apply does not do.
    """
    return _Planner(live, config, schema, prune, prune_protected, allow_fencing_off).run()


def wanted_cib(live: etree._Element, config: Config, schema: Optional[str] = None
               ) -> etree._Element:
    """The live CIB with what ``config`` names set (see :func:`plan_apply`)."""
    return plan_apply(live, config, schema).wanted


def make_patch(runner: Runner, old: etree._Element, new: etree._Element) -> Optional[str]:
    """crm_diff patch turning ``old`` into ``new``, or None if equal."""
    a = etree.tostring(old, encoding="unicode")
    b = etree.tostring(new, encoding="unicode")
    if len(a) + len(b) < _MAX_ARG:
        argv = ["crm_diff", "-O", a, "-N", b]
        p = _check(runner(argv, None), argv, ok=(0, 1))
    else:
        # too big for argv: crm_diff is a pure computation, run it here on files
        with tempfile.TemporaryDirectory() as d:
            fa, fb = os.path.join(d, "old.xml"), os.path.join(d, "new.xml")
            with open(fa, "w") as f:
                f.write(a)
            with open(fb, "w") as f:
                f.write(b)
            argv = ["crm_diff", "-o", fa, "-n", fb]
            p = _check(local_runner()(argv, None), argv, ok=(0, 1))
    # crm_diff: rc 0 = no difference, 1 = difference printed
    return p.stdout if p.returncode == 1 and p.stdout.strip() else None


@dataclass
class ApplyResult:
    """``changed``: the cluster differs (dry run) or was changed; ``patch``:
    the XML sent (or that would be); ``changes``: the readable diff;
    ``protected``/``unnamed``/``notes`` as in :class:`Plan`; ``settled``:
    seconds :func:`wait_settled` waited (None: not asked)."""

    changed: bool
    patch: Optional[str]
    changes: List[Change] = field(default_factory=list)
    protected: List[str] = field(default_factory=list)
    unnamed: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    dry_run: bool = False
    settled: Optional[float] = None

    def to_dict(self) -> dict:
        return {"changed": self.changed, "dry_run": self.dry_run,
                "applied": self.changed and not self.dry_run,
                "changes": [c.to_dict() for c in self.changes],
                "protected": self.protected, "unnamed": self.unnamed, "notes": self.notes,
                "settled_seconds": self.settled}


def apply_config(config: Config, runner: Runner, schema: Optional[str] = None,
                 dry_run: bool = False, prune: bool = False, prune_protected: bool = False,
                 allow_fencing_off: bool = False, wait: Optional[float] = None
                 ) -> ApplyResult:
    """Make the cluster hold what ``config`` names, sending only the change.

    ``wait``: after a change, wait up to that many seconds for the cluster
    to settle (:func:`wait_settled`; live clusters only).
    """
    if prune_protected and not prune:
        raise ApplyRefused("prune_protected needs prune (--prune-protected needs --prune)")
    live = query(runner)
    plan = plan_apply(live, config, schema, prune, prune_protected, allow_fencing_off)
    result = ApplyResult(False, None, plan.changes, plan.protected, plan.unnamed, plan.notes,
                         dry_run=dry_run)
    new = plan.wanted
    if make_patch(runner, live, new) is None:
        result.changes = []
        return result
    # the CIB manager refuses a patch that does not raise the version
    new.set("epoch", str(int(live.get("epoch", "0")) + 1))
    new.set("num_updates", "0")
    result.patch = make_patch(runner, live, new)
    result.changed = True
    if not dry_run:
        argv = ["cibadmin", "--patch", "--xml-pipe"]
        _check(runner(argv, result.patch), argv)
        if wait is not None:
            result.settled = wait_settled(runner, wait)
    return result


def wait_settled(runner: Runner, timeout: float = 60, interval: float = 0.1) -> float:
    """Wait until the cluster has nothing left to do: the DC is idle and the
    scheduler, run on the live CIB, plans no action (what ``crm_resource
    --wait`` checks, polled every ``interval`` s instead of every 2 s).
    Returns the seconds waited; raises :class:`ApplyError` after ``timeout``."""
    t0 = time.monotonic()
    last = ""
    while True:
        dc = runner(["crmadmin", "-D", "-q"], None)
        name = (dc.stdout or dc.stderr or "").strip().split()[-1:] if dc.returncode == 0 else []
        if name:
            st = runner(["crmadmin", "-q", "-S", name[0]], None)
            state = (st.stdout + st.stderr).strip()
            if "S_IDLE" in state:
                sim = runner(["crm_simulate", "-L", "-S"], None)
                summary = _transition_summary(sim.stdout) if sim.returncode == 0 else ["?"]
                if not summary:
                    return time.monotonic() - t0
                last = "pending: " + "; ".join(summary)[:300]
            else:
                last = f"DC {name[0]} in {state}"
        else:
            last = "no DC"
        if time.monotonic() - t0 >= timeout:
            raise ApplyError(f"the cluster did not settle within {timeout:g}s ({last})")
        time.sleep(interval)


def _transition_summary(text: str) -> List[str]:
    """Action lines of crm_simulate's "Transition Summary" section."""
    out, inside = [], False
    for line in text.splitlines():
        if line.startswith("Transition Summary"):
            inside = True
            continue
        if inside:
            if line and not line.startswith(" "):
                break
            if line.strip().startswith("*"):
                out.append(" ".join(line.split()))
    return out
