"""Fixtures of the vip agent tests: a fresh namespace bed per test.

The bed (tests/vip/vip_bed.py) is torn down by the fixture even when the
test fails. Tests skip only when not root or `ip netns` is unavailable.
"""

import sys
from pathlib import Path

import pytest

from ocfpy.testing.beds import bed_or_skip

sys.path.insert(0, str(Path(__file__).resolve().parent))

from vip_bed import Bed, unavailable  # noqa: E402


@pytest.fixture
def bed():
    """Servers a, b and client c on one bridge (see vip_bed.Bed)."""
    yield from bed_or_skip(unavailable, Bed)


#: the addresses of the hardening tests' beds (10.231.0.0/24, fd31::/64)
SEC_ADDRESSES = {"a": ("10.231.0.11", "fd31::11"), "b": ("10.231.0.12", "fd31::12"),
                 "c": ("10.231.0.100", "fd31::100")}


@pytest.fixture
def sec_bed():
    """Server a and client c on one bridge, in namespaces named ocfsec-vip*,
    addressed from 10.231.0.0/24 and fd31::/64."""
    import secrets

    yield from bed_or_skip(unavailable, Bed, nodes=("a", "c"), tag="ocfsec-vip" + secrets.token_hex(3),
                           addresses=SEC_ADDRESSES)
