"""YAML/JSON specs in the shapes of linux-system-roles ha_cluster variables:
they give the same model as Python specs, round-trip, and the guide's whole
configuration exists as YAML that renders to the same CIB as its Python form."""

import json

import pytest

from ocfpy.cib.canonical import canonical, explain_difference
from ocfpy.cib.data import config_to_data, dump_json, dump_yaml, load_data_spec, parse_rule
from ocfpy.cib.generate import generate
from ocfpy.cib.model import (
    Colocation, ColocationSet, Config, Expression, FencingDevice, FencingLevel, Location,
    Node, Op, OrderSet, Primitive, ResourceSet, Rule,
)
from ocfpy.cib.render_xml import render_xml
from ocfpy.cib.spec import SpecError, load_spec

from cibtools import SNIPPETS, snippet_paths


def same(a: Config, b: Config):
    x, y = render_xml(a), render_xml(b)
    assert canonical(x) == canonical(y), explain_difference(x, y)


def test_the_guides_yaml_renders_to_the_same_cib_as_its_python_form():
    same(load_spec(str(SNIPPETS / "openstack.yaml")), load_spec(str(SNIPPETS / "openstack.py")))


@pytest.mark.parametrize("fmt", ["yaml", "json"])
@pytest.mark.parametrize("path", snippet_paths() + ["generated"], ids=str)
def test_every_spec_round_trips_through_yaml_and_json(tmp_path, path, fmt):
    cfg = generate(60, 60) if path == "generated" else load_spec(str(path))
    out = tmp_path / f"spec.{fmt}"
    out.write_text(dump_yaml(cfg) if fmt == "yaml" else dump_json(cfg))
    same(load_data_spec(str(out)), cfg)


def _load(tmp_path, text, name="s.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return load_data_spec(str(p))


def test_ha_cluster_shapes_map_to_the_model(tmp_path):
    cfg = _load(tmp_path, """
ha_cluster_cluster_name: ignored      # the role's other variables are accepted
ha_cluster_hacluster_password: ignored
ha_cluster_cluster_properties:
  - attrs:
      - name: stonith-enabled
        value: true                   # YAML booleans become Pacemaker's words
ha_cluster_node_options:
  - node_name: n1
    pcs_address: n1.example.com       # cluster set-up, not CIB: ignored
    attributes:
      - attrs: [{name: rack, value: "1"}]
ha_cluster_resource_primitives:
  - id: fence-n1
    agent: stonith:fence_ipmilan
    instance_attrs:
      - attrs: [{name: ip, value: 10.0.1.1}, {name: pcmk_host_list, value: n1}]
  - id: db
    agent: ocf:ocfpy:galera
    instance_attrs:
      - attrs: [{name: wsrep_cluster_address, value: "gcomm://n1,n2,n3"}]
    meta_attrs:
      - attrs: [{name: migration-threshold, value: 3}]
    operations:
      - action: monitor
        attrs: [{name: interval, value: 10s}, {name: role, value: Master},
                {name: OCF_CHECK_LEVEL, value: 10}, {name: start-delay, value: 5s}]
  - id: a
    agent: ocf:heartbeat:Dummy
  - id: b
    agent: ocf:heartbeat:Dummy
ha_cluster_resource_groups:
  - id: ab
    resource_ids: [a, b]
ha_cluster_resource_clones:
  - resource_id: db
    promotable: yes
  - resource_id: ab
    id: ab-everywhere
ha_cluster_resource_defaults:
  meta_attrs:
    - attrs: [{name: resource-stickiness, value: 100}]
ha_cluster_resource_operation_defaults:
  meta_attrs:
    - attrs: [{name: timeout, value: 60s}]
ha_cluster_stonith_levels:
  - level: 1
    target: n1
    resource_ids: [fence-n1]
ha_cluster_constraints_location:
  - resource: {id: fence-n1}
    node: n1
    options: [{name: score, value: -INFINITY}]
  - resource: {id: db-clone, role: Promoted}
    rule: "#uname eq n2 and rack ne integer 2"
    options: [{name: score, value: 50}, {name: resource-discovery, value: exclusive}]
ha_cluster_constraints_colocation:
  - resource_follower: {id: ab-everywhere}
    resource_leader: {id: db-clone, role: Promoted}
    options: [{name: score, value: INFINITY}]
  - resource_sets:
      - resource_ids: [fence-n1]
      - resource_ids: [db-clone]
        options: [{name: role, value: Promoted}]
    id: sets
ha_cluster_constraints_order:
  - resource_first: {id: db-clone, action: promote}
    resource_then: {id: ab-everywhere, action: start}
    options: [{name: kind, value: Optional}]
  - resource_sets:
      - resource_ids: [db-clone]
        options: [{name: action, value: promote}, {name: sequential, value: "false"}]
      - resource_ids: [ab-everywhere]
    options: [{name: symmetrical, value: "false"}]
""")
    assert cfg.properties == {"stonith-enabled": "true"}
    assert cfg.nodes == [Node("n1", {"rack": "1"})]
    fence, db, ab = cfg.resources
    assert isinstance(fence, FencingDevice) and fence.params["pcmk_host_list"] == "n1"
    assert (db.id, db.promotable, db.child.meta) == ("db-clone", True,
                                                     {"migration-threshold": "3"})
    assert db.child.ops == [Op("monitor", "10s", role="Promoted", depth=10,
                               options={"start-delay": "5s"})]
    assert (ab.id, [m.id for m in ab.child.members]) == ("ab-everywhere", ["a", "b"])
    assert (cfg.rsc_defaults, cfg.op_defaults) == ({"resource-stickiness": "100"},
                                                   {"timeout": "60s"})
    assert cfg.fencing_levels == [FencingLevel("n1", 1, ["fence-n1"])]
    loc_node, loc_rule, col, col_set, order, order_set = cfg.constraints
    assert loc_node == Location("fence-n1", node="n1", score="-INFINITY")
    assert loc_rule == Location("db-clone", rules=[Rule(
        [Expression("#uname", "eq", "n2"), Expression("rack", "ne", "2", type="integer")],
        score="50", role="Promoted")], resource_discovery="exclusive")
    assert col == Colocation(follower="ab-everywhere", leader="db-clone",
                             leader_role="Promoted")
    # sets are listed as in the CIB (the last set placed first); the model lists the leader
    assert col_set == ColocationSet([ResourceSet(["db-clone"], role="Promoted"),
                                     ResourceSet(["fence-n1"])], id="sets")
    assert (order.kind, order.first_action, order.then_action) == ("Optional", "promote",
                                                                   "start")
    assert order_set == OrderSet([ResourceSet(["db-clone"], sequential=False,
                                              action="promote"),
                                  ResourceSet(["ab-everywhere"])], symmetrical=False)
    # and back: the same model
    (tmp_path / "again.json").write_text(json.dumps(config_to_data(cfg)))
    same(load_data_spec(str(tmp_path / "again.json")), cfg)


def test_colocation_sets_mean_what_pcs_makes_of_the_same_variables(tmp_path):
    # pcs "constraint colocation set A set B" writes the sets in that order: the
    # CIB's last set (B) is placed first, so B is the model's leader
    cfg = _load(tmp_path, """
ha_cluster_resource_primitives:
  - {id: A, agent: "ocf:heartbeat:Dummy"}
  - {id: B, agent: "ocf:heartbeat:Dummy"}
ha_cluster_constraints_colocation:
  - resource_sets: [{resource_ids: [A]}, {resource_ids: [B]}]
""")
    xml = render_xml(cfg)
    assert xml.index('resource_ref id="A"') < xml.index('resource_ref id="B"')
    assert cfg.constraints[0].sets[0].resources == ["B"]


def test_fencing_off_needs_ocfpys_acknowledgement(tmp_path):
    cfg = _load(tmp_path, "ocfpy_fencing_disabled_reason: lab without fencing hardware\n")
    assert (cfg.properties, cfg.fencing_off_acknowledged) == (
        {"stonith-enabled": "false"}, "lab without fencing hardware")
    with pytest.raises(SpecError, match=r"s.yaml:1: ocfpy_fencing_disabled_reason is given "
                                        r"but .* 'true'"):
        _load(tmp_path, "ocfpy_fencing_disabled_reason: x\nha_cluster_cluster_properties:\n"
                        "  - attrs: [{name: stonith-enabled, value: 'true'}]\n")


@pytest.mark.parametrize("text,message", [
    ("ha_cluster_cluster_properties:\n  - attrs: []\n  - attrs: []\n",
     "s.yaml:3: ha_cluster_cluster_properties: only one set is supported"),
    ("ha_cluster_resource_primitives:\n  - {id: a, agent: Dummy}\n",
     "s.yaml:2: primitive 'a': give the agent's full name"),
    ("ha_cluster_resource_primitives:\n  - id: a\n    agent: ocf:x:y\n"
     "    copy_operations_from_agent: true\n",
     "s.yaml:4: primitive 'a': ocfpy does not copy an agent's default operations"),
    ("ha_cluster_resource_clones:\n  - resource_id: nope\n",
     "s.yaml:2: clone of 'nope': not in ha_cluster_resource_primitives"),
    ("ha_cluster_constraints_location:\n  - resource: {pattern: 'db.*'}\n    node: n1\n",
     "s.yaml:2: ha_cluster_constraints_location item 1: resource patterns are not supported"),
    ("ha_cluster_constraints_location:\n  - resource: {id: a}\n    node: n1\n"
     "    options: [{name: scor, value: 1}]\n",
     "s.yaml:4: ha_cluster_constraints_location item 1: option 'scor' is not supported"),
    ("ha_cluster_constraints_order:\n  - resource_first: {id: a}\n"
     "    resource_then: {id: b}\n    options:\n      - {name: kind, value: Sometimes}\n",
     "s.yaml:2: bad order kind 'Sometimes'"),
    ("ha_cluster_stonith_levels:\n  - level: 1\n    target_pattern: 'n.*'\n"
     "    resource_ids: [f]\n",
     "s.yaml:3: ha_cluster_stonith_levels item 1: target_pattern is not supported"),
    ("ha_cluster_resource_defaults:\n  meta_attrs:\n    - rule: resource ::Dummy\n"
     "      attrs: []\n",
     "s.yaml:3: ha_cluster_resource_defaults meta_attrs: a set with a rule is not supported"),
    ("ha_cluster_node_options:\n  - node_name: n1\n    atributes: []\n",
     "s.yaml:3: unknown key 'atributes' in ha_cluster_node_options item 1"),
])
def test_each_mistake_names_the_line(tmp_path, text, message):
    with pytest.raises(SpecError) as e:
        _load(tmp_path, text)
    assert str(e.value).startswith(str(tmp_path / message.split(":")[0]) + ":"
                                   + message.split(":", 1)[1]), str(e.value)


def test_values_keep_their_text(tmp_path):
    cfg = _load(tmp_path, "ha_cluster_resource_primitives:\n  - id: a\n    agent: ocf:x:y\n"
                          "    instance_attrs:\n      - attrs:\n"
                          "          - {name: mode, value: 0600}\n"
                          "          - {name: ratio, value: 1.50}\n"
                          "          - {name: on, value: off}\n")
    assert cfg.resources[0].params == {"mode": "0600", "ratio": "1.50", "on": "false"}


@pytest.mark.parametrize("rule", ["#uname eq n1", "defined pingd",
                                  "pingd gt integer 0 and #uname ne n3",
                                  "a eq x or not_defined b", "v lt version 1.2.3"])
def test_pcs_rules_parse_and_print_back(rule):
    from ocfpy.cib.data import rule_to_text
    exprs, op = parse_rule(rule)
    assert rule_to_text(Rule(exprs, boolean_op=op)) == rule


@pytest.mark.parametrize("rule", ["date gt 2020-01-01", "a eq 1 and b eq 2 or c eq 3",
                                  "(a eq 1)", "a eq", "a is 1"])
def test_rules_outside_the_model_are_refused(rule):
    with pytest.raises(ValueError):
        parse_rule(rule)


def test_multi_rule_locations_use_ocfpys_rules_extension(tmp_path):
    cfg = Config()
    cfg.add(Primitive("a", "ocf:heartbeat:Dummy"))
    cfg.add(Location("a", rules=[Rule([Expression("x", "defined")], score=10),
                                 Rule([Expression("y", "eq", "1")], score=-5,
                                      role="Started")]))
    data = config_to_data(cfg)
    assert [r["rule"] for r in data["ha_cluster_constraints_location"][0]["rules"]] == [
        "defined x", "y eq 1"]
    (tmp_path / "m.json").write_text(json.dumps(data))
    same(load_data_spec(str(tmp_path / "m.json")), cfg)
