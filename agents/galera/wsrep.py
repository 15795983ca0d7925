"""Galera's state and decisions, as pure functions (no I/O): what the
galera agent decides from what it read.

- ``grastate.dat``: :func:`parse_grastate`, :func:`set_safe_to_bootstrap`;
- ``mariadbd --wsrep-recover`` output: :func:`parse_recovered_position`;
- addresses: :func:`parse_gcomm` (``gcomm://a,b:4567,[fd00::1]:4567``),
  :func:`parse_host_map` (``cluster_host_map``), :func:`member_of_node` and
  :func:`member_nodes` (exact node-name mapping: ``ctl1`` never matches
  ``ctl10``, ports are allowed everywhere);
- the bootstrap election, :func:`elect`;
- the parameter types :class:`GcommAddress` and :class:`HostMap`, and
  :func:`address_problem` (cluster_host_map against wsrep_cluster_address).

The election, written once, computed by every node from the same published
data, so every node names the same winner:

1. a node whose grastate.dat says ``safe_to_bootstrap: 1`` (the last node of a
   clean shutdown) wins at once, without waiting for the others;
2. otherwise nobody wins until every member has published its position;
3. then the highest seqno wins; an unknown seqno (-1) counts as 0;
4. ties (and several safe nodes) go to the member listed first in
   ``wsrep_cluster_address`` -- a rule every node computes identically,
   unlike a comparison of local state (resource-agents issue 770).

Example::

    st = parse_grastate(text_of_grastate_dat)
    st.seqno, st.safe_to_bootstrap             # (-1, False) after a crash
    members = parse_gcomm("gcomm://ctl1,ctl2,ctl10")
    nodes = member_nodes(members, parse_host_map(""))   # ["ctl1", "ctl2", "ctl10"]
    elect([Candidate("ctl1", 5), Candidate("ctl2", 7), Candidate("ctl10", 7)])
    # -> ("ctl2", "highest seqno 7")

Hot path: imported by the galera agent's monitor (and meta-data); only ``os``
and ocfpy.parameters (which the agent imports anyway) at module level.
"""

import os

from ocfpy.parameters import String
from ocfpy.records import Record

__all__ = ["GraState", "Member", "Candidate", "parse_grastate", "set_safe_to_bootstrap", "parse_recovered_position", "parse_gcomm", "parse_address", "parse_host_map", "address_matches", "member_of_node", "member_nodes", "address_problem", "GcommAddress", "HostMap", "elect", "LOCAL_STATES", "RECOVERED_MARK", "ZERO_UUID"]


ZERO_UUID = "00000000-0000-0000-0000-000000000000"
DEFAULT_GCOMM_PORT = 4567
RECOVERED_MARK = "WSREP: Recovered position:"
#: wsrep_local_state values
LOCAL_STATES = {"1": "Joining", "2": "Donor/Desynced", "3": "Joined", "4": "Synced"}


# --- grastate.dat --------------------------------------------------------------------

class GraState(Record):
    """The saved state of a Galera node: ``uuid``, ``seqno`` (-1: unknown, e.g.
    after a crash) and ``safe_to_bootstrap``."""

    __slots__ = ("uuid", "seqno", "safe_to_bootstrap")
    defaults = {"uuid": ZERO_UUID, "seqno": -1, "safe_to_bootstrap": False}

    @property
    def position(self) -> str:
        return f"{self.uuid}:{self.seqno}"

    def __eq__(self, other):
        return isinstance(other, GraState) and (self.uuid, self.seqno, self.safe_to_bootstrap) == (
            other.uuid, other.seqno, other.safe_to_bootstrap)

    def __repr__(self):
        return f"GraState({self.uuid!r}, {self.seqno}, safe_to_bootstrap={self.safe_to_bootstrap})"


def _int_or(text, default):
    try:
        return int(text.strip())
    except (ValueError, AttributeError):
        return default


def parse_grastate(text: str) -> GraState:
    """Parse grastate.dat; missing or garbled fields take the "unknown" values.

    >>> parse_grastate("uuid: 6d2c...\\nseqno: -1\\nsafe_to_bootstrap: 0\\n").seqno
    -1
    """
    st = GraState()
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep or key.lstrip().startswith("#"):
            continue
        key, value = key.strip(), value.strip()
        if key == "uuid" and value:
            st.uuid = value
        elif key == "seqno":
            st.seqno = _int_or(value, -1)
        elif key == "safe_to_bootstrap":
            st.safe_to_bootstrap = value == "1"
    return st


def set_safe_to_bootstrap(text: str, safe: bool = True) -> str:
    """grastate.dat's text with ``safe_to_bootstrap`` set (added if absent)."""
    value = "1" if safe else "0"
    lines, found = [], False
    for line in text.splitlines():
        if line.partition(":")[0].strip() == "safe_to_bootstrap":
            line, found = f"safe_to_bootstrap: {value}", True
        lines.append(line)
    if not found:
        lines.append(f"safe_to_bootstrap: {value}")
    return "\n".join(lines) + "\n"


def parse_recovered_position(log: str):
    """``(uuid, seqno)`` from the last "WSREP: Recovered position: uuid:seqno"
    line of a ``--wsrep-recover`` run's error log, or None.

    >>> parse_recovered_position("... [Note] WSREP: Recovered position: 9f1c-...:17\\n")
    ('9f1c-...', 17)
    """
    found = None
    for line in log.splitlines():
        i = line.find(RECOVERED_MARK)
        if i < 0:
            continue
        pos = line[i + len(RECOVERED_MARK):].strip()
        uuid, sep, seqno = pos.rpartition(":")
        if sep and uuid and _int_or(seqno, None) is not None:
            found = (uuid, int(seqno))
    return found


# --- addresses -----------------------------------------------------------------------------

class Member:
    """One ``wsrep_cluster_address`` entry: ``host`` (lower case) and ``port`` (None: default)."""

    __slots__ = ("host", "port")

    def __init__(self, host, port=None):
        self.host = host.lower()
        self.port = port

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_GCOMM_PORT

    def __str__(self):
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"

    def __eq__(self, other):
        return isinstance(other, Member) and (self.host, self.port) == (other.host, other.port)

    def __hash__(self):
        return hash((self.host, self.port))

    def __repr__(self):
        return f"Member({str(self)!r})"


def _q(text: str, limit: int = 60) -> str:
    """``text`` quoted for an error message, at most ``limit`` characters of it."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _check_host(host: str, s: str) -> None:
    # what no resolver takes would fail later, in the middle of an action
    # (socket.create_connection raises UnicodeError for it, not OSError)
    if not host.isprintable() or any(c.isspace() for c in host):
        raise ValueError(f"bad host in {_q(s)} (control characters, spaces or bytes that are not UTF-8)")
    if ":" not in host and (len(host) > 253 or any(len(label) > 63 for label in host.split("."))):
        raise ValueError(f"host name too long in {_q(s)}")


def parse_address(text: str) -> Member:
    """``host``, ``host:port``, ``[v6]``, ``[v6]:port`` (a bare IPv6 address too).

    >>> parse_address("[fd00::1]:4567").port
    4567
    """
    s = text.strip()
    if not s:
        raise ValueError("empty address")
    if s.startswith("["):
        end = s.find("]")
        if end < 0:
            raise ValueError(f"unbalanced [ in {_q(s)}")
        host, rest = s[1:end], s[end + 1:]
        if rest and not rest.startswith(":"):
            raise ValueError(f"unexpected text after ] in {_q(s)}")
        port_text = rest[1:] if rest else ""
    elif s.count(":") > 1:           # a bare IPv6 address, no port
        host, port_text = s, ""
    else:
        host, _, port_text = s.partition(":")
    if not host:
        raise ValueError(f"no host in {_q(s)}")
    _check_host(host, s)
    port = None
    if port_text:
        if not (port_text.isascii() and port_text.isdigit()) or not 0 < int(port_text) < 65536:
            raise ValueError(f"bad port in {_q(s)}")
        port = int(port_text)
    return Member(host, port)


def parse_gcomm(address: str) -> list:
    """The members of ``gcomm://a,b:4567,...``; options after ``?`` are ignored.

    ``gcomm://`` alone (bootstrap) gives []. Raises ValueError when malformed.

    >>> [str(m) for m in parse_gcomm("gcomm://ctl1,ctl2:4577?pc.wait_prim=no")]
    ['ctl1', 'ctl2:4577']
    """
    text = address.strip()
    if not text.startswith("gcomm://"):
        raise ValueError("must start with gcomm://")
    body = text[len("gcomm://"):].split("?", 1)[0]
    members = [parse_address(item) for item in body.split(",") if item.strip()]
    if len(set(members)) != len(members):
        raise ValueError("lists a member twice")
    return members


def parse_host_map(text: str) -> dict:
    """``cluster_host_map`` to {node name: Member}.

    Entries ``node:host`` or ``node:host:port`` (``node:[v6]:port``), separated
    by ``;``, ``,`` or whitespace (resource-agents issue 1104: all three are
    seen in the wild).

    >>> parse_host_map("ctl1:10.0.0.1;ctl2:10.0.0.2:4577")["ctl2"]
    Member('10.0.0.2:4577')
    """
    out = {}
    for entry in text.replace(";", " ").replace(",", " ").split():
        node, sep, addr = entry.partition(":")
        if not sep or not node or not addr:
            raise ValueError(f"entry {_q(entry)} is not node:host[:port]")
        if node in out:
            raise ValueError(f"node {_q(node)} is mapped twice")
        out[node] = parse_address(addr)
    return out


def address_matches(mapped: Member, member: Member) -> bool:
    """``mapped`` (a cluster_host_map address) designates ``member``: same host,
    and same port when the map gives one."""
    if mapped.host != member.host:
        return False
    return mapped.port is None or mapped.port == member.effective_port


def member_of_node(node: str, members: list, host_map: dict):
    """Index of ``node``'s entry in ``members``, or None when it has none.

    With a ``cluster_host_map`` entry for the node, its address (and port,
    when given) must match exactly one member; otherwise the node name must
    equal a member's host exactly (case-insensitive, no prefix or substring
    match). Raises ValueError when more than one member matches.
    """
    if node in host_map:
        mapped = host_map[node]
        hits = [i for i, m in enumerate(members) if address_matches(mapped, m)]
    else:
        hits = [i for i, m in enumerate(members) if m.host == node.lower()]
    if len(hits) > 1:
        raise ValueError(f"node {node} matches {len(hits)} entries of wsrep_cluster_address "
                         "(give host:port in cluster_host_map)")
    return hits[0] if hits else None


def member_nodes(members: list, host_map: dict) -> list:
    """The Pacemaker node name of every member, in address order: the node
    whose map entry matches it, else the member's host itself."""
    names = []
    for member in members:
        owners = [n for n, addr in host_map.items() if address_matches(addr, member)]
        if len(owners) > 1:
            raise ValueError(f"{member} is mapped from several nodes: {', '.join(owners)}")
        names.append(owners[0] if owners else member.host)
    return names


def address_problem(members: list, host_map: dict):
    """Why ``host_map`` (cluster_host_map) does not fit ``members``
    (wsrep_cluster_address): the reason of a configuration error, or None.

    >>> address_problem(parse_gcomm("gcomm://a,b"), parse_host_map("n1:c"))
    'parameter cluster_host_map: n1:c is not in wsrep_cluster_address'
    """
    for node, addr in host_map.items():
        if not any(address_matches(addr, m) for m in members):
            return f"parameter cluster_host_map: {node}:{addr} is not in wsrep_cluster_address"
    try:
        nodes = member_nodes(members, host_map)
    except ValueError as exc:
        return f"parameter cluster_host_map: {exc}"
    for node in nodes:
        if nodes.count(node) > 1:
            return (f"{nodes.count(node)} wsrep_cluster_address entries map to node {node} "
                    "(name each in cluster_host_map as node:host:port)")
    return None


class GcommAddress(String):
    """The ``wsrep_cluster_address`` parameter: ``gcomm://host[:port],...``
    with at least one member."""

    def parse(self, raw):
        members = parse_gcomm(raw)
        if not members:
            raise ValueError("lists no member (gcomm:// alone is a bootstrap, not a cluster)")
        return raw.strip()


class HostMap(String):
    """The ``cluster_host_map`` parameter: ``node:host[:port];node:host[:port]``
    (``;``, ``,`` or spaces between entries)."""

    def parse(self, raw):
        parse_host_map(raw)
        return raw.strip()


# --- election ---------------------------------------------------------------------------

class Candidate(Record):
    """What a node published: ``seqno`` (None when it has published nothing yet),
    ``safe`` (safe_to_bootstrap) and ``uuid`` (informational)."""

    __slots__ = ("node", "seqno", "safe", "uuid")
    defaults = {"seqno": None, "safe": False, "uuid": None}

    def __repr__(self):
        return f"Candidate({self.node!r}, {self.seqno}, safe={self.safe})"


def elect(candidates: list):
    """``(winner, why)`` of the bootstrap election, or ``(None, why)`` while
    it cannot be decided. ``candidates`` are in wsrep_cluster_address order
    (see the module docstring for the rules).

    >>> elect([Candidate("a", 3), Candidate("b", None)])
    (None, 'waiting for the position of b')
    >>> elect([Candidate("a", 3), Candidate("b", -1, safe=True)])
    ('b', 'safe_to_bootstrap')
    """
    safe = [c for c in candidates if c.safe and c.seqno is not None]
    if safe:
        return safe[0].node, "safe_to_bootstrap"
    waiting = [c.node for c in candidates if c.seqno is None]
    if waiting:
        return None, "waiting for the position of " + ", ".join(waiting)
    if not candidates:
        return None, "no members"
    best = max(max(c.seqno, 0) for c in candidates)
    winners = [c for c in candidates if max(c.seqno, 0) == best]
    why = f"highest seqno {best}"
    if len(winners) > 1:
        why += " (tie: first listed in wsrep_cluster_address)"
    return winners[0].node, why


# --- credentials and status ---------------------------------------------------------------

