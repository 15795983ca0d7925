"""Fixtures of the hostile-input tests (issue 11).

The harness lives in tests/security/hostile.py (a unique module name, shared
with bench/bench_hostile.py). ``hostile_harness`` installs the agents into a
scratch OCF root under /tmp/ocfsec-hostile-* once per module and removes it
afterwards. Tests skip only when not root or ``unshare``/``ip`` is missing.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import hostile  # noqa: E402


@pytest.fixture(scope="module")
def hostile_harness():
    reason = hostile.unavailable()
    if reason:
        pytest.skip(f"hostile-input runs need namespaces: {reason}")
    with hostile.Harness() as harness:
        yield harness
