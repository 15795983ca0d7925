"""crm_simulate places the snippets' resources as intended, and colocation
means what the model says (follower placed relative to leader)."""

import pytest

from ocfpy.cib.model import (
    Colocation, ColocationSet, Config, Location, Op, Primitive, ResourceSet,
)

from cibtools import apply_crm, apply_pcs, load_snippet, need, simulate, write_ours


@pytest.fixture(autouse=True)
def _tools():
    need("crm_simulate", "crm_mon", "cibadmin")


def test_haproxy_runs_on_every_node_and_vip_runs_with_an_haproxy(tmp_path):
    placed = simulate(write_ours(load_snippet("haproxy"), tmp_path / "c.xml"))
    assert [n for n, _ in placed["haproxy-clone"]] == ["n1", "n2", "n3"]
    assert len(placed["vip"]) == 1


def test_galera_is_promoted_on_all_three_nodes(tmp_path):
    placed = simulate(write_ours(load_snippet("galera"), tmp_path / "c.xml"),
                      promotion={"galera": 100})
    assert placed["galera-clone"] == [("n1", "Promoted"), ("n2", "Promoted"),
                                      ("n3", "Promoted")]


def test_openstack_places_vip_haproxy_and_promoted_galera(tmp_path):
    placed = simulate(write_ours(load_snippet("openstack"), tmp_path / "c.xml"),
                      promotion={"galera": 100})
    assert (len(placed["vip"]), len(placed["haproxy-clone"]),
            [r for _, r in placed["galera-clone"]]) == (1, 3, ["Promoted"] * 3)


def _leader_only_on_n1(constraint) -> Config:
    """Leader A can run only on n1; follower B never on n1. With A leading,
    A runs on n1 and B cannot follow (stopped); read reversed, B would run and
    A would be stopped."""
    cfg = Config()
    cfg.disable_fencing("scheduler test")
    for rid in ("A", "B"):
        cfg.add(Primitive(rid, "ocf:heartbeat:Dummy", ops=[Op("monitor", "10s")]))
    cfg.add(Location("A", node="n2", score="-INFINITY"))
    cfg.add(Location("A", node="n3", score="-INFINITY"))
    cfg.add(Location("B", node="n1", score="-INFINITY"))
    cfg.add(constraint)
    return cfg


FORMS = {
    "two_resources": Colocation(follower="B", leader="A"),
    "one_sequential_set": ColocationSet([ResourceSet(["A", "B"])]),
    "two_sets": ColocationSet([ResourceSet(["A"]), ResourceSet(["B"])]),
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_colocation_follower_is_placed_after_leader(tmp_path, form):
    placed = simulate(write_ours(_leader_only_on_n1(FORMS[form]), tmp_path / "c.xml"))
    assert placed == {"A": [("n1", "Started")]}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_colocation_follower_is_placed_after_leader_with_pcs(tmp_path, form):
    need("pcs")
    placed = simulate(apply_pcs(_leader_only_on_n1(FORMS[form]), tmp_path / "c.xml"))
    assert placed == {"A": [("n1", "Started")]}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_colocation_follower_is_placed_after_leader_with_crmsh(tmp_path, form):
    need("crm")
    placed = simulate(apply_crm(_leader_only_on_n1(FORMS[form]), tmp_path / "c.xml"))
    assert placed == {"A": [("n1", "Started")]}
