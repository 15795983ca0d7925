"""Read, diff and apply: apply manages only what its spec names, pushes only
the change, and the same twice sends nothing; --prune removes the rest, but
never fencing or maintenance-mode without --prune-protected."""

import copy
import json
import subprocess

import pytest
from lxml import etree

from ocfpy.cib.apply import ApplyRefused, apply_config, local_runner, plan_apply
from ocfpy.cib.canonical import canonical
from ocfpy.cib.diff import diff_configs
from ocfpy.cib.model import Colocation, Config, Op, Order, Primitive
from ocfpy.cib.read import read_cib
from ocfpy.cib.render_xml import render_xml

from cibtools import SNIPPETS, cli, load_snippet, need


def _changed(cfg):
    new = copy.deepcopy(cfg)
    vip = next(r for r in new.resources if r.id == "vip")
    vip.params["cidr_netmask"] = "16"
    return new


def _cib(runner):
    return etree.fromstring(runner(["cibadmin", "--query"], None).stdout.encode())


def _ids(cib, xpath):
    return sorted(el.get("id") for el in cib.findall(xpath))


def _prop(cib, name):
    p = cib.find(f"configuration/crm_config//nvpair[@name='{name}']")
    return None if p is None else p.get("value")


@pytest.fixture
def cib_file(tmp_path):
    need("cibadmin", "crm_diff")
    path = tmp_path / "cib.xml"
    path.write_text(subprocess.run(["cibadmin", "--empty"], capture_output=True, text=True,
                                   check=True).stdout)
    return str(path)


@pytest.fixture
def operator_cib(cib_file):
    """A CIB an operator built: a fencing device, a constraint on it, a
    resource of their own, maintenance-mode=true and a standby node."""
    run = local_runner(cib_file=cib_file)
    for section, xml in (
            ("resources", '<primitive id="fence-n1" class="stonith" type="fence_ipmilan">'
                          '<instance_attributes id="fence-n1-ia"><nvpair id="fence-n1-ip" '
                          'name="ip" value="10.0.1.1"/></instance_attributes></primitive>'),
            ("resources", '<primitive id="theirs" class="ocf" provider="heartbeat" '
                          'type="Dummy"/>'),
            ("constraints", '<rsc_location id="fence-n1-avoids-n1" rsc="fence-n1" node="n1" '
                            'score="-INFINITY"/>'),
            ("nodes", '<node id="1" uname="n1"><instance_attributes id="n1-ia"><nvpair '
                      'id="n1-standby" name="standby" value="on"/></instance_attributes>'
                      '</node>')):
        p = run(["cibadmin", "--create", "-o", section, "--xml-text", xml])
        assert p.returncode == 0, p.stderr
    p = run(["crm_attribute", "-t", "crm_config", "-n", "maintenance-mode", "-v", "true"])
    assert p.returncode == 0, p.stderr
    return cib_file


def _no_fencing_off(cfg):
    """The snippet as one would apply it to a cluster that has fencing."""
    cfg.properties.pop("stonith-enabled")
    cfg.fencing_off_acknowledged = None
    return cfg


def _kept(cib):
    return (_ids(cib, "configuration/resources/primitive[@class='stonith']"),
            "theirs" in _ids(cib, "configuration/resources/*"),
            _ids(cib, "configuration/constraints/*"), _prop(cib, "maintenance-mode"),
            cib.find("configuration/nodes/node/instance_attributes/nvpair").get("value"))


KEPT = (["fence-n1"], True, ["fence-n1-avoids-n1"], "true", "on")


def test_reading_our_cib_gives_back_the_same_model():
    cfg = load_snippet("openstack")
    assert canonical(render_xml(read_cib(render_xml(cfg)))) == canonical(render_xml(cfg))


def test_diff_names_the_changed_resource_and_what_changed_in_it():
    cfg = load_snippet("haproxy")
    assert [str(c) for c in diff_configs(cfg, _changed(cfg))] == [
        "~ resource 'vip': param cidr_netmask: '24' -> '16'"]


def test_diff_hides_secret_values():
    a, b = Config(), Config()
    for cfg, pw in ((a, "old-secret"), (b, "new-secret")):
        cfg.add(Primitive("k", "ocf:openstack:keystone", params={"os_password": pw}))
    assert [str(c) for c in diff_configs(a, b)] == [
        "~ resource 'k': param os_password: *** -> ***"]


def test_applying_the_same_model_twice_sends_nothing_the_second_time(cib_file):
    runner = local_runner(cib_file=cib_file)
    cfg = load_snippet("haproxy")
    apply_config(cfg, runner)
    epoch = _cib(runner).get("epoch")
    assert (apply_config(cfg, runner).changed, _cib(runner).get("epoch")) == (False, epoch)


def test_applying_a_change_patches_only_the_changed_element(cib_file):
    runner = local_runner(cib_file=cib_file)
    cfg = load_snippet("haproxy")
    apply_config(cfg, runner)
    patch = etree.fromstring(apply_config(_changed(cfg), runner).patch.encode())
    paths = {c.get("path") for c in patch.findall("change") if c.get("path") != "/cib"}
    assert paths and all("primitive[@id='vip']" in p for p in paths), paths


def test_applied_cib_matches_the_model(cib_file):
    runner = local_runner(cib_file=cib_file)
    cfg = load_snippet("openstack")
    apply_config(cfg, runner)
    assert canonical(etree.tostring(_cib(runner))) == canonical(render_xml(cfg))


def test_apply_keeps_fencing_foreign_resources_and_maintenance_mode(operator_cib):
    runner = local_runner(cib_file=operator_cib)
    result = apply_config(_no_fencing_off(load_snippet("vip")), runner)
    cib = _cib(runner)
    assert result.changed and _kept(cib) == KEPT
    assert "vip" in _ids(cib, "configuration/resources/*")
    assert [c for c in result.changes if c.action != "+"] == []
    assert apply_config(_no_fencing_off(load_snippet("vip")), runner).changed is False


def test_the_issues_command_keeps_all_three_and_adds_the_snippet(operator_cib):
    # the literal `ocfpy cib apply crm_snippets/vip.py --cib-file F`: vip.py turns
    # fencing off (the guide's demo choice), which apply refuses on a cluster with a
    # fencing device unless told so; told so, it keeps the device, the operator's
    # resource and maintenance-mode, and adds the VIP; then nothing is left to do
    vip = SNIPPETS / "vip.py"
    before = open(operator_cib).read()
    refused = cli("apply", vip, "--cib-file", operator_cib)
    assert (refused.returncode, refused.stdout) == (1, ""), refused
    assert refused.stderr.count("\n") == 1 and "fence-n1" in refused.stderr
    assert open(operator_cib).read() == before
    args = ["apply", vip, "--cib-file", operator_cib, "--allow-fencing-off",
            "--detailed-exitcode"]
    assert cli(*args, "--dry-run").returncode == 2
    assert open(operator_cib).read() == before
    first = cli(*args)
    assert first.returncode == 2, first.stderr
    cib = etree.parse(operator_cib).getroot()
    assert _kept(cib) == KEPT and "vip" in _ids(cib, "configuration/resources/*")
    assert (cli(*args, "--dry-run").returncode, cli(*args).returncode) == (0, 0)
    again = cli("apply", vip, "--cib-file", operator_cib, "--allow-fencing-off")
    assert (again.returncode, again.stdout.strip()) == (0, "no change")


def test_dry_run_prints_the_readable_diff_and_changes_nothing(operator_cib):
    before = open(operator_cib).read()
    p = cli("apply", SNIPPETS / "vip.py", "--cib-file", operator_cib, "--dry-run",
            "--allow-fencing-off")
    assert p.returncode == 0 and open(operator_cib).read() == before
    assert p.stdout.splitlines() == [
        "+ property 'cluster-recheck-interval': '5min'",
        "+ property 'pe-error-series-max': '1000'",
        "+ property 'pe-input-series-max': '1000'",
        "+ property 'pe-warn-series-max': '1000'",
        "+ property 'stonith-enabled': 'false'",
        "+ resource 'vip'",
        "left as is (not in the spec; --prune removes them): fencing-device 'fence-n1', "
        "resource 'theirs', constraint 'fence-n1-avoids-n1', property 'maintenance-mode', "
        "node-attribute 'n1 standby'",
        "would apply 6 change(s)"]


def test_prune_lists_then_removes_only_unprotected_items(operator_cib):
    runner = local_runner(cib_file=operator_cib)
    cfg = _no_fencing_off(load_snippet("vip"))
    apply_config(cfg, runner)
    dry = apply_config(cfg, runner, prune=True, dry_run=True)
    assert [str(c) for c in dry.changes] == ["- resource 'theirs'"]
    assert dry.protected == ["fencing-device 'fence-n1'", "constraint 'fence-n1-avoids-n1'",
                             "property 'maintenance-mode'", "node-attribute 'n1 standby'"]
    apply_config(cfg, runner, prune=True)
    cib = _cib(runner)
    assert _kept(cib) == (["fence-n1"], False, ["fence-n1-avoids-n1"], "true", "on")
    every = apply_config(cfg, runner, prune=True, prune_protected=True)
    assert sorted(str(c) for c in every.changes) == [
        "- constraint 'fence-n1-avoids-n1': rsc=fence-n1, node=n1, score=-INFINITY",
        "- fencing-device 'fence-n1'",
        "- node-attribute 'n1 standby'", "- property 'maintenance-mode'"]
    cib = _cib(runner)
    assert (_ids(cib, "configuration/resources/*"), _prop(cib, "maintenance-mode")) == (
        ["vip"], None)


def test_prune_protected_needs_prune(cib_file):
    with pytest.raises(ApplyRefused):
        apply_config(Config(), local_runner(cib_file=cib_file), prune_protected=True)


def test_constraints_equal_by_meaning_are_not_duplicated(cib_file):
    need("pcs")
    run = local_runner(cib_file=cib_file)
    cfg = load_snippet("demo_basic")
    apply_config(cfg, run)
    # the operator re-creates the order with pcs: another id, the same meaning
    cib = _cib(run)
    order = cib.find("configuration/constraints/rsc_order")
    assert run(["cibadmin", "--delete", "--xml-text", etree.tostring(order).decode()],
               None).returncode == 0
    p = subprocess.run(["pcs", "-f", cib_file, "constraint", "order", "promote",
                        "demo-stateful-clone", "then", "start", "demo-dummy"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert apply_config(cfg, run).changed is False


def test_an_id_the_cluster_uses_elsewhere_is_refused_in_one_line(cib_file):
    run = local_runner(cib_file=cib_file)
    assert run(["cibadmin", "--create", "-o", "resources", "--xml-text",
                '<group id="g"><primitive id="d" class="ocf" provider="heartbeat" '
                'type="Dummy"/></group>'], None).returncode == 0
    cfg = Config()
    cfg.add(Primitive("d", "ocf:heartbeat:Dummy", ops=[Op("monitor", "10s")]))
    with pytest.raises(ApplyRefused, match="'d' .* primitive 'd' inside group 'g'"):
        apply_config(cfg, run)
    # --prune replaces what the spec does not name: the group goes, d is top-level
    result = apply_config(cfg, run, prune=True)
    assert [str(c) for c in result.changes] == ["+ resource 'd'", "- resource 'g'"]


def test_operational_meta_and_cibsecret_placeholders_survive_an_apply(cib_file):
    run = local_runner(cib_file=cib_file)
    cfg = Config()
    cfg.add(Primitive("k", "ocf:openstack:keystone",
                      params={"config": "/etc/keystone/keystone.conf",
                              "os_password": "from-the-spec"}, ops=[Op("monitor", "30s")]))
    apply_config(cfg, run)
    # an operator stops it and moves the password out with cibsecret
    for argv in (["crm_resource", "-r", "k", "--meta", "-p", "target-role", "-v", "Stopped"],
                 ["crm_resource", "-r", "k", "-p", "os_password", "-v", "lrm://"]):
        assert run(argv, None).returncode == 0
    result = apply_config(cfg, run)
    assert (result.changed, len(result.notes)) == (False, 2), result.notes
    prim = _cib(run).find("configuration/resources/primitive")
    values = {p.get("name"): p.get("value") for p in prim.iter("nvpair")}
    assert (values["target-role"], values["os_password"]) == ("Stopped", "lrm://")
    assert [str(c) for c in apply_config(cfg, run, prune=True, dry_run=True).changes] == [
        "~ resource 'k': meta target-role: 'Stopped' -> (unset); param os_password: "
        "'lrm://' -> ***"]


def test_plan_of_a_constraint_change_updates_it_in_place():
    cfg = Config()
    for r in ("a", "b"):
        cfg.add(Primitive(r, "ocf:heartbeat:Dummy", ops=[Op("monitor", "10s")]))
    cfg.add(Order("a", "b"))
    live = etree.fromstring(render_xml(cfg).encode())
    cfg.constraints[0].kind = "Optional"
    cfg.add(Colocation(follower="b", leader="a"))
    plan = plan_apply(live, cfg)
    assert [str(c) for c in plan.changes] == [
        "+ constraint 'colocation-b-a': rsc=b, with-rsc=a, score=INFINITY",
        "~ constraint 'order-a-b': kind: 'Mandatory' -> 'Optional'"]


def test_apply_json_output(operator_cib):
    p = cli("apply", SNIPPETS / "vip.py", "--cib-file", operator_cib, "--format", "json",
            "--dry-run", "--allow-fencing-off")
    out = json.loads(p.stdout)
    assert (p.returncode, out["changed"], out["applied"], out["dry_run"]) == (0, True, False,
                                                                               True)
    assert {"action": "+", "kind": "resource", "key": "vip", "detail": None} in out["changes"]


@pytest.mark.real_cluster
def test_live_apply_keeps_the_clusters_fencing_and_changes_only_what_changed(
        real_cluster_clean):
    c = real_cluster_clean

    def runner(argv, input=None):
        return c.run(list(argv), input=input, check=False)

    fencing = _ids(_cib(runner), "configuration/resources/primitive[@class='stonith']")
    with pytest.raises(ApplyRefused, match="fencing"):
        apply_config(load_snippet("demo_basic"), runner)   # it turns fencing off
    cfg = _no_fencing_off(load_snippet("demo_basic"))
    result = apply_config(cfg, runner, wait=30)
    assert result.changed and result.settled is not None
    mon = c.wait_for(lambda m: c.resource_state("demo-dummy", m)["active"], timeout=5)
    assert c.resource_state("demo-stateful-clone", mon)["promoted"]
    before = _cib(runner)
    assert _ids(before, "configuration/resources/primitive[@class='stonith']") == fencing
    changed = copy.deepcopy(cfg)
    next(r for r in changed.resources if r.id == "demo-dummy").meta["target-role"] = "Stopped"
    assert [str(ch) for ch in apply_config(changed, runner, wait=30).changes] == [
        "~ resource 'demo-dummy': meta target-role: (unset) -> 'Stopped'"]
    assert not c.resource_state("demo-dummy")["active"]
    after = _cib(runner)
    differing = {r.get("id") for r in after.find("configuration/resources")
                 if etree.tostring(r) != etree.tostring(
                     before.find(f"configuration/resources/*[@id='{r.get('id')}']"))}
    assert differing == {"demo-dummy"}
    epoch = after.get("epoch")
    assert (apply_config(changed, runner).changed, _cib(runner).get("epoch")) == (False, epoch)
