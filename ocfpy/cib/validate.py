"""Validate rendered CIB XML against the installed Pacemaker RelaxNG schemas.

Example::

    from ocfpy.cib.validate import validate_schema
    errors = validate_schema(cib_element, "pacemaker-3.9")   # [] when valid
"""

from __future__ import annotations

import os
from typing import Dict, List, Optional, Union

from lxml import etree

__all__ = ["SCHEMA_DIR", "schema_path", "load_schema", "validate_schema"]


SCHEMA_DIR = "/usr/share/pacemaker"
_CACHE: Dict[str, etree.RelaxNG] = {}


def schema_path(schema: str, schema_dir: str = SCHEMA_DIR) -> Optional[str]:
    """Path of ``<schema>.rng`` if installed, else None."""
    path = os.path.join(schema_dir, f"{schema}.rng")
    return path if os.path.exists(path) else None


def load_schema(schema: str, schema_dir: str = SCHEMA_DIR) -> Optional[etree.RelaxNG]:
    """Compiled RelaxNG (cached per process), or None if not installed."""
    key = os.path.join(schema_dir, schema)
    if key not in _CACHE:
        path = schema_path(schema, schema_dir)
        if path is None:
            return None
        _CACHE[key] = etree.RelaxNG(etree.parse(path))
    return _CACHE[key]


def validate_schema(cib: Union[etree._Element, str], schema: str,
                    schema_dir: str = SCHEMA_DIR) -> List[str]:
    """Schema errors of a whole ``<cib>`` (element or text); [] if valid.

    Raises FileNotFoundError if the schema is not installed, so callers can
    decide to skip rather than silently pass.
    """
    if isinstance(cib, str):
        cib = etree.fromstring(cib.encode())
    rng = load_schema(schema, schema_dir)
    if rng is None:
        raise FileNotFoundError(f"{schema}.rng not found in {schema_dir}")
    if rng.validate(cib):
        return []
    return [f"line {e.line}: {e.message}" for e in rng.error_log]
