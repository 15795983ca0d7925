"""Read, diff and apply: only the change is pushed; the same twice sends nothing."""

import copy
import subprocess

import pytest
from lxml import etree

from ocfpy.cib.apply import apply_config, local_runner
from ocfpy.cib.canonical import canonical
from ocfpy.cib.diff import diff_configs
from ocfpy.cib.read import read_cib
from ocfpy.cib.render_xml import render_xml

from conftest import load_snippet, need


def _changed(cfg):
    new = copy.deepcopy(cfg)
    vip = next(r for r in new.resources if r.id == "vip")
    vip.params["cidr_netmask"] = "16"
    return new


def _cib(runner):
    return etree.fromstring(runner(["cibadmin", "--query"], None).stdout.encode())


@pytest.fixture
def cib_file(tmp_path):
    need("cibadmin", "crm_diff")
    path = tmp_path / "cib.xml"
    path.write_text(subprocess.run(["cibadmin", "--empty"], capture_output=True, text=True,
                                   check=True).stdout)
    return str(path)


def test_reading_our_cib_gives_back_the_same_model():
    cfg = load_snippet("openstack")
    assert canonical(render_xml(read_cib(render_xml(cfg)))) == canonical(render_xml(cfg))


def test_diff_names_only_the_changed_resource():
    cfg = load_snippet("haproxy")
    assert [str(c) for c in diff_configs(cfg, _changed(cfg))] == ["~ resource 'vip'"]


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


@pytest.mark.real_cluster
def test_live_apply_changes_only_changed_elements_and_same_again_nothing(real_cluster_clean):
    c = real_cluster_clean

    def runner(argv, input=None):
        return c.run(list(argv), input=input, check=False)

    cfg = load_snippet("demo_basic")
    assert apply_config(cfg, runner).changed
    before = _cib(runner)
    changed = copy.deepcopy(cfg)
    next(r for r in changed.resources if r.id == "demo-dummy").meta["target-role"] = "Stopped"
    apply_config(changed, runner)
    after = _cib(runner)
    differing = {r.get("id") for r in after.find("configuration/resources")
                 if etree.tostring(r) != etree.tostring(
                     before.find(f"configuration/resources/*[@id='{r.get('id')}']"))}
    assert differing == {"demo-dummy"}
    epoch = after.get("epoch")
    assert (apply_config(changed, runner).changed, _cib(runner).get("epoch")) == (False, epoch)
