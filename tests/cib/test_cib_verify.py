"""`ocfpy cib verify` checks parameters against the agents' meta-data: one
finding per problem, naming the resource and the parameter; an agent that is
not installed here is a warning, never an error; every shipped spec passes."""

import json

import pytest

from ocfpy.cib.agents import check_parameters, installed_metadata, parse_metadata
from ocfpy.cib.model import Clone, Config, FencingDevice, Op, Primitive

from cibtools import cli, ours_installed, spec_paths

META = """<resource-agent name="t"><parameters>
<parameter name="req" required="1"><content type="string"/></parameter>
<parameter name="num"><content type="integer" default="5"/></parameter>
<parameter name="flag"><content type="boolean" default="false"/></parameter>
<parameter name="mode"><content type="select" default="a"><option value="a"/>
  <option value="b"/></content></parameter>
<parameter name="path" unique-group="where"><content type="string"/></parameter>
<parameter name="old"><deprecated><replaced-with name="req"/></deprecated>
  <content type="string"/></parameter>
<parameter name="password"><longdesc lang="en">A secret: use cibsecret.</longdesc>
  <content type="string"/></parameter>
</parameters></resource-agent>"""


def _source(agent):
    return parse_metadata(agent, META) if agent in ("ocf:test:t", "stonith:fence_t") else None


def _check(*prims):
    cfg = Config()
    for p in prims:
        cfg.add(p)
    return [(f.level, f.element, f.message) for f in check_parameters(cfg, _source)]


def _one(params, rid="r"):
    return _check(Primitive(rid, "ocf:test:t", params=params))


def test_correct_parameters_give_nothing():
    assert _one({"req": "x", "num": "-3", "flag": "yes", "mode": "b", "path": "/p"}) == []


@pytest.mark.parametrize("params,needle", [
    ({}, "required parameter 'req'"),
    ({"req": "x", "bogus": "1"}, "parameter 'bogus' is unknown to ocf:test:t"),
    ({"req": "x", "num": "five"}, "parameter 'num' = 'five' is not an integer"),
    ({"req": "x", "flag": "maybe"}, "parameter 'flag' = 'maybe' is not a boolean"),
    ({"req": "x", "mode": "c"}, "parameter 'mode' = 'c' is not one of a, b"),
])
def test_each_mistake_is_one_error_naming_resource_and_parameter(params, needle):
    (finding,) = _one(params)
    assert finding[:2] == ("error", "primitive 'r'") and needle in finding[2], finding


def test_unique_group_values_must_differ_between_resources_of_an_agent():
    found = _check(Primitive("a", "ocf:test:t", params={"req": "x", "path": "/same"}),
                   Primitive("b", "ocf:test:t", params={"req": "x", "path": "/same"}),
                   Primitive("c", "ocf:test:t", params={"req": "x", "path": "/other"}))
    assert found == [("error", "primitive 'b'", "parameter 'path' must be unique among "
                                                "ocf:test:t resources, but 'a' has the same "
                                                "value")]


def test_deprecated_parameter_is_a_warning_and_stands_for_its_replacement():
    assert _one({"old": "x"}) == [("warning", "primitive 'r'", "parameter 'old' of ocf:test:t "
                                                               "is deprecated (use req)")]


def test_a_secret_in_clear_is_a_warning_that_says_how_to_move_it_out():
    ((level, element, message),) = _one({"req": "x", "password": "s3cret"})
    assert (level, element) == ("warning", "primitive 'r'")
    assert "cibsecret set r password VALUE" in message and "s3cret" not in message


def test_a_cibsecret_placeholder_counts_as_set_and_is_not_type_checked():
    assert _one({"req": "lrm://", "num": "lrm://", "password": "lrm://"}) == []


def test_an_agent_not_installed_here_is_a_warning_naming_it():
    assert _check(Primitive("h", "systemd:haproxy", ops=[Op("monitor", "1s")])) == [
        ("warning", "primitive 'h'", "agent systemd:haproxy is not installed here: its "
                                     "parameters are not checked")]


def test_fence_devices_take_the_fencers_own_parameters():
    dev = FencingDevice("f1", "fence_t", params={"req": "x", "pcmk_host_list": "n1 n2"})
    assert _check(dev) == []


def test_members_of_clones_are_checked():
    assert _check(Clone("c", Primitive("r", "ocf:test:t")))[0][:2] == ("error", "primitive 'r'")


def test_installed_agents_meta_data_is_read_once_per_agent(monkeypatch):
    ours_installed()
    from ocfpy.cib import agents
    agents.clear_cache()
    calls = []
    real = agents.fetch_metadata_text
    monkeypatch.setattr(agents, "fetch_metadata_text", lambda a: calls.append(a) or real(a))
    cfg = Config()
    for i in range(3):
        cfg.add(Primitive(f"d{i}", "ocf:ocfpy:dummy", params={"state": f"/run/d{i}"}))
    assert check_parameters(cfg) == [] and calls == ["ocf:ocfpy:dummy"]
    assert installed_metadata("ocf:ocfpy:dummy").parameters["state"].unique_group


@pytest.mark.parametrize("path", spec_paths(), ids=lambda p: p.name)
def test_every_shipped_spec_passes_verify(path):
    ours_installed()
    p = cli("verify", path, "--format", "json")
    report = json.loads(p.stdout)
    assert (p.returncode, report["ok"]) == (0, True), p.stdout
    # only agents this machine cannot have are warned about (systemd units)
    for f in report["findings"]:
        assert f["level"] == "warning" and "systemd:" in f["message"] and \
            "is not installed here" in f["message"], f


def test_verify_names_the_galera_resource_without_its_cluster_address(tmp_path):
    ours_installed()
    spec = tmp_path / "g.py"
    spec.write_text("from ocfpy_snippets.galera import build as b\n"
                    "def build():\n"
                    "    cfg = b()\n"
                    "    del cfg.top_ids()['galera-clone'].child.params['wsrep_cluster_address']\n"
                    "    return cfg\n")
    p = cli("verify", spec)
    assert (p.returncode, p.stdout.splitlines()) == (1, [
        "error: primitive 'galera': required parameter 'wsrep_cluster_address' of "
        "ocf:ocfpy:galera is missing"]), p.stdout + p.stderr


def test_verify_without_agent_checks_skips_them(tmp_path):
    spec = tmp_path / "g.py"
    spec.write_text("from ocfpy.cib.model import Config, Primitive, Op\n"
                    "def build():\n"
                    "    cfg = Config()\n"
                    "    cfg.disable_fencing('test')\n"
                    "    cfg.add(Primitive('x', 'ocf:ocfpy:galera', ops=[Op('monitor', '9s')]))\n"
                    "    return cfg\n")
    assert cli("verify", spec, "--no-agents").returncode == 0
    assert cli("verify", spec).returncode == (1 if installed_metadata("ocf:ocfpy:galera")
                                              else 0)
