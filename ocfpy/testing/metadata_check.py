"""Structural check of OCF resource agent meta-data (OCF 1.1, and 1.0 via the DTD).

Our own reading of the OCF 1.1 meta-data format, written as Python so that
every problem gets a precise message (element path, what is wrong):

    resource-agent(name, version?)
      version                       the OCF version claimed ("1.1")
      longdesc(lang?)+  shortdesc(lang?)+
      parameters > parameter+(name, required?, unique?, unique-group?,
                               reloadable?, private? (Pacemaker), advanced? (pcs))
          deprecated?(replaced-with(name)*, desc*)  longdesc+  shortdesc+
          content(type=boolean|string|integer|select, default?) > option(value)* for select
      actions > action+(name, timeout, interval?, depth?, role?, start-delay?)
      special(tag)*

Unknown attributes and the legacy 1.0 content type ``time`` are warnings;
anything that breaks the structure is an error. :func:`dtd_problems` runs
``xmllint --dtdvalid`` against resource-agents' 1.0 DTD, which applies only
when the meta-data uses no OCF 1.1-only construct (:attr:`MetadataReport.ocf11_only`).

Example::

    report = check_metadata(xml_text)
    report.errors          # [] when valid
    report.actions         # [{"name": "start", "timeout": 20.0, ...}, ...]
    report.ocf11_only      # ["parameter 'state': attribute unique-group", ...]
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field

__all__ = ["MetadataReport", "check_metadata", "dtd_problems", "parse_time", "DTD_PATH"]

DTD_PATH = "/usr/share/resource-agents/ra-api-1.dtd"
TYPES_11 = ("boolean", "string", "integer", "select")
ROLES_11 = ("Promoted", "Unpromoted", "Started", "Stopped")
LEGACY_ROLES = ("Master", "Slave")
BOOL_WORDS = ("0", "1", "true", "false", "yes", "no", "on", "off")
#: action names the 1.0 DTD accepts
DTD_ACTIONS = ("start", "stop", "recover", "monitor", "restart", "migrate_to", "migrate_from",
               "promote", "demote", "notify", "status", "reload", "meta-data", "usage",
               "methods", "validate-all")
_TIME = re.compile(r"^\s*(\d+)\s*(ms|msec|us|usec|s|sec|m|min|h|hr)?\s*$")
_UNITS = {None: 1.0, "s": 1.0, "sec": 1.0, "ms": 0.001, "msec": 0.001, "us": 1e-6,
          "usec": 1e-6, "m": 60.0, "min": 60.0, "h": 3600.0, "hr": 3600.0}


def parse_time(text):
    """Seconds of a Pacemaker duration ("20s", "500ms", "2min", "10"), or None.

    >>> parse_time("20s"), parse_time("500ms"), parse_time("x")
    (20.0, 0.5, None)
    """
    match = _TIME.match(text or "")
    if not match:
        return None
    return int(match.group(1)) * _UNITS[match.group(2)]


@dataclass
class MetadataReport:
    """Result of :func:`check_metadata`."""

    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    ocf11_only: list = field(default_factory=list)
    name: str = ""
    ocf_version: str = ""
    parameters: list = field(default_factory=list)   # dicts: name, required, default, type
    actions: list = field(default_factory=list)      # dicts: name, timeout (s), interval, role, depth

    @property
    def ok(self) -> bool:
        return not self.errors

    def action(self, name, role=None):
        """The first declared action ``name`` (with ``role`` when given), or None."""
        for a in self.actions:
            if a["name"] == name and (role is None or a.get("role") == role):
                return a
        return None

    def has_action(self, name) -> bool:
        return self.action(name) is not None


def _children(el):
    return [c for c in el if isinstance(c.tag, str)]


def _check_bool(report, where, el, attr):
    value = el.get(attr)
    if value is not None and value.strip().lower() not in BOOL_WORDS:
        report.errors.append(f"{where}: {attr}={value!r} is not a boolean (use 0 or 1)")


def _check_descs(report, where, el, required=True):
    for tag in ("longdesc", "shortdesc"):
        if required and el.find(tag) is None:
            report.errors.append(f"{where}: missing <{tag}>")


def _check_parameter(report, p, index):
    name = p.get("name")
    where = f"parameter {name!r}" if name else f"parameter #{index}"
    if not name:
        report.errors.append(f"{where}: missing the name attribute")
    known = {"name", "required", "unique", "unique-group", "reloadable", "private", "advanced"}
    for attr in p.attrib:
        if attr not in known:
            report.warnings.append(f"{where}: unknown attribute {attr}")
    for attr in ("required", "unique", "reloadable", "private", "advanced"):
        _check_bool(report, where, p, attr)
    for attr in ("unique-group", "reloadable", "private", "advanced"):
        if attr in p.attrib:
            report.ocf11_only.append(f"{where}: attribute {attr}")
    allowed = ("deprecated", "longdesc", "shortdesc", "content")
    for child in _children(p):
        if child.tag not in allowed:
            report.errors.append(f"{where}: unexpected element <{child.tag}>")
    _check_descs(report, where, p)
    dep = p.find("deprecated")
    if dep is not None:
        report.ocf11_only.append(f"{where}: element deprecated")
        for child in _children(dep):
            if child.tag == "replaced-with" and not child.get("name"):
                report.errors.append(f"{where}: <replaced-with> without a name")
            elif child.tag not in ("replaced-with", "desc"):
                report.errors.append(f"{where}: unexpected <{child.tag}> in <deprecated>")
    contents = p.findall("content")
    info = {"name": name, "required": (p.get("required") or "0").lower() in ("1", "true", "yes"),
            "unique": (p.get("unique") or "0").lower() in ("1", "true", "yes"),
            "type": None, "default": None}
    if len(contents) != 1:
        report.errors.append(f"{where}: needs exactly one <content>, found {len(contents)}")
    else:
        c = contents[0]
        ctype = c.get("type")
        info["type"], info["default"] = ctype, c.get("default")
        options = [o.get("value") for o in c.findall("option")]
        if ctype is None:
            report.errors.append(f"{where}: <content> without a type")
        elif ctype == "time":
            report.warnings.append(f"{where}: content type 'time' is OCF 1.0 only; "
                                   "OCF 1.1 has boolean, string, integer, select")
        elif ctype not in TYPES_11:
            report.errors.append(f"{where}: content type {ctype!r} is not one of "
                                 + ", ".join(TYPES_11))
        if ctype == "select":
            report.ocf11_only.append(f"{where}: content type select")
            if not options:
                report.errors.append(f"{where}: select content without <option> elements")
            if any(not v for v in options):
                report.errors.append(f"{where}: <option> without a value")
            if c.get("default") not in (None, "") and c.get("default") not in options:
                report.errors.append(f"{where}: default {c.get('default')!r} is not one of "
                                     f"the options {options}")
        elif options:
            report.errors.append(f"{where}: <option> is only allowed in select content")
        default = c.get("default")
        if default not in (None, "") and ctype == "integer":
            try:
                int(default)
            except ValueError:
                report.errors.append(f"{where}: integer default {default!r} is not an integer")
        if default not in (None, "") and ctype == "boolean" and default.lower() not in BOOL_WORDS:
            report.errors.append(f"{where}: boolean default {default!r} is not a boolean")
    report.parameters.append(info)


def _check_action(report, a, index):
    name = a.get("name")
    where = f"action {name!r}" if name else f"action #{index}"
    if not name:
        report.errors.append(f"{where}: missing the name attribute")
        return
    known = {"name", "timeout", "interval", "depth", "role", "start-delay"}
    for attr in a.attrib:
        if attr not in known:
            report.warnings.append(f"{where}: unknown attribute {attr}")
    info = {"name": name, "timeout": None, "interval": None, "depth": a.get("depth"),
            "role": a.get("role")}
    if a.get("timeout") is None:
        report.errors.append(f"{where}: missing the timeout attribute")
    for attr in ("timeout", "interval", "start-delay"):
        value = a.get(attr)
        if value is None:
            continue
        seconds = parse_time(value)
        if seconds is None:
            report.errors.append(f"{where}: {attr}={value!r} is not a duration (e.g. 20s)")
        elif attr in ("timeout", "interval"):
            info[attr] = seconds
    depth = a.get("depth")
    if depth is not None and not depth.strip().isdigit():
        report.errors.append(f"{where}: depth={depth!r} is not a non-negative integer")
    role = a.get("role")
    if role is not None:
        if role in LEGACY_ROLES:
            report.warnings.append(f"{where}: role {role!r} is the legacy name "
                                   f"(OCF 1.1: {'Promoted' if role == 'Master' else 'Unpromoted'})")
        elif role not in ROLES_11:
            report.errors.append(f"{where}: role {role!r} is not one of " + ", ".join(ROLES_11))
    if name not in DTD_ACTIONS:
        report.ocf11_only.append(f"{where}: action name not in the OCF 1.0 DTD")
    report.actions.append(info)


def check_metadata(text) -> MetadataReport:
    """Check one meta-data document; see the module docstring for the rules."""
    from lxml import etree

    report = MetadataReport()
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        root = etree.fromstring(text.encode() if isinstance(text, str) else text, parser)
    except etree.XMLSyntaxError as exc:
        report.errors.append(f"not well-formed XML: {exc}")
        return report
    if root.tag != "resource-agent":
        report.errors.append(f"root element is <{root.tag}>, expected <resource-agent>")
        return report
    report.name = root.get("name") or ""
    if not report.name:
        report.errors.append("<resource-agent> has no name attribute")
    allowed = ("version", "longdesc", "shortdesc", "parameters", "actions", "special")
    for child in _children(root):
        if child.tag not in allowed:
            report.errors.append(f"unexpected element <{child.tag}> in <resource-agent>")
    version = root.find("version")
    if version is None:
        report.errors.append("missing <version> (the OCF version the agent follows, e.g. 1.1)")
    else:
        report.ocf_version = (version.text or "").strip()
        if not re.match(r"^\d+\.\d+$", report.ocf_version):
            report.errors.append(f"<version> {report.ocf_version!r} is not an OCF version like 1.1")
    _check_descs(report, "<resource-agent>", root)
    params = root.find("parameters")
    if params is None:
        report.errors.append("missing <parameters> (OCF 1.1 needs at least one parameter)")
    else:
        plist = params.findall("parameter")
        if not plist:
            report.errors.append("<parameters> is empty (OCF 1.1 needs at least one parameter)")
        for child in _children(params):
            if child.tag != "parameter":
                report.errors.append(f"unexpected element <{child.tag}> in <parameters>")
        names = [p.get("name") for p in plist]
        for dup in sorted({n for n in names if n and names.count(n) > 1}):
            report.errors.append(f"parameter {dup!r} is declared more than once")
        for i, p in enumerate(plist, 1):
            _check_parameter(report, p, i)
    actions = root.find("actions")
    if actions is None:
        report.errors.append("missing <actions>")
    else:
        for i, a in enumerate(actions.findall("action"), 1):
            _check_action(report, a, i)
        for child in _children(actions):
            if child.tag != "action":
                report.errors.append(f"unexpected element <{child.tag}> in <actions>")
        declared = {a["name"] for a in report.actions}
        for needed in ("start", "stop", "monitor", "meta-data"):
            if needed not in declared:
                report.errors.append(f"action {needed!r} is not declared in <actions>")
        if "validate-all" not in declared:
            report.warnings.append("action 'validate-all' is not declared")
    for special in root.findall("special"):
        report.ocf11_only.append("element special")
        if not special.get("tag"):
            report.errors.append("<special> without a tag attribute")
    return report


def dtd_problems(text, dtd=DTD_PATH):
    """Validity errors of ``text`` against the OCF 1.0 DTD (xmllint), [] when
    valid, or None when xmllint or the DTD is not installed."""
    import os

    xmllint = shutil.which("xmllint")
    if xmllint is None or not os.path.exists(dtd):
        return None
    proc = subprocess.run([xmllint, "--noout", "--nonet", "--dtdvalid", dtd, "-"],
                          input=text.encode() if isinstance(text, str) else text,
                          capture_output=True, check=False)
    if proc.returncode == 0:
        return []
    lines = proc.stderr.decode("utf-8", "replace").splitlines()
    problems = [line.split(": ", 1)[-1] for line in lines
                if "error" in line and "failed to load external entity" not in line]
    return problems or [f"xmllint exited {proc.returncode}"]
