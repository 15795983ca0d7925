"""The body of a test-bed fixture, written once: skip the test with the
reason the bed cannot be built here, else build the bed and tear it down
after the test, even a failed one; or hand the test a factory whose every
product is ended after it.

Example::

    @pytest.fixture
    def bed():
        yield from bed_or_skip(unavailable, Bed)      # unavailable(): a reason or None

    @pytest.fixture
    def spawned():
        with ending_all(Spawned, Spawned.end) as spawn:   # spawn(argv) -> Spawned
            yield spawn
"""

import contextlib

import pytest

__all__ = ["bed_or_skip", "ending_all"]


def bed_or_skip(unavailable, make, *args, **kw):
    """Yield ``make(*args, **kw)`` entered as a context manager, or skip the
    test with ``unavailable()``'s reason when it gives one."""
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    with make(*args, **kw) as bed:
        yield bed


@contextlib.contextmanager
def ending_all(make, end):
    """``make`` wrapped so that whatever it makes is ended with ``end(thing)``
    on leaving the block, the last made first; an ``end`` that fails does not
    keep the others from running (its error is raised after them)."""
    with contextlib.ExitStack() as stack:
        def make_and_remember(*args, **kw):
            thing = make(*args, **kw)
            stack.callback(end, thing)
            return thing

        yield make_and_remember
