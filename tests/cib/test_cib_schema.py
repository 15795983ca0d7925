"""2.10 and 3.9 renderings validate against the installed schemas and differ
where they must."""

import pytest

from ocfpy.cib.render_xml import render_xml, to_cib
from ocfpy.cib.validate import schema_path, validate_schema

from cibtools import load_snippet


@pytest.mark.parametrize("schema", ["pacemaker-2.10", "pacemaker-3.9"])
@pytest.mark.parametrize("name", ["openstack", "demo"])
def test_rendering_validates_against_installed_schema(schema, name):
    if schema_path(schema) is None:
        pytest.skip(f"{schema}.rng is not installed")
    assert validate_schema(to_cib(load_snippet(name), schema), schema) == []


def test_pacemaker_2_10_uses_master_element_and_master_max():
    xml = render_xml(load_snippet("galera"), "pacemaker-2.10")
    assert ('<master id="galera-clone">' in xml, 'name="master-max" value="3"' in xml,
            "promotable" in xml) == (True, True, False)


def test_pacemaker_3_9_uses_promotable_clone_and_promoted_max():
    xml = render_xml(load_snippet("galera"), "pacemaker-3.9")
    assert ('<clone id="galera-clone">' in xml, 'name="promotable" value="true"' in xml,
            'name="promoted-max" value="3"' in xml) == (True, True, True)


@pytest.mark.parametrize("schema,roles", [("pacemaker-2.10", ("Master", "Slave")),
                                          ("pacemaker-3.6", ("Master", "Slave")),
                                          ("pacemaker-3.9", ("Promoted", "Unpromoted"))])
def test_role_names_follow_the_schema(schema, roles):
    xml = render_xml(load_snippet("galera"), schema)
    assert (f'role="{roles[0]}"' in xml, f'role="{roles[1]}"' in xml) == (True, True)


def test_invalid_xml_is_reported_by_schema_validation():
    from lxml import etree
    cib = to_cib(load_snippet("vip"))
    etree.SubElement(cib.find("configuration/resources"), "primitive", id="x")
    assert validate_schema(cib, "pacemaker-3.9") != []
