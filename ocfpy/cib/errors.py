"""Errors of the CIB builder's inputs (shared by the spec loaders, the
importer and the command line).

Example::

    raise SpecError("site.yaml", 12, "unknown key 'prim'")   # "site.yaml:12: unknown key 'prim'"
"""

import re
from typing import Optional

__all__ = ["SpecError", "xml_message"]


class SpecError(ValueError):
    """A spec that cannot be loaded; ``str()`` is ``file:line: message``."""

    def __init__(self, path: str, line: Optional[int], message: str):
        self.path, self.line, self.message = path, line, message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


def xml_message(e) -> str:
    """lxml's message without its trailing ", line N, column M" (the line is given)."""
    return re.sub(r",? line \d+, column \d+$", "", " ".join(str(e.msg).split()))
