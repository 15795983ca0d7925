"""Each lint fires on its mistake and names the element."""

import pytest

from ocfpy.cib.lint import lint
from ocfpy.cib.model import (
    Clone, Colocation, Config, Location, Op, Order, Primitive, check_id, normalize_score,
)


def _cfg(*items, fencing_ack=True):
    cfg = Config()
    if fencing_ack:
        cfg.disable_fencing("test")
    for rid in ("A", "B"):
        cfg.add(Primitive(rid, "ocf:heartbeat:Dummy", ops=[Op("monitor", "10s")]))
    for it in items:
        cfg.add(it)
    return cfg


def _messages(cfg, level="error"):
    return [str(f) for f in lint(cfg) if f.level == level]


def test_clean_configuration_has_no_findings():
    assert lint(_cfg(Colocation(follower="B", leader="A"))) == []


def test_duplicate_monitor_interval_is_an_error_naming_the_primitive():
    cfg = _cfg(Primitive("S", "ocf:heartbeat:Stateful",
                         ops=[Op("monitor", "10s", role="Promoted"), Op("monitor", "10s")]))
    assert any("primitive 'S'" in m and "interval" in m for m in _messages(cfg))


def test_dangling_reference_is_an_error():
    assert any("'nope'" in m for m in _messages(_cfg(Order("A", "nope"))))


def test_reference_into_a_clone_says_to_constrain_the_clone():
    cfg = _cfg(Clone("C-clone", Primitive("C", "ocf:heartbeat:Dummy",
                                          ops=[Op("monitor", "10s")])),
               Colocation(follower="A", leader="C"))
    assert any("constrain the clone 'C-clone'" in m for m in _messages(cfg))


def test_colocations_that_attract_and_repel_contradict():
    cfg = _cfg(Colocation(follower="A", leader="B"),
               Colocation(follower="B", leader="A", score="-INFINITY"))
    assert any("attract and repel" in m for m in _messages(cfg))


def test_mandatory_order_cycle_is_an_error():
    assert any("cycle" in m for m in _messages(_cfg(Order("A", "B"), Order("B", "A"))))


def test_clone_to_clone_order_without_interleave_warns_on_the_dependent_clone():
    cfg = _cfg(*[Clone(f"{r}-clone", Primitive(r, "ocf:heartbeat:Dummy",
                                               ops=[Op("monitor", "10s")]))
                 for r in ("X", "Y")], Order("X-clone", "Y-clone"))
    assert any("interleave='true' on 'Y-clone'" in m for m in _messages(cfg, "warning"))


def test_bad_score_is_an_error():
    assert any("bad score 'lots'" in m
               for m in _messages(_cfg(Location("A", node="n1", score="lots"))))


def test_fencing_disabled_without_acknowledgement_is_an_error():
    cfg = _cfg(fencing_ack=False)
    cfg.properties["stonith-enabled"] = "false"
    assert any("disable_fencing" in m for m in _messages(cfg))


def test_fencing_disabled_with_acknowledgement_is_accepted():
    assert not any("stonith" in m for m in _messages(_cfg()))


@pytest.mark.parametrize("bad", ["1abc", "a b", "", "x:y"])
def test_invalid_user_id_is_refused(bad):
    with pytest.raises(ValueError):
        check_id(bad)


def test_duplicate_user_id_is_reported():
    cfg = _cfg(Order("A", "B", id="A"))
    assert any("used by both" in m for m in _messages(cfg))


@pytest.mark.parametrize("given,expected", [("inf", "INFINITY"), ("+INFINITY", "INFINITY"),
                                            ("-inf", "-INFINITY"), (5, "5"), ("-7", "-7")])
def test_scores_normalize_to_cib_spelling(given, expected):
    assert normalize_score(given) == expected
