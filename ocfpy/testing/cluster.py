"""Moved to ocfpy.sandbox.cluster (temporary alias while the tree is reorganised)."""
import sys

from ocfpy.sandbox import cluster as _moved

sys.modules[__name__] = _moved
