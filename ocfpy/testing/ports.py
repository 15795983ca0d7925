"""Free TCP ports for test beds and benches: drawn at random from a range
(each bed keeps to its own, so that beds running at once do not collide),
tried by binding, and never handed out twice from the same ``taken`` set.

Example::

    taken = set()
    front, back = free_ports(2, 36000, 37000, taken=taken)
    port = free_port(36000, 37000, taken=taken)      # neither front nor back
"""

import random
import socket

__all__ = ["bindable", "free_ports", "free_port"]


def bindable(host: str, port: int) -> bool:
    """True when a TCP socket can bind ``host``:``port`` right now."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_ports(count: int, low: int, high: int, host: str = "127.0.0.1", taken=None) -> list:
    """``count`` distinct ports of ``low`` to ``high - 1`` that bind on
    ``host`` now and are not in ``taken`` (a set, to which they are added).
    RuntimeError when the range has fewer."""
    taken = set() if taken is None else taken
    candidates = [p for p in range(low, high) if p not in taken]
    random.shuffle(candidates)
    found = []
    for port in candidates:
        if bindable(host, port):
            found.append(port)
            if len(found) == count:
                taken.update(found)
                return found
    what = "free port" if count == 1 else f"{count} free ports"
    raise RuntimeError(f"no {what} in {low}-{high - 1}")


def free_port(low: int, high: int, host: str = "127.0.0.1", taken=None) -> int:
    """One port as :func:`free_ports` finds it."""
    return free_ports(1, low, high, host, taken)[0]
