"""A typed view of one agent invocation, read from the environment Pacemaker sets.

Hot path: every monitor builds one of these, so this module imports only ``os``.

Example::

    inv = Invocation.from_environ(["agent", "monitor"])
    inv.action          # "monitor"
    inv.is_probe        # True when interval is 0 or unset
    inv.params["ip"]    # raw string of OCF_RESKEY_ip
    inv.meta.timeout    # seconds (float), from OCF_RESKEY_CRM_meta_timeout (ms)
"""


import os

__all__ = ["RESKEY", "META", "NOTIFY", "DEFAULT_TIMEOUT_MS", "TRUE_WORDS", "FALSE_WORDS",
           "is_true", "split_list", "Meta", "Notify", "instance_problem", "Invocation"]


RESKEY = "OCF_RESKEY_"
META = "OCF_RESKEY_CRM_meta_"
NOTIFY = "OCF_RESKEY_CRM_meta_notify_"
DEFAULT_TIMEOUT_MS = 20000   # what we assume when run by hand, without Pacemaker
TRUE_WORDS = frozenset({"1", "yes", "y", "true", "on"})
FALSE_WORDS = frozenset({"0", "no", "n", "false", "off"})


def is_true(value, default: bool = False) -> bool:
    """Pacemaker's truth values (case-insensitive): yes/true/on/1/y.

    >>> is_true("Yes"), is_true("0"), is_true(None, default=True)
    (True, False, True)
    """
    if value is None or value == "":
        return default
    return value.strip().lower() in TRUE_WORDS


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def split_list(value) -> list:
    """Notify lists are space separated and may carry leading/trailing spaces."""
    return value.split() if value else []


class Meta:
    """Meta attributes Pacemaker passes as ``OCF_RESKEY_CRM_meta_*``.

    ``interval`` and ``timeout`` are seconds (float); ``*_ms`` keep Pacemaker's
    milliseconds. ``raw`` holds every meta attribute as a string.
    """

    __slots__ = ("raw", "interval_ms", "timeout_ms", "clone", "clone_max",
                 "clone_node_max", "globally_unique", "notify", "promotable",
                 "promoted_max", "promoted_node_max", "on_node", "timeout_given")

    def __init__(self, raw: dict):
        self.raw = raw
        self.interval_ms = _int(raw.get("interval"), 0)
        timeout = _int(raw.get("timeout"))
        self.timeout_given = timeout is not None and timeout > 0
        self.timeout_ms = timeout if self.timeout_given else DEFAULT_TIMEOUT_MS
        self.clone = _int(raw.get("clone"))
        self.clone_max = _int(raw.get("clone_max"))
        self.clone_node_max = _int(raw.get("clone_node_max"))
        self.globally_unique = is_true(raw.get("globally_unique"))
        self.notify = is_true(raw.get("notify"))
        promoted_max = raw.get("promoted_max", raw.get("master_max"))
        self.promotable = is_true(raw.get("promotable")) or promoted_max is not None
        self.promoted_max = _int(promoted_max)
        self.promoted_node_max = _int(raw.get("promoted_node_max", raw.get("master_node_max")))
        self.on_node = raw.get("on_node")

    @property
    def interval(self) -> float:
        return self.interval_ms / 1000.0

    @property
    def timeout(self) -> float:
        return self.timeout_ms / 1000.0


# Pacemaker passes both the OCF 1.1 names and the legacy master/slave names.
_NOTIFY_ALIASES = {"master": "promoted", "slave": "unpromoted"}


class Notify:
    """The notification a ``notify`` action carries.

    ``type`` is "pre" or "post", ``operation`` the clone operation
    ("start", "stop", "promote", "demote"); ``uname(kind)`` and
    ``resource(kind)`` give the lists, for example ``uname("start")`` or
    ``uname("promoted")`` (legacy "master"/"slave" are accepted too).
    """

    __slots__ = ("type", "operation", "lists")

    def __init__(self, type_: str, operation: str, lists: dict):
        self.type = type_
        self.operation = operation
        self.lists = lists

    @classmethod
    def from_meta(cls, raw: dict):
        lists = {}
        for key, value in raw.items():
            if not key.startswith("notify_") or key in ("notify_type", "notify_operation"):
                continue
            kind, _, field = key[len("notify_"):].rpartition("_")
            if field not in ("uname", "resource") or not kind:
                continue
            kind = _NOTIFY_ALIASES.get(kind, kind)
            entries = split_list(value)
            # the legacy and new names carry the same list; keep the first non-empty
            if entries or (kind, field) not in lists:
                lists[(kind, field)] = entries
        return cls(raw.get("notify_type", ""), raw.get("notify_operation", ""), lists)

    def uname(self, kind: str) -> list:
        return self.lists.get((_NOTIFY_ALIASES.get(kind, kind), "uname"), [])

    def resource(self, kind: str) -> list:
        return self.lists.get((_NOTIFY_ALIASES.get(kind, kind), "resource"), [])


def instance_problem(name: str):
    """Why ``name`` is not a usable resource instance name, or None.

    Pacemaker ids are XML ids: letters, digits, ``_``, ``-`` and ``.``, not
    starting with ``-`` or ``.``; a clone instance adds ``:N``. Anything else
    (a ``/``, ``..``, a control character, bytes that were not UTF-8) would
    let the name escape the directories an agent keeps its files in.

    >>> instance_problem("p_galera:2") is None, instance_problem("../x") is not None
    (True, True)
    """
    if not name:
        return None
    base, sep, number = name.rpartition(":")
    if not (sep and number.isascii() and number.isdigit()):
        base = name
    if len(base.encode("utf-8", "surrogatepass")) > 1024:
        return "the resource instance name is longer than 1024 bytes"
    if base[:1] in ("", "-", ".") or not all(c.isalnum() or c in "._-" for c in base):
        return f"{name[:64]!r} is not a valid resource instance name"
    return None


class Invocation:
    """Everything one call of an agent was given.

    ``instance`` is the resource id without a clone suffix ("p_galera" for
    "p_galera:2"); ``clone_number`` is the suffix as an int, or None.
    """

    __slots__ = ("action", "args", "environ", "instance", "instance_full",
                 "clone_number", "resource_type", "provider", "params", "meta",
                 "check_level", "ra_version", "exit_reason_prefix", "_notify")

    def __init__(self, action: str, environ=None, args=()):
        env = os.environ if environ is None else environ
        self.action = action
        self.args = tuple(args)
        self.environ = env
        full = env.get("OCF_RESOURCE_INSTANCE", "")
        self.instance_full = full
        name, sep, number = full.rpartition(":")
        if sep and number.isascii() and number.isdigit():
            self.instance, self.clone_number = name, int(number)
        else:
            self.instance, self.clone_number = full, None
        self.resource_type = env.get("OCF_RESOURCE_TYPE", "")
        self.provider = env.get("OCF_RESOURCE_PROVIDER", "")
        params, meta = {}, {}
        for key, value in env.items():
            if key.startswith(META):
                meta[key[len(META):]] = value
            elif key.startswith(RESKEY) and not key.startswith("OCF_RESKEY_CRM_"):
                params[key[len(RESKEY):]] = value
        self.params = params
        self.meta = Meta(meta)
        self.check_level = _int(env.get("OCF_CHECK_LEVEL"), 0)
        major, minor = env.get("OCF_RA_VERSION_MAJOR"), env.get("OCF_RA_VERSION_MINOR")
        self.ra_version = (_int(major, 1), _int(minor, 0)) if major else None
        self.exit_reason_prefix = env.get("OCF_EXIT_REASON_PREFIX") or "ocf-exit-reason:"
        self._notify = None

    @classmethod
    def from_environ(cls, argv=None, environ=None):
        """Build from ``argv`` (``[program, action, ...]``); extra arguments are kept, not used."""
        import sys

        argv = sys.argv if argv is None else argv
        action = argv[1] if len(argv) > 1 else ""
        return cls(action, environ, argv[2:])

    @property
    def instance_problem(self):
        """Why ``OCF_RESOURCE_INSTANCE`` cannot be a Pacemaker resource id (it
        ends up in file names), or None. Empty is allowed (a run by hand)."""
        return instance_problem(self.instance_full)

    @property
    def is_probe(self) -> bool:
        """A monitor with interval 0 (or none) is a probe."""
        return self.action == "monitor" and self.meta.interval_ms == 0

    @property
    def node_name(self):
        """The node this runs on as Pacemaker named it, if Pacemaker said (``on_node``)."""
        return self.meta.on_node

    @property
    def notify(self) -> Notify:
        if self._notify is None:
            self._notify = Notify.from_meta(self.meta.raw)
        return self._notify

    @property
    def trace_enabled(self) -> bool:
        return is_true(self.environ.get("OCF_TRACE_RA")) or is_true(self.params.get("trace_ra"))
