"""Timeout budgets: every wait, retry and escalation obeys one deadline.

Pacemaker SIGKILLs an agent's process group when ``CRM_meta_timeout``
expires, so an agent must finish (or escalate, as stop does from TERM to KILL)
before that. The deadline keeps a margin for the agent's own exit.

Example::

    deadline = Deadline.from_timeout(30.0)      # 30 s op timeout
    deadline.remaining()                         # ~28 s: the margin is kept
    ok = deadline.wait_for(lambda: port_open(), interval=0.2)
    half = deadline.fraction(0.5)                # a sub-budget, e.g. TERM before KILL
"""


import time

__all__ = ["margin_for", "Deadline"]



def margin_for(timeout: float) -> float:
    """What we keep back from Pacemaker's timeout: 10 %, at least 0.5 s, at most 5 s."""
    return min(5.0, max(0.5, timeout * 0.1))


class Deadline:
    """A point in monotonic time that no helper may pass."""

    __slots__ = ("end",)

    def __init__(self, end: float):
        self.end = end

    @classmethod
    def from_timeout(cls, timeout: float, margin=None, start=None) -> "Deadline":
        """``timeout`` seconds from ``start`` (now), less ``margin`` (default: margin_for)."""
        start = time.monotonic() if start is None else start
        margin = margin_for(timeout) if margin is None else margin
        return cls(start + max(0.0, timeout - margin))

    @classmethod
    def after(cls, seconds: float) -> "Deadline":
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        return max(0.0, self.end - time.monotonic())

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.end

    def fraction(self, part: float) -> "Deadline":
        """A sub-deadline ending after ``part`` of the time that is left."""
        return Deadline(time.monotonic() + self.remaining() * part)

    def cap(self, seconds: float) -> "Deadline":
        """This deadline, or ``seconds`` from now if that is sooner."""
        return Deadline(min(self.end, time.monotonic() + seconds))

    def sleep(self, seconds: float) -> bool:
        """Sleep at most ``seconds`` and never past the deadline; False when it has passed."""
        left = self.remaining()
        time.sleep(min(seconds, left))
        return not self.expired

    def wait_for(self, predicate, interval: float = 0.1, max_interval: float = 1.0):
        """Call ``predicate`` until it returns a true value or time runs out.

        Returns the last value of ``predicate`` (falsy on timeout). The poll
        interval grows by half each round up to ``max_interval``.
        """
        while True:
            value = predicate()
            if value or self.expired:
                return value
            self.sleep(interval)
            interval = min(max_interval, interval * 1.5)

    def retry(self, func, exceptions=(Exception,), interval: float = 0.2, max_interval: float = 2.0):
        """Call ``func`` until it stops raising ``exceptions``; re-raise the last
        error when the deadline passes."""
        while True:
            try:
                return func()
            except exceptions:
                if self.expired:
                    raise
            self.sleep(interval)
            interval = min(max_interval, interval * 1.5)

    def __repr__(self) -> str:
        return f"Deadline(remaining={self.remaining():.3f}s)"
