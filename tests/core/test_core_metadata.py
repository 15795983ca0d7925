"""Meta-data: escaping, the OCF 1.1 markers, DTD validity, deprecation."""

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from core_helpers import run_agent
from core_sample_agents import Deprecated, Escaped, Secretive, Typed
from ocfpy.metadata import DOCTYPE, Action, escape, render, uses_ocf11_only
from ocfpy_agents.dummy import Dummy
from ocfpy_agents.stateful import Stateful

DTD = "/usr/share/resource-agents/ra-api-1.dtd"


def parse(agent_cls):
    return ET.fromstring(render(agent_cls).encode())


def param(root, name):
    (p,) = [p for p in root.iter("parameter") if p.get("name") == name]
    return p


def test_descriptions_with_lt_amp_quote_parse_and_round_trip():
    root = parse(Escaped)
    assert root.find("shortdesc").text == 'Short <b> & "quoted"'
    assert root.find("longdesc").text == Escaped.longdesc
    weird = param(root, "weird")
    assert weird.find("shortdesc").text == 'x < y & "z"'
    assert weird.find("longdesc").text == 'if a < b && c > d then "go"'
    assert weird.find("content").get("default") == 'a<b&c"d'


def test_select_options_with_special_characters_round_trip():
    content = param(parse(Escaped), "mode").find("content")
    assert content.get("type") == "select"
    assert [o.get("value") for o in content.findall("option")] == ["a&b", "<c>"]
    assert content.get("default") == "a&b"


def test_escape_handles_each_special_character():
    assert escape('<&>"') == "&lt;&amp;&gt;&quot;"


def test_meta_data_claims_ocf_version_1_1():
    assert parse(Dummy).find("version").text == "1.1"


def test_meta_data_starts_with_the_xml_declaration_and_the_doctype():
    lines = render(Dummy).splitlines()
    assert lines[0].startswith("<?xml")
    assert lines[1] == DOCTYPE == '<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">'


def test_agent_name_and_own_version_are_attributes_of_resource_agent():
    root = parse(Stateful)
    assert (root.tag, root.get("name"), root.get("version")) == ("resource-agent", "stateful", "1.0")


def test_a_secret_parameter_has_no_private_attribute_pcs_would_refuse_but_says_it_is_secret():
    root = parse(Secretive)
    password = param(root, "password")
    assert password.get("private") is None and password.get("required") == "1"
    assert "cibsecret" in password.find("longdesc").text


def test_public_parameter_has_no_private_attribute():
    assert param(parse(Dummy), "state").get("private") is None


def test_deprecated_parameter_names_its_replacement():
    old = param(parse(Deprecated), "old")
    dep = old.find("deprecated")
    assert dep is not None
    assert dep.find("replaced-with").get("name") == "new"
    assert dep.find("desc").text == "renamed to new"
    assert param(parse(Deprecated), "new").find("deprecated") is None


def test_reloadable_and_unique_group_attributes():
    root = parse(Deprecated)
    assert param(root, "new").get("reloadable") == "1"
    assert param(root, "group_a").get("unique-group") == "addr"


def test_longdesc_comes_before_shortdesc_before_content_in_a_parameter():
    children = [c.tag for c in param(parse(Dummy), "state")]
    assert children == ["longdesc", "shortdesc", "content"]


@pytest.mark.parametrize("name, ocf_type, default", [
    ("text", "string", "t"), ("number", "integer", "0"), ("flag", "boolean", "false"),
    ("choice", "select", "red"), ("port", "integer", "80"), ("wait", "string", "5s"),
    ("ip", "string", None),
])
def test_parameter_types_and_defaults_in_meta_data(name, ocf_type, default):
    content = param(parse(Typed), name).find("content")
    assert (content.get("type"), content.get("default")) == (ocf_type, default)


def test_actions_carry_timeouts_intervals_roles_and_depth():
    actions = [(a.get("name"), a.get("timeout"), a.get("interval"), a.get("role"))
               for a in parse(Stateful).iter("action")]
    assert ("monitor", "20s", "10s", "Promoted") in actions
    assert ("monitor", "20s", "11s", "Unpromoted") in actions
    assert ("promote", "10s", None, None) in actions
    assert ("meta-data", "5s", None, None) in actions


def test_builtin_meta_data_and_validate_all_are_advertised_when_not_declared():
    from core_sample_agents import Waiter

    class Minimal(Waiter):
        name = "minimal"
        actions = (Action("start"), Action("stop"), Action("monitor"))

    names = [a.get("name") for a in parse(Minimal).iter("action")]
    assert names.count("meta-data") == 1 and names.count("validate-all") == 1


def test_action_xml_formats_start_delay_and_depth():
    xml = Action("monitor", timeout=30, interval=5, depth=10, start_delay=2).xml()
    el = ET.fromstring(xml)
    assert el.attrib == {"name": "monitor", "timeout": "30s", "interval": "5s", "depth": "10",
                         "start-delay": "2s"}


def test_example_agents_use_no_ocf_1_1_only_construct():
    assert uses_ocf11_only(Dummy) is False
    assert uses_ocf11_only(Stateful) is False


@pytest.mark.parametrize("agent_cls", [Deprecated, Escaped])
def test_ocf_1_1_only_constructs_are_detected(agent_cls):
    assert uses_ocf11_only(agent_cls) is True


def test_a_secret_alone_keeps_meta_data_valid_for_ocf_1_0():
    assert uses_ocf11_only(Secretive) is False


RNG = "/usr/share/resource-agents/metadata.rng"
needs_xmllint = pytest.mark.skipif(shutil.which("xmllint") is None,
                                   reason="xmllint (libxml2-utils) not installed")


def schema(flag: str, path: str):
    """One of resource-agents' schemas, as xmllint's option and file; skipped when absent."""
    return pytest.param(flag, path, id=os.path.basename(path), marks=pytest.mark.skipif(
        not os.path.exists(path), reason=f"{path} (resource-agents) not installed"))


def xmllint(flag: str, path: str, doc) -> subprocess.CompletedProcess:
    return subprocess.run(["xmllint", "--noout", flag, path, str(doc)], capture_output=True, text=True)


@needs_xmllint
@pytest.mark.parametrize("flag, path", [schema("--dtdvalid", DTD), schema("--relaxng", RNG)])
@pytest.mark.parametrize("agent_cls", [Dummy, Stateful])
def test_example_agent_meta_data_is_valid_against_resource_agents_schemas(agent_cls, flag, path,
                                                                          tmp_path):
    doc = tmp_path / "md.xml"
    doc.write_text(run_agent(agent_cls, "meta-data").stdout)
    proc = xmllint(flag, path, doc)
    assert proc.returncode == 0, proc.stderr


@needs_xmllint
@pytest.mark.parametrize("flag, path", [schema("--dtdvalid", DTD)])
def test_installed_example_agents_meta_data_is_valid_against_the_dtd(installed, flag, path, tmp_path):
    for name, script in installed.items():
        doc = tmp_path / f"{name}.xml"
        proc = subprocess.run([str(script), "meta-data"], capture_output=True, text=True)
        assert proc.returncode == 0
        doc.write_text(proc.stdout)
        lint = xmllint(flag, path, doc)
        assert lint.returncode == 0, (name, lint.stderr)
