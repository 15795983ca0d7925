"""Gateway health: ICMP echo to a list of gateways, with fall/rise hysteresis.

The check passes when every gateway answers within the timeout (neutron's
VRRP health-check script behaves the same). ``fall`` failed checks in a row
turn the state to down, ``rise`` passed checks in a row turn it back up; the
counters live in a one-line state file so that each monitor call continues
where the last one stopped. The first state is "up": a node is not punished
before it has been checked.

Raw ICMP sockets (root, as agents run) and our own echo packets: no `ping`
process per gateway and no shell.
"""

import _socket
import os
import time

__all__ = ["UP", "DOWN", "icmp_checksum", "ping_all", "Hysteresis", "check"]


UP, DOWN = "up", "down"


def icmp_checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of an ICMP message."""
    if len(data) % 2:
        data += b"\0"
    total = sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _echo(family: int, ident: int, seq: int) -> bytes:
    kind = 8 if family == _socket.AF_INET else 128
    body = ident.to_bytes(2, "big") + seq.to_bytes(2, "big") + b"ocfpy-vip-gw"
    if family == _socket.AF_INET6:     # the kernel computes ICMPv6 checksums
        return bytes((kind, 0, 0, 0)) + body
    csum = icmp_checksum(bytes((kind, 0, 0, 0)) + body)
    return bytes((kind, 0)) + csum.to_bytes(2, "big") + body


def _target(gateway: str):
    """(family, packed address, sendto address, scope index) of a gateway
    written ``ADDRESS`` or ``ADDRESS%IFNAME`` (the scope of an IPv6 link-local
    gateway: the interface it is reached through, resolved in the current
    network namespace). Raises OSError when the interface does not exist,
    ValueError or OSError for a malformed gateway."""
    address, _, scope = gateway.partition("%")
    if not address.isascii():
        raise ValueError("an IP address is written in ASCII")
    family = _socket.AF_INET6 if ":" in address else _socket.AF_INET
    packed = _socket.inet_pton(family, address)
    if family == _socket.AF_INET:
        if scope:
            raise ValueError("an IPv4 address has no scope")
        return family, packed, (address, 0), 0
    index = _socket.if_nametoindex(scope) if scope else 0
    return family, packed, (address, 0, 0, index), index


def ping_all(gateways, timeout: float = 1.0, retries: int = 2) -> dict:
    """ICMP echo every gateway (IPv4 or IPv6) at once; {gateway: answered}.

    Each gateway gets up to ``retries`` requests spread over ``timeout``.
    A gateway may carry a scope, ``fe80::1%eth0``: the echo leaves through
    that interface and only a reply that arrived on it counts. A gateway whose
    interface does not exist here counts as not answering."""
    import select

    ident = os.getpid() & 0xFFFF
    sockets, targets, want, result = {}, {}, {}, {gw: False for gw in gateways}
    try:
        for gw in gateways:
            try:
                family, packed, dest, index = _target(gw)
            except (OSError, ValueError):
                continue     # no such interface here (or malformed): no answer
            if family not in sockets:
                proto = _socket.IPPROTO_ICMPV6 if family == _socket.AF_INET6 else _socket.IPPROTO_ICMP
                sockets[family] = _socket.socket(family, _socket.SOCK_RAW | _socket.SOCK_CLOEXEC, proto)
            targets[gw] = (family, dest)
            want[(packed, index)] = gw
        start = time.monotonic()
        end = start + timeout
        step = timeout / max(1, retries)
        sent, next_send = 0, start
        while targets and not all(result[gw] for gw in targets):
            now = time.monotonic()
            if now >= end:
                break
            if sent < retries and now >= next_send:
                for gw, (family, dest) in targets.items():
                    if not result[gw]:
                        try:
                            sockets[family].sendto(_echo(family, ident, sent), dest)
                        except OSError:
                            pass   # no route: counts as no answer
                sent += 1
                next_send = now + step
            wake = min(end, next_send) if sent < retries else end
            ready, _, _ = select.select(list(sockets.values()), [], [], max(0.0, wake - now))
            for sock in ready:
                data, src = sock.recvfrom(2048)
                if sock.family == _socket.AF_INET:
                    data = data[(data[0] & 0x0F) * 4:]     # skip the IPv4 header
                    reply, scope = 0, 0
                else:
                    reply, scope = 129, src[3]
                if len(data) < 8 or data[0] != reply or int.from_bytes(data[4:6], "big") != ident:
                    continue
                packed = _socket.inet_pton(sock.family, src[0].split("%")[0])
                gw = want.get((packed, scope)) or want.get((packed, 0))
                if gw is not None:
                    result[gw] = True
    finally:
        for sock in sockets.values():
            sock.close()
    return result


class Hysteresis:
    """fall/rise state of the check, kept in ``path`` as "state fails passes published"."""

    def __init__(self, path: str, fall: int, rise: int):
        self.path = path
        self.fall = fall
        self.rise = rise
        self.state, self.fails, self.passes, self.published = UP, 0, 0, ""
        try:
            with open(path) as fh:
                parts = fh.read().split()
            self.state, self.fails, self.passes = parts[0], int(parts[1]), int(parts[2])
            self.published = parts[3] if len(parts) > 3 and parts[3] != "-" else ""
        except (OSError, ValueError, IndexError):
            pass

    def record(self, passed: bool) -> str:
        """Count one check; returns the state after it."""
        if passed:
            self.passes, self.fails = self.passes + 1, 0
            if self.state == DOWN and self.passes >= self.rise:
                self.state = UP
        else:
            self.fails, self.passes = self.fails + 1, 0
            if self.state == UP and self.fails >= self.fall:
                self.state = DOWN
        return self.state

    def save(self) -> None:
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        tmp = f"{self.path}.tmp{os.getpid()}"
        with open(tmp, "w") as fh:
            fh.write(f"{self.state} {self.fails} {self.passes} {self.published or '-'}\n")
        os.replace(tmp, self.path)


def check(state: Hysteresis, gateways, timeout: float, log=None) -> bool:
    """One check: ping ``gateways`` (see ``ping_all``) and count the outcome
    in ``state``, logging those that did not answer. True while the
    gateways count as up (``state`` is not saved here).

    Example::

        state = Hysteresis("/run/vip.gw", fall=2, rise=2)
        up = check(state, ["192.0.2.1"], timeout=1.0)
        state.save()
    """
    replies = ping_all(gateways, timeout=timeout)
    passed = all(replies.values())
    if not passed and log is not None:
        log.info("gateways not answering: %s", " ".join(g for g, ok in replies.items() if not ok))
    return state.record(passed) == UP
