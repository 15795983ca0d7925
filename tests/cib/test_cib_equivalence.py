"""pcs script, crmsh script and our XML describe the same configuration, for
every shipped spec (the Python snippets and the YAML guide configuration) and a
generated one. The pcs scripts carry --force only for agents this machine
cannot have (systemd units without systemd), never for ocfpy's agents
(conftest.apply_pcs checks each command)."""

import pytest

from ocfpy.cib.canonical import canonical, explain_difference

from cibtools import crm_verify, spec_name, spec_paths

NAMES = [spec_name(p) for p in spec_paths()] + ["generated"]


@pytest.mark.parametrize("name", NAMES)
def test_pcs_script_builds_the_same_configuration_as_our_xml(built, name):
    pcs, ours = built[name]["pcs"].read_text(), built[name]["ours"].read_text()
    assert canonical(pcs) == canonical(ours), explain_difference(ours, pcs)


@pytest.mark.parametrize("name", NAMES)
def test_crmsh_script_builds_the_same_configuration_as_our_xml(built, name):
    crm, ours = built[name]["crmsh"].read_text(), built[name]["ours"].read_text()
    assert canonical(crm) == canonical(ours), explain_difference(ours, crm)


@pytest.mark.parametrize("how", ["pcs", "crmsh", "ours"])
@pytest.mark.parametrize("name", NAMES)
def test_crm_verify_accepts_each_rendering(built, name, how):
    p = crm_verify(built[name][how])
    assert p.returncode == 0, p.stderr
