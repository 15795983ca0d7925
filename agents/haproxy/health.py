"""``min_healthy``: how many healthy servers each backend needs, and the
verdict on a ``show stat`` answer.

Syntax: items separated by commas or spaces; ``BACKEND:N`` for one backend,
a bare ``N`` for every backend that has servers and is not named; ``N`` may
be a percentage of the backend's servers (``50%``, rounded up).

>>> rules = parse_min_healthy("1, api:2, web:50%")
>>> shortfalls(rules, [("api", "a1", "UP"), ("api", "a2", "DOWN"), ("web", "w1", "UP"),
...                    ("web", "w2", "MAINT"), ("db", "d1", "no check")])
['backend api: 1 of 2 servers healthy, needs 2']

Hot path of a monitor with min_healthy set: no import at all.
"""

from ocfpy.parameters import String

from ocfpy_agents.haproxy.master import is_healthy

__all__ = ["parse_min_healthy", "MinHealthy", "needed", "shortfalls"]



def _count(text: str, where: str):
    percent = text.endswith("%")
    digits = text[:-1] if percent else text
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 6:
        raise ValueError(f"is malformed: {where} needs a whole number or a percentage like "
                         f"50%, not {text!r}")
    value = int(digits)
    if percent and value > 100:
        raise ValueError(f"is malformed: {where} asks for more than 100%")
    return value, percent


def parse_min_healthy(text: str) -> tuple:
    """``((backend or None, count, is_percent), ...)``; None means every
    backend not named. Raises ValueError with a message that names the item."""
    rules, seen = [], set()
    for item in text.replace(",", " ").split():
        backend, sep, count = item.rpartition(":")
        if not sep:
            backend, count = None, item
        elif not backend:
            raise ValueError(f"is malformed: {item!r} has no backend name before ':'")
        elif not all(ch.isascii() and (ch.isalnum() or ch in "-_.:") for ch in backend):
            raise ValueError(f"is malformed: {backend!r} is not a backend name "
                             "(letters, digits, - _ . :)")
        key = backend or ""
        if key in seen:
            raise ValueError(f"is malformed: {'backend ' + backend if backend else 'the default'} "
                             "is given twice")
        seen.add(key)
        value, percent = _count(count, f"backend {backend}" if backend else "the default")
        rules.append((backend, value, percent))
    return tuple(rules)


class MinHealthy(String):
    """The ``min_healthy`` parameter: its value is the parsed rules (an empty
    tuple when unset)."""

    def parse(self, raw):
        return parse_min_healthy(raw)

    def default_text(self):
        return ""


def needed(count: int, percent: bool, total: int) -> int:
    """Servers needed: ``count``, or ``count`` % of ``total`` rounded up."""
    return -(-count * total // 100) if percent else count


def shortfalls(rules, servers) -> list:
    """One message per backend below its minimum (named backends absent from
    ``servers`` included), in the order the backends appear."""
    if not rules:
        return []
    counts = {}
    for backend, _server, status in servers:
        healthy, total = counts.get(backend, (0, 0))
        counts[backend] = (healthy + is_healthy(status), total + 1)
    named = {backend: (count, pct) for backend, count, pct in rules if backend is not None}
    default = next(((count, pct) for backend, count, pct in rules if backend is None), None)
    out = []
    for backend, (healthy, total) in counts.items():
        rule = named.get(backend, default)
        if rule is None:
            continue
        need = needed(rule[0], rule[1], total)
        if healthy < need:
            out.append(f"backend {backend}: {healthy} of {total} server{'s' if total != 1 else ''} "
                       f"healthy, needs {need}")
    for backend in named:
        if backend not in counts:
            out.append(f"backend {backend}: not in HAProxy's statistics (no such backend, "
                       "or it has no server)")
    return out
