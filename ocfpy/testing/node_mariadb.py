"""Moved to ocfpy.sandbox.node_mariadb (temporary alias while the tree is reorganised)."""
import sys

from ocfpy.sandbox import node_mariadb as _moved

sys.modules[__name__] = _moved
