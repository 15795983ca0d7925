"""Fixtures for the CIB builder tests; the helpers are in cibtools.py."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from cibtools import apply_crm, apply_pcs, need, spec_name, spec_paths, write_ours

try:  # the real-cluster fixtures, when the pytest plugin is not installed
    from ocfpy.testing.fixtures_real import real_cluster, real_cluster_clean  # noqa: F401  (fixtures)
except ImportError:  # pragma: no cover - the module arrives with the testing toolkit
    pass


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """Every snippet and a generated configuration, built three ways (pcs,
    crmsh, ours) into CIB files; pcs runs in parallel (0.5-1.5 s a command)."""
    need("pcs", "crm", "cibadmin")
    from ocfpy.cib.generate import generate
    from ocfpy.cib.spec import load_spec
    d = tmp_path_factory.mktemp("built")
    cfgs = {spec_name(p): load_spec(str(p)) for p in spec_paths()}
    cfgs["generated"] = generate(primitives=30, constraints=30)

    def one(item):
        name, cfg = item
        return name, {"pcs": apply_pcs(cfg, d / f"{name}.pcs.xml"),
                      "crmsh": apply_crm(cfg, d / f"{name}.crm.xml"),
                      "ours": write_ours(cfg, d / f"{name}.ours.xml")}
    with ThreadPoolExecutor(max_workers=min(8, (os.cpu_count() or 2) * 2)) as ex:
        return dict(ex.map(one, cfgs.items()))
