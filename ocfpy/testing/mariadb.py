"""Moved to ocfpy.sandbox.mariadb (temporary alias while the tree is reorganised)."""
import sys

from ocfpy.sandbox import mariadb as _moved

sys.modules[__name__] = _moved
