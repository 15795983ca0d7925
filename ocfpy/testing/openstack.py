"""Moved to ocfpy.sandbox.openstack (temporary alias while the tree is reorganised)."""
import sys

from ocfpy.sandbox import openstack as _moved

sys.modules[__name__] = _moved
