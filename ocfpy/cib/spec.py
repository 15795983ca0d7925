"""Load a SPEC: a Python file that builds a :class:`~ocfpy.cib.model.Config`.

Convention: the file defines a function ``build()`` returning the Config, or
a module-level variable ``config``. ``build()`` wins when both exist. The
file's directory is on ``sys.path`` while it runs, so snippets can import
their siblings (``from vip import add_vip``).

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
import runpy
import sys

from ocfpy.cib.model import Config


def load_spec(path: str) -> Config:
    """Run the SPEC file at ``path`` and return its Config."""
    directory = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, directory)
    try:
        ns = runpy.run_path(path, run_name="ocfpy_cib_spec")
    finally:
        try:
            sys.path.remove(directory)
        except ValueError:
            pass
    if callable(ns.get("build")):
        cfg = ns["build"]()
    elif "config" in ns:
        cfg = ns["config"]
    else:
        raise ValueError(f"{path}: define build() returning a Config, or a variable `config`")
    if not isinstance(cfg, Config):
        raise TypeError(f"{path}: build()/config gave {type(cfg).__name__}, not a Config")
    return cfg
