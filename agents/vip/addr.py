"""Read-only views of links, addresses and routes for the hot path (no pyroute2).

Everything goes through one rtnetlink socket (``ocfpy_agents.vip.rtnl``), not
/sys or /proc/net: after ``setns`` into another network namespace /sys still
shows the namespace it was mounted in, netlink always answers for the
namespace the socket was created in.

Example::

    with Netlink() as nl:
        link = link_by_name(nl, "eth0")           # Link or None
        found = find_address(nl, "192.0.2.10")    # [Address, ...] on any link
        route = discover(nl, "192.0.2.10")        # (ifindex, prefixlen) or None
"""

import _socket

from ocfpy.records import Record
from ocfpy_agents.vip import rtnl
from ocfpy_agents.vip.rtnl import AF_INET, AF_INET6

__all__ = ["IFNAME_MAX", "family_of", "pack_ip", "ifname_problem", "text_ip", "in_prefix",
           "is_link_local", "mac_text", "Link", "link_by_name", "link_by_index", "links",
           "Address", "addresses", "find_address", "discover"]



#: IFNAMSIZ - 1: the longest interface name the kernel takes, in bytes
IFNAME_MAX = 15


def family_of(ip: str) -> int:
    return AF_INET6 if ":" in ip else AF_INET


def pack_ip(ip: str) -> bytes:
    """The address in network byte order (ValueError/OSError when malformed).
    ASCII only: a scope (``%eth0``) or digits of another script are refused
    here rather than handed to inet_pton."""
    if not ip.isascii():
        raise ValueError("an IP address is written in ASCII")
    return _socket.inet_pton(family_of(ip), ip)


def ifname_problem(name: str):
    """Why ``name`` can never be an interface name, or None when it can.

    The kernel's rules (dev_valid_name): 1 to 15 bytes, not "." or "..", no
    "/", ":", NUL or whitespace (its isspace also counts byte 0xA0). An
    interface name that breaks them makes the kernel answer ERANGE or EINVAL
    to every request that names it."""
    try:
        raw = name.encode()
    except UnicodeEncodeError:
        return "is not valid UTF-8"
    if not raw:
        return "is empty"
    if len(raw) > IFNAME_MAX:
        return f"is longer than {IFNAME_MAX} bytes (the kernel's limit for interface names)"
    if raw in (b".", b".."):
        return "must not be . or .."
    if b":" in raw:
        return 'must not contain ":" (give the base interface; iflabel sets a label)'
    if any(b in b"/\0 \t\n\v\f\r\xa0" for b in raw):
        return "must not contain /, NUL or whitespace"
    return None


def text_ip(family: int, packed: bytes) -> str:
    return _socket.inet_ntop(family, packed)


def in_prefix(packed: bytes, network: bytes, prefixlen: int) -> bool:
    """True when ``packed`` lies inside ``network``/``prefixlen`` (same family)."""
    if len(packed) != len(network):
        return False
    bits = len(packed) * 8
    shift = bits - prefixlen
    return int.from_bytes(packed, "big") >> shift == int.from_bytes(network, "big") >> shift


def is_link_local(packed: bytes) -> bool:
    """IPv6 fe80::/10."""
    return len(packed) == 16 and packed[0] == 0xFE and packed[1] & 0xC0 == 0x80


def mac_text(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)


class Link(Record):
    """A network interface as RTM_NEWLINK describes it."""

    __slots__ = ("index", "name", "flags", "operstate", "mac")

    @property
    def admin_up(self) -> bool:
        return bool(self.flags & rtnl.IFF_UP)

    @property
    def carrier_ok(self) -> bool:
        """Administratively up and the operational state not down.
        "unknown" counts as up: lo and many virtual devices never report more."""
        return self.admin_up and self.operstate in ("up", "unknown")

    def __repr__(self):
        return f"Link({self.index}, {self.name!r}, {self.operstate})"


def _link(payload: bytes) -> Link:
    _family, _type, index, flags, _change = rtnl.IFINFOMSG.unpack_from(payload)
    attrs = rtnl.parse_attrs(payload, rtnl.IFINFOMSG.size)
    state = attrs.get(rtnl.IFLA_OPERSTATE, b"\0")[0]
    operstate = rtnl.OPERSTATES[state] if state < len(rtnl.OPERSTATES) else str(state)
    return Link(index, rtnl.cstr(attrs.get(rtnl.IFLA_IFNAME)), flags, operstate,
                attrs.get(rtnl.IFLA_ADDRESS, b""))


def link_by_name(nl, name: str):
    """The link called ``name``, or None when there is none (or can be none:
    a name the kernel would refuse is never sent)."""
    if ifname_problem(name):
        return None
    payload = rtnl.IFINFOMSG.pack(0, 0, 0, 0, 0) + rtnl.attr_str(rtnl.IFLA_IFNAME, name)
    try:
        replies = nl.get(rtnl.RTM_GETLINK, payload)
    except rtnl.NetlinkError as exc:
        if exc.errno in (19, 22, 34):     # ENODEV; EINVAL, ERANGE for a malformed name
            return None
        raise
    return _link(replies[0][1]) if replies else None


def link_by_index(nl, index: int):
    """The link with ``index``, or None."""
    try:
        replies = nl.get(rtnl.RTM_GETLINK, rtnl.IFINFOMSG.pack(0, 0, index, 0, 0))
    except rtnl.NetlinkError as exc:
        if exc.errno == 19:
            return None
        raise
    return _link(replies[0][1]) if replies else None


def links(nl) -> list:
    """Every link of the namespace."""
    return [_link(p) for t, p in nl.dump(rtnl.RTM_GETLINK, rtnl.IFINFOMSG.pack(0, 0, 0, 0, 0))
            if t == rtnl.RTM_NEWLINK]


class Address(Record):
    """An interface address as RTM_NEWADDR describes it."""

    __slots__ = ("family", "packed", "prefixlen", "index", "label", "flags", "scope")

    @property
    def ip(self) -> str:
        return text_ip(self.family, self.packed)

    @property
    def tentative(self) -> bool:
        return bool(self.flags & rtnl.IFA_F_TENTATIVE)

    @property
    def dadfailed(self) -> bool:
        return bool(self.flags & rtnl.IFA_F_DADFAILED)

    def __repr__(self):
        return f"Address({self.ip}/{self.prefixlen} if{self.index} flags={self.flags:#x})"


def addresses(nl, family: int) -> list:
    """Every address of ``family`` in the namespace."""
    out = []
    for msg_type, payload in nl.dump(rtnl.RTM_GETADDR, rtnl.IFADDRMSG.pack(family, 0, 0, 0, 0)):
        if msg_type != rtnl.RTM_NEWADDR:
            continue
        fam, prefixlen, flags8, scope, index = rtnl.IFADDRMSG.unpack_from(payload)
        if fam != family:
            continue
        attrs = rtnl.parse_attrs(payload, rtnl.IFADDRMSG.size)
        # IPv4: IFA_LOCAL is our address (IFA_ADDRESS is the peer on p2p links)
        packed = attrs.get(rtnl.IFA_LOCAL) or attrs.get(rtnl.IFA_ADDRESS)
        if not packed:
            continue
        flags = rtnl.u32(attrs[rtnl.IFA_FLAGS]) if rtnl.IFA_FLAGS in attrs else flags8
        out.append(Address(fam, packed, prefixlen, index, rtnl.cstr(attrs.get(rtnl.IFA_LABEL)),
                           flags, scope))
    return out


def find_address(nl, ip: str) -> list:
    """Every configured instance of ``ip`` (usually zero or one)."""
    packed = pack_ip(ip)
    return [a for a in addresses(nl, family_of(ip)) if a.packed == packed]


def discover(nl, ip: str):
    """The interface that should carry ``ip`` when no nic is given, as IPaddr2
    finds it: among the main table's on-link unicast routes (IPv4: scope link;
    no gateway; no default, unreachable or blackhole route) that contain the
    address, the longest prefix, then the lowest metric.
    Returns (ifindex, prefixlen) or None."""
    family = family_of(ip)
    packed = pack_ip(ip)
    best = None
    for msg_type, payload in nl.dump(rtnl.RTM_GETROUTE, rtnl.RTMSG.pack(family, 0, 0, 0, 0, 0, 0, 0, 0)):
        if msg_type != rtnl.RTM_NEWROUTE:
            continue
        fam, dst_len, _src, _tos, table, _proto, scope, rtype, _flags = rtnl.RTMSG.unpack_from(payload)
        attrs = rtnl.parse_attrs(payload, rtnl.RTMSG.size)
        if rtnl.RTA_TABLE in attrs:
            table = rtnl.u32(attrs[rtnl.RTA_TABLE])
        if (fam != family or table != rtnl.RT_TABLE_MAIN or rtype != rtnl.RTN_UNICAST
                or dst_len == 0 or rtnl.RTA_GATEWAY in attrs or rtnl.RTA_OIF not in attrs):
            continue
        if family == AF_INET and scope != rtnl.RT_SCOPE_LINK:
            continue
        if not in_prefix(packed, attrs.get(rtnl.RTA_DST, b""), dst_len):
            continue
        key = (-dst_len, rtnl.u32(attrs.get(rtnl.RTA_PRIORITY)))
        if best is None or key < best[0]:
            best = (key, rtnl.u32(attrs[rtnl.RTA_OIF]), dst_len)
    return None if best is None else (best[1], best[2])
