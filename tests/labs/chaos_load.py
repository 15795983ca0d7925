"""The client load of the chaos scenarios (tests/labs/chaos.py), run inside the
bed's client network namespace.

usage: chaos_load.py EVENTS VIP CLIENT_IP USER PASSWORD [--interval-ms 10] [--write-ms 20]
                     [--first-id 1]

Two threads, one events file (one line per event, times are
``time.monotonic()``, the same clock as the test process's):

* the **VIP prober** sends an ARP request "who has VIP, tell CLIENT_IP" every
  interval on eth0 and writes one line per probe::

      p <send time> <MAC>[,<MAC>...]      (nothing after the time: unanswered)

  with the MACs of every node that answered before the next probe went out.
  The nodes' kernels answer for an address they hold, no program on the node
  is involved: two MACs on one probe are two nodes holding the VIP at once.
  Gratuitous ARPs (a node announcing the VIP) are not answers and not counted.
* the **writer** inserts one row every ``--write-ms`` into ``chaos.t`` through
  the VIP (pymysql over TCP, autocommit), ids 1, 2, 3... chosen here, never
  reused (from ``--first-id``), and writes::

      a <ack time> <id> <node that served it>    (acknowledged: must never be lost)
      e <time> <id> <error code or exception name>   (not acknowledged)

Stops at EOF on stdin (its parent went away or closed the pipe) or SIGTERM,
after a last line ``x <time>``.
"""

import os
import select
import signal
import socket
import struct
import sys
import threading
import time

ETH_P_ARP = 0x0806


def close_quietly(conn) -> None:
    """Close a database connection (None: nothing) that may already be broken;
    the chaos bed's sampler uses it too."""
    if conn is not None:
        try:
            conn.close()
        except Exception:  # noqa: BLE001 - a broken connection is what is being dropped
            pass


def _mac(raw: bytes) -> str:
    return ":".join("%02x" % b for b in raw)


class Events:
    def __init__(self, path: str):
        self.fh = open(path, "a", buffering=1)
        self.lock = threading.Lock()

    def put(self, line: str) -> None:
        with self.lock:
            self.fh.write(line + "\n")


def prober(events: Events, vip: str, client_ip: str, interval: float, stop: threading.Event,
           dev: str = "eth0") -> None:
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
    sock.bind((dev, ETH_P_ARP))
    mine = sock.getsockname()[4]
    vip_b, me_b = socket.inet_aton(vip), socket.inet_aton(client_ip)
    request = (b"\xff" * 6 + mine + struct.pack("!H", ETH_P_ARP)
               + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mine + me_b + b"\x00" * 6 + vip_b)
    next_send = time.monotonic()
    while not stop.is_set():
        sent = time.monotonic()
        try:
            sock.send(request)
        except OSError:
            pass
        macs = set()
        next_send = max(next_send + interval, sent + interval / 2)
        while True:
            left = next_send - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([sock], [], [], left)
            if not ready:
                continue
            frame = sock.recv(128)
            if len(frame) < 42 or frame[12:14] != b"\x08\x06":
                continue
            op = struct.unpack("!H", frame[20:22])[0]
            # an answer to us: op 2, sender IP the VIP, target IP ours
            if op == 2 and frame[28:32] == vip_b and frame[38:42] == me_b:
                macs.add(_mac(frame[22:28]))
        events.put("p %.4f %s" % (sent, ",".join(sorted(macs))))


def writer(events: Events, vip: str, user: str, password: str, interval: float,
           stop: threading.Event, first_id: int = 1) -> None:
    import pymysql

    conn, node = None, "?"
    ident = first_id - 1
    next_write = time.monotonic()
    while not stop.is_set():
        ident += 1
        try:
            if conn is None:
                conn = pymysql.connect(host=vip, port=3306, user=user, password=password,
                                       database="chaos", connect_timeout=1, read_timeout=5,
                                       write_timeout=5, autocommit=True)
                with conn.cursor() as cur:
                    cur.execute("SELECT @@hostname")
                    node = cur.fetchone()[0]
            with conn.cursor() as cur:
                cur.execute("INSERT INTO t (id, node) VALUES (%s, @@hostname)", (ident,))
            events.put("a %.4f %d %s" % (time.monotonic(), ident, node))
        except Exception as exc:  # noqa: BLE001 - every failure is an unacknowledged write
            code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else type(exc).__name__
            events.put("e %.4f %d %s" % (time.monotonic(), ident, code))
            close_quietly(conn)
            conn = None
            stop.wait(0.05)     # a refused connection returns at once: do not spin
        next_write = max(next_write + interval, time.monotonic())
        stop.wait(max(0.0, next_write - time.monotonic()))


def main(argv) -> int:
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("events")
    ap.add_argument("vip")
    ap.add_argument("client_ip")
    ap.add_argument("user")
    ap.add_argument("password")
    ap.add_argument("--interval-ms", type=float, default=10)
    ap.add_argument("--write-ms", type=float, default=20)
    ap.add_argument("--first-id", type=int, default=1)
    args = ap.parse_args(argv)
    events = Events(args.events)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threads = [threading.Thread(target=prober, daemon=True, args=(
                   events, args.vip, args.client_ip, args.interval_ms / 1000, stop)),
               threading.Thread(target=writer, daemon=True, args=(
                   events, args.vip, args.user, args.password, args.write_ms / 1000, stop,
                   args.first_id))]
    for t in threads:
        t.start()
    events.put("s %.4f" % time.monotonic())
    sys.stdout.write("READY\n")
    sys.stdout.flush()
    while not stop.is_set():
        ready, _, _ = select.select([sys.stdin], [], [], 0.5)
        if ready and not os.read(sys.stdin.fileno(), 64):
            break
    stop.set()
    for t in threads:
        t.join(10)
    events.put("x %.4f" % time.monotonic())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
