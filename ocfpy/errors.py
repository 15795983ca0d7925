"""The one exception an agent raises to end an action with a code and a reason.

Example::

    from ocfpy.errors import OCFError
    from ocfpy.codes import OCF
    raise OCFError(OCF.ERR_INSTALLED, "mysqld not found")
"""

from __future__ import annotations

from ocfpy.codes import OCF


class OCFError(Exception):
    """End the current action with ``code``; ``reason`` becomes the exit reason.

    ``reason`` must never contain a secret: it is shown by ``crm_mon``.
    """

    def __init__(self, code: int, reason: str = ""):
        super().__init__(reason)
        self.code = OCF(code)
        self.reason = reason

    def __repr__(self) -> str:
        return f"OCFError({self.code.name}, {self.reason!r})"


class ParameterError(OCFError):
    """A parameter is missing or malformed; ``param`` names it."""

    def __init__(self, code: int, param: str, reason: str, missing: bool = False):
        super().__init__(code, reason)
        self.param = param
        self.missing = missing   # True when the value is absent rather than wrong
