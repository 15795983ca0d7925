"""Adding and removing an address over rtnetlink, and waiting for IPv6 DAD.

Raw netlink rather than pyroute2, measured: ``import pyroute2`` alone costs
~175 ms here (bench/bench_vip.py prints it) while a whole IPaddr2 start
takes ~57 ms, and start time is outage on failover. The two messages needed
(RTM_NEWADDR, RTM_DELADDR) are a few lines each with ``ocfpy_agents.vip.rtnl``.

Example::

    with Netlink() as nl:
        add_address(nl, 3, "2001:db8::10", 64, flags=IFA_F_NODAD)
        delete_address(nl, 3, "2001:db8::10", 64)
"""

import struct
import time

from ocfpy_agents.vip import rtnl
from ocfpy_agents.vip.addr import family_of, find_address, pack_ip

__all__ = ["broadcast_for", "add_address", "delete_address", "wait_dad", "flush_route_cache"]


_CACHEINFO = struct.Struct("=IIII")


def broadcast_for(ip: str, prefixlen: int):
    """The IPv4 broadcast address of ip/prefixlen, None for /31, /32 and IPv6."""
    if family_of(ip) != rtnl.AF_INET or prefixlen >= 31:
        return None
    value = int.from_bytes(pack_ip(ip), "big") | ((1 << (32 - prefixlen)) - 1)
    return ".".join(str((value >> s) & 0xFF) for s in (24, 16, 8, 0))


def add_address(nl, index: int, ip: str, prefixlen: int, broadcast=None, label=None,
                flags: int = 0, preferred_lft=None) -> None:
    """Add ip/prefixlen on link ``index``; raises NetlinkError (EEXIST when present).

    ``flags`` are IFA_F_* (NODAD, NOPREFIXROUTE); ``preferred_lft`` in seconds
    (IPv6: 0 keeps the address from being chosen as a source)."""
    family = family_of(ip)
    packed = pack_ip(ip)
    payload = rtnl.IFADDRMSG.pack(family, prefixlen, flags & 0xFF, 0, index)
    payload += rtnl.attr(rtnl.IFA_LOCAL, packed) + rtnl.attr(rtnl.IFA_ADDRESS, packed)
    if broadcast:
        payload += rtnl.attr(rtnl.IFA_BROADCAST, pack_ip(broadcast))
    if label:
        payload += rtnl.attr_str(rtnl.IFA_LABEL, label)
    if flags:
        payload += rtnl.attr_u32(rtnl.IFA_FLAGS, flags)
    if preferred_lft is not None:
        payload += rtnl.attr(rtnl.IFA_CACHEINFO,
                             _CACHEINFO.pack(preferred_lft, rtnl.INFINITY_LIFE, 0, 0))
    nl.change(rtnl.RTM_NEWADDR, rtnl.NLM_F_CREATE | rtnl.NLM_F_EXCL, payload)


def delete_address(nl, index: int, ip: str, prefixlen: int) -> bool:
    """Remove ip/prefixlen from link ``index``; False when it was not there."""
    family = family_of(ip)
    packed = pack_ip(ip)
    payload = rtnl.IFADDRMSG.pack(family, prefixlen, 0, 0, index)
    payload += rtnl.attr(rtnl.IFA_LOCAL, packed) + rtnl.attr(rtnl.IFA_ADDRESS, packed)
    try:
        nl.change(rtnl.RTM_DELADDR, 0, payload)
    except rtnl.NetlinkError as exc:
        if exc.errno in (99, 19):     # EADDRNOTAVAIL, ENODEV: already gone
            return False
        raise
    return True


def wait_dad(nl, index: int, ip: str, deadline, interval: float = 0.02) -> str:
    """Wait until the kernel's duplicate address detection for ``ip`` ends.

    Returns "ok", "dadfailed", "gone" (someone removed it) or "timeout".
    Polls a netlink dump: DAD takes about one RetransTimer (1 s) plus a
    random delay, so a 20 ms poll adds little."""
    while True:
        mine = [a for a in find_address(nl, ip) if a.index == index]
        if not mine:
            return "gone"
        if mine[0].dadfailed:
            return "dadfailed"
        if not mine[0].tentative:
            return "ok"
        if deadline.expired:
            return "timeout"
        time.sleep(min(interval, deadline.remaining()))
        interval = min(0.1, interval * 1.5)


def flush_route_cache(family: int) -> None:
    """What `ip route flush cache` does: poke the kernel's flush sysctl
    (per network namespace; IPv4 has had no route cache since 3.6 but the
    knob still flushes cached exceptions (PMTU, redirects))."""
    name = "ipv6" if family == rtnl.AF_INET6 else "ipv4"
    try:
        with open(f"/proc/sys/net/{name}/route/flush", "w") as fh:
            fh.write("1\n")
    except OSError:
        pass   # best effort, as in IPaddr2
