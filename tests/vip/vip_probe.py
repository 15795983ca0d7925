"""Continuous ICMP echo probe: what a client sees while an address moves.

usage: vip_probe.py IP DURATION_S INTERVAL_S
Sends one echo request every INTERVAL (raw socket: run as root, inside the
client's namespace) for DURATION seconds, then prints JSON:
sent, answered, outage_ms (the longest silence: send time of the first
answered probe after a run of lost ones, minus that of the last answered one
before it, minus one interval), lost_max (longest run of lost probes),
first_ok/last_ok (seconds since start).
"""

import json
import os
import select
import socket
import sys
import time

from ocfpy_agents.vip.health import icmp_checksum as checksum




def main(ip: str, duration: float, interval: float) -> dict:
    six = ":" in ip
    family = socket.AF_INET6 if six else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_RAW, socket.IPPROTO_ICMPV6 if six else socket.IPPROTO_ICMP)
    ident = os.getpid() & 0xFFFF
    sent_at, answered = [], set()
    start = time.monotonic()
    next_send = start
    while True:
        now = time.monotonic()
        if now - start >= duration + 0.3:       # 300 ms for the last replies
            break
        if now >= next_send and now - start < duration:
            seq = len(sent_at)
            body = ident.to_bytes(2, "big") + (seq & 0xFFFF).to_bytes(2, "big") + b"vip-probe"
            kind = 128 if six else 8
            head = bytes((kind, 0, 0, 0))
            packet = head + body if six else bytes((kind, 0)) + checksum(head + body).to_bytes(2, "big") + body
            try:
                sock.sendto(packet, (ip, 0, 0, 0) if six else (ip, 0))
            except OSError:
                pass     # neighbour resolution failed: a lost probe
            sent_at.append(now - start)
            next_send += interval
        ready, _, _ = select.select([sock], [], [], max(0.0, min(next_send, start + duration + 0.3) - now))
        if ready:
            data, _src = sock.recvfrom(2048)
            if not six:
                data = data[(data[0] & 0x0F) * 4:]
            if len(data) >= 8 and data[0] == (129 if six else 0) and int.from_bytes(data[4:6], "big") == ident:
                answered.add(int.from_bytes(data[6:8], "big"))
    ok = sorted(s for s in range(len(sent_at)) if (s & 0xFFFF) in answered)
    outage, lost_max = 0.0, 0
    for prev, nxt in zip(ok, ok[1:]):
        if nxt - prev > 1:
            lost_max = max(lost_max, nxt - prev - 1)
            outage = max(outage, sent_at[nxt] - sent_at[prev] - interval)
    return {"sent": len(sent_at), "answered": len(ok), "outage_ms": round(outage * 1000, 1),
            "lost_max": lost_max, "interval_ms": interval * 1000,
            "first_ok": round(sent_at[ok[0]], 3) if ok else None,
            "last_ok": round(sent_at[ok[-1]], 3) if ok else None}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], float(sys.argv[2]), float(sys.argv[3]))))
