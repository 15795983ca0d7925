"""The CIB model: plain dataclasses, no XML and no tools.

One :class:`Config` describes a Pacemaker configuration. Renderers turn it into
CIB XML (:mod:`ocfpy.cib.render_xml`), a pcs script
(:mod:`ocfpy.cib.render_pcs`) or a crmsh script
(:mod:`ocfpy.cib.render_crmsh`).

Example::

    from ocfpy.cib.model import Config, Primitive, Op, Clone, Colocation

    cfg = Config()
    vip = cfg.add(Primitive("vip", "ocf:ocfpy:vip",
                            params={"ip": "10.0.0.11", "cidr_netmask": "24"},
                            ops=[Op("monitor", "30s")]))
    lb = cfg.add(Clone("haproxy-clone", Primitive(
        "haproxy", "systemd:haproxy", ops=[Op("monitor", "1s")])))
    # the VIP (follower) is placed where an HAProxy instance (leader) runs
    cfg.add(Colocation(follower="vip", leader="haproxy-clone"))

Colocation names both sides explicitly: the *leader* is placed first, the
*follower* is placed relative to it (CIB ``rsc`` = follower, ``with-rsc`` =
leader). Resource sets in :class:`ColocationSet` are listed leader first
(the renderers reverse them: in the CIB the last set is placed first).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple, Union

__all__ = [
    "ID_RE", "check_id", "normalize_score", "normalize_role", "interval_seconds",
    "Op", "Primitive", "Group", "Clone", "FencingDevice", "FencingLevel",
    "Order", "Colocation", "ResourceSet", "OrderSet", "ColocationSet",
    "Expression", "Rule", "Location", "Node", "Config",
    "Resource", "Constraint", "CONSTRAINT_KINDS", "constraint_ends", "constraint_resources",
]

#: ids both pcs and crmsh accept, and a valid XML NCName
ID_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
SCORE_RE = re.compile(r"^[+-]?(\d+|INFINITY)$")

_ROLE_ALIASES = {
    "master": "Promoted", "promoted": "Promoted",
    "slave": "Unpromoted", "unpromoted": "Unpromoted",
    "started": "Started", "stopped": "Stopped",
}
ORDER_KINDS = ("Mandatory", "Optional", "Serialize")
ACTIONS = ("start", "stop", "promote", "demote")


def check_id(value: str, what: str = "id") -> str:
    """Return ``value`` if it is a valid CIB id, else raise ValueError.

    >>> check_id("vip")
    'vip'
    """
    if not isinstance(value, str) or not ID_RE.match(value):
        raise ValueError(
            f"{what} {value!r} is not a valid CIB id: use letters, digits, '_', "
            f"'.', '-', starting with a letter or '_'")
    return value


def normalize_score(score: Union[int, str]) -> str:
    """Canonical CIB score text: an integer or ``INFINITY``/``-INFINITY``.

    Accepts ``inf``, ``+inf``, ``+INFINITY`` (crmsh spellings). Raises
    ValueError naming the bad value otherwise.

    >>> normalize_score("inf"), normalize_score(-5), normalize_score("+INFINITY")
    ('INFINITY', '-5', 'INFINITY')
    """
    if isinstance(score, bool):
        raise ValueError(f"bad score {score!r}: use an integer, INFINITY or -INFINITY")
    if isinstance(score, int):
        return str(score)
    text = str(score).strip()
    upper = text.upper()
    if upper in ("INF", "+INF", "INFINITY", "+INFINITY"):
        return "INFINITY"
    if upper in ("-INF", "-INFINITY"):
        return "-INFINITY"
    if SCORE_RE.match(text):
        return str(int(text))
    raise ValueError(f"bad score {score!r}: use an integer, INFINITY or -INFINITY")


def normalize_role(role: Optional[str]) -> Optional[str]:
    """Map role spellings (Master/Slave/Promoted/...) to the model's names."""
    if role is None:
        return None
    try:
        return _ROLE_ALIASES[role.lower()]
    except KeyError:
        raise ValueError(f"bad role {role!r}: use Started, Stopped, Promoted or Unpromoted")


_UNITS = {"": 1, "s": 1, "sec": 1, "ms": 0.001, "msec": 0.001, "us": 1e-6,
          "m": 60, "min": 60, "h": 3600, "hr": 3600}


def interval_seconds(text: str) -> float:
    """Seconds in a Pacemaker interval ("30s", "1min", "500ms", "10").

    >>> interval_seconds("1min")
    60.0
    """
    m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$", str(text).lower())
    if not m or m.group(2) not in _UNITS:
        raise ValueError(f"bad interval {text!r}: use e.g. 30s, 1min, 500ms")
    return float(m.group(1)) * _UNITS[m.group(2)]


@dataclass
class Op:
    """A resource operation. ``depth`` becomes OCF_CHECK_LEVEL.

    >>> Op("monitor", "30s", timeout="20s", role="Promoted")
    Op(name='monitor', interval='30s', timeout='20s', role='Promoted', depth=None, on_fail=None, options={})
    """

    name: str
    interval: str = "0s"
    timeout: Optional[str] = None
    role: Optional[str] = None
    depth: Optional[int] = None
    on_fail: Optional[str] = None
    options: Dict[str, str] = field(default_factory=dict)  # other op attributes

    def __post_init__(self):
        self.role = normalize_role(self.role)
        interval_seconds(self.interval)


@dataclass
class Primitive:
    """A primitive resource; ``agent`` is ``class[:provider]:type``.

    >>> Primitive("vip", "ocf:ocfpy:vip", params={"ip": "10.0.0.11"}).provider
    'ocfpy'
    """

    id: str
    agent: str
    params: Dict[str, str] = field(default_factory=dict)
    meta: Dict[str, str] = field(default_factory=dict)
    ops: List[Op] = field(default_factory=list)
    utilization: Dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        check_id(self.id, "resource id")
        parts = self.agent.split(":")
        if len(parts) == 3 and parts[0] == "ocf" and all(parts):
            pass
        elif len(parts) == 2 and parts[0] in ("lsb", "systemd", "service", "stonith",
                                               "upstart", "nagios") and parts[1]:
            pass
        else:
            raise ValueError(
                f"primitive {self.id!r}: bad agent {self.agent!r}: use "
                f"'ocf:<provider>:<type>' or '<class>:<type>' (lsb, systemd, service, stonith)")

    @property
    def klass(self) -> str:
        return self.agent.split(":")[0]

    @property
    def provider(self) -> Optional[str]:
        parts = self.agent.split(":")
        return parts[1] if len(parts) == 3 else None

    @property
    def type(self) -> str:
        return self.agent.split(":")[-1]


@dataclass
class FencingDevice(Primitive):
    """A fencing device (``stonith:<type>`` primitive).

    >>> FencingDevice("fence-n1", "fence_ipmilan", params={"ip": "10.0.1.1"}).agent
    'stonith:fence_ipmilan'
    """

    def __post_init__(self):
        if not self.agent.startswith("stonith:"):
            self.agent = "stonith:" + self.agent
        super().__post_init__()


@dataclass
class Group:
    """An ordered, colocated group of primitives."""

    id: str
    members: List[Primitive]
    meta: Dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        check_id(self.id, "group id")
        if not self.members:
            raise ValueError(f"group {self.id!r} has no members: add at least one primitive")


@dataclass
class Clone:
    """A clone; ``promotable=True`` makes a promotable clone (``<master>`` in 2.10).

    Use Pacemaker 2 meta names (``promoted-max``, ``promoted-node-max``); the
    2.10 renderer maps them to ``master-max``/``master-node-max``.

    >>> Clone("galera-clone", Primitive("galera", "ocf:ocfpy:galera"),
    ...       promotable=True, meta={"promoted-max": "3"}).promotable
    True
    """

    id: str
    child: Union[Primitive, Group]
    meta: Dict[str, str] = field(default_factory=dict)
    promotable: bool = False

    def __post_init__(self):
        check_id(self.id, "clone id")
        # accept the 1.1 names too, store the Pacemaker 2 ones
        for old, new in (("master-max", "promoted-max"), ("master-node-max", "promoted-node-max")):
            if old in self.meta:
                self.meta.setdefault(new, self.meta.pop(old))
        if str(self.meta.pop("promotable", "false")).lower() in ("true", "1", "yes"):
            self.promotable = True


Resource = Union[Primitive, Group, Clone, FencingDevice]


@dataclass
class FencingLevel:
    """Fencing topology level: try ``devices`` together, at ``index`` for ``target``."""

    target: str
    index: int
    devices: List[str]
    id: Optional[str] = None

    def __post_init__(self):
        if self.id is not None:
            check_id(self.id, "fencing level id")
        if not 1 <= int(self.index) <= 9:
            raise ValueError(f"fencing level {self.target}/{self.index}: index must be 1..9")


@dataclass
class Order:
    """``first`` then ``then``. kind: Mandatory (default), Optional, Serialize.

    >>> Order("vip", "haproxy-clone", kind="Optional").kind
    'Optional'
    """

    first: str
    then: str
    kind: str = "Mandatory"
    first_action: Optional[str] = None
    then_action: Optional[str] = None
    symmetrical: Optional[bool] = None
    id: Optional[str] = None

    def __post_init__(self):
        _check_constraint(self, self.kind, [self.first_action, self.then_action])


@dataclass
class Colocation:
    """Place ``follower`` relative to ``leader`` (leader is placed first).

    CIB: ``rsc=follower with-rsc=leader``; pcs: ``colocation add follower
    with leader``; crmsh: ``colocation id score: follower leader``.

    >>> Colocation(follower="vip", leader="haproxy-clone").score
    'INFINITY'
    """

    follower: str
    leader: str
    score: Union[int, str] = "INFINITY"
    follower_role: Optional[str] = None
    leader_role: Optional[str] = None
    id: Optional[str] = None

    def __post_init__(self):
        if self.id is not None:
            check_id(self.id, "constraint id")
        self.follower_role = normalize_role(self.follower_role)
        self.leader_role = normalize_role(self.leader_role)
        if isinstance(self.score, int) and not isinstance(self.score, bool):
            self.score = str(self.score)


@dataclass
class ResourceSet:
    """Members of a constraint set. In a sequential colocation set the first
    member is placed first; in ordering sets the first starts first."""

    resources: List[str]
    sequential: Optional[bool] = None
    require_all: Optional[bool] = None
    role: Optional[str] = None
    action: Optional[str] = None

    def __post_init__(self):
        if not self.resources:
            raise ValueError("resource set has no resources")
        self.role = normalize_role(self.role)
        if self.action is not None and self.action not in ACTIONS:
            raise ValueError(f"bad set action {self.action!r}: use one of {ACTIONS}")


@dataclass
class OrderSet:
    """Ordering over resource sets, executed in list order."""

    sets: List[ResourceSet]
    kind: str = "Mandatory"
    symmetrical: Optional[bool] = None
    id: Optional[str] = None

    def __post_init__(self):
        _check_constraint(self, self.kind, [])


@dataclass
class ColocationSet:
    """Colocation over resource sets, listed leader first (placed first).

    Within a sequential set each member follows the one before it (the first
    is placed first). Between sets Pacemaker places the LAST set of the CIB
    first; the renderers therefore write ``sets`` in reverse, so the model's
    first set is always the leader.

    >>> ColocationSet([ResourceSet(["db", "app"])]).score
    'INFINITY'
    """

    sets: List[ResourceSet]
    score: Union[int, str] = "INFINITY"
    id: Optional[str] = None

    def __post_init__(self):
        if self.id is not None:
            check_id(self.id, "constraint id")
        if isinstance(self.score, int) and not isinstance(self.score, bool):
            self.score = str(self.score)


@dataclass
class Expression:
    """Rule expression: ``attribute operation value`` (``defined`` and
    ``not_defined`` take no value). ``type``: string, integer, number, version."""

    attribute: str
    operation: str
    value: Optional[str] = None
    type: Optional[str] = None

    def __post_init__(self):
        ops = ("lt", "gt", "lte", "gte", "eq", "ne", "defined", "not_defined")
        if self.operation not in ops:
            raise ValueError(f"bad rule operation {self.operation!r}: use one of {ops}")
        if (self.value is None) != (self.operation in ("defined", "not_defined")):
            raise ValueError(f"expression on {self.attribute!r}: {self.operation} "
                             f"{'takes no' if self.value is not None else 'needs a'} value")


@dataclass
class Rule:
    """A location rule: ``score`` applies where the expressions hold."""

    expressions: List[Expression]
    score: Union[int, str] = "INFINITY"
    boolean_op: str = "and"
    role: Optional[str] = None

    def __post_init__(self):
        self.role = normalize_role(self.role)
        if self.boolean_op not in ("and", "or"):
            raise ValueError(f"bad boolean_op {self.boolean_op!r}: use 'and' or 'or'")
        if not self.expressions:
            raise ValueError("rule has no expressions")


@dataclass
class Location:
    """Location preference: ``score`` on ``node``, or ``rules``.

    >>> Location("vip", node="n1", score=200).score
    200
    """

    resource: str
    node: Optional[str] = None
    score: Union[int, str, None] = None
    rules: List[Rule] = field(default_factory=list)
    resource_discovery: Optional[str] = None
    id: Optional[str] = None

    def __post_init__(self):
        if self.id is not None:
            check_id(self.id, "constraint id")
        if (self.node is None) == (not self.rules):
            raise ValueError(f"location for {self.resource!r}: give either node+score or rules")
        if self.node is not None and self.score is None:
            raise ValueError(f"location for {self.resource!r} on {self.node!r}: give a score")
        if self.resource_discovery not in (None, "always", "never", "exclusive"):
            raise ValueError(f"location for {self.resource!r}: resource_discovery is "
                             f"always, never or exclusive")


Constraint = Union[Order, Colocation, OrderSet, ColocationSet, Location]

#: constraint class -> what messages and generated ids call it
CONSTRAINT_KINDS = {Order: "order", Colocation: "colocation", OrderSet: "order set",
                    ColocationSet: "colocation set", Location: "location"}


def constraint_ends(c: Constraint) -> Tuple[str, Optional[str]]:
    """The two things a constraint relates: an order's first and then, a
    colocation's follower and leader, a set constraint's first resource of
    its first set and last of its last, a location's resource and node
    (None for a location by rules).

    >>> constraint_ends(Colocation(follower="vip", leader="haproxy-clone"))
    ('vip', 'haproxy-clone')
    """
    if isinstance(c, Order):
        return c.first, c.then
    if isinstance(c, Colocation):
        return c.follower, c.leader
    if isinstance(c, (OrderSet, ColocationSet)):
        return c.sets[0].resources[0], c.sets[-1].resources[-1]
    if isinstance(c, Location):
        return c.resource, c.node
    raise TypeError(type(c).__name__)


def constraint_resources(c: Constraint) -> List[str]:
    """Every resource a constraint names, in order (a location's node is none)."""
    if isinstance(c, (OrderSet, ColocationSet)):
        return [r for s in c.sets for r in s.resources]
    first, second = constraint_ends(c)
    return [first] if isinstance(c, Location) else [first, second]


@dataclass
class Node:
    """A cluster node and its permanent attributes. ``id`` is the corosync
    node id (defaults to the name, as crmsh does for unknown nodes)."""

    name: str
    attributes: Dict[str, str] = field(default_factory=dict)
    utilization: Dict[str, str] = field(default_factory=dict)
    id: Optional[str] = None


@dataclass
class Config:
    """A whole configuration.

    ``fencing_off_acknowledged`` records that ``stonith-enabled=false`` is a
    deliberate choice; the linter refuses it otherwise. Use
    :meth:`disable_fencing`.

    >>> cfg = Config(properties={"cluster-recheck-interval": "5min"})
    >>> cfg.disable_fencing("demo cluster without fencing hardware")
    >>> cfg.properties["stonith-enabled"]
    'false'
    """

    resources: List[Resource] = field(default_factory=list)
    constraints: List[Constraint] = field(default_factory=list)
    properties: Dict[str, str] = field(default_factory=dict)
    rsc_defaults: Dict[str, str] = field(default_factory=dict)
    op_defaults: Dict[str, str] = field(default_factory=dict)
    fencing_levels: List[FencingLevel] = field(default_factory=list)
    nodes: List[Node] = field(default_factory=list)
    fencing_off_acknowledged: Optional[str] = None

    def add(self, item):
        """Add a resource, constraint, fencing level or node; returns it."""
        if isinstance(item, (Primitive, Group, Clone)):
            self.resources.append(item)
        elif isinstance(item, (Order, Colocation, OrderSet, ColocationSet, Location)):
            self.constraints.append(item)
        elif isinstance(item, FencingLevel):
            self.fencing_levels.append(item)
        elif isinstance(item, Node):
            self.nodes.append(item)
        else:
            raise TypeError(f"cannot add {type(item).__name__} to a Config")
        return item

    def disable_fencing(self, reason: str) -> None:
        """Set ``stonith-enabled=false`` and record why (demo/test clusters)."""
        if not reason:
            raise ValueError("disable_fencing needs a reason")
        self.properties["stonith-enabled"] = "false"
        self.fencing_off_acknowledged = reason

    # --- lookups used by renderers and lints ---
    def iter_primitives(self):
        """Yield (primitive, parent_id or None) for every primitive, in order."""
        for res in self.resources:
            yield from _walk(res, None)

    def top_ids(self) -> Dict[str, Resource]:
        """Top-level resource ids (what constraints should reference)."""
        return {r.id: r for r in self.resources}

    def all_resource_ids(self) -> Dict[str, Optional[str]]:
        """Every resource id mapped to the id of its top-level container (or None)."""
        out: Dict[str, Optional[str]] = {}
        for res in self.resources:
            out[res.id] = None
            if isinstance(res, Clone):
                out[res.child.id] = res.id
                if isinstance(res.child, Group):
                    for m in res.child.members:
                        out[m.id] = res.id
            elif isinstance(res, Group):
                for m in res.members:
                    out[m.id] = res.id
        return out


def _walk(res, parent):
    if isinstance(res, Primitive):
        yield res, parent
    elif isinstance(res, Group):
        for m in res.members:
            yield m, res.id
    elif isinstance(res, Clone):
        yield from _walk(res.child, res.id)


def _check_constraint(c, kind, actions):
    if c.id is not None:
        check_id(c.id, "constraint id")
    if kind not in ORDER_KINDS:
        raise ValueError(f"bad order kind {kind!r}: use one of {ORDER_KINDS}")
    for a in actions:
        if a is not None and a not in ACTIONS:
            raise ValueError(f"bad order action {a!r}: use one of {ACTIONS}")
