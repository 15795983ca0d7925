"""pytest plugin of ocfpy (entry point ``pytest11``): fixtures for agent tests.

Loaded by every pytest run in an environment where ocfpy is installed, so it
imports only the fixture modules, which keep their heavy imports local.
"""

from ocfpy.testing.fixtures_fake import *  # noqa: F401,F403
from ocfpy.testing.fixtures_real import *  # noqa: F401,F403
from ocfpy.testing.fixtures_openstack import *  # noqa: F401,F403
