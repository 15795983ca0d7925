"""The typed view of one invocation (ocfpy.environment) and the return codes."""

import pytest

from ocfpy import codes
from ocfpy.environment import Invocation, is_true, split_list

M = "OCF_RESKEY_CRM_meta_"


def inv(action="monitor", args=(), **env):
    return Invocation(action, {k: str(v) for k, v in env.items()}, args)


def test_clone_instance_suffix_is_split_off():
    i = inv(OCF_RESOURCE_INSTANCE="p_galera:2")
    assert (i.instance, i.clone_number, i.instance_full) == ("p_galera", 2, "p_galera:2")


@pytest.mark.parametrize("full, instance, number", [
    ("web", "web", None), ("a:b", "a:b", None), ("", "", None), ("x:10", "x", 10),
])
def test_instance_without_numeric_suffix_is_kept_whole(full, instance, number):
    i = inv(OCF_RESOURCE_INSTANCE=full)
    assert (i.instance, i.clone_number) == (instance, number)


def test_parameters_and_meta_are_separated():
    i = inv(OCF_RESKEY_ip="10.0.0.1", OCF_RESKEY_crm_feature_set="3.16.2",
            **{M + "interval": "10000", M + "timeout": "20000", M + "on_node": "n1"})
    assert i.params == {"ip": "10.0.0.1", "crm_feature_set": "3.16.2"}
    assert i.meta.raw == {"interval": "10000", "timeout": "20000", "on_node": "n1"}


def test_interval_and_timeout_are_seconds_and_milliseconds():
    i = inv(**{M + "interval": "15000", M + "timeout": "30000"})
    assert (i.meta.interval, i.meta.interval_ms, i.meta.timeout, i.meta.timeout_ms) == (
        15.0, 15000, 30.0, 30000)
    assert i.meta.timeout_given is True


def test_timeout_defaults_to_20s_when_pacemaker_gave_none():
    i = inv()
    assert (i.meta.timeout, i.meta.timeout_given) == (20.0, False)


@pytest.mark.parametrize("env, probe", [
    ({}, True), ({M + "interval": "0"}, True), ({M + "interval": "10000"}, False),
    ({M + "interval": "garbage"}, True),
])
def test_monitor_with_zero_or_no_interval_is_a_probe(env, probe):
    assert inv("monitor", **env).is_probe is probe


def test_only_monitor_can_be_a_probe():
    assert inv("start").is_probe is False
    assert inv("stop", **{M + "interval": "0"}).is_probe is False


def test_promotable_clone_meta():
    i = inv(**{M + "clone": "1", M + "clone_max": "3", M + "clone_node_max": "1",
               M + "globally_unique": "false", M + "notify": "true", M + "promotable": "true",
               M + "promoted_max": "1", M + "promoted_node_max": "1"})
    m = i.meta
    assert (m.clone, m.clone_max, m.clone_node_max, m.globally_unique, m.notify) == (
        1, 3, 1, False, True)
    assert (m.promotable, m.promoted_max, m.promoted_node_max, m.clone_max is not None) == (True, 1, 1, True)


def test_legacy_master_max_makes_a_clone_promotable():
    m = inv(**{M + "clone_max": "2", M + "master_max": "1", M + "master_node_max": "1"}).meta
    assert (m.promotable, m.promoted_max, m.promoted_node_max) == (True, 1, 1)


def test_new_promoted_max_wins_over_legacy_master_max():
    m = inv(**{M + "promoted_max": "2", M + "master_max": "1"}).meta
    assert m.promoted_max == 2


def test_a_primitive_is_not_a_clone_nor_promotable():
    m = inv().meta
    assert (m.clone_max, m.promotable, m.promoted_max, m.notify) == (None, False, None, False)


def test_check_level_is_read_from_ocf_check_level():
    assert inv(OCF_CHECK_LEVEL="20").check_level == 20
    assert inv().check_level == 0
    assert inv(OCF_CHECK_LEVEL="deep").check_level == 0


def test_node_name_comes_from_on_node():
    assert inv(**{M + "on_node": "node2"}).node_name == "node2"
    assert inv().node_name is None


def test_ra_version_and_exit_reason_prefix():
    i = inv(OCF_RA_VERSION_MAJOR="1", OCF_RA_VERSION_MINOR="1", OCF_EXIT_REASON_PREFIX="x:")
    assert (i.ra_version, i.exit_reason_prefix) == ((1, 1), "x:")
    assert (inv().ra_version, inv().exit_reason_prefix) == (None, "ocf-exit-reason:")


def test_type_and_provider():
    i = inv(OCF_RESOURCE_TYPE="galera", OCF_RESOURCE_PROVIDER="ocfpy")
    assert (i.resource_type, i.provider) == ("galera", "ocfpy")


def test_from_environ_takes_the_action_and_keeps_extra_arguments():
    i = Invocation.from_environ(["agent", "start", "x", "y"], {})
    assert (i.action, i.args) == ("start", ("x", "y"))
    assert Invocation.from_environ(["agent"], {}).action == ""


NOTIFY = {
    M + "notify_type": "pre", M + "notify_operation": "promote",
    M + "notify_start_uname": " node1 node2", M + "notify_start_resource": " rsc:0 rsc:1",
    M + "notify_stop_uname": " ", M + "notify_stop_resource": "",
    M + "notify_promote_uname": "node2 ", M + "notify_demote_uname": "",
    M + "notify_active_uname": "node1 node2 node3",
    M + "notify_promoted_uname": "", M + "notify_master_uname": " node3",
    M + "notify_unpromoted_resource": "rsc:0  rsc:1", M + "notify_slave_resource": "",
    M + "notify_all_uname": "node1 node2 node3", M + "notify_available_uname": "node1 node3",
    M + "notify_inactive_resource": " rsc:2",
}


def test_notify_type_and_operation():
    n = inv("notify", **NOTIFY).notify
    assert (n.type, n.operation) == ("pre", "promote")


def test_notify_lists_are_split_and_leading_spaces_dropped():
    n = inv("notify", **NOTIFY).notify
    assert n.uname("start") == ["node1", "node2"]
    assert n.resource("start") == ["rsc:0", "rsc:1"]
    assert n.uname("promote") == ["node2"]
    assert n.uname("active") == ["node1", "node2", "node3"]
    assert n.uname("all") == ["node1", "node2", "node3"]
    assert n.uname("available") == ["node1", "node3"]
    assert n.resource("inactive") == ["rsc:2"]


def test_notify_empty_or_blank_lists_are_empty():
    n = inv("notify", **NOTIFY).notify
    assert (n.uname("stop"), n.resource("stop"), n.uname("demote")) == ([], [], [])
    assert n.uname("nonexistent") == []


def test_notify_legacy_master_slave_names_fill_the_promoted_unpromoted_lists():
    n = inv("notify", **NOTIFY).notify
    assert n.uname("promoted") == ["node3"]
    assert n.uname("master") == ["node3"]
    assert n.resource("unpromoted") == ["rsc:0", "rsc:1"]
    assert n.resource("slave") == ["rsc:0", "rsc:1"]


def test_notify_with_only_legacy_names():
    n = inv("notify", **{M + "notify_master_uname": "n1", M + "notify_slave_uname": "n2 n3"}).notify
    assert (n.uname("promoted"), n.uname("unpromoted")) == (["n1"], ["n2", "n3"])


@pytest.mark.parametrize("value, expected", [
    ("yes", True), ("Y", True), ("on", True), ("TRUE", True), ("1", True),
    ("no", False), ("0", False), ("off", False), ("junk", False),
])
def test_is_true_uses_pacemaker_truth_values(value, expected):
    assert is_true(value) is expected


def test_is_true_default_applies_only_to_unset_values():
    assert (is_true(None, True), is_true("", True), is_true("no", True)) == (True, True, False)


def test_split_list():
    assert split_list(" a  b ") == ["a", "b"] and split_list("") == [] and split_list(None) == []


def test_trace_enabled_from_ocf_trace_ra_or_trace_ra_parameter():
    assert inv(OCF_TRACE_RA="1").trace_enabled is True
    assert inv(OCF_RESKEY_trace_ra="yes").trace_enabled is True
    assert inv(OCF_TRACE_RA="0").trace_enabled is False
    assert inv().trace_enabled is False


# -- return codes -----------------------------------------------------------------
@pytest.mark.parametrize("name, value", [
    ("SUCCESS", 0), ("ERR_GENERIC", 1), ("ERR_ARGS", 2), ("ERR_UNIMPLEMENTED", 3),
    ("ERR_PERM", 4), ("ERR_INSTALLED", 5), ("ERR_CONFIGURED", 6), ("NOT_RUNNING", 7),
    ("RUNNING_PROMOTED", 8), ("FAILED_PROMOTED", 9), ("DEGRADED", 190),
    ("DEGRADED_PROMOTED", 191),
])
def test_return_codes_have_ocf_1_1_names_and_values(name, value):
    assert getattr(codes, name) == value
    assert codes.OCF[name] == value
    assert codes.OCF(value).name == name
    assert codes.name_of(value) == name


def test_legacy_aliases_are_the_same_members():
    assert codes.OCF.RUNNING_MASTER is codes.OCF.RUNNING_PROMOTED
    assert codes.OCF.FAILED_MASTER is codes.OCF.FAILED_PROMOTED
    assert (codes.RUNNING_MASTER, codes.FAILED_MASTER) == (8, 9)


def test_ocf_enum_is_an_int_enum():
    import enum

    assert issubclass(codes.OCF, enum.IntEnum)
    assert codes.OCF.NOT_RUNNING + 0 == 7


def test_name_of_an_unknown_code_is_the_number():
    assert codes.name_of(42) == "42"


def test_unknown_attribute_of_codes_raises_attribute_error():
    with pytest.raises(AttributeError):
        codes.NO_SUCH_CODE  # noqa: B018


def test_code_sets():
    assert codes.RUNNING_CODES == {0, 8, 190, 191}
    assert codes.HARD_ERRORS == {2, 4, 5, 6}
