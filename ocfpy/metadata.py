"""OCF meta-data XML generated from an agent's declarations.

Built with plain string joins (no XML library: meta-data is called often and
must stay cheap), every text and attribute escaped.

Example::

    print(render(MyAgent))      # what `MyAgent meta-data` prints
    uses_ocf11_only(MyAgent)    # False -> also valid against ra-api-1.dtd
"""

from ocfpy.records import Record

__all__ = ["OCF_VERSION", "DOCTYPE", "escape", "Action", "OCF11_ONLY_ACTIONS", "SECRET_NOTE",
           "uses_ocf11_only", "render", "describe", "describe_text"]



OCF_VERSION = "1.1"
DOCTYPE = '<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">'


def escape(text) -> str:
    """Escape for XML text and double-quoted attributes."""
    return (str(text).replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&quot;"))


class Action(Record):
    """One action as meta-data advertises it (timeouts in seconds).

    ``Action("monitor", timeout=20, interval=10, role="Promoted", depth=0)``
    """

    __slots__ = ("name", "timeout", "interval", "depth", "role", "start_delay")
    defaults = {"timeout": 20, "interval": None, "depth": None, "role": None, "start_delay": None}

    def xml(self) -> str:
        attrs = [("name", self.name), ("timeout", _seconds(self.timeout))]
        if self.interval is not None:
            attrs.append(("interval", _seconds(self.interval)))
        if self.depth is not None:
            attrs.append(("depth", str(self.depth)))
        if self.role is not None:
            attrs.append(("role", self.role))
        if self.start_delay is not None:
            attrs.append(("start-delay", _seconds(self.start_delay)))
        return "<action " + " ".join(f'{k}="{escape(v)}"' for k, v in attrs) + " />"


def _seconds(value) -> str:
    if isinstance(value, str):
        return value
    return f"{value:g}s"


# actions the OCF 1.0 DTD does not allow (its action roles are free text, so
# Promoted/Unpromoted are fine there)
OCF11_ONLY_ACTIONS = frozenset({"reload-agent"})


#: added to a secret parameter's long description
SECRET_NOTE = ("This value is a secret: the agent never logs it nor passes it on a command "
               "line or in a child's environment. Keep it out of the CIB with Pacemaker's "
               "cibsecret (cibsecret set RESOURCE NAME VALUE) or a file-based option.")


def uses_ocf11_only(agent_cls) -> bool:
    """True when the meta-data needs OCF 1.1 (so the 1.0 DTD cannot accept it)."""
    for p in agent_cls.parameter_list():
        if p.reloadable or p.unique_group or p.deprecated or p.ocf11_only_type:
            return True
    for a in agent_cls.action_list():
        if a.name in OCF11_ONLY_ACTIONS:
            return True
    return False


def _desc(tag: str, text: str) -> str:
    return f'<{tag} lang="en">{escape(text.strip())}</{tag}>'


def _parameter(p) -> str:
    attrs = f'name="{escape(p.name)}" required="{1 if p.required else 0}"'
    if p.unique:
        attrs += ' unique="1"'
    if p.unique_group:
        attrs += f' unique-group="{escape(p.unique_group)}"'
    if p.reloadable:
        attrs += ' reloadable="1"'
    # No private="1": pcs and the OCF 1.1 schema refuse that attribute
    # (Pacemaker's own extension). A secret says so in its description and
    # points at the ways to keep it out of the CIB instead.
    lines = [f"<parameter {attrs}>"]
    if p.deprecated:
        lines.append("<deprecated>")
        if p.replaced_with:
            lines.append(f'<replaced-with name="{escape(p.replaced_with)}" />')
        if isinstance(p.deprecated, str):
            lines.append(_desc("desc", p.deprecated))
        lines.append("</deprecated>")
    longdesc = p.longdesc or p.name
    if p.private:
        longdesc = f"{longdesc.rstrip()} {SECRET_NOTE}"
    lines.append(_desc("longdesc", longdesc))
    lines.append(_desc("shortdesc", p.shortdesc or p.name))
    default = p.default_text()
    default_attr = f' default="{escape(default)}"' if default != "" else ""
    options = getattr(p, "options", None)
    if options:
        lines.append(f'<content type="select"{default_attr}>')
        lines.extend(f'<option value="{escape(o)}" />' for o in options)
        lines.append("</content>")
    else:
        lines.append(f'<content type="{p.ocf_type}"{default_attr} />')
    lines.append("</parameter>")
    return "\n".join(lines)


def render(agent_cls) -> str:
    """The complete meta-data document of ``agent_cls``."""
    out = ['<?xml version="1.0"?>', DOCTYPE,
           f'<resource-agent name="{escape(agent_cls.name)}" version="{escape(agent_cls.version)}">',
           f"<version>{OCF_VERSION}</version>",
           _desc("longdesc", agent_cls.longdesc or agent_cls.shortdesc),
           _desc("shortdesc", agent_cls.shortdesc or agent_cls.name),
           "<parameters>"]
    out.extend(_parameter(p) for p in agent_cls.parameter_list())
    out.append("</parameters>")
    out.append("<actions>")
    out.extend(a.xml() for a in agent_cls.action_list())
    out.append("</actions>")
    out.append("</resource-agent>")
    return "\n".join(out) + "\n"


def describe(xml_text: str) -> dict:
    """Any agent's meta-data as plain data (what ``pcs resource describe``
    shows): name, shortdesc, longdesc, version, parameters (name, shortdesc,
    longdesc, type, default, required, unique, options, deprecated) and
    actions (the attributes each declares). Raises ValueError on XML that is
    not meta-data.

    >>> describe('<resource-agent name="x"><parameters/><actions/></resource-agent>')["name"]
    'x'
    """
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(xml_text.encode("utf-8") if isinstance(xml_text, str) else xml_text)
    except ET.ParseError as exc:
        raise ValueError(f"meta-data is not XML: {exc}") from None
    if root.tag != "resource-agent":
        raise ValueError(f"meta-data's root element is <{root.tag}>, not <resource-agent>")

    def text(el, tag):
        found = el.find(tag)
        return " ".join((found.text or "").split()) if found is not None else ""

    params = []
    for p in root.findall("parameters/parameter"):
        content = p.find("content")
        params.append({
            "name": p.get("name", ""), "shortdesc": text(p, "shortdesc"), "longdesc": text(p, "longdesc"),
            "type": content.get("type", "string") if content is not None else "string",
            "default": content.get("default") if content is not None else None,
            "required": p.get("required") in ("1", "true"), "unique": p.get("unique") in ("1", "true"),
            "options": [o.get("value") for o in content.findall("option")] if content is not None else [],
            "deprecated": p.find("deprecated") is not None,
        })
    actions = [dict(a.attrib) for a in root.findall("actions/action")]
    return {"name": root.get("name", ""), "version": text(root, "version"),
            "shortdesc": text(root, "shortdesc"), "longdesc": text(root, "longdesc"),
            "parameters": params, "actions": actions}


def describe_text(info: dict, agent: str = "") -> str:
    """A readable view of :func:`describe`'s result."""
    import textwrap

    out = [f"{agent or info['name']} - {info['shortdesc']}", ""]
    if info["longdesc"]:
        out += textwrap.wrap(info["longdesc"], 78) + [""]
    out.append("Parameters (* required):" if info["parameters"] else "Parameters: none")
    for p in info["parameters"]:
        flags = ("*" if p["required"] else " ")
        kind = "select: " + "|".join(p["options"]) if p["options"] else p["type"]
        default = f" (default: {p['default']})" if p["default"] not in (None, "") else ""
        dep = " [deprecated]" if p["deprecated"] else ""
        out.append(f" {flags} {p['name']} <{kind}>{default}{dep}")
        if p["shortdesc"]:
            out += textwrap.wrap(p["shortdesc"], 74, initial_indent="     ", subsequent_indent="     ")
    out += ["", "Actions:"]
    for a in info["actions"]:
        extra = " ".join(f"{k}={v}" for k, v in a.items() if k != "name")
        out.append(f"   {a.get('name', '?'):14} {extra}")
    return "\n".join(out) + "\n"
