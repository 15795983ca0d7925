"""OCF return codes: plain ints for the hot path, and the ``OCF`` IntEnum.

Agents return the module constants (``codes.NOT_RUNNING``); they are plain
ints because importing ``enum`` costs about 5 ms here, a third of a whole
monitor call. ``OCF`` is the IntEnum view with the OCF 1.1 names and the
legacy aliases, built on first use, for tools, tests and messages.

Example::

    from ocfpy import codes
    return codes.NOT_RUNNING                      # 7

    from ocfpy.codes import OCF                   # builds the IntEnum
    OCF(8).name                                   # "RUNNING_PROMOTED"
    OCF.RUNNING_MASTER is OCF.RUNNING_PROMOTED    # True: legacy alias
"""

__all__ = ["SUCCESS", "ERR_GENERIC", "ERR_ARGS", "ERR_UNIMPLEMENTED", "ERR_PERM",
           "ERR_INSTALLED", "ERR_CONFIGURED", "NOT_RUNNING", "RUNNING_PROMOTED",
           "FAILED_PROMOTED", "DEGRADED", "DEGRADED_PROMOTED", "RUNNING_MASTER", "FAILED_MASTER",
           "TABLE", "RUNNING_CODES", "HARD_ERRORS", "name_of", "OCF"]


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
# legacy aliases (OCF 1.0, resource-agents)
RUNNING_MASTER = RUNNING_PROMOTED
FAILED_MASTER = FAILED_PROMOTED

#: name -> value, canonical names first so that the enum keeps them as names
TABLE = (
    ("SUCCESS", SUCCESS), ("ERR_GENERIC", ERR_GENERIC), ("ERR_ARGS", ERR_ARGS),
    ("ERR_UNIMPLEMENTED", ERR_UNIMPLEMENTED), ("ERR_PERM", ERR_PERM),
    ("ERR_INSTALLED", ERR_INSTALLED), ("ERR_CONFIGURED", ERR_CONFIGURED),
    ("NOT_RUNNING", NOT_RUNNING), ("RUNNING_PROMOTED", RUNNING_PROMOTED),
    ("FAILED_PROMOTED", FAILED_PROMOTED), ("DEGRADED", DEGRADED),
    ("DEGRADED_PROMOTED", DEGRADED_PROMOTED),
    ("RUNNING_MASTER", RUNNING_MASTER), ("FAILED_MASTER", FAILED_MASTER),
)

#: codes Pacemaker treats as a success of a monitor
RUNNING_CODES = frozenset({SUCCESS, RUNNING_PROMOTED, DEGRADED, DEGRADED_PROMOTED})
#: codes that mean "the node or the configuration is wrong", not the service
HARD_ERRORS = frozenset({ERR_ARGS, ERR_PERM, ERR_INSTALLED, ERR_CONFIGURED})


def _build_enum():
    import enum

    return enum.IntEnum("OCF", TABLE, module=__name__,
                        qualname="OCF")


def __getattr__(name):
    # PEP 562: the enum is built when first asked for, not at import
    if name == "OCF":
        value = globals()["OCF"] = _build_enum()
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def name_of(code: int) -> str:
    """The OCF 1.1 name of a code ("NOT_RUNNING"), or the number as text."""
    for name, value in TABLE:
        if value == code:
            return name
    return str(code)
