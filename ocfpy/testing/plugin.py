"""pytest plugin of ocfpy (entry point ``pytest11``): fixtures for agent tests.

Loaded by every pytest run in an environment where ocfpy is installed, so it
imports only the fixture modules, which keep their heavy imports local, and
registers the markers its fixtures use.
"""

from ocfpy.testing.fixtures_fake import *  # noqa: F401,F403
from ocfpy.testing.fixtures_real import *  # noqa: F401,F403

__all__ = ["MARKERS", "pytest_configure"]


MARKERS = (
    "real_cluster: needs root and a real Pacemaker in network namespaces (skips without them)",
    "netns: needs root and network namespaces (skips without them)",
)


def pytest_configure(config):
    for line in MARKERS:
        config.addinivalue_line("markers", line)
