"""ocfpy: OCF 1.1 resource agents for Pacemaker, in Python.

Kept empty on purpose: agents import ``ocfpy`` on every monitor, so nothing
heavy may load here.
"""

__version__ = "0.1.0"
