"""The body of a test-bed fixture, written once: skip the test with the
reason the bed cannot be built here, else build the bed and tear it down
after the test, even a failed one.

Example::

    @pytest.fixture
    def bed():
        yield from bed_or_skip(unavailable, Bed)      # unavailable(): a reason or None
"""

import pytest

__all__ = ["bed_or_skip"]


def bed_or_skip(unavailable, make, *args, **kw):
    """Yield ``make(*args, **kw)`` entered as a context manager, or skip the
    test with ``unavailable()``'s reason when it gives one."""
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    with make(*args, **kw) as bed:
        yield bed
