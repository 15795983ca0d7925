"""``ocfpy cib import``: a CIB (``cibadmin --query``, or a file) as a spec.

The configuration is read into the model (:mod:`ocfpy.cib.read`) and written
as YAML or JSON (linux-system-roles ``ha_cluster`` variables,
:mod:`ocfpy.cib.data`) or as a Python spec (:mod:`ocfpy.cib.export`).
Rendering the result gives the same configuration again, compared by
meaning (:mod:`ocfpy.cib.canonical`), except the properties Pacemaker and
the cluster set-up write themselves (``dc-version``,
``cluster-infrastructure``, ``cluster-name``, ``have-watchdog``,
``last-lrm-refresh``), which are left out. A cluster running with
``stonith-enabled=false`` gives a spec that acknowledges it
(``ocfpy_fencing_disabled_reason``, ``Config.disable_fencing``), naming the
source.

What the model does not cover (bundles, templates, ACLs, alerts, tags,
rules in attribute sets, resource patterns) makes the import fail with a
message naming it, or, with ``strict=False``, is left out and listed.

Example::

    from ocfpy.cib.importer import import_cib
    yaml_text = import_cib(open("cib.xml", "rb").read(), "yaml", source="cib.xml")
"""

from __future__ import annotations

from typing import List, Optional, Union

from ocfpy.cib.model import Config

__all__ = ["NOT_IMPORTED", "read_for_import", "import_cib"]


#: written by Pacemaker or at cluster set-up, never part of a spec
NOT_IMPORTED = ("dc-version", "cluster-infrastructure", "cluster-name", "have-watchdog",
                "last-lrm-refresh")


def read_for_import(xml: Union[str, bytes], source: str = "a CIB", strict: bool = True,
                    skipped: Optional[List[str]] = None, path: str = "<cib>") -> Config:
    """The model of ``xml`` as import writes it (SpecError on a bad CIB)."""
    from lxml import etree

    from ocfpy.cib.read import read_cib
    from ocfpy.cib.errors import SpecError, xml_message as _xml_msg

    try:
        root = etree.fromstring(xml.encode() if isinstance(xml, str) else xml,
                                etree.XMLParser(remove_blank_text=True))
    except etree.XMLSyntaxError as e:
        raise SpecError(path, e.lineno, f"XML: {_xml_msg(e)}") from None
    try:
        cfg = read_cib(root, strict=strict, skipped=skipped, all_nodes=True)
    except (ValueError, TypeError) as e:
        raise SpecError(path, None, " ".join(str(e).split())) from None
    for name in NOT_IMPORTED:
        cfg.properties.pop(name, None)
    if cfg.properties.get("stonith-enabled", "true").lower() in ("false", "0", "no", "off", "n"):
        cfg.fencing_off_acknowledged = f"imported from {source}, where stonith-enabled=false"
    return cfg


def import_cib(xml: Union[str, bytes], fmt: str = "yaml", source: str = "a CIB",
               strict: bool = True, skipped: Optional[List[str]] = None,
               path: str = "<cib>") -> str:
    """Spec text (``fmt``: yaml, json or python) for the configuration in ``xml``."""
    cfg = read_for_import(xml, source, strict, skipped, path)
    if fmt == "python":
        from ocfpy.cib.export import config_to_python
        return config_to_python(cfg, source)
    if fmt == "json":
        from ocfpy.cib.data import dump_json
        return dump_json(cfg)
    if fmt == "yaml":
        from ocfpy.cib.data import dump_yaml
        return dump_yaml(cfg, header=f"ocfpy cib spec (linux-system-roles ha_cluster "
                                     f"variables) imported from {source}")
    raise ValueError(f"unknown import format {fmt!r}: use yaml, json or python")
