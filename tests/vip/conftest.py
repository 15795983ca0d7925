"""Fixtures of the vip agent tests: a fresh namespace bed per test.

The bed (tests/vip/vip_bed.py) is torn down by the fixture even when the
test fails. Tests skip only when not root or `ip netns` is unavailable.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from vip_bed import Bed, unavailable  # noqa: E402


@pytest.fixture
def bed():
    """Servers a, b and client c on one bridge (see vip_bed.Bed)."""
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    with Bed() as b:
        yield b
