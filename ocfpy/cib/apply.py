"""Apply a model to a cluster by pushing only the change.

Steps: ``cibadmin --query``; build the wanted CIB from the live one (our
sections replaced, Pacemaker-owned properties and unmanaged sections kept);
``crm_diff`` the two; if they differ, ``cibadmin --patch``. Applying the same
model twice sends nothing the second time (crm_diff finds no difference).

What the model owns: resources, constraints, fencing topology, rsc/op
defaults and the cluster properties it names (others in
``cib-bootstrap-options`` are removed, except the ones Pacemaker maintains
itself: dc-version, cluster-infrastructure, cluster-name, have-watchdog, ...).
Nodes: only the attributes of nodes listed in the model are set; other nodes
and sections (ACLs, alerts, tags) are left alone.

Side effects go through a *runner*: ``runner(argv, input) ->
CompletedProcess`` (text, stdout/stderr captured, never raising), so the same
code works on the host, against a CIB file, or inside a test cluster node.

Example::

    from ocfpy.cib.apply import apply_config, local_runner
    result = apply_config(cfg, local_runner(cib_file="/tmp/cib.xml"))
    print(result.changed, result.patch)
"""

from __future__ import annotations

import copy
import os
import subprocess
import tempfile
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Sequence

from lxml import etree

from ocfpy.cib.model import Config
from ocfpy.cib.render_xml import to_configuration

Runner = Callable[[Sequence[str], Optional[str]], subprocess.CompletedProcess]

#: cluster properties Pacemaker writes itself; never removed by apply
PACEMAKER_OWNED = {"dc-version", "cluster-infrastructure", "cluster-name", "have-watchdog",
                   "last-lrm-refresh", "dc-deadtime"}
_OWNED_SECTIONS = ("resources", "constraints", "fencing-topology", "rsc_defaults",
                   "op_defaults")
_SECTION_ORDER = ("crm_config", "nodes", "resources", "constraints", "fencing-topology",
                  "op_defaults", "rsc_defaults", "acls", "tags", "alerts")
#: crm_diff -O/-N pass XML as one argument; Linux limits one argument to 128 KiB
_MAX_ARG = 120_000


class ApplyError(RuntimeError):
    """A cluster tool failed; the message carries its argv and stderr."""


def local_runner(cib_file: Optional[str] = None, env: Optional[Dict[str, str]] = None) -> Runner:
    """Runner executing tools on this host; ``cib_file`` sets ``CIB_file``
    so cibadmin works on a file instead of the live cluster."""
    full_env = dict(os.environ, **(env or {}))
    if cib_file:
        full_env["CIB_file"] = cib_file

    def run(argv: Sequence[str], input: Optional[str] = None) -> subprocess.CompletedProcess:
        return subprocess.run(list(argv), input=input, capture_output=True, text=True,
                              env=full_env, check=False)
    return run


def _check(p: subprocess.CompletedProcess, argv, ok=(0,)):
    if p.returncode not in ok:
        raise ApplyError(f"{' '.join(argv[:2])} failed (rc={p.returncode}): "
                         f"{(p.stderr or p.stdout or '').strip()[:2000]}")
    return p


def query(runner: Runner) -> etree._Element:
    """The live CIB (``cibadmin --query``)."""
    argv = ["cibadmin", "--query"]
    p = _check(runner(argv, None), argv)
    return etree.fromstring(p.stdout.encode(), etree.XMLParser(remove_blank_text=True))


def wanted_cib(live: etree._Element, config: Config, schema: Optional[str] = None
               ) -> etree._Element:
    """The live CIB with the sections the model owns replaced by the model."""
    schema = schema or live.get("validate-with") or "pacemaker-3.9"
    ours = to_configuration(config, schema)
    new = copy.deepcopy(live)
    conf = new.find("configuration")

    # cluster properties: edit the live set in place, so order stays stable
    live_crm = conf.find("crm_config")
    if live_crm is None:
        live_crm = etree.SubElement(conf, "crm_config")
    boot = live_crm.find("cluster_property_set[@id='cib-bootstrap-options']")
    want = {p.get("name"): p for p in ours.findall("crm_config/*/nvpair")}
    if boot is None and want:
        boot = etree.SubElement(live_crm, "cluster_property_set", id="cib-bootstrap-options")
    if boot is not None:
        for p in list(boot.findall("nvpair")):
            name = p.get("name")
            if name in want:
                p.set("value", want.pop(name).get("value"))
            elif name not in PACEMAKER_OWNED:
                boot.remove(p)
        for p in want.values():
            boot.append(p)

    # nodes: set the attributes of the nodes the model lists
    live_nodes = conf.find("nodes")
    for n in ours.findall("nodes/node"):
        cur = live_nodes.find(f"node[@uname='{n.get('uname')}']")
        if cur is None:
            live_nodes.append(n)
            continue
        for tag in ("instance_attributes", "utilization"):
            for old in cur.findall(tag):
                cur.remove(old)
            for el in n.findall(tag):
                cur.append(el)

    for tag in _OWNED_SECTIONS:
        old = conf.find(tag)
        el = ours.find(tag)
        if old is not None and el is not None:
            conf.replace(old, el)
        elif old is not None:
            conf.remove(old)
        elif el is not None:
            conf.append(el)
    # keep sections in schema order (the schema is lenient, crm_diff is not)
    conf[:] = sorted(conf, key=lambda e: _SECTION_ORDER.index(e.tag)
                     if e.tag in _SECTION_ORDER else len(_SECTION_ORDER))
    return new


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
    """``patch`` is the XML sent (None if nothing changed)."""

    changed: bool
    patch: Optional[str]


def apply_config(config: Config, runner: Runner, schema: Optional[str] = None,
                 dry_run: bool = False) -> ApplyResult:
    """Make the cluster's configuration match ``config``, sending only the change."""
    live = query(runner)
    new = wanted_cib(live, config, schema)
    if make_patch(runner, live, new) is None:
        return ApplyResult(False, None)
    # the CIB manager refuses a patch that does not raise the version
    new.set("epoch", str(int(live.get("epoch", "0")) + 1))
    new.set("num_updates", "0")
    patch = make_patch(runner, live, new)
    if not dry_run:
        argv = ["cibadmin", "--patch", "--xml-pipe"]
        _check(runner(argv, patch), argv)
    return ApplyResult(True, patch)
