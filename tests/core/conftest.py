"""Fixtures of the core framework tests; the helpers live in core_helpers.py (a
unique module name, so that `from ... import` never picks another directory's conftest)."""

from core_helpers import base_env, installed  # noqa: F401  (fixtures)
