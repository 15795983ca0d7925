"""ocfpy's own test suite: labs (real OpenStack services, scenarios) that only
these tests use live in tests/labs and are registered here, not in the pytest
plugin that every project installing ocfpy loads."""

from labs.openstack_fixtures import *  # noqa: F401,F403
