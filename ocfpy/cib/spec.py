"""Load a SPEC: a Python file, or a YAML/JSON file, describing a Config.

Python (``.py``): the file defines a function ``build()`` returning an
:class:`~ocfpy.cib.model.Config`, or a module-level variable ``config``;
``build()`` wins when both exist. The file's directory is on ``sys.path``
while it runs, so a spec can import its siblings.

YAML (``.yml``, ``.yaml``) or JSON (``.json``): linux-system-roles
``ha_cluster`` variables, see :mod:`ocfpy.cib.data`.

A CIB XML file (``.xml``) is read as it is (``ocfpy cib diff`` compares them).

Any mistake in a spec raises :class:`SpecError`, whose text is one line
naming the file and line: ``my_cluster.py:12: ValueError: resource id '1x'
is not a valid CIB id ...``. Nothing else escapes (no traceback for the
user to read).

Example (``my_cluster.py``)::

    from ocfpy.cib.model import Config, Primitive, Op

    def build():
        cfg = Config()
        cfg.add(Primitive("d", "ocf:ocfpy:dummy", ops=[Op("monitor", "10s")]))
        return cfg

then ``ocfpy cib render my_cluster.py --format pcs``.
"""

from __future__ import annotations

import os
import re
import runpy
import sys
import traceback
from typing import Optional

from ocfpy.cib.model import Config

from ocfpy.cib.errors import SpecError, xml_message as _xml_msg  # noqa: E402 - re-exported

__all__ = ["DATA_SUFFIXES", "load_python_spec", "load_spec"]


DATA_SUFFIXES = (".yml", ".yaml", ".json")

_OCFPY_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _blame(path: str, exc: BaseException) -> Optional[int]:
    """The line of ``path`` (or else of the last non-ocfpy file) where ``exc``
    went through; for an error in a sibling module, that module's line."""
    target = os.path.abspath(path)
    frames = traceback.extract_tb(exc.__traceback__)
    for fr in reversed(frames):
        if os.path.abspath(fr.filename) == target:
            return fr.lineno
    return None


def _outside_frame(exc: BaseException):
    frames = traceback.extract_tb(exc.__traceback__)
    for fr in reversed(frames):
        fn = os.path.abspath(fr.filename)
        if not fn.startswith(_OCFPY_DIR + os.sep) and "runpy" not in fn \
                and not fn.startswith(os.path.dirname(os.__file__)):
            return fr
    return None


def load_python_spec(path: str) -> Config:
    """Run the Python SPEC at ``path`` and return its Config (or SpecError)."""
    directory = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, directory)
    try:
        try:
            ns = runpy.run_path(path, run_name="ocfpy_cib_spec")
        except SyntaxError as e:
            fn = e.filename or path
            shown = path if os.path.abspath(fn) == os.path.abspath(path) else fn
            raise SpecError(shown, e.lineno, f"{type(e).__name__}: {e.msg}") from None
        except SpecError:
            raise
        except Exception as e:  # noqa: BLE001 - anything a spec raises is the spec's error
            raise _spec_exception(path, e) from None
        if callable(ns.get("build")):
            build = ns["build"]
            try:
                cfg = build()
            except SpecError:
                raise
            except Exception as e:  # noqa: BLE001
                raise _spec_exception(path, e) from None
            origin = "build()"
            line = getattr(getattr(build, "__code__", None), "co_firstlineno", None)
        elif "config" in ns:
            cfg, origin, line = ns["config"], "config", None
        else:
            raise SpecError(path, None, "defines neither build() returning a Config nor a "
                                        "variable `config`")
    finally:
        try:
            sys.path.remove(directory)
        except ValueError:
            pass
    if not isinstance(cfg, Config):
        raise SpecError(path, line, f"{origin} gave {type(cfg).__name__}, not an "
                                    f"ocfpy.cib.model.Config")
    return cfg


def _spec_exception(path: str, e: BaseException) -> SpecError:
    line = _blame(path, e)
    msg = f"{type(e).__name__}: {_one_line(e)}"
    if line is None:
        fr = _outside_frame(e)
        if fr is not None:
            return SpecError(fr.filename, fr.lineno, msg + f" (loaded from {path})")
    return SpecError(path, line, msg)


def load_spec(path: str) -> Config:
    """The Config of the spec at ``path``: ``.py``, ``.yml``/``.yaml``/``.json``
    or a CIB ``.xml``. Raises :class:`SpecError` (one line) on any mistake."""
    low = path.lower()
    if low.endswith(DATA_SUFFIXES):
        from ocfpy.cib.data import load_data_spec
        return load_data_spec(path)
    if low.endswith(".xml"):
        from lxml import etree

        from ocfpy.cib.read import read_cib
        try:
            with open(path, "rb") as f:
                text = f.read()
            return read_cib(text)
        except OSError as e:
            raise SpecError(path, None, e.strerror or str(e)) from None
        except etree.XMLSyntaxError as e:
            raise SpecError(path, e.lineno, f"XML: {_xml_msg(e)}") from None
        except (ValueError, TypeError) as e:
            raise SpecError(path, None, _one_line(e)) from None
    if not os.path.isfile(path):
        raise SpecError(path, None, "no such file")
    return load_python_spec(path)
