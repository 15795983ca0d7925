"""Typed agent parameters, declared once and used for meta-data and validation.

A parameter is a descriptor on the agent class: reading it on the agent
instance gives the converted value.

Example::

    class Web(Agent):
        port = Port("port", default=8080, shortdesc="Listen port")
        config = Path("config", required=True, kind="file")
        password = String("password", private=True)

        def start(self):
            serve(self.port)        # an int, already validated

Errors carry the OCF code that fits: a value that can never be right is
ERR_CONFIGURED (6); a value that is wrong only on this node (a missing file or
binary, an unknown user) is ERR_INSTALLED (5) or ERR_ARGS (2). The exit reason
always names the parameter, and never repeats a private value.

Hot path: imported on every monitor; only ``os`` at module level.
"""


import os

from ocfpy import codes
from ocfpy.environment import FALSE_WORDS, TRUE_WORDS
from ocfpy.errors import ParameterError

__all__ = ["Parameter", "String", "Integer", "Boolean", "Select", "Port", "parse_duration",
           "Duration", "is_ipv4", "IPAddress", "Path", "User", "which", "collect",
           "ParsedParameters", "parse_all"]


_MISSING = object()


class Parameter:
    """One instance parameter (``OCF_RESKEY_<name>``); subclasses give the type.

    Options: ``required``; ``default`` (a converted value, shown in meta-data);
    ``private`` (a secret: hidden by Pacemaker, never logged); ``deprecated``
    (True or a note) with ``replaced_with`` (the new parameter that takes the
    value); ``reloadable`` (changes need only reload-agent); ``unique_group``
    (OCF 1.1: the combination must be unique across resources); ``unique``
    (OCF 1.0's flag); ``shortdesc``/``longdesc``.
    """

    ocf_type = "string"        # the meta-data content type
    ocf11_only_type = False    # True where the type exists only in OCF 1.1 (select)

    def __init__(self, name=None, *, shortdesc="", longdesc="", required=False,
                 default=None, private=False, deprecated=False, replaced_with=None,
                 reloadable=False, unique_group=None, unique=False):
        self.name = name
        self.attr = name
        self.shortdesc = shortdesc
        self.longdesc = longdesc or shortdesc
        self.required = required
        self.default = default
        self.private = private
        self.deprecated = deprecated
        self.replaced_with = replaced_with
        self.reloadable = reloadable
        self.unique_group = unique_group
        self.unique = unique

    # -- descriptor: the agent reads converted values as attributes ---------
    def __set_name__(self, owner, attr):
        self.attr = attr
        if self.name is None:
            self.name = attr

    def __get__(self, agent, owner=None):
        if agent is None:
            return self
        return agent.values.get(self.name, self.default)

    # -- conversion ---------------------------------------------------------
    def parse(self, raw: str):
        """Convert the raw string; raise ValueError with a message that does
        not repeat the value (it may be a secret)."""
        return raw

    def check_node(self, value) -> None:
        """Check the value on this node; raise ParameterError (5, 2 or 4)."""

    def default_text(self) -> str:
        """The default as meta-data shows it."""
        if self.default is None:
            return ""
        return str(self.default)

    def describe_value(self, raw: str) -> str:
        """How an exit reason may quote a bad value: never a private one."""
        if self.private:
            return "(value hidden)"
        return repr(raw if len(raw) <= 80 else raw[:77] + "...")

    def error(self, code: int, reason: str) -> ParameterError:
        return ParameterError(code, self.name, f"parameter {self.name}: {reason}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class String(Parameter):
    """Any string (``allow_empty=False`` rejects an empty value)."""

    def __init__(self, name=None, *, allow_empty=True, **kw):
        super().__init__(name, **kw)
        self.allow_empty = allow_empty

    def parse(self, raw):
        if not self.allow_empty and raw == "":
            raise ValueError("must not be empty")
        return raw


class Integer(Parameter):
    """A whole number, optionally bounded by ``minimum`` and ``maximum``."""

    ocf_type = "integer"

    def __init__(self, name=None, *, minimum=None, maximum=None, **kw):
        super().__init__(name, **kw)
        self.minimum = minimum
        self.maximum = maximum

    def parse(self, raw):
        text = raw.strip()
        digits = text[1:] if text[:1] in ("+", "-") else text
        # ASCII digits only: int() also takes other scripts' digits and "1_000"
        if not (digits.isascii() and digits.isdigit()):
            raise ValueError("must be a whole number")
        value = int(text, 10)
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"must be at least {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"must be at most {self.maximum}")
        return value


class Boolean(Parameter):
    """Pacemaker's truth values: yes/no, true/false, on/off, 1/0, y/n."""

    ocf_type = "boolean"

    def parse(self, raw):
        word = raw.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError("must be a boolean (true/false, yes/no, on/off, 1/0)")

    def default_text(self):
        if self.default is None:
            return ""
        return "true" if self.default else "false"


class Select(Parameter):
    """One of a fixed set of ``options`` (OCF 1.1 ``select`` type)."""

    ocf_type = "select"
    ocf11_only_type = True

    def __init__(self, name=None, *, options=(), **kw):
        super().__init__(name, **kw)
        self.options = tuple(options)

    def parse(self, raw):
        if raw not in self.options:
            raise ValueError("must be one of " + ", ".join(self.options))
        return raw


class Port(Integer):
    """A TCP/UDP port, 1-65535."""

    def __init__(self, name=None, **kw):
        kw.setdefault("minimum", 1)
        kw.setdefault("maximum", 65535)
        super().__init__(name, **kw)


_DURATION_UNITS = {"ms": 0.001, "msec": 0.001, "s": 1.0, "sec": 1.0, "": 1.0,
                   "m": 60.0, "min": 60.0, "h": 3600.0, "hr": 3600.0}


def parse_duration(text: str) -> float:
    """Pacemaker-style duration to seconds: "500ms", "10s", "2min", "1h", "30".

    >>> parse_duration("1500ms"), parse_duration("2min")
    (1.5, 120.0)
    """
    s = text.strip().lower()
    i = len(s)
    while i and not (s[i - 1].isdigit() or s[i - 1] == "."):
        i -= 1
    number, unit = s[:i], s[i:].strip()
    if unit not in _DURATION_UNITS or not number or not number.isascii():
        raise ValueError("must be a duration like 500ms, 10s, 2min or 1h")
    try:
        value = float(number)
    except ValueError:
        raise ValueError("must be a duration like 500ms, 10s, 2min or 1h") from None
    if value != value or value in (float("inf"), float("-inf")):   # "nan", "inf"
        raise ValueError("must be a duration like 500ms, 10s, 2min or 1h")
    if value < 0:
        raise ValueError("must not be negative")
    return value * _DURATION_UNITS[unit]


class Duration(Parameter):
    """A duration (shown as string in meta-data); the value is seconds (float)."""

    def parse(self, raw):
        return parse_duration(raw)

    def default_text(self):
        if self.default is None:
            return ""
        return f"{self.default:g}s" if isinstance(self.default, (int, float)) else str(self.default)


def is_ipv4(text: str) -> bool:
    parts = text.split(".")
    if len(parts) != 4:
        return False
    for part in parts:
        if not (part.isascii() and part.isdigit()) or len(part) > 3 or int(part) > 255:
            return False
        if len(part) > 1 and part[0] == "0":     # 010 is ambiguous (octal)
            return False
    return True


def _is_ipv6(text: str) -> bool:
    import _socket   # the C module: the Python wrapper costs milliseconds

    try:
        _socket.inet_pton(_socket.AF_INET6, text)
    except (OSError, ValueError):
        return False
    return True


class IPAddress(Parameter):
    """An IPv4 or IPv6 address (``version`` 4 or 6 to restrict it)."""

    def __init__(self, name=None, *, version=None, **kw):
        super().__init__(name, **kw)
        self.version = version

    def parse(self, raw):
        text = raw.strip()
        ok4, ok6 = is_ipv4(text), ":" in text and _is_ipv6(text.split("%", 1)[0])
        if self.version == 4 and not ok4:
            raise ValueError("must be an IPv4 address")
        if self.version == 6 and not ok6:
            raise ValueError("must be an IPv6 address")
        if not (ok4 or ok6):
            raise ValueError("must be an IPv4 or IPv6 address")
        return text


class Path(Parameter):
    """A filesystem path. ``absolute`` requires a leading /; ``kind`` is
    "file", "dir", "executable" or None; with ``must_exist`` the node check
    fails with ``missing_code`` (ERR_INSTALLED by default) when it is absent.
    A bare executable name is looked up on PATH.
    """

    def __init__(self, name=None, *, kind=None, must_exist=False, absolute=True,
                 missing_code=codes.ERR_INSTALLED, **kw):
        super().__init__(name, **kw)
        self.kind = kind
        self.must_exist = must_exist
        self.absolute = absolute and kind != "executable"
        self.missing_code = missing_code

    def parse(self, raw):
        if raw == "":
            raise ValueError("must not be empty")
        if "\0" in raw:
            raise ValueError("must not contain NUL")
        if self.absolute and not raw.startswith("/"):
            raise ValueError("must be an absolute path")
        return raw

    def check_node(self, value):
        if not self.must_exist or value is None:
            return
        if self.kind == "executable":
            found = which(value)
            if found is None:
                raise self.error(self.missing_code, f"program {value} not found or not executable")
            return
        if not os.path.exists(value):
            raise self.error(self.missing_code, f"{value} does not exist")
        if self.kind == "file" and not os.path.isfile(value):
            raise self.error(codes.ERR_ARGS, f"{value} is not a file")
        if self.kind == "dir" and not os.path.isdir(value):
            raise self.error(codes.ERR_ARGS, f"{value} is not a directory")


class User(String):
    """A local user name; the node check fails with ERR_ARGS when unknown."""

    def check_node(self, value):
        if not value:
            return
        import pwd

        try:
            pwd.getpwnam(value)
        except KeyError:
            raise self.error(codes.ERR_ARGS, f"user {value} does not exist on this node") from None


def which(program: str, path=None):
    """Like shutil.which, without importing shutil (hot path); ``path``
    defaults to this process's PATH."""
    if "/" in program:
        return program if os.access(program, os.X_OK) and not os.path.isdir(program) else None
    if path is None:
        path = os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
    for directory in path.split(os.pathsep):
        candidate = os.path.join(directory or ".", program)
        if os.access(candidate, os.X_OK) and not os.path.isdir(candidate):
            return candidate
    return None


def collect(cls) -> list:
    """The parameters declared on an agent class and its bases, in declaration
    order; a subclass that redeclares a name replaces the base's parameter."""
    found = {}
    for klass in reversed(cls.__mro__):
        for value in vars(klass).values():
            if isinstance(value, Parameter):
                found[value.name] = value
    return list(found.values())


class ParsedParameters:
    """The outcome of parsing: converted values and the first problems found.

    ``missing`` holds required parameters without a value; ``invalid`` the
    first malformed value (ParameterError). Kept apart because a probe treats
    a missing parameter (7) differently from a malformed one (6).
    """

    __slots__ = ("values", "missing", "invalid", "deprecated_used")

    def __init__(self):
        self.values = {}
        self.missing = []
        self.invalid = None
        self.deprecated_used = []

    def first_error(self):
        if self.invalid is not None:
            return self.invalid
        if self.missing:
            p = self.missing[0]
            return ParameterError(codes.ERR_CONFIGURED, p.name,
                                  f"required parameter {p.name} is not set", missing=True)
        return None


def parse_all(params: list, raw: dict) -> ParsedParameters:
    """Convert every declared parameter from ``raw`` (name -> string).

    Deprecated names hand their value to ``replaced_with`` when that one is unset.
    """
    out = ParsedParameters()
    raw = dict(raw)
    for p in params:
        if p.deprecated and p.replaced_with and raw.get(p.name, "") != "":
            out.deprecated_used.append(p.name)
            if raw.get(p.replaced_with, "") == "":
                raw[p.replaced_with] = raw[p.name]
    for p in params:
        text = raw.get(p.name)
        if text is None or (text == "" and (p.required or not isinstance(p, String))):
            if p.required:
                out.missing.append(p)
            out.values[p.name] = p.default
            continue
        try:
            out.values[p.name] = p.parse(text)
        except ValueError as exc:
            out.values[p.name] = p.default
            if out.invalid is None:
                out.invalid = p.error(codes.ERR_CONFIGURED,
                                      f"{p.describe_value(text)} {exc}")
    return out
