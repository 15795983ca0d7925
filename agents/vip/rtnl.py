"""A minimal rtnetlink client: requests, dumps and attribute parsing.

Why not pyroute2: importing it costs ~175-400 ms here (its package
``__init__`` loads everything), more than a whole IPaddr2 monitor (~36 ms)
and three times an IPaddr2 start (~57 ms). Every millisecond of start is
client-visible outage on failover, so the vip agent talks rtnetlink itself:
a few messages (RTM_GETLINK/GETADDR/GETROUTE, RTM_NEWADDR/DELADDR), packed
with ``struct``. The socket is ``_socket``'s (the ``socket`` module pulls in
``enum``: ~12 ms).

The netlink socket belongs to the network namespace the process is in when
it is created: enter a namespace (``ocfpy_agents.vip.netns``) first.

Example::

    with Netlink() as nl:
        for msg_type, payload in nl.dump(RTM_GETADDR, pack_ifaddrmsg(AF_INET6)):
            ...
"""

import _socket
import os
import struct

__all__ = ["AF_INET", "AF_INET6", "NETLINK_ROUTE", "NLMSG_ERROR", "NLMSG_DONE", "RTM_NEWLINK",
           "RTM_GETLINK", "RTM_NEWADDR", "RTM_DELADDR", "RTM_GETADDR", "RTM_NEWROUTE",
           "RTM_GETROUTE", "NLM_F_REQUEST", "NLM_F_ACK", "NLM_F_DUMP", "NLM_F_EXCL",
           "NLM_F_CREATE", "IFLA_ADDRESS", "IFLA_IFNAME", "IFLA_OPERSTATE", "IFF_UP",
           "IFF_LOOPBACK", "OPERSTATES", "IFA_ADDRESS", "IFA_LOCAL", "IFA_LABEL",
           "IFA_BROADCAST", "IFA_CACHEINFO", "IFA_FLAGS", "IFA_F_SECONDARY", "IFA_F_NODAD",
           "IFA_F_DADFAILED", "IFA_F_DEPRECATED", "IFA_F_TENTATIVE", "IFA_F_PERMANENT",
           "IFA_F_NOPREFIXROUTE", "INFINITY_LIFE", "RTA_DST", "RTA_OIF", "RTA_GATEWAY",
           "RTA_PRIORITY", "RTA_TABLE", "RT_TABLE_MAIN", "RTN_UNICAST", "RT_SCOPE_LINK",
           "IFINFOMSG", "IFADDRMSG", "RTMSG", "NetlinkError", "attr", "attr_u32", "attr_str",
           "parse_attrs", "u32", "cstr", "Netlink"]


AF_INET = _socket.AF_INET
AF_INET6 = _socket.AF_INET6
NETLINK_ROUTE = 0

# message types (linux/rtnetlink.h, linux/netlink.h)
NLMSG_ERROR = 2
NLMSG_DONE = 3
RTM_NEWLINK = 16
RTM_GETLINK = 18
RTM_NEWADDR = 20
RTM_DELADDR = 21
RTM_GETADDR = 22
RTM_NEWROUTE = 24
RTM_GETROUTE = 26

# request flags
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_DUMP = 0x300
NLM_F_EXCL = 0x200
NLM_F_CREATE = 0x400

# link attributes and flags
IFLA_ADDRESS = 1
IFLA_IFNAME = 3
IFLA_OPERSTATE = 16
IFF_UP = 0x1
IFF_LOOPBACK = 0x8
OPERSTATES = ("unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up")

# address attributes and flags
IFA_ADDRESS = 1
IFA_LOCAL = 2
IFA_LABEL = 3
IFA_BROADCAST = 4
IFA_CACHEINFO = 6
IFA_FLAGS = 8
IFA_F_SECONDARY = 0x01
IFA_F_NODAD = 0x02
IFA_F_DADFAILED = 0x08
IFA_F_DEPRECATED = 0x20
IFA_F_TENTATIVE = 0x40
IFA_F_PERMANENT = 0x80
IFA_F_NOPREFIXROUTE = 0x200
INFINITY_LIFE = 0xFFFFFFFF

# route attributes and values
RTA_DST = 1
RTA_OIF = 4
RTA_GATEWAY = 5
RTA_PRIORITY = 6
RTA_TABLE = 15
RT_TABLE_MAIN = 254
RTN_UNICAST = 1
RT_SCOPE_LINK = 253

_NLMSGHDR = struct.Struct("=IHHII")
_RTATTR = struct.Struct("=HH")
IFINFOMSG = struct.Struct("=BxHiII")
IFADDRMSG = struct.Struct("=BBBBI")
RTMSG = struct.Struct("=BBBBBBBBI")
_U32 = struct.Struct("=I")
_I32 = struct.Struct("=i")


class NetlinkError(OSError):
    """The kernel refused a request; ``errno`` is the kernel's error number."""


def _align(n: int) -> int:
    return (n + 3) & ~3


def attr(kind: int, data: bytes) -> bytes:
    """One rtattr, padded to 4 bytes."""
    length = _RTATTR.size + len(data)
    return _RTATTR.pack(length, kind) + data + b"\0" * (_align(length) - length)


def attr_u32(kind: int, value: int) -> bytes:
    return attr(kind, _U32.pack(value))


def attr_str(kind: int, text: str) -> bytes:
    return attr(kind, text.encode() + b"\0")


def parse_attrs(data: bytes, offset: int) -> dict:
    """rtattrs from ``offset`` to the end as {type: raw bytes} (the last wins)."""
    out = {}
    end = len(data)
    while offset + 4 <= end:
        length, kind = _RTATTR.unpack_from(data, offset)
        if length < 4:
            break
        out[kind & 0x3FFF] = data[offset + 4:offset + length]
        offset += _align(length)
    return out


def u32(raw) -> int:
    return _U32.unpack(raw)[0] if raw else 0


def cstr(raw) -> str:
    return raw.split(b"\0", 1)[0].decode(errors="replace") if raw else ""


class Netlink:
    """One NETLINK_ROUTE socket; use as a context manager."""

    def __init__(self):
        self.sock = _socket.socket(_socket.AF_NETLINK, _socket.SOCK_RAW | _socket.SOCK_CLOEXEC,
                                   NETLINK_ROUTE)
        self.sock.bind((0, 0))
        self.seq = 0

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _send(self, msg_type: int, flags: int, payload: bytes) -> int:
        self.seq += 1
        header = _NLMSGHDR.pack(_NLMSGHDR.size + len(payload), msg_type, flags, self.seq, 0)
        self.sock.sendto(header + payload, (0, 0))
        return self.seq

    def _replies(self, seq: int):
        """Yield (type, payload) of the replies to ``seq`` until DONE or the ACK.
        An error reply raises NetlinkError."""
        while True:
            data = self.sock.recv(65536)
            offset = 0
            while offset + _NLMSGHDR.size <= len(data):
                length, msg_type, _flags, mseq, _pid = _NLMSGHDR.unpack_from(data, offset)
                if length < _NLMSGHDR.size:
                    return
                payload = data[offset + _NLMSGHDR.size:offset + length]
                offset += _align(length)
                if mseq != seq:
                    continue     # a late answer to an earlier request
                if msg_type == NLMSG_DONE:
                    return
                if msg_type == NLMSG_ERROR:
                    error = -_I32.unpack_from(payload)[0]
                    if error:
                        raise NetlinkError(error, os.strerror(error))
                    return       # the ACK
                yield msg_type, payload

    def dump(self, msg_type: int, payload: bytes) -> list:
        """A dump request: every (type, payload) the kernel answers."""
        return list(self._replies(self._send(msg_type, NLM_F_REQUEST | NLM_F_DUMP, payload)))

    def get(self, msg_type: int, payload: bytes) -> list:
        """A single (non-dump) request. NLM_F_ACK makes the kernel close the
        answer with an ACK, which tells us it is complete."""
        return list(self._replies(self._send(msg_type, NLM_F_REQUEST | NLM_F_ACK, payload)))

    def change(self, msg_type: int, flags: int, payload: bytes) -> None:
        """A request that changes something; waits for the kernel's ACK."""
        for _ in self._replies(self._send(msg_type, NLM_F_REQUEST | NLM_F_ACK | flags, payload)):
            pass
