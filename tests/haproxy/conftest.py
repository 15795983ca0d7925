"""Fixtures of the HAProxy agent tests: a bed per test (backends, ports,
configuration, a private run directory), torn down even when the test
fails. The real-HAProxy tests skip only when haproxy is not installed."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from haproxy_bed import Bed, unavailable  # noqa: E402


@pytest.fixture
def bed():
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    with Bed() as b:
        yield b
