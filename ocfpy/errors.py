"""The one exception an agent raises to end an action with a code and a reason.

Example::

    from ocfpy.errors import OCFError
    from ocfpy import codes
    raise OCFError(codes.ERR_INSTALLED, "mysqld not found")
"""


from ocfpy import codes

__all__ = ["OCFError", "ParameterError"]



class OCFError(Exception):
    """End the current action with ``code``; ``reason`` becomes the exit reason.

    ``reason`` must never contain a secret: it is shown by ``crm_mon``.
    """

    def __init__(self, code: int, reason: str = ""):
        super().__init__(reason)
        self.code = int(code)
        self.reason = reason

    def __repr__(self) -> str:
        return f"OCFError({codes.name_of(self.code)}, {self.reason!r})"


class ParameterError(OCFError):
    """A parameter is missing or malformed; ``param`` names it."""

    def __init__(self, code: int, param: str, reason: str, missing: bool = False):
        super().__init__(code, reason)
        self.param = param
        self.missing = missing   # True when the value is absent rather than wrong
