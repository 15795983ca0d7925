"""Check a configuration's parameters against the agents' own meta-data.

The checks pcs makes when it creates a resource, and a few it leaves to the
agents: a required parameter missing, a parameter the agent does not know, a
value outside a ``select`` list or not of the declared type (integer,
boolean), a ``unique`` parameter (or unique group) with the same value in two
resources of the same agent, and a deprecated parameter (a warning, as pcs
gives). Each finding names the resource and the parameter.

Meta-data comes from the agent installed on THIS machine: an OCF agent is run
directly (``$OCF_ROOT/resource.d/<provider>/<type> meta-data``), other classes
through ``crm_resource --show-metadata``; each agent is asked once per
process. An agent that is not installed here (a ``systemd:`` unit on a machine
without systemd, a fence agent of another distribution) gives one warning per
resource, never an error: the configuration may well be right for the cluster
it is meant for.

A value ``lrm://`` is Pacemaker's cibsecret placeholder (the real value lives
in ``/var/lib/pacemaker/lrm/secrets`` on each node): it counts as set and its
type is not checked. A secret parameter (our agents say "cibsecret" in its
description; other agents mark it ``private="1"``) holding a plain value in
the CIB is a warning that says how to move it out.

Example::

    from ocfpy.cib.agents import check_parameters
    for finding in check_parameters(cfg):
        print(finding)     # "error: primitive 'galera': required parameter ..."
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

from lxml import etree

from ocfpy.cib.lint import Finding
from ocfpy.cib.model import Config, Primitive

__all__ = ["CIBSECRET_MAGIC", "Parameter", "AgentMetadata", "parse_metadata",
           "fetch_metadata_text", "MetadataSource", "installed_metadata", "clear_cache",
           "check_parameters"]


#: Pacemaker's placeholder for a value kept out of the CIB by cibsecret
CIBSECRET_MAGIC = "lrm://"
_TRUE = {"1", "yes", "true", "on", "y"}
_FALSE = {"0", "no", "false", "off", "n"}
_INT_RE = re.compile(r"^[+-]?\d+$")
#: parameters Pacemaker's fencer accepts for every fence agent
_FENCER_PREFIX = "pcmk_"
_FENCER_PARAMS = {"priority", "provides"}


@dataclass
class Parameter:
    """One ``<parameter>`` of an agent's meta-data."""

    name: str
    required: bool = False
    type: str = "string"
    default: Optional[str] = None
    options: Tuple[str, ...] = ()
    unique_group: Optional[str] = None
    deprecated: bool = False
    replaced_with: Tuple[str, ...] = ()
    secret: bool = False


@dataclass
class AgentMetadata:
    """The parts of an agent's meta-data the checks need."""

    agent: str
    parameters: Dict[str, Parameter] = field(default_factory=dict)

    @property
    def unique_groups(self) -> Dict[str, List[str]]:
        out: Dict[str, List[str]] = {}
        for p in self.parameters.values():
            if p.unique_group:
                out.setdefault(p.unique_group, []).append(p.name)
        return out


def parse_metadata(agent: str, text: str) -> AgentMetadata:
    """Parse meta-data XML text (OCF 1.0 or 1.1) of ``agent``.

    >>> md = parse_metadata("ocf:x:y", '<resource-agent name="y"><parameters>'
    ...     '<parameter name="n" required="1"><content type="integer"/></parameter>'
    ...     '</parameters></resource-agent>')
    >>> md.parameters["n"].required, md.parameters["n"].type
    (True, 'integer')
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(text.encode() if isinstance(text, str) else text, parser)
    md = AgentMetadata(agent)
    for p in root.iter("parameter"):
        name = p.get("name")
        if not name:
            continue
        content = p.find("content")
        typ = (content.get("type") if content is not None else None) or "string"
        options = tuple(o.get("value") for o in content.findall("option")) \
            if content is not None else ()
        group = p.get("unique-group")
        if not group and p.get("unique") in ("1", "true"):
            group = f"unique:{name}"
        dep = p.find("deprecated")
        replaced = tuple(r.get("name") for r in dep.findall("replaced-with")) \
            if dep is not None else ()
        longdesc = "".join(p.findtext("longdesc") or "")
        md.parameters[name] = Parameter(
            name=name, required=p.get("required") in ("1", "true"), type=typ,
            default=content.get("default") if content is not None else None,
            options=options, unique_group=group, deprecated=dep is not None,
            replaced_with=replaced,
            secret=p.get("private") in ("1", "true") or "cibsecret" in longdesc)
    return md


def _ocf_root() -> str:
    return os.environ.get("OCF_ROOT", "/usr/lib/ocf")


def fetch_metadata_text(agent: str, timeout: float = 15) -> Optional[str]:
    """Meta-data XML of ``agent`` as installed here, or None when it is not.

    OCF agents are run directly (no daemon needed); other classes go through
    ``crm_resource --show-metadata``.
    """
    parts = agent.split(":")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCF_RESKEY_")}
    env.setdefault("OCF_ROOT", _ocf_root())
    if parts[0] == "ocf" and len(parts) == 3:
        path = os.path.join(_ocf_root(), "resource.d", parts[1], parts[2])
        if not os.access(path, os.X_OK) or os.path.isdir(path):
            return None
        argv = [path, "meta-data"]
    else:
        tool = shutil.which("crm_resource")
        if tool is None:
            return None
        argv = [tool, "--show-metadata", agent]
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env,
                           stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    out = p.stdout.strip()
    if p.returncode != 0 or not out.startswith("<") or "<resource-agent" not in out:
        return None
    return out


_CACHE: Dict[str, Optional[AgentMetadata]] = {}

MetadataSource = Callable[[str], Optional[AgentMetadata]]


def installed_metadata(agent: str) -> Optional[AgentMetadata]:
    """Parsed meta-data of ``agent`` installed here (cached per process), or None."""
    if agent not in _CACHE:
        text = fetch_metadata_text(agent)
        md = None
        if text is not None:
            try:
                md = parse_metadata(agent, text)
            except etree.XMLSyntaxError:
                md = None
        _CACHE[agent] = md
    return _CACHE[agent]


def clear_cache() -> None:
    """Forget the meta-data read so far (tests, or after installing agents)."""
    _CACHE.clear()


def _bad_value(param: Parameter, value: str) -> Optional[str]:
    if value == CIBSECRET_MAGIC:
        return None
    if param.type == "integer":
        if not _INT_RE.match(value.strip()) and value.strip().upper() not in (
                "INFINITY", "+INFINITY", "-INFINITY"):
            return "is not an integer"
    elif param.type == "boolean":
        if value.strip().lower() not in _TRUE | _FALSE:
            return "is not a boolean (use true or false)"
    elif param.type == "select" and param.options:
        if value not in param.options:
            return f"is not one of {', '.join(param.options)}"
    return None


def _what(p: Primitive) -> str:
    return f"{'fencing device' if p.klass == 'stonith' else 'primitive'} {p.id!r}"


def check_parameters(config: Config, source: MetadataSource = installed_metadata
                     ) -> List[Finding]:
    """Findings for every primitive's parameters against its agent's meta-data
    (errors first, then warnings)."""
    out: List[Finding] = []
    seen_unique: Dict[Tuple[str, str, Tuple[str, ...]], str] = {}
    for prim, _parent in config.iter_primitives():
        what = _what(prim)
        md = source(prim.agent)
        if md is None:
            out.append(Finding("warning", what,
                               f"agent {prim.agent} is not installed here: its parameters "
                               f"are not checked"))
            continue
        params = md.parameters
        is_stonith = prim.klass == "stonith"
        for name, value in prim.params.items():
            p = params.get(name)
            if p is None:
                if is_stonith and (name.startswith(_FENCER_PREFIX) or name in _FENCER_PARAMS):
                    continue
                known = ", ".join(sorted(params)) or "none"
                out.append(Finding("error", what,
                                   f"parameter {name!r} is unknown to {prim.agent} "
                                   f"(pcs refuses it): known are {known}"))
                continue
            bad = _bad_value(p, str(value))
            if bad:
                out.append(Finding("error", what, f"parameter {name!r} = {value!r} {bad} "
                                   f"({prim.agent} declares it {p.type})"))
            if p.deprecated:
                instead = (" (use " + ", ".join(p.replaced_with) + ")") if p.replaced_with else ""
                out.append(Finding("warning", what,
                                   f"parameter {name!r} of {prim.agent} is deprecated{instead}"))
            if p.secret and str(value) not in ("", CIBSECRET_MAGIC):
                out.append(Finding(
                    "warning", what,
                    f"parameter {name!r} is a secret kept in the CIB in clear: use a "
                    f"file-based option of {prim.agent}, or move it out with "
                    f"`cibsecret set {prim.id} {name} VALUE` (the CIB then holds "
                    f"{CIBSECRET_MAGIC})"))
        for p in params.values():
            if p.required and not p.deprecated and p.name not in prim.params:
                # pcs accepts a deprecated parameter that replaces... the other way round:
                # a required parameter is satisfied by a deprecated one it replaced
                alternatives = [q.name for q in params.values()
                                if q.deprecated and p.name in q.replaced_with]
                if any(a in prim.params for a in alternatives):
                    continue
                out.append(Finding("error", what,
                                   f"required parameter {p.name!r} of {prim.agent} is "
                                   f"missing"))
        for group, names in md.unique_groups.items():
            values = tuple(str(prim.params.get(n, "")) for n in sorted(names))
            if not any(values) or CIBSECRET_MAGIC in values:
                continue
            key = (prim.agent, group, values)
            if key in seen_unique:
                label = (f"parameter {names[0]!r}" if len(names) == 1
                         else f"parameters {', '.join(sorted(names))}")
                out.append(Finding("error", what,
                                   f"{label} must be unique among {prim.agent} resources, "
                                   f"but {seen_unique[key]!r} has the same value"))
            else:
                seen_unique[key] = prim.id
    out.sort(key=lambda f: 0 if f.level == "error" else 1)
    return out
