"""Fixtures of the HAProxy agent tests: a bed per test (backends, ports,
configuration, a private run directory), torn down even when the test
fails. The real-HAProxy tests skip only when haproxy is not installed."""

import sys
from pathlib import Path

import pytest

from ocfpy.testing.beds import bed_or_skip

sys.path.insert(0, str(Path(__file__).resolve().parent))

from haproxy_bed import Bed, unavailable  # noqa: E402


@pytest.fixture
def bed():
    yield from bed_or_skip(unavailable, Bed)
