"""Telling the link that an address moved: gratuitous ARP and unsolicited NA,
and the IPv4 duplicate check (ARP probes), with plain sockets.

- IPv4: an AF_PACKET socket bound to the interface sends Ethernet broadcast
  frames carrying ARP. A "request" announcement has sender = target = VIP and
  a zero target MAC; a "reply" announcement (for switches that ignore
  gratuitous requests, what ``arping -A`` sends) carries our MAC as target.
- IPv6: a raw ICMPv6 socket bound to the VIP sends a neighbour advertisement
  (Override flag, target link-layer address option) to ff02::1 with hop limit
  255; the kernel fills in the checksum.
- Duplicate check: ARP probes (sender IP 0.0.0.0, RFC 5227) and any ARP
  answer or announcement for the address from another MAC means a duplicate.

Sockets are created in the current network namespace. ``_socket`` is used
instead of ``socket`` (which imports enum, ~12 ms).
"""

import _socket
import time

__all__ = ["ETH_P_ARP", "ETH_P_IP", "BROADCAST_MAC", "ZERO_MAC", "ALL_NODES",
           "ND_NEIGHBOR_ADVERT", "NA_FLAG_OVERRIDE", "MIN_INTERVAL", "MODES", "arp_frame",
           "announcement_frames", "packet_socket", "Garp", "Na", "announces", "sender_for",
           "repeat", "send_rounds", "send_garp",
           "na_packet", "send_na", "find_duplicate"]


ETH_P_ARP = 0x0806
ETH_P_IP = 0x0800
BROADCAST_MAC = b"\xff" * 6
ZERO_MAC = b"\0" * 6
ALL_NODES = "ff02::1"
ARP_REQUEST, ARP_REPLY = 1, 2
ND_NEIGHBOR_ADVERT = 136
NA_FLAG_OVERRIDE = 0x20000000

#: the shortest pause between two rounds (seconds), whatever the caller asks:
#: announcements are a few frames per round, never a flood
MIN_INTERVAL = 0.01

#: arp_mode values: which ARP announcements every round sends
MODES = {"request_reply": (ARP_REQUEST, ARP_REPLY), "request": (ARP_REQUEST,), "reply": (ARP_REPLY,)}


def arp_frame(op: int, mac: bytes, sender_ip: bytes, target_mac: bytes, target_ip: bytes,
              dest_mac: bytes = BROADCAST_MAC) -> bytes:
    """An Ethernet frame carrying one ARP packet, padded to the 60-byte minimum."""
    frame = (dest_mac + mac + ETH_P_ARP.to_bytes(2, "big")
             + (1).to_bytes(2, "big") + ETH_P_IP.to_bytes(2, "big") + bytes((6, 4))
             + op.to_bytes(2, "big") + mac + sender_ip + target_mac + target_ip)
    return frame + b"\0" * (60 - len(frame))


def announcement_frames(mac: bytes, ip: str, mode: str = "request_reply") -> list:
    """The gratuitous ARP frames of one round for ``mode`` (see MODES)."""
    packed = _socket.inet_pton(_socket.AF_INET, ip)
    frames = []
    for op in MODES[mode]:
        target_mac = ZERO_MAC if op == ARP_REQUEST else mac
        frames.append(arp_frame(op, mac, packed, target_mac, packed))
    return frames


def packet_socket(nic=None):
    """An AF_PACKET socket. Created with protocol 0 it has no receive hook, so
    sending (sendto with (nic, ETH_P_ARP)) costs no RCU grace period; binding
    to ``nic`` for ARP adds the hook (to listen). Closing any packet socket waits
    for a grace period (~20 ms here): ``Garp`` lets a background child own it."""
    sock = _socket.socket(_socket.AF_PACKET, _socket.SOCK_RAW | _socket.SOCK_CLOEXEC, 0)
    if nic is not None:
        sock.bind((nic, ETH_P_ARP))
    return sock


class Garp:
    """Gratuitous ARP rounds for one address; ``round()`` sends one round."""

    def __init__(self, nic: str, mac: bytes, ip: str, mode: str = "request_reply"):
        self.nic = nic
        self.frames = announcement_frames(mac, ip, mode)
        self.sock = packet_socket()

    def round(self) -> int:
        for frame in self.frames:
            self.sock.sendto(frame, (self.nic, ETH_P_ARP))
        return len(self.frames)

    def close(self):
        self.sock.close()


class Na:
    """Unsolicited neighbour advertisements for one IPv6 address (after DAD:
    binding to a tentative address fails)."""

    def __init__(self, ifindex: int, mac: bytes, ip: str):
        self.ifindex = ifindex
        self.packet = na_packet(ip, mac)
        self.sock = _socket.socket(_socket.AF_INET6, _socket.SOCK_RAW | _socket.SOCK_CLOEXEC,
                                   _socket.IPPROTO_ICMPV6)
        try:
            self.sock.setsockopt(_socket.IPPROTO_IPV6, _socket.IPV6_MULTICAST_IF, ifindex)
            self.sock.setsockopt(_socket.IPPROTO_IPV6, _socket.IPV6_MULTICAST_HOPS, 255)
            self.sock.setsockopt(_socket.IPPROTO_IPV6, _socket.IPV6_UNICAST_HOPS, 255)
            self.sock.bind((ip, 0, 0, ifindex if ip.lower().startswith("fe8") else 0))
        except OSError:
            self.sock.close()
            raise

    def round(self) -> int:
        self.sock.sendto(self.packet, (ALL_NODES, 0, 0, self.ifindex))
        return 1

    def close(self):
        self.sock.close()


def announces(link) -> bool:
    """Links without ARP/ND (lo, tun) get no announcements."""
    return not link.flags & 0x88 and len(link.mac) == 6    # IFF_LOOPBACK | IFF_NOARP


def sender_for(link, ip: str, mode: str = "request_reply"):
    """The sender of ``ip``'s announcements on ``link`` (an
    ``ocfpy_agents.vip.addr.Link``): unsolicited NA for IPv6, gratuitous ARP
    of ``mode`` for IPv4."""
    if ":" in ip:
        return Na(link.index, link.mac, ip)
    return Garp(link.name, link.mac, ip, mode)


def repeat(sender, count: int, interval: float, deadline=None, wait_first: bool = False,
           sleep=time.sleep) -> int:
    """``count`` rounds of ``sender`` ``interval`` seconds apart (at least
    MIN_INTERVAL), then close it; returns the frames sent.

    With ``deadline`` (an ocfpy.deadline.Deadline) no round is sent after it:
    when the next round would come later, the rest are dropped. With
    ``wait_first`` the first round also waits one interval."""
    interval = max(MIN_INTERVAL, interval)
    sent = 0
    try:
        for i in range(count):
            if i or wait_first:
                if deadline is not None and deadline.remaining() < interval:
                    break
                sleep(interval)
            if deadline is not None and deadline.expired:
                break
            sent += sender.round()
    finally:
        sender.close()
    return sent


def send_rounds(sender, rounds: int, interval: float, deadline, detach=None) -> None:
    """The first round of ``sender`` now, the other ``rounds - 1``
    ``interval`` apart (see ``repeat``: none after ``deadline``), then close
    it. With ``detach`` those go to ``detach(func)``, which runs ``func`` in a
    child; the child then owns the socket, whose close costs a ~20 ms RCU
    grace period, and this process returns at once.

    Example::

        send_rounds(sender_for(link, "192.0.2.10"), 5, 0.2, agent.deadline)
    """
    try:
        sender.round()
    except BaseException:
        sender.close()
        raise
    if rounds == 1:
        sender.close()
        return
    if detach is None:
        repeat(sender, rounds - 1, interval, deadline=deadline, wait_first=True)
        return
    detach(lambda: repeat(sender, rounds - 1, interval, deadline=deadline, wait_first=True))
    sender.close()     # the child holds the socket now: no grace period here


def send_garp(nic: str, mac: bytes, ip: str, count: int, interval: float,
              mode: str = "request_reply", deadline=None, sleep=time.sleep) -> int:
    """Send ``count`` rounds of gratuitous ARP ``interval`` seconds apart (see
    ``repeat``); returns the number of frames sent."""
    return repeat(Garp(nic, mac, ip, mode), count, interval, deadline=deadline, sleep=sleep)


def na_packet(ip: str, mac: bytes) -> bytes:
    """An unsolicited neighbour advertisement for ``ip`` (checksum left to the kernel)."""
    return (bytes((ND_NEIGHBOR_ADVERT, 0, 0, 0)) + NA_FLAG_OVERRIDE.to_bytes(4, "big")
            + _socket.inet_pton(_socket.AF_INET6, ip)
            + bytes((2, 1)) + mac)     # option 2: target link-layer address, 8 bytes


def send_na(ifindex: int, mac: bytes, ip: str, count: int, interval: float, deadline=None,
            sleep=time.sleep) -> int:
    """Send ``count`` unsolicited NAs for ``ip`` to all nodes (see ``repeat``);
    returns the number sent."""
    return repeat(Na(ifindex, mac, ip), count, interval, deadline=deadline, sleep=sleep)


def find_duplicate(nic: str, mac: bytes, ip: str, probes: int = 3, interval: float = 0.1,
                   wait: float = 0.2, deadline=None):
    """Probe for another owner of IPv4 ``ip`` on ``nic``: send ARP probes and
    listen. Returns the other owner's MAC as text, or None when nobody answered
    within probes * interval + wait seconds (and before ``deadline``, an
    ocfpy.deadline.Deadline). Probes are at least MIN_INTERVAL apart."""
    import select

    packed = _socket.inet_pton(_socket.AF_INET, ip)
    probe = arp_frame(ARP_REQUEST, mac, b"\0\0\0\0", ZERO_MAC, packed)
    sock = packet_socket(nic)
    try:
        interval = max(MIN_INTERVAL, interval)
        end = time.monotonic() + probes * interval + wait
        if deadline is not None:
            end = min(end, deadline.end)
        next_probe, sent = time.monotonic(), 0
        while True:
            now = time.monotonic()
            if sent < probes and now >= next_probe:
                sock.send(probe)
                sent += 1
                next_probe = now + interval
            if now >= end:
                return None
            timeout = max(0.0, min(end, next_probe if sent < probes else end) - now)
            ready, _, _ = select.select([sock], [], [], timeout)
            if not ready:
                continue
            frame = sock.recv(2048)
            if len(frame) < 42 or frame[12:14] != b"\x08\x06":
                continue
            sender_mac, sender_ip = frame[22:28], frame[28:32]
            if sender_ip == packed and sender_mac != mac:
                return ":".join(f"{b:02x}" for b in sender_mac)
    finally:
        sock.close()
