"""The sandbox's demos without starting a cluster: what ``up --demo`` refuses
and why, and the configuration crm_snippets/demo.py builds.

The full OpenStack demo under real Pacemaker is in test_real_cluster.py
(test_sandbox_openstack_demo_gives_a_token_through_the_vip_...).
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ocfpy.sandbox import demo
from ocfpy.sandbox.cluster import missing_requirements as cluster_missing


def test_openstack_demo_without_the_openstack_venv_names_it_and_the_setup_command(
        tmp_path, monkeypatch):
    monkeypatch.setenv("OCFPY_OPENSTACK_VENV", str(tmp_path / "no-venv"))
    reason = demo.missing_requirements("openstack", nodes=3)
    assert ("OpenStack venv absent at %s" % (tmp_path / "no-venv") in reason,
            "bash .ci/setup" in reason) == (True, True), reason


def test_openstack_demo_on_one_node_is_refused_with_the_alternative():
    reason = demo.missing_requirements("openstack", nodes=1)
    assert "needs 3 nodes" in reason and "--demo basic" in reason


def test_basic_demo_needs_nothing_more():
    assert demo.missing_requirements("basic", nodes=1) is None


def test_up_demo_without_mariadbd_says_so_and_starts_nothing(tmp_path, monkeypatch):
    reason = cluster_missing()
    if reason:
        pytest.skip(reason)     # the cluster's own requirements are checked first
    from ocfpy.sandbox import mariadb
    from ocfpy.sandbox.cli import sandbox

    monkeypatch.setenv("OCFPY_SANDBOX_DIR", str(tmp_path / "sbx"))
    monkeypatch.setattr(mariadb, "find_binary", lambda: None)
    result = CliRunner().invoke(sandbox, ["up", "--demo"])
    assert (result.exit_code, "mariadbd not installed" in result.output,
            "bash .ci/setup" in result.output) == (1, True, True), result.output
    assert not (tmp_path / "sbx").exists()


def test_demo_configuration_orders_services_after_galera_and_keeps_them_with_the_vip(
        tmp_path, monkeypatch):
    from ocfpy.cib.model import Colocation, Order
    from ocfpy.cib.spec import load_spec

    monkeypatch.setenv("OCFPY_SANDBOX_DIR", str(tmp_path / "sbx"))
    cfg = load_spec(str(demo.demo_spec_path("openstack")))
    orders = {(c.first, c.first_action, c.then, c.then_action, c.kind)
              for c in cfg.constraints if isinstance(c, Order)}
    colocations = {(c.follower, c.leader, c.leader_role)
                   for c in cfg.constraints if isinstance(c, Colocation)}
    assert orders == {("galera-clone", "promote", "keystone-clone", "start", "Mandatory"),
                      ("galera-clone", "promote", "p_glance-api", "start", "Optional"),
                      ("keystone-clone", None, "p_glance-api", None, "Optional")}
    assert colocations == {("keystone-clone", "galera-clone", "Promoted"),
                           ("vip", "keystone-clone", None), ("p_glance-api", "vip", None)}


def test_demo_services_read_their_credentials_from_a_file_below_the_sandbox_dir(
        tmp_path, monkeypatch):
    from ocfpy.cib.spec import load_spec

    monkeypatch.setenv("OCFPY_SANDBOX_DIR", str(tmp_path / "sbx"))
    cfg = load_spec(str(demo.demo_spec_path("openstack")))
    ids = cfg.top_ids()
    for params in (ids["keystone-clone"].child.params, ids["p_glance-api"].params):
        assert (params["os_credentials_file"], "os_password" in params, params["user"]) == (
            str(tmp_path / "sbx" / "demo" / "admin-openrc"), False, "ocfpy-os")

