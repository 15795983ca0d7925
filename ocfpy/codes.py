"""OCF return codes (OCF 1.1 names, with the legacy aliases).

Example::

    from ocfpy.codes import OCF
    return OCF.NOT_RUNNING          # 7
    OCF.RUNNING_MASTER is OCF.RUNNING_PROMOTED   # True: legacy alias
"""

from __future__ import annotations

import enum


class OCF(enum.IntEnum):
    """Exit codes of an OCF resource agent."""

    SUCCESS = 0
    ERR_GENERIC = 1        # soft error: Pacemaker restarts or moves the resource
    ERR_ARGS = 2           # hard error, this node: wrong arguments here
    ERR_UNIMPLEMENTED = 3
    ERR_PERM = 4
    ERR_INSTALLED = 5      # hard error, this node: software missing
    ERR_CONFIGURED = 6     # fatal: stopped everywhere
    NOT_RUNNING = 7
    RUNNING_PROMOTED = 8
    FAILED_PROMOTED = 9
    DEGRADED = 190         # OCF 1.1: running, but not healthy
    DEGRADED_PROMOTED = 191

    # legacy aliases of OCF 1.0 and resource-agents
    RUNNING_MASTER = 8
    FAILED_MASTER = 9


#: codes that mean "the node is fine, the parameters are not", by severity
HARD_ERRORS = frozenset({OCF.ERR_ARGS, OCF.ERR_PERM, OCF.ERR_INSTALLED, OCF.ERR_CONFIGURED})
